"""A clinician's day: appointments and time blocks in one table, with date and clinician choosers,
and the appointment actions (book, confirm, check in, no-show, cancel, open the chart or encounter).

Loads exactly one day for one clinician on the worker thread; a newer request supersedes an older
one still in flight (its result is dropped), so clicking "next day" quickly never shows a stale day.
The day reloads itself when an operation changed appointments (a check-in, a booking, an encounter
opened) or a sync brought records, at once if it is on screen, else when it is shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import partial

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ops import schedule as schedule_ops
from app.ops.changes import Changes
from app.services.appointments import TRANSITIONS
from app.services.records import AppointmentRecord, DaySchedule, PatientSummary, ScheduleEntry, UserSummary
from clinicdesk.errors import ClinicDeskError
from models.enums import AppointmentStatus, Role
from ui.actions import Menu
from ui.app import icon, set_accessible
from ui.dialogs import BookingDialog, CancelDialog
from ui.page import Page, PageContext
from ui.schedule_model import ScheduleModel, status_label
from ui.scheduling_tools import SchedulingTools
from ui.table_model import list_table

S = AppointmentStatus
#: (status, menu text, shortcut, icon, tip, action name)
STATUS_ACTIONS = (
    (S.CONFIRMED, "&Confirm", "Ctrl+Shift+C", "confirm", "Confirm the appointment", "confirm"),
    (S.CHECKED_IN, "Check &in", "Ctrl+Shift+I", "checkin", "Check the patient in", "check_in"),
    (S.NO_SHOW, "&No-show", "Ctrl+Shift+N", "noshow", "Mark as no-show", "no_show"),
    (
        S.CANCELLED,
        "C&ancel…",
        "Ctrl+Shift+X",
        "cancel",
        "Cancel the appointment (asks for a reason)",
        "cancel",
    ),
)


class SchedulePage(Page):
    """``loaded`` fires after each day is shown; ``first_drawn`` once, after the first populated
    day has actually been painted (the cold-start benchmark's finish line)."""

    loaded = Signal(DaySchedule)
    first_drawn = Signal()
    open_patient = Signal(uuid.UUID)
    open_encounter = Signal(ScheduleEntry)
    selection_changed = Signal()
    failed = Signal(ClinicDeskError)
    status_changed = Signal(AppointmentRecord)  # after a successful status change
    booked = Signal(AppointmentRecord)  # after a successful booking

    def __init__(
        self,
        ctx: PageContext,
        *,
        day: date | None = None,
        patient_in_view: Callable[[], PatientSummary | None] = lambda: None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        workspace = ctx.workspace
        self._patient_in_view = patient_in_view
        self._generation = 0
        self._populated = False
        self._drawn_reported = False
        self.schedule: DaySchedule | None = None
        self.day: date = day or workspace.today()
        self.clinician_id: uuid.UUID = workspace.user.id
        self.cancel_dialog: CancelDialog | None = None
        self.booking_dialog: BookingDialog | None = None

        self.title = QLabel("Schedule")
        self.title.setObjectName("viewTitle")
        self.title.setAccessibleName("Schedule day")
        # the longest day ("Wednesday 09 December 2026") must not widen the window past a 1000-pixel
        # screen: the title wraps before the date and clinician controls are pushed off
        self.title.setWordWrap(True)
        self.info = QLabel("Loading…")
        self.info.setObjectName("dayInfo")

        self.previous_button = self._tool_button("previous", "Previous day", self.previous_day)
        self.today_button = self._tool_button("today", "Today", self.go_today)
        self.next_button = self._tool_button("next", "Next day", self.next_day)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMM yyyy")
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        set_accessible(self.date_edit, "Schedule date")
        self.date_edit.dateChanged.connect(self._date_edited)

        self.clinician_box = QComboBox()
        self.clinician_box.setMinimumContentsLength(22)
        set_accessible(self.clinician_box, "Clinician", "Whose schedule to show")
        self.clinician_box.addItem(workspace.user.full_name, workspace.user.id)
        self.clinician_box.currentIndexChanged.connect(self._clinician_chosen)

        self.closed_banner = QLabel()
        self.closed_banner.setObjectName("closedBanner")
        self.closed_banner.setVisible(False)

        self.model = ScheduleModel(self)
        self.table = list_table("Appointments", "The day's appointments and blocked times")
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 300)
        self.table.activated.connect(self._activated)  # Enter or double-click
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_moved())
        self.table.viewport().installEventFilter(self)

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        for widget in (self.previous_button, self.today_button, self.next_button, self.date_edit):
            top.addWidget(widget)
        top.addSpacing(12)
        top.addWidget(QLabel("Clinician:"))
        top.addWidget(self.clinician_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.closed_banner)
        layout.addWidget(self.table, 1)
        self._make_actions()
        self.tools = SchedulingTools(self)  # reschedule, history, time blocks, week view, identity checks
        self.first_drawn.connect(self.load_clinicians)

    def _tool_button(self, icon_name: str, text: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolTip(text)
        button.setAutoRaise(True)
        set_accessible(button, text)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- actions ----------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        a = self.ctx.actions.create
        view, appointment = Menu.VIEW, Menu.APPOINTMENT
        self.previous_action = a(
            "&Previous day", name="previous_day", menu=view, group=1, shortcut="Alt+Left",
            slot=lambda: self._shown(self.previous_day), icon_name="previous",
        )  # fmt: skip
        self.today_action = a(
            "&Today", name="today", menu=view, group=1, shortcut="Ctrl+T",
            slot=lambda: self._shown(self.go_today), icon_name="today", toolbar=0,
        )  # fmt: skip
        self.next_action = a(
            "&Next day", name="next_day", menu=view, group=1, shortcut="Alt+Right",
            slot=lambda: self._shown(self.next_day), icon_name="next",
        )  # fmt: skip
        #: F5 reloads the page on screen; on a page without its own reload, the schedule
        self.refresh = self.ctx.actions.route(
            a("&Refresh", name="refresh", menu=view, group=1, shortcut=QKeySequence.StandardKey.Refresh,
              icon_name="refresh")
        )  # fmt: skip
        self.refresh.handle(self, self.reload, default=True)
        self.book_action = a(
            "&Book appointment…", name="book", menu=appointment, shortcut="Ctrl+N", slot=self.book,
            icon_name="book", toolbar=0,
        )  # fmt: skip
        self.status_actions = {
            status: a(
                text,
                name=name,
                menu=appointment,
                group=1,
                shortcut=key,
                icon_name=icon_name,
                tip=tip,
                slot=partial(self.change_status, status),
                toolbar=1,
            )
            for status, text, key, icon_name, tip, name in STATUS_ACTIONS
        }
        self.confirm_action = self.status_actions[S.CONFIRMED]
        self.check_in_action = self.status_actions[S.CHECKED_IN]
        self.no_show_action = self.status_actions[S.NO_SHOW]
        self.cancel_action = self.status_actions[S.CANCELLED]
        self.open_chart_action = a(
            "Open patient &chart", name="open_chart", menu=appointment, group=2, shortcut="Ctrl+O",
            slot=self._open_selected_chart, icon_name="patients",
        )  # fmt: skip
        self.encounter_action = a(
            "Open &encounter", name="open_encounter", menu=appointment, group=2, shortcut="Ctrl+E",
            slot=self.request_encounter, icon_name="encounter", toolbar=2,
            tip="Open the encounter of the selected appointment",
        )  # fmt: skip

    def _shown(self, then: Callable[[], None]) -> None:
        self.show_requested.emit()
        then()

    def update_actions(self) -> None:
        entry = self.selected_appointment()
        enable = self.ctx.actions.enable
        for status, action in self.status_actions.items():
            enable(
                action, entry is not None and entry.status is not None and status in TRANSITIONS[entry.status]
            )
        enable(self.open_chart_action, entry is not None)
        enable(
            self.encounter_action,
            self._clinical() and entry is not None and entry.status not in (S.CANCELLED, S.NO_SHOW),
        )

    def _clinical(self) -> bool:
        return self.workspace.user.role in (Role.DOCTOR, Role.NURSE)

    def _selection_moved(self) -> None:
        self.update_actions()
        self.selection_changed.emit()

    # -- loading ----------------------------------------------------------------------------------

    def load(self, day: date | None = None) -> None:
        if day is not None:
            self.day = day
        self._generation += 1
        generation = self._generation
        day_, clinician = self.day, self.clinician_id
        self._sync_date_edit()
        self.info.setText("Loading…")
        self.ctx.ops.query(
            lambda ws: schedule_ops.day(ws, clinician_id=clinician, day=day_), label="loading the schedule"
        ).success(lambda result: self._show(generation, result)).failure(
            lambda error: self._failed(generation, error)
        ).run()

    def reload(self) -> None:
        self.load()

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if changes.touches("appointments"):
            self.reload_when_shown()

    def load_clinicians(self) -> None:
        """Fill the clinician chooser; done after the first day is drawn to keep start-up lean."""
        self.ctx.ops.query(schedule_ops.clinicians, label="loading the clinicians").success(
            self._set_clinicians
        ).run()

    def _set_clinicians(self, clinicians: list[UserSummary]) -> None:
        self.clinician_box.blockSignals(True)
        self.clinician_box.clear()
        for clinician in clinicians:
            label = clinician.full_name + (f" — {clinician.specialty}" if clinician.specialty else "")
            self.clinician_box.addItem(label, clinician.id)
        if self.clinician_box.findData(self.clinician_id) < 0:
            self.clinician_box.insertItem(0, self.workspace.user.full_name, self.workspace.user.id)
        self.clinician_box.setCurrentIndex(self.clinician_box.findData(self.clinician_id))
        self.clinician_box.blockSignals(False)

    def clinicians(self) -> list[tuple[str, uuid.UUID]]:
        return [
            (self.clinician_box.itemText(i), self.clinician_box.itemData(i))
            for i in range(self.clinician_box.count())
        ]

    def _show(self, generation: int, result: DaySchedule) -> None:
        if generation != self._generation:
            return
        selected = self.selected_entry()
        self.schedule = result
        self.model.replace_rows(result.entries)
        self.table.clearSpans()
        for row, entry in enumerate(result.entries):
            if entry.kind == "block":
                self.table.setSpan(row, 1, 1, len(ScheduleModel.COLUMNS) - 1)
        self._restore_selection(selected)
        appointments = [e for e in result.entries if e.kind == "appointment"]
        active = [e for e in appointments if e.status not in (S.CANCELLED, S.NO_SHOW)]
        self.title.setText(f"{result.day:%A %d %B %Y}")
        today = " (today)" if result.day == self.workspace.today() else ""
        self.info.setText(
            f"{result.clinician.full_name}{today}: {len(active)} appointment(s)"
            + (
                f", {len(appointments) - len(active)} cancelled or no-show"
                if len(active) != len(appointments)
                else ""
            )
        )
        self.closed_banner.setText(_closed_text(result))
        self.closed_banner.setVisible(bool(result.closed_reason))
        self._populated = True
        self.update_actions()
        self.loaded.emit(result)

    def _failed(self, generation: int, error: ClinicDeskError) -> None:
        if generation != self._generation:
            return
        self.info.setText(error.message)
        self.failed.emit(error)

    def _restore_selection(self, previous: ScheduleEntry | None) -> None:
        if previous is None or previous.appointment_id is None:
            return
        for row, entry in enumerate(self.model.rows):
            if entry.appointment_id == previous.appointment_id:
                self.table.selectRow(row)
                return

    # -- navigation -------------------------------------------------------------------------------

    def previous_day(self) -> None:
        self.load(self.day - timedelta(days=1))

    def next_day(self) -> None:
        self.load(self.day + timedelta(days=1))

    def go_today(self) -> None:
        self.load(self.workspace.today())

    def _sync_date_edit(self) -> None:
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.blockSignals(False)

    def _date_edited(self, value: QDate) -> None:
        self.load(date(value.year(), value.month(), value.day()))

    def _clinician_chosen(self, index: int) -> None:
        data = self.clinician_box.itemData(index)
        if isinstance(data, uuid.UUID) and data != self.clinician_id:
            self.clinician_id = data
            self.load()

    # -- selection --------------------------------------------------------------------------------

    def selected_entry(self) -> ScheduleEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.row_item(rows[0].row()) if rows else None

    def selected_appointment(self) -> ScheduleEntry | None:
        entry = self.selected_entry()
        return entry if entry is not None and entry.kind == "appointment" else None

    def select_appointment(self, appointment_id: uuid.UUID) -> bool:
        for row, entry in enumerate(self.model.rows):
            if entry.appointment_id == appointment_id:
                self.table.selectRow(row)
                return True
        return False

    def _activated(self, index: QModelIndex) -> None:
        entry = self.model.row_item(index.row())
        if entry is not None and entry.patient_id is not None:
            self.open_patient.emit(entry.patient_id)

    def _open_selected_chart(self) -> None:
        entry = self.selected_appointment()
        if entry is not None and entry.patient_id is not None:
            self.open_patient.emit(entry.patient_id)

    def request_encounter(self) -> None:
        """Open encounter (Ctrl+E): for a doctor or a nurse, on an appointment that is still on."""
        entry = self.selected_appointment()
        if self.ctx.actions.locked or entry is None:
            return
        if not self._clinical():
            self.ctx.ops.show_error(ClinicDeskError("only a doctor or a nurse can open an encounter"))
            return
        self.open_encounter.emit(entry)

    # -- appointment changes ----------------------------------------------------------------------

    def change_status(self, status: AppointmentStatus) -> None:
        """Change the selected appointment's status; cancelling first asks for a reason."""
        entry = self.selected_appointment()
        if self.ctx.actions.locked or entry is None or entry.appointment_id is None:
            return
        appointment_id = entry.appointment_id
        if status == S.CHECKED_IN and self.tools.check_in(entry):
            return  # the front desk confirms who the patient is first
        if status == S.CANCELLED:
            dialog = CancelDialog(f"{entry.start:%H:%M} on {entry.start:%A %d %B}", self)
            dialog.accepted.connect(lambda: self._submit_status(appointment_id, status, dialog.reason_text()))
            dialog.finished.connect(dialog.deleteLater)
            self.cancel_dialog = dialog
            dialog.open()
            return
        self._submit_status(appointment_id, status, None)

    def _submit_status(
        self, appointment_id: uuid.UUID, status: AppointmentStatus, reason: str | None
    ) -> None:
        self.cancel_dialog = None
        self.ctx.ops.op(
            lambda ws: schedule_ops.change_status(ws, appointment_id, status, reason=reason),
            label="changing the appointment status",
            initiator=self,
        ).success(self._status_changed).run()

    def _status_changed(self, result: AppointmentRecord) -> None:
        at = result.start.astimezone(self.workspace.practice_tz)
        self.status_message.emit(
            f"Appointment at {at:%H:%M} is now {status_label(result.status).lower()}", 5000
        )
        self.status_changed.emit(result)

    def book(self) -> None:
        if self.ctx.actions.locked:
            return
        entry = self.selected_entry()
        dialog = BookingDialog(
            self.ctx.ops,
            clinicians=self.clinicians(),
            clinician_id=self.clinician_id,
            day=self.day,
            patient=self._patient_in_view(),
            parent=self.window(),
        )
        dialog.set_slot(
            self.day, entry.end.timetz().replace(tzinfo=None) if entry is not None else time(9, 0)
        )
        dialog.booked.connect(self._booked)
        dialog.finished.connect(dialog.deleteLater)
        self.booking_dialog = dialog
        dialog.open()

    def _booked(self, result: AppointmentRecord) -> None:
        self.booking_dialog = None
        self.status_message.emit(f"Booked: confirmation number {result.confirmation_number}", 8000)
        self.booked.emit(result)

    # -- first paint (cold-start benchmark) -------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Paint
            and self._populated
            and not self._drawn_reported
            and watched is self.table.viewport()
        ):
            self._drawn_reported = True
            QTimer.singleShot(0, self.first_drawn.emit)
        return False


def _closed_text(schedule: DaySchedule) -> str:
    if schedule.closed_reason is None:
        return ""
    if schedule.closed_reason == "holiday":
        return f"The practice is closed on {schedule.day:%A %d %B} (holiday)."
    return f"The practice is closed on {schedule.day:%A}s."
