"""Signing a prescription, as the doctor sees it: the safety checks run first; with nothing to say
it is signed at once, otherwise the findings are shown (allergy, duplicate therapy, dose) and the
prescription is signed only with a reason, which is kept with it. Closing the dialog signs nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from html import escape

from PySide6.QtWidgets import QLabel, QLineEdit, QTextBrowser, QVBoxLayout, QWidget

from app.drug_safety import HIGH, Finding
from app.ops import prescribing as rx_ops
from app.services.prescribing import RxRecord, Signing
from clinicdesk.errors import ClinicDeskError
from ui.app import set_accessible
from ui.clinical_dialogs import FormDialog
from ui.worker import Operations

SEVERITY_STYLE = {
    "high": ("#fde8e8", "#9b1c1c", "⚠"),
    "moderate": ("#fdf6d3", "#7a5a00", "!"),
    "info": ("", "#555", "ℹ"),
}


def findings_html(findings: list[Finding]) -> str:
    rows = []
    for f in findings:
        back, fore, mark = SEVERITY_STYLE.get(f.severity, SEVERITY_STYLE["info"])
        what = {"allergy": "Allergy", "duplicate": "Duplicate therapy", "dose": "Dose",
                "allergies_unknown": "Allergies"}.get(f.kind, f.kind)  # fmt: skip
        cell = f"style='background:{back}; color:{fore}; padding:4px'"
        message = escape(f.message[:1].upper() + f.message[1:])
        rows.append(f"<tr><td {cell}><b>{mark} {escape(what)}</b></td><td {cell}>{message}</td></tr>")
    return f"<table width='100%' cellspacing='2'>{''.join(rows)}</table>"


class SafetyDialog(FormDialog):
    """The findings, and the reason to sign over them (when any needs one)."""

    def __init__(self, findings: list[Finding], parent: QWidget | None = None) -> None:
        super().__init__("Prescription safety checks", "Sign &anyway", parent)
        self.findings = findings
        self.resize(640, 360)
        self.needs_reason = any(f.needs_reason for f in findings)
        serious = any(f.severity == HIGH for f in findings)
        intro = QLabel(
            "Check these before signing. To sign anyway, say why; the reason is kept with the prescription."
            if self.needs_reason
            else "For your information before signing."
        )
        intro.setWordWrap(True)
        self.list = QTextBrowser()
        set_accessible(self.list, "Safety findings", "What the checks found, most serious first")
        self.list.setHtml(findings_html(findings))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Reason for signing over the warnings (required)")
        set_accessible(self.reason, "Override reason", "Why the prescription is signed despite the warnings")
        self.reason.setVisible(self.needs_reason)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if not self.needs_reason:
            self.ok_button.setText("&Sign")
        if serious:
            self.setWindowTitle("Prescription safety checks: warnings")
        (self.reason if self.needs_reason else self.ok_button).setFocus()

    def reason_text(self) -> str:
        return " ".join(self.reason.text().split())

    def problem(self) -> str | None:
        return (
            "give the reason for signing over the warnings"
            if self.needs_reason and not self.reason_text()
            else None
        )

    def keys(self) -> list[str]:
        return [f.key for f in self.findings]


def sign_prescription(
    ops: Operations,
    prescription_id: uuid.UUID,
    *,
    parent: QWidget,
    open_dialog: Callable[[FormDialog, Callable[[], None]], None],
    done: Callable[[RxRecord], object],
    fail: Callable[[ClinicDeskError], object],
    initiator: object | None = None,
) -> None:
    """Runs the checks with the signature; a finding opens the SafetyDialog, whose OK signs again
    with the keys shown and the reason (and shows the findings anew if they changed meanwhile)."""

    def first(signing: Signing) -> None:
        if signing.record is not None:
            done(signing.record)
            return
        dialog = SafetyDialog(signing.findings, parent)

        def submit() -> None:
            seen, reason = dialog.keys(), dialog.reason_text()

            def again(result: Signing) -> None:
                if result.record is not None:
                    dialog.done_ok()
                    done(result.record)
                    return
                dialog.findings = result.findings
                dialog.list.setHtml(findings_html(result.findings))
                dialog.show_error(
                    ClinicDeskError("the checks found something new meanwhile: read them again")
                )

            ops.op(
                lambda ws: rx_ops.sign(ws, prescription_id, seen=seen, override_reason=reason or None),
                label="signing the prescription",
                initiator=initiator,
            ).success(again).failure(dialog.show_error).run()

        open_dialog(dialog, submit)

    ops.op(
        lambda ws: rx_ops.sign(ws, prescription_id), label="checking the prescription", initiator=initiator
    ).success(first).failure(fail).run()
