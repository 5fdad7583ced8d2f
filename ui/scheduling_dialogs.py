"""The front desk's scheduling dialogs: confirming a patient's identity (check-in, a booking by
phone), moving an appointment, its details with the status and change history, and a clinician's
time block (one day or a series; a series edited as one occurrence or as a whole).

Each keeps its own error line: a booking rule or a missing reason is said where the field is.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from html import escape
from typing import Any

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTextBrowser,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.ops import scheduling as scheduling_ops
from app.services.front_desk import Verification
from app.services.records import AppointmentRecord
from app.services.scheduling import AppointmentDetails, BlockInput, Recurrence
from clinicdesk.errors import ClinicDeskError
from models.enums import AppointmentStatus, AppointmentType, TimeBlockType
from models.identity import MORE_IDENTIFIERS
from ui.app import error_label, set_accessible, show_error_in
from ui.schedule_model import status_label, type_label
from ui.worker import Operations

IDENTIFIER_LABELS = {
    "phone": "phone number", "address": "address", "mrn": "MRN", "insurance": "insurance card",
    "photo_id": "photo ID", "email": "email",
}  # fmt: skip
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _time(value: QTime) -> time:
    return time(value.hour(), value.minute())


class IdentityPanel(QGroupBox):
    """Seed 000's verification: the full name, the date of birth and one more identifier, each ticked
    only once the patient (or caller) has said it and it matches the record shown."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.on_file = QLabel("")
        self.on_file.setWordWrap(True)
        self.on_file.setAccessibleName("The patient's record")
        self.full_name = QCheckBox("Full name matches")
        self.date_of_birth = QCheckBox("Date of birth matches")
        self.more_kind = QComboBox()
        for key in MORE_IDENTIFIERS:
            self.more_kind.addItem(IDENTIFIER_LABELS[key], key)
        self.more = QCheckBox("matches")
        for widget, name in (
            (self.full_name, "Full name confirmed"), (self.date_of_birth, "Date of birth confirmed"),
            (self.more_kind, "Third identifier"), (self.more, "Third identifier confirmed"),
        ):  # fmt: skip
            set_accessible(widget, name)
        for box in (self.full_name, self.date_of_birth, self.more):
            box.toggled.connect(lambda _c: self.changed.emit())
        more_row = QHBoxLayout()
        more_row.addWidget(QLabel("One more:"))
        more_row.addWidget(self.more_kind)
        more_row.addWidget(self.more)
        more_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.on_file)
        layout.addWidget(self.full_name)
        layout.addWidget(self.date_of_birth)
        layout.addLayout(more_row)

    def show_record(self, text: str) -> None:
        self.on_file.setText(text)

    def confirm_all(self, third: str = "phone") -> None:
        self.full_name.setChecked(True)
        self.date_of_birth.setChecked(True)
        self.more_kind.setCurrentIndex(max(0, self.more_kind.findData(third)))
        self.more.setChecked(True)

    def verification(self, reason: str | None = None) -> Verification:
        confirmed = [
            name
            for name, box in (("full_name", self.full_name), ("date_of_birth", self.date_of_birth))
            if box.isChecked()
        ]
        if self.more.isChecked():
            confirmed.append(str(self.more_kind.currentData()))
        return Verification(identifiers=tuple(confirmed), reason=reason)


class CheckInDialog(QDialog):
    """Check-in with the identity check. Unconfirmed, the check-in needs a reason (kept with the
    attempt and in the appointment's history). ``checked_in`` carries the appointment."""

    checked_in = Signal(AppointmentRecord)

    def __init__(
        self, ops: Operations, appointment_id: uuid.UUID, what: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check in")
        self.setMinimumWidth(480)
        self._ops = ops
        self.appointment_id = appointment_id
        self.identity = IdentityPanel(f"Confirm who this is: {what}")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Required when the identity is not confirmed")
        set_accessible(self.reason, "Reason to check in unconfirmed")
        self.reason_label = QLabel("&Reason to check in anyway:")
        self.reason_label.setBuddy(self.reason)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton("Check &in", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.ok_button, "Check in")
        self.ok_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.identity.changed.connect(self._update)
        layout = QVBoxLayout(self)
        layout.addWidget(self.identity)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._update()

    def _update(self) -> None:
        verified = self.identity.verification().verified
        self.reason.setEnabled(not verified)
        self.reason_label.setEnabled(not verified)

    def submit(self) -> None:
        verification = self.identity.verification(self.reason.text())
        appointment_id = self.appointment_id
        self.ok_button.setEnabled(False)
        self._ops.op(
            lambda ws: _check_in(ws, appointment_id, verification),
            label="checking the patient in",
            initiator=self,
        ).success(self._done).failure(self._failed).run()

    def _done(self, record: AppointmentRecord) -> None:
        self.accept()
        self.checked_in.emit(record)

    def _failed(self, error: ClinicDeskError) -> None:
        self.ok_button.setEnabled(True)
        show_error_in(self.error, error)


def _check_in(ws: Any, appointment_id: uuid.UUID, verification: Verification) -> Any:
    from app.ops import registration as registration_ops
    from app.ops.changes import Outcome

    outcome = registration_ops.check_in(ws, appointment_id, verification)
    return Outcome(outcome.value[0], outcome.changes)


class RescheduleDialog(QDialog):
    """Move an appointment to another slot (and clinician), with the reason its history keeps."""

    moved = Signal(AppointmentRecord)

    def __init__(
        self,
        ops: Operations,
        *,
        appointment_id: uuid.UUID,
        current: datetime,
        appointment_type: AppointmentType,
        clinicians: list[tuple[str, uuid.UUID]],
        clinician_id: uuid.UUID,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reschedule appointment")
        self.setMinimumWidth(480)
        self._ops = ops
        self.appointment_id = appointment_id
        self.appointment_type = appointment_type
        local = current.astimezone(ops.workspace.practice_tz)
        self.clinician = QComboBox()
        for label, cid in clinicians:
            self.clinician.addItem(label, cid)
        self.clinician.setCurrentIndex(max(0, self.clinician.findData(clinician_id)))
        self.date_edit = QDateEdit(_qdate(local.date()))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.time_edit = QTimeEdit(QTime(local.hour, local.minute))
        self.time_edit.setDisplayFormat("HH:mm")
        self.reason = QLineEdit()
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText("Why (kept in the appointment's history), e.g. “patient asked”")
        for widget, name in (
            (self.clinician, "Clinician"), (self.date_edit, "New date"), (self.time_edit, "New time"),
            (self.reason, "Reschedule reason"),
        ):  # fmt: skip
            set_accessible(widget, name)
        self.next_button = QDialogButtonBox()
        find = self.next_button.addButton("Next &free slot", QDialogButtonBox.ButtonRole.ActionRole)
        set_accessible(find, "Find the next free slot")
        find.clicked.connect(self.find_next_free)
        self.error = error_label()
        form = QFormLayout()
        form.addRow("From:", QLabel(f"{local:%A %d %B %Y, %H:%M}"))
        form.addRow("&Clinician:", self.clinician)
        form.addRow("&Date:", self.date_edit)
        form.addRow("&Time:", self.time_edit)
        form.addRow("", self.next_button)
        form.addRow("&Reason:", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton("&Reschedule", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.ok_button, "Reschedule")
        self.ok_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def start(self) -> datetime:
        return datetime.combine(
            _date(self.date_edit.date()), _time(self.time_edit.time()), tzinfo=self._ops.workspace.practice_tz
        )

    def set_slot(self, start: datetime) -> None:
        local = start.astimezone(self._ops.workspace.practice_tz)
        self.date_edit.setDate(_qdate(local.date()))
        self.time_edit.setTime(QTime(local.hour, local.minute))

    def find_next_free(self) -> None:
        clinician, kind, after = self.clinician.currentData(), self.appointment_type, self.start()
        self._ops.query(
            lambda ws: scheduling_ops.next_free_slot(
                ws, clinician_id=clinician, appointment_type=kind, after=after
            ),
            label="finding the next free slot",
        ).success(self._found).failure(self._failed).run()

    def _found(self, start: datetime | None) -> None:
        if start is None:
            show_error_in(self.error, ClinicDeskError("no free slot within the booking window for this type"))
            return
        self.error.setVisible(False)
        self.set_slot(start)

    def submit(self) -> None:
        appointment_id, start, reason = self.appointment_id, self.start(), self.reason.text()
        clinician = self.clinician.currentData()
        self.ok_button.setEnabled(False)
        self._ops.op(
            lambda ws: scheduling_ops.reschedule(
                ws, appointment_id, start=start, reason=reason, clinician_id=clinician
            ),
            label="rescheduling the appointment",
            initiator=self,
        ).success(self._moved).failure(self._failed).run()

    def _moved(self, record: AppointmentRecord) -> None:
        self.accept()
        self.moved.emit(record)

    def _failed(self, error: ClinicDeskError) -> None:
        self.ok_button.setEnabled(True)
        show_error_in(self.error, error)


def _status_words(value: object) -> str:
    try:
        return status_label(AppointmentStatus(str(value)))
    except ValueError:
        return str(value or "")


def details_html(details: AppointmentDetails, *, tz: Any) -> str:
    """The appointment, its status and every change, as HTML (values escaped)."""
    a = details.appointment
    e = escape

    def who(user_id: object) -> str:
        return e(details.names.get(str(user_id), "—")) if user_id else "—"

    def when(text: object) -> str:
        try:
            return e(f"{datetime.fromisoformat(str(text)).astimezone(tz):%Y-%m-%d %H:%M}")
        except ValueError:
            return "—"

    rows = "".join(
        f"<tr><td>{when(h.get('at'))}</td><td>{e(_status_words(h.get('status')))}</td>"
        f"<td>{who(h.get('by'))}</td><td>{e(str(h.get('reason') or ''))}</td></tr>"
        for h in a.status_history
    )
    moves = "".join(
        f"<tr><td>{when(m.get('at'))}</td><td>{when(m.get('from', {}).get('start'))} "
        f"({who(m.get('from', {}).get('clinician_id'))})</td><td>{when(m.get('to', {}).get('start'))} "
        f"({who(m.get('to', {}).get('clinician_id'))})</td><td>{who(m.get('by'))}</td>"
        f"<td>{e(str(m.get('reason') or ''))}</td></tr>"
        for m in details.reschedule_history
    )
    head = "<tr>" + "".join(f"<th align='left'>{h}</th>" for h in ("When", "Status", "By", "Why")) + "</tr>"
    move_head = (
        "<tr>" + "".join(f"<th align='left'>{h}</th>" for h in ("When", "From", "To", "By", "Why")) + "</tr>"
    )
    start = a.start.astimezone(tz)
    return (
        f"<h3>{e(details.patient_name)} · {e(details.mrn)}</h3>"
        f"<p>{start:%A %d %B %Y, %H:%M} · {a.duration_minutes} min · "
        f"{e(type_label(a.appointment_type))} with "
        f"{e(details.clinician_name)}<br>Status: <b>{e(status_label(a.status))}</b> · confirmation "
        f"{e(a.confirmation_number or '—')} · booked via {e(details.created_via.replace('_', ' '))}</p>"
        f"<h4>Status history</h4><table cellspacing='6'>{head}{rows}</table>"
        + (
            f"<h4>Reschedules</h4><table cellspacing='6'>{move_head}{moves}</table>"
            if moves
            else "<p style='color:#777'>Never rescheduled.</p>"
        )
    )


class AppointmentDetailsDialog(QDialog):
    loaded = Signal(AppointmentDetails)

    def __init__(self, ops: Operations, appointment_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Appointment details and history")
        self.setMinimumSize(620, 440)
        self.view = QTextBrowser()
        set_accessible(self.view, "Appointment details")
        self.view.setHtml("<p>Loading…</p>")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(close)
        tz = ops.workspace.practice_tz
        ops.query(
            lambda ws: scheduling_ops.details(ws, appointment_id), label="reading the appointment"
        ).success(lambda d: self._show(d, tz)).failure(
            lambda err: self.view.setHtml(f"<p>{escape(err.message)}</p>")
        ).run()
        self.details: AppointmentDetails | None = None

    def _show(self, details: AppointmentDetails, tz: Any) -> None:
        self.details = details
        self.view.setHtml(details_html(details, tz=tz))
        self.loaded.emit(details)


class TimeBlockDialog(QDialog):
    """A new block, or an existing one: a series is edited as the occurrence of ``day`` or as the
    whole series (and removed the same way). ``saved`` fires with a description."""

    saved = Signal(str)

    def __init__(
        self,
        ops: Operations,
        *,
        clinicians: list[tuple[str, uuid.UUID]],
        clinician_id: uuid.UUID,
        day: date,
        block: Any | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Time block" if block is None else "Edit time block")
        self.setMinimumWidth(500)
        self._ops = ops
        self.block = block
        self.day = day
        self.clinician = QComboBox()
        for label, cid in clinicians:
            self.clinician.addItem(label, cid)
        self.clinician.setCurrentIndex(max(0, self.clinician.findData(clinician_id)))
        self.clinician.setEnabled(block is None)
        self.date_edit = QDateEdit(_qdate(day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.start = QTimeEdit(QTime(12, 0))
        self.end = QTimeEdit(QTime(13, 0))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.kind = QComboBox()
        for kind in TimeBlockType:
            self.kind.addItem(kind.value.capitalize(), kind.value)
        self.reason = QLineEdit()
        self.reason.setMaxLength(200)
        self.repeat = QComboBox()
        for text, value in (
            ("Does not repeat", ""), ("Every day", "daily"), ("Every week on…", "weekly"),
        ):  # fmt: skip
            self.repeat.addItem(text, value)
        self.interval = QSpinBox()
        self.interval.setRange(1, 52)
        self.interval.setPrefix("every ")
        self.interval.setSuffix(" week(s)")
        self.weekdays = [QCheckBox(name) for name in WEEKDAY_SHORT]
        self.until = QDateEdit(_qdate(date(day.year, 12, 31)))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        for widget, name in (
            (self.clinician, "Clinician"), (self.date_edit, "Block date"), (self.start, "Block starts"),
            (self.end, "Block ends"), (self.kind, "Block type"), (self.reason, "Block reason"),
            (self.repeat, "Repeats"), (self.interval, "Repeat interval"), (self.until, "Repeats until"),
            *((box, f"Repeats on {name}") for box, name in zip(self.weekdays, WEEKDAY_SHORT, strict=True)),
        ):  # fmt: skip
            set_accessible(widget, name)
        self.weekdays[day.weekday()].setChecked(True)
        days_row = QHBoxLayout()
        for box in self.weekdays:
            days_row.addWidget(box)
        self.this_one = QRadioButton("This occurrence only")
        self.whole = QRadioButton("The whole series")
        set_accessible(self.this_one, "Edit this occurrence")
        set_accessible(self.whole, "Edit the whole series")
        self.whole.setChecked(True)
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.this_one)
        scope_row.addWidget(self.whole)
        self.scope = QWidget()
        self.scope.setLayout(scope_row)
        self.scope.setVisible(bool(block is not None and block.recurring))
        self.error = error_label()
        form = QFormLayout()
        form.addRow("&Clinician:", self.clinician)
        form.addRow("", self.scope)
        form.addRow("&Date:", self.date_edit)
        form.addRow("&From:", self.start)
        form.addRow("&To:", self.end)
        form.addRow("T&ype:", self.kind)
        form.addRow("&Reason:", self.reason)
        form.addRow("Re&peats:", self.repeat)
        form.addRow("", days_row)
        form.addRow("", self.interval)
        form.addRow("&Until:", self.until)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton("&Save block", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.ok_button, "Save block")
        self.ok_button.clicked.connect(self.submit)
        self.remove_button = self.buttons.addButton("Re&move", QDialogButtonBox.ButtonRole.DestructiveRole)
        set_accessible(self.remove_button, "Remove block")
        self.remove_button.setVisible(block is not None)
        self.remove_button.clicked.connect(self.remove)
        self.buttons.rejected.connect(self.reject)
        self.repeat.currentIndexChanged.connect(lambda _i: self._repeat_changed())
        self.this_one.toggled.connect(lambda _c: self._repeat_changed())
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if block is not None:
            tz = ops.workspace.practice_tz
            self.start.setTime(QTime(block.start.astimezone(tz).hour, block.start.astimezone(tz).minute))
            self.end.setTime(QTime(block.end.astimezone(tz).hour, block.end.astimezone(tz).minute))
            self.reason.setText(block.reason or "")
            if block.block_type is not None:
                self.kind.setCurrentIndex(max(0, self.kind.findData(block.block_type.value)))
            self.stored: BlockInput | None = None
            block_id = block.block_id
            ops.query(lambda ws: scheduling_ops.block(ws, block_id), label="reading the time block").success(
                self.show_stored
            ).failure(self._failed).run()
        self._repeat_changed()

    def show_stored(self, stored: BlockInput) -> None:
        """The series as stored: its first day and repetition (what "the whole series" edits)."""
        self.stored = stored
        self._series_date = stored.start_date
        recurrence = stored.recurrence
        if recurrence is not None:
            self.repeat.setCurrentIndex(max(0, self.repeat.findData(recurrence.frequency)))
            for i, box in enumerate(self.weekdays):
                box.setChecked(i in recurrence.weekdays)
            self.interval.setValue(recurrence.interval)
            self.until.setDate(_qdate(recurrence.until))
        self._repeat_changed()

    def _repeat_changed(self) -> None:
        single = self.block is not None and self.this_one.isChecked()
        if self.block is not None:  # this occurrence's day, or the series' first
            series_start = getattr(self, "_series_date", None)
            self.date_edit.setDate(_qdate(self.day if single or series_start is None else series_start))
        repeat = "" if single else str(self.repeat.currentData())
        self.repeat.setEnabled(not single)
        for box in self.weekdays:
            box.setEnabled(repeat == "weekly")
        self.interval.setEnabled(repeat == "weekly")
        self.until.setEnabled(bool(repeat))
        self.date_edit.setEnabled(not single)

    def block_input(self) -> BlockInput:
        repeat = str(self.repeat.currentData())
        recurrence = None
        if repeat:
            recurrence = Recurrence(
                frequency=repeat,
                until=_date(self.until.date()),
                weekdays=tuple(i for i, box in enumerate(self.weekdays) if box.isChecked()),
                interval=self.interval.value() if repeat == "weekly" else 1,
            )
        return BlockInput(
            clinician_id=self.clinician.currentData(),
            start_date=_date(self.date_edit.date()),
            start_time=_time(self.start.time()),
            end_time=_time(self.end.time()),
            reason=self.reason.text(),
            block_type=TimeBlockType(str(self.kind.currentData())),
            recurrence=recurrence,
        )

    def submit(self) -> None:
        block = self.block
        self.ok_button.setEnabled(False)
        if block is None:
            data = self.block_input()
            self._run(lambda ws: scheduling_ops.add_block(ws, data), "Blocked the time")
        elif block.recurring and self.this_one.isChecked():
            day, start, end, reason = (
                self.day,
                _time(self.start.time()),
                _time(self.end.time()),
                self.reason.text(),
            )
            self._run(
                lambda ws: scheduling_ops.edit_occurrence(
                    ws, block.block_id, day, start_time=start, end_time=end, reason=reason
                ),
                "Changed this occurrence",
            )
        else:
            data = self.block_input()
            self._run(lambda ws: scheduling_ops.edit_series(ws, block.block_id, data), "Changed the block")

    def remove(self) -> None:
        block = self.block
        if block is None:
            return
        if block.recurring and self.this_one.isChecked():
            day = self.day
            self._run(
                lambda ws: scheduling_ops.remove_occurrence(ws, block.block_id, day),
                "Removed this occurrence",
            )
        else:
            self._run(lambda ws: scheduling_ops.remove_block(ws, block.block_id), "Removed the block")

    def _run(self, action: Any, message: str) -> None:
        self._ops.op(action, label="saving the time block", initiator=self).success(
            lambda _r: self._done(message)
        ).failure(self._failed).run()

    def _done(self, message: str) -> None:
        self.accept()
        self.saved.emit(message)

    def _failed(self, error: ClinicDeskError) -> None:
        self.ok_button.setEnabled(True)
        show_error_in(self.error, error)
