"""An order's results: entering what came back (each measured item with its value, unit and
reference range, or a free-text report), and the ordering doctor's review and sign-off. The
dialogs only collect input; the operations check it whole (a number without its unit refuses the
entry, nothing is kept) and the error shows in the dialog."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.results import OrderResults, ResultInput
from clinicdesk.errors import ValidationError
from models.enums import ResultFlag
from ui.app import set_accessible
from ui.clinical_dialogs import FormDialog, _ItemsTable

COLUMNS = ("Test", "Value", "Unit", "Reference low", "Reference high", "Lab flag (critical?)")
FLAG_STYLE = {
    ResultFlag.CRITICAL: ("#fde8e8", "#9b1c1c"),
    ResultFlag.HIGH: ("#fdeedc", "#8a4a0b"),
    ResultFlag.LOW: ("#fdeedc", "#8a4a0b"),
    ResultFlag.ABNORMAL: ("#fdeedc", "#8a4a0b"),
}


def _number(text: str, what: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text.strip())
    except ValueError:
        raise ValidationError(f"the {what} must be a number") from None


class ResultsDialog(FormDialog):
    """One row per result, started from the order's items; a report for what has no values."""

    def __init__(self, order: OrderResults, parent: QWidget | None = None) -> None:
        super().__init__("Enter results", "&Save results", parent)
        self.resize(860, 420)
        self.table = _ItemsTable(COLUMNS, "Results")
        for name in order.items:
            self.table.add([name, "", "", "", "", ""])
        if not order.items:
            self.table.add()
        add = QPushButton("&Add result")
        set_accessible(add, "Add result")
        add.clicked.connect(lambda: self.table.add())
        self.report = QPlainTextEdit()
        self.report.setFixedHeight(80)
        self.report.setTabChangesFocus(True)
        self.report.setPlaceholderText("Report (free text), e.g. the radiologist's or the lab's comment")
        set_accessible(self.report, "Report", "The free-text report that came with the results")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What came back. A number needs its unit; flags follow the reference range."))
        layout.addWidget(self.table, 1)
        layout.addWidget(add)
        layout.addWidget(self.report)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.table.setFocus()

    def entries(self) -> list[ResultInput]:
        out = []
        for name, value, unit, low, high, flag in self.table.rows():
            lab = ResultFlag.CRITICAL if flag.strip().lower().startswith("crit") else None
            out.append(
                ResultInput(
                    name=name, value=value or None, unit=unit or None,
                    reference_low=_number(low, f"reference low of {name or 'a result'}"),
                    reference_high=_number(high, f"reference high of {name or 'a result'}"), flag=lab,
                )
            )  # fmt: skip
        report = self.report.toPlainText().strip()
        if report:
            out.append(ResultInput(name="Report", report=report))
        return out

    def problem(self) -> str | None:
        try:
            return None if self.entries() else "enter at least one result or the report"
        except ValidationError as exc:
            return exc.message


def results_html(order: OrderResults) -> str:
    rows = []
    for r in order.results:
        back, fore = FLAG_STYLE.get(r.flag, ("", "#111"))
        style = f"style='background:{back}; color:{fore}; padding:2px 8px 2px 0'"
        value = escape(" ".join(x for x in (r.value, r.unit) if x) or "")
        flag = "" if r.flag is ResultFlag.NORMAL else f"<b>{escape(r.flag.value.upper())}</b>"
        cells = (escape(r.name), value, escape(r.reference), flag)
        rows.append(
            "<tr>"
            + "".join(f"<td {style}>{c}</td>" for c in cells)
            + "</tr>"
            + (f"<tr><td colspan='4' style='color:#333'>{escape(r.report)}</td></tr>" if r.report else "")
        )
    review = ""
    if order.reviewed_at is not None:
        review = f"<p>Reviewed by {escape(order.reviewed_by or '')}" + (
            f": {escape(order.review_note)}</p>" if order.review_note else "</p>"
        )
    return (
        f"<p>{escape(order.order_type.value.capitalize())} order by {escape(order.orderer_name)}: "
        f"{escape(', '.join(order.items))} — <b>{escape(order.status.value)}</b></p>"
        "<table cellspacing='0'><tr><th align='left'>Test</th><th align='left'>Result</th>"
        f"<th align='left'>Reference</th><th align='left'>Flag</th></tr>{''.join(rows)}</table>{review}"
    )


class ReviewDialog(FormDialog):
    """The results as they came back, and the ordering doctor's sign-off with an optional note."""

    def __init__(self, order: OrderResults, parent: QWidget | None = None) -> None:
        super().__init__("Review results", "Sign &off results", parent)
        self.resize(760, 420)
        self.view = QTextBrowser()
        set_accessible(self.view, "Results", "The order's results with their flags")
        self.view.setHtml(results_html(order))
        self.note = QLineEdit()
        self.note.setPlaceholderText("What you make of them, what happens next (optional)")
        set_accessible(self.note, "Review note")
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.note.setFocus()
