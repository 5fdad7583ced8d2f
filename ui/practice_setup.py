"""The practice record in the window: the day-one wizard that leads an administrator through it, and
Settings → Practice, where it is edited later.

Both show the same sections (:class:`PracticeForm`): name, address, phone and time zone; business
hours per weekday; holidays; appointment types with their durations and booking rules (minimum and
maximum notice); accepted insurance plans; the MRN format. Saving is one operation
(app.ops.practice.save) whose refusal names the field, shown in the wizard's or page's error line.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from zoneinfo import available_timezones

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.ops import practice as practice_ops
from app.ops.changes import Changes
from app.services.practice_setup import SEED_RULES, WEEKDAY_NAMES, PracticeInput, default_input
from clinicdesk.errors import ClinicDeskError
from models.enums import AppointmentType, Role
from ui.app import error_label, set_accessible, show_error_in
from ui.page import Page, PageContext
from ui.schedule_model import type_label
from ui.worker import Operations


@cache
def timezones() -> list[str]:
    return [
        "UTC",
        *sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))),
    ]


def _time(text: str) -> QTime:
    hours, minutes = (int(x) for x in text.split(":"))
    return QTime(hours, minutes)


class PracticeForm(QWidget):
    """The practice record's sections, as separate widgets (the wizard shows one per page, Settings →
    Practice all of them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.general = QWidget()
        self.name = QLineEdit()
        set_accessible(self.name, "Practice name")
        self.phone = QLineEdit()
        set_accessible(self.phone, "Practice phone")
        self.address = {key: QLineEdit() for key in ("street", "city", "region", "postal_code", "country")}
        for key, field in self.address.items():
            set_accessible(field, f"Practice address {key.replace('_', ' ')}")
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(timezones())
        set_accessible(self.timezone, "Practice time zone", "The wall clock the schedule uses")
        form = QFormLayout(self.general)
        form.addRow("&Name:", self.name)
        form.addRow("&Phone:", self.phone)
        form.addRow("&Street:", self.address["street"])
        form.addRow("&City:", self.address["city"])
        form.addRow("&Region:", self.address["region"])
        form.addRow("Postal &code:", self.address["postal_code"])
        form.addRow("C&ountry:", self.address["country"])
        form.addRow("&Time zone:", self.timezone)

        self.hours = QWidget()
        grid = QGridLayout(self.hours)
        self.open_days: dict[str, QCheckBox] = {}
        self.opens: dict[str, QTimeEdit] = {}
        self.closes: dict[str, QTimeEdit] = {}
        for row, name in enumerate(WEEKDAY_NAMES):
            key = str(row + 1)
            box = QCheckBox(name)
            set_accessible(box, f"Open on {name}")
            opens, closes = QTimeEdit(QTime(8, 0)), QTimeEdit(QTime(17, 0))
            for edit, what in ((opens, "opens"), (closes, "closes")):
                edit.setDisplayFormat("HH:mm")
                set_accessible(edit, f"{name} {what}")
            box.toggled.connect(opens.setEnabled)
            box.toggled.connect(closes.setEnabled)
            self.open_days[key], self.opens[key], self.closes[key] = box, opens, closes
            grid.addWidget(box, row, 0)
            grid.addWidget(opens, row, 1)
            grid.addWidget(QLabel("to"), row, 2)
            grid.addWidget(closes, row, 3)

        self.holidays = QWidget()
        self.holiday_list = QListWidget()
        set_accessible(self.holiday_list, "Holidays", "Days the practice is closed")
        self.holiday_date = QDateEdit(QDate.currentDate())
        self.holiday_date.setCalendarPopup(True)
        self.holiday_date.setDisplayFormat("yyyy-MM-dd")
        set_accessible(self.holiday_date, "Holiday date")
        add_holiday = QPushButton("&Add holiday")
        set_accessible(add_holiday, "Add holiday")
        add_holiday.clicked.connect(lambda: self.add_holiday(self._holiday_value()))
        remove_holiday = QPushButton("Remove")
        set_accessible(remove_holiday, "Remove holiday")
        remove_holiday.clicked.connect(lambda: self._remove_selected(self.holiday_list))
        row_layout = QHBoxLayout()
        row_layout.addWidget(self.holiday_date)
        row_layout.addWidget(add_holiday)
        row_layout.addWidget(remove_holiday)
        holiday_layout = QVBoxLayout(self.holidays)
        holiday_layout.addWidget(self.holiday_list)
        holiday_layout.addLayout(row_layout)

        self.types = QTableWidget(len(AppointmentType), 4)
        self.types.setHorizontalHeaderLabels(
            ["Type", "Minutes", "At least (hours ahead)", "At most (days ahead)"]
        )
        set_accessible(self.types, "Appointment types", "Duration and booking rules per appointment type")
        self.type_rules: dict[str, tuple[QSpinBox, QSpinBox, QSpinBox]] = {}
        for row, kind in enumerate(AppointmentType):
            self.types.setCellWidget(row, 0, QLabel(type_label(kind)))
            spins = (QSpinBox(), QSpinBox(), QSpinBox())
            for spin, (low, high), what in zip(
                spins,
                ((5, 480), (0, 720), (1, 730)),
                ("minutes", "minimum notice", "maximum notice"),
                strict=True,
            ):
                spin.setRange(low, high)
                set_accessible(spin, f"{type_label(kind)} {what}")
            for column, spin in enumerate(spins, start=1):
                self.types.setCellWidget(row, column, spin)
            self.type_rules[kind.value] = spins
        self.types.resizeColumnsToContents()
        self.types.verticalHeader().setVisible(False)

        self.insurance = QWidget()
        self.plan_list = QListWidget()
        set_accessible(self.plan_list, "Accepted insurance plans")
        self.plan_name = QLineEdit()
        self.plan_name.setPlaceholderText("Plan name, e.g. “OHIP” or “Sun Life Group”")
        set_accessible(self.plan_name, "Insurance plan name")
        add_plan = QPushButton("Add &plan")
        set_accessible(add_plan, "Add insurance plan")
        add_plan.clicked.connect(self._add_plan)
        self.plan_name.returnPressed.connect(self._add_plan)
        remove_plan = QPushButton("Remove")
        set_accessible(remove_plan, "Remove insurance plan")
        remove_plan.clicked.connect(lambda: self._remove_selected(self.plan_list))
        self.mrn_prefix = QLineEdit("MRN")
        self.mrn_prefix.setMaxLength(16)
        set_accessible(self.mrn_prefix, "MRN prefix", "Letters before the number of a new patient's MRN")
        self.mrn_digits = QSpinBox()
        self.mrn_digits.setRange(4, 12)
        set_accessible(self.mrn_digits, "MRN digits")
        plan_row = QHBoxLayout()
        plan_row.addWidget(self.plan_name, 1)
        plan_row.addWidget(add_plan)
        plan_row.addWidget(remove_plan)
        mrn_row = QFormLayout()
        mrn_row.addRow("MRN pre&fix:", self.mrn_prefix)
        mrn_row.addRow("MRN &digits:", self.mrn_digits)
        insurance_layout = QVBoxLayout(self.insurance)
        insurance_layout.addWidget(self.plan_list)
        insurance_layout.addLayout(plan_row)
        insurance_layout.addLayout(mrn_row)
        self.set_value(default_input())

    # -- values ------------------------------------------------------------------------------------

    def _holiday_value(self) -> date:
        d = self.holiday_date.date()
        return date(d.year(), d.month(), d.day())

    def add_holiday(self, day: date) -> None:
        existing = {self.holiday_list.item(i).text() for i in range(self.holiday_list.count())}
        if day.isoformat() not in existing:
            self.holiday_list.addItem(day.isoformat())
            self.holiday_list.sortItems()

    def _add_plan(self) -> None:
        name = " ".join(self.plan_name.text().split())
        existing = {self.plan_list.item(i).text() for i in range(self.plan_list.count())}
        if name and name not in existing:
            self.plan_list.addItem(name)
        self.plan_name.clear()

    @staticmethod
    def _remove_selected(widget: QListWidget) -> None:
        for item in widget.selectedItems():
            widget.takeItem(widget.row(item))

    def set_value(self, data: PracticeInput) -> None:
        self.name.setText(data.name)
        self.phone.setText(data.phone or "")
        for key, field in self.address.items():
            field.setText(data.address.get(key, ""))
        self.timezone.setCurrentText(data.timezone)
        for key, box in self.open_days.items():
            span = data.business_hours.get(key)
            box.setChecked(span is not None)
            self.opens[key].setEnabled(span is not None)
            self.closes[key].setEnabled(span is not None)
            if span is not None:
                self.opens[key].setTime(_time(span[0]))
                self.closes[key].setTime(_time(span[1]))
        self.holiday_list.clear()
        for day in data.holidays:
            self.add_holiday(day)
        for key, (minutes, least, most) in self.type_rules.items():
            rule = {**SEED_RULES.get(key, {}), **data.appointment_types.get(key, {})}
            minutes.setValue(rule.get("duration_minutes", 20))
            least.setValue(rule.get("min_lead_hours", 0))
            most.setValue(rule.get("max_lead_days", 60))
        self.plan_list.clear()
        self.plan_list.addItems(list(data.insurance_plans))
        self.mrn_prefix.setText(data.mrn_prefix)
        self.mrn_digits.setValue(data.mrn_digits)

    def value(self) -> PracticeInput:
        hours = {
            key: (self.opens[key].time().toString("HH:mm"), self.closes[key].time().toString("HH:mm"))
            for key, box in self.open_days.items()
            if box.isChecked()
        }
        holidays = tuple(
            date.fromisoformat(self.holiday_list.item(i).text()) for i in range(self.holiday_list.count())
        )
        rules = {
            key: {"duration_minutes": m.value(), "min_lead_hours": lo.value(), "max_lead_days": hi.value()}
            for key, (m, lo, hi) in self.type_rules.items()
        }
        return PracticeInput(
            name=self.name.text(),
            timezone=self.timezone.currentText().strip(),
            phone=self.phone.text(),
            address={key: field.text() for key, field in self.address.items()},
            business_hours=hours,
            holidays=holidays,
            appointment_types=rules,
            insurance_plans=tuple(self.plan_list.item(i).text() for i in range(self.plan_list.count())),
            mrn_prefix=self.mrn_prefix.text().strip(),
            mrn_digits=self.mrn_digits.value(),
        )

    def set_editable(self, editable: bool) -> None:
        for section in (self.general, self.hours, self.holidays, self.types, self.insurance):
            section.setEnabled(editable)


def _wizard_page(title: str, subtitle: str, widget: QWidget) -> QWizardPage:
    page = QWizardPage()
    page.setTitle(title)
    page.setSubTitle(subtitle)
    layout = QVBoxLayout(page)
    layout.addWidget(widget)
    return page


class PracticeWizard(QWizard):
    """Day one: the administrator is led through the practice record, section by section; Finish
    saves it (one operation) and the wizard stays open with the reason if a field is refused."""

    saved = Signal(PracticeInput)

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up the practice")
        self.setMinimumSize(720, 560)
        self._ops = ops
        self.form = PracticeForm(self)
        self.form.set_value(default_input(_local_zone()))
        self.error = error_label()
        last = QWidget()
        last_layout = QVBoxLayout(last)
        last_layout.setContentsMargins(0, 0, 0, 0)
        last_layout.addWidget(self.form.insurance)
        last_layout.addWidget(self.error)
        for title, subtitle, widget in (
            ("The practice", "Its name, address, phone and time zone.", self.form.general),
            ("Business hours", "When the practice is open, weekday by weekday.", self.form.hours),
            ("Holidays", "Days the practice is closed.", self.form.holidays),
            (
                "Appointment types",
                "How long each visit takes, and how far ahead it may be booked (the seeds: routine "
                "visits at least 24 hours and at most 60 days ahead).",
                self.form.types,
            ),
            ("Insurance and MRNs", "The plans the practice accepts, and the format of new MRNs.", last),
        ):
            self.addPage(_wizard_page(title, subtitle, widget))
        self.finish_button = self.button(QWizard.WizardButton.FinishButton)
        set_accessible(self.finish_button, "Save the practice")
        self.saving = False

    def accept(self) -> None:
        if self.saving:
            return
        data = self.form.value()
        self.saving = True
        self.error.setVisible(False)
        self._ops.op(
            lambda ws: practice_ops.save(ws, data), label="saving the practice", initiator=self
        ).success(self._saved).failure(self._failed).run()

    def _saved(self, data: PracticeInput) -> None:
        self.saving = False
        super().accept()
        self.saved.emit(data)

    def _failed(self, error: ClinicDeskError) -> None:
        self.saving = False
        show_error_in(self.error, error)
        self.error.setVisible(True)


def _local_zone() -> str:
    from datetime import datetime

    name = getattr(datetime.now().astimezone().tzinfo, "key", None)
    return name if isinstance(name, str) and name in timezones() else "UTC"


class PracticePage(Page):
    """Settings → Practice: the practice record, editable by an administrator (read-only for the
    others). On day one it offers the set-up wizard to an administrator by itself."""

    practice_saved = Signal(PracticeInput)
    loaded = Signal(object)  # PracticeInput | None

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.practice: PracticeInput | None = None
        self.wizard: PracticeWizard | None = None
        self._offered = False
        title = QLabel("Practice")
        title.setObjectName("viewTitle")
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.form = PracticeForm()
        body = QWidget()
        body_layout = QVBoxLayout(body)
        for heading, section in (
            ("Practice", self.form.general),
            ("Business hours", self.form.hours),
            ("Holidays", self.form.holidays),
            ("Appointment types and booking rules", self.form.types),
            ("Insurance plans and MRN format", self.form.insurance),
        ):
            body_layout.addWidget(QLabel(f"<b>{heading}</b>"))
            body_layout.addWidget(section)
        self.form.types.setMinimumHeight(230)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.error = error_label()
        self.save_button = QPushButton("&Save practice")
        set_accessible(self.save_button, "Save practice")
        self.save_button.clicked.connect(self.save)
        self.setup_button = QPushButton("Set up the practice…")
        set_accessible(self.setup_button, "Set up the practice")
        self.setup_button.clicked.connect(self.open_wizard)
        buttons = QHBoxLayout()
        buttons.addWidget(self.setup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.info)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._show(None, offer=False)

    #: read when shown; the window reads it once at start-up too, after the first paint
    reload_on_show = True

    @property
    def is_admin(self) -> bool:
        return self.workspace.user.role is Role.ADMIN

    def load(self) -> None:
        self.ctx.ops.query(practice_ops.current, label="reading the practice").success(self._show).run()

    def reload(self) -> None:
        self.load()

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if changes.touches("practice") and initiator is not self:
            self.reload_when_shown()

    def _show(self, practice: PracticeInput | None, *, offer: bool = True) -> None:
        self.practice = practice
        admin = self.is_admin
        if practice is not None:
            self.form.set_value(practice)
            self.info.setText(
                "The practice's record: every workstation books by these hours and rules."
                + ("" if admin else " Only an administrator changes it.")
            )
        else:
            self.info.setText(
                "This practice is not set up yet."
                + (" Set it up now: the wizard leads you through it." if admin else " Ask an administrator.")
            )
        self.form.set_editable(admin and practice is not None)
        self.save_button.setVisible(admin and practice is not None)
        self.setup_button.setVisible(admin and practice is None)
        self.loaded.emit(practice)
        if practice is None and admin and offer and not self._offered:
            self._offered = True
            self.show_requested.emit()
            self.open_wizard()

    def open_wizard(self) -> None:
        if self.wizard is not None or self.ctx.actions.locked:
            return
        wizard = PracticeWizard(self.ctx.ops, self.window())
        wizard.saved.connect(self._saved)
        wizard.finished.connect(lambda _r: setattr(self, "wizard", None))
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.wizard = wizard
        wizard.open()

    def save(self) -> None:
        data = self.form.value()
        self.save_button.setEnabled(False)
        self.error.setVisible(False)
        self.ctx.ops.op(
            lambda ws: practice_ops.save(ws, data), label="saving the practice", initiator=self
        ).success(self._saved).failure(self._failed).run()

    def _saved(self, data: PracticeInput) -> None:
        self.save_button.setEnabled(True)
        self.workspace.set_timezone(data.timezone)
        self._show(data)
        self.status_message.emit(
            "The practice is saved; it reaches the other workstations at the next sync", 6000
        )
        self.practice_saved.emit(data)

    def _failed(self, error: ClinicDeskError) -> None:
        self.save_button.setEnabled(True)
        show_error_in(self.error, error)
