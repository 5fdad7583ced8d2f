"""The schedule page's front-desk actions: reschedule, details and history, time blocks, the next
free slot, the week view beside the day view, and the identity check at check-in. A companion the
page makes (the page keeps the day, its table and the status changes it always had)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QSplitter

from app.ops.changes import Changes
from app.services.records import AppointmentRecord, ScheduleEntry
from models.enums import AppointmentStatus, Role
from ui.actions import Menu
from ui.scheduling_dialogs import AppointmentDetailsDialog, CheckInDialog, RescheduleDialog, TimeBlockDialog
from ui.week_view import WeekView

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from ui.schedule_page import SchedulePage

S = AppointmentStatus
#: who confirms a patient's identity at check-in (seed 000: the front desk)
FRONT_DESK = frozenset({Role.RECEPTIONIST, Role.ADMIN})


class SchedulingTools(QObject):
    def __init__(self, page: SchedulePage) -> None:
        super().__init__(page)
        self.page = page
        self.ctx = page.ctx
        self.dialog: QDialog | None = None
        self.week = WeekView(self.ctx.ops)
        self.week.setVisible(False)
        self.week.day_requested.connect(page.load)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        layout = page.layout()
        assert layout is not None
        layout.replaceWidget(page.table, self.splitter)
        self.splitter.addWidget(page.table)
        self.splitter.addWidget(self.week)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        a = self.ctx.actions.create
        appointment, view = Menu.APPOINTMENT, Menu.VIEW
        self.reschedule_action = a(
            "&Reschedule…", name="reschedule", menu=appointment, group=1, shortcut="Ctrl+M",
            slot=self.reschedule, icon_name="book",
            tip="Move the appointment to another slot (its history keeps the move)",
        )  # fmt: skip
        self.details_action = a(
            "&Details and history…", name="appointment_details", menu=appointment, group=2, shortcut="F6",
            slot=self.details, tip="The appointment's status and change history",
        )  # fmt: skip
        self.block_action = a(
            "&Block time…", name="block_time", menu=appointment, group=3, shortcut="Ctrl+B",
            slot=self.block_time, icon_name="block", tip="Block a clinician's time (once, or repeating)",
        )  # fmt: skip
        self.edit_block_action = a(
            "Edit time b&lock…", name="edit_block", menu=appointment, group=3, shortcut="Ctrl+G",
            slot=self.edit_block, tip="Change or remove the chosen block (this occurrence or the series)",
        )  # fmt: skip
        self.next_free_action = a(
            "&Next free slot…", name="next_free_slot", menu=appointment, group=3, shortcut="Ctrl+Shift+F",
            slot=self.next_free_slot, tip="Book the first slot the booking rules allow",
        )  # fmt: skip
        self.week_action = a(
            "&Week view", name="week_view", menu=view, group=1, shortcut="Ctrl+Shift+W",
            slot=self.toggle_week, icon_name="week", tip="The clinician's week beside the day", toolbar=0,
        )  # fmt: skip
        self.week_action.setCheckable(True)
        self.ctx.actions.add_updater(self.update_actions)
        page.selection_changed.connect(self.update_actions)
        page.loaded.connect(lambda _s: self._follow_day())
        self.ctx.ops.did_execute.connect(self._changed)

    # -- state ------------------------------------------------------------------------------------

    def update_actions(self) -> None:
        entry = self.page.selected_appointment()
        chosen = self.page.selected_entry()
        scheduler = self.page.workspace.user.role in (Role.RECEPTIONIST, Role.ADMIN, Role.DOCTOR)
        enable = self.ctx.actions.enable
        enable(self.reschedule_action, entry is not None and entry.status in (S.SCHEDULED, S.CONFIRMED))
        enable(self.details_action, entry is not None)
        enable(self.block_action, scheduler)
        enable(self.edit_block_action, scheduler and chosen is not None and chosen.kind == "block")
        enable(self.next_free_action, True)

    def _changed(self, changes: Changes, _initiator: object) -> None:
        if changes.touches("time_blocks", "practice"):
            self.page.reload_when_shown()
        if self.week.isVisible() and changes.touches("appointments", "time_blocks", "practice"):
            self.week.reload()

    def _follow_day(self) -> None:
        if self.week.isVisible():
            self.week.show_week(self.page.day, self.page.clinician_id)

    def toggle_week(self) -> None:
        shown = not self.week.isVisible()
        self.page.show_requested.emit()
        self.week.setVisible(shown)
        self.week_action.setChecked(shown)
        if shown:
            self.week.show_week(self.page.day, self.page.clinician_id)

    # -- dialogs ----------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def check_in(self, entry: ScheduleEntry) -> bool:
        """At the front desk, check-in starts with the identity check; True when it took over."""
        if self.page.workspace.user.role not in FRONT_DESK or entry.appointment_id is None:
            return False
        dialog = CheckInDialog(
            self.ctx.ops, entry.appointment_id, f"{entry.patient_name} ({entry.mrn})", self.page.window()
        )
        dialog.identity.show_record(
            f"On file: <b>{entry.patient_name}</b>, MRN {entry.mrn}. Ask the patient to say their full "
            "name, date of birth and one more identifier, then tick what matches the chart."
        )
        dialog.checked_in.connect(self._checked_in)
        self._open(dialog)
        return True

    def _checked_in(self, record: AppointmentRecord) -> None:
        self.page.status_message.emit("Checked in", 5000)
        self.page.status_changed.emit(record)

    def reschedule(self) -> None:
        entry = self.page.selected_appointment()
        if (
            entry is None
            or entry.appointment_id is None
            or entry.appointment_type is None
            or self.ctx.actions.locked
        ):
            return
        dialog = RescheduleDialog(
            self.ctx.ops,
            appointment_id=entry.appointment_id,
            current=entry.start,
            appointment_type=entry.appointment_type,
            clinicians=self.page.clinicians(),
            clinician_id=self.page.clinician_id,
            parent=self.page.window(),
        )
        dialog.moved.connect(self._moved)
        self._open(dialog)

    def _moved(self, record: AppointmentRecord) -> None:
        local = record.start.astimezone(self.page.workspace.practice_tz)
        self.page.status_message.emit(f"Moved to {local:%A %d %B, %H:%M}", 8000)
        self.page.load(local.date())

    def details(self) -> None:
        entry = self.page.selected_appointment()
        if entry is None or entry.appointment_id is None:
            return
        self._open(AppointmentDetailsDialog(self.ctx.ops, entry.appointment_id, self.page.window()))

    def block_time(self) -> None:
        if self.ctx.actions.locked:
            return
        dialog = TimeBlockDialog(
            self.ctx.ops,
            clinicians=self.page.clinicians(),
            clinician_id=self.page.clinician_id,
            day=self.page.day,
            parent=self.page.window(),
        )
        dialog.saved.connect(lambda message: self.page.status_message.emit(message, 6000))
        self._open(dialog)

    def edit_block(self) -> None:
        entry = self.page.selected_entry()
        if entry is None or entry.kind != "block" or entry.block_id is None or self.ctx.actions.locked:
            return
        dialog = TimeBlockDialog(
            self.ctx.ops,
            clinicians=self.page.clinicians(),
            clinician_id=self.page.clinician_id,
            day=self.page.day,
            block=entry,
            parent=self.page.window(),
        )
        dialog.saved.connect(lambda message: self.page.status_message.emit(message, 6000))
        self._open(dialog)

    def next_free_slot(self) -> None:
        """The booking dialog, at the first slot the rules allow for its clinician and type."""
        self.page.book()
        booking = self.page.booking_dialog
        if booking is not None:
            booking.find_next_free()
