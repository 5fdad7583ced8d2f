"""The encounter: the visit opened from today's schedule, with the note (SOAP sections, structured
fields, dictation) on the left and the patient's chart alongside, plus the visit's prescriptions and
orders, and the Encounter and Dictation menus.

Every step is one operation (app.ops) on the worker: opening the visit (which checks the patient
in), saving, saving a dictation with its recording, signing (the save and the signature together),
amending. The note is saved as a draft after each dictation and on Ctrl+S; a signed note is
read-only and changes only through "Amend…", which makes a new version.

A save names the note as the editor loaded it (its ``updated_at``): when a sync brought another
workstation's text meanwhile, the save keeps the editor's text beside it as a sync conflict instead
of writing over it, and the editor shows the note as it now stands. When a sync, or a conflict
reconciled elsewhere, changed the note on screen, the page shows it as it now stands (unless the
doctor is typing or dictating into it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.dictation import DictationResult
from app.note_review import Reviewer
from app.ops import encounters as encounter_ops
from app.ops import notes as note_ops
from app.ops.changes import Changes, Outcome
from app.ops.encounters import OpenedEncounter
from app.ops.notes import NoteState
from app.services.notes import EditorSave, EncounterRecord, NoteRecord, NoteVersionRecord
from app.services.orders import OrderRecord, PrescriptionRecord
from app.services.records import PatientChart, ScheduleEntry
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError, SyncError
from models.enums import NoteStatus, Role
from ui.actions import Menu
from ui.clinical_dialogs import (
    AmendDialog,
    FormDialog,
    HistoryDialog,
    VitalsDialog,
)
from ui.note_dictation import NoteDictation
from ui.note_editor import NoteEditor
from ui.page import Page, PageContext
from ui.patients_page import chart_html
from ui.review_marks import MarkReview
from ui.visit_orders import VisitOrders

PUSH_TO_TALK = Qt.Key.Key_F8


class SaveStep(Protocol):
    """An operation that saves the editor's text (app.ops.notes: save_draft, sign, save_dictation)."""

    def __call__(
        self,
        workspace: Workspace,
        note_id: uuid.UUID,
        content: dict[str, Any],
        /,
        *,
        loaded_at: datetime | None,
    ) -> Outcome[EditorSave]: ...


KEPT_ASIDE = (
    "this note was changed on another workstation while you were editing it. Nothing was lost: the "
    "note now shows that version, and your text is kept beside it as a sync conflict. Reconcile the "
    "two in Sync conflicts (Ctrl+Shift+J)."
)


@dataclass(frozen=True)
class EncounterBundle:
    """The visit on screen: the schedule entry it was opened from and what opening it read."""

    entry: ScheduleEntry
    encounter: EncounterRecord
    note: NoteState | None
    chart: PatientChart
    prescriptions: list[PrescriptionRecord]
    orders: list[OrderRecord]


class EncounterPage(Page):
    """Signals carry the fresh record after each step; tests and the window wait on them."""

    opened = Signal(EncounterBundle)
    saved = Signal(NoteState)
    kept_aside = Signal(uuid.UUID)  # the conflict: the editor's text, beside a note changed meanwhile
    signed = Signal(NoteState)
    amended = Signal(NoteState)
    vitals_recorded = Signal(EncounterRecord)
    orders_changed = Signal()
    dictation_finished = Signal(DictationResult)
    structured = Signal(dict)  # the SOAP dict shown after an utterance
    failed = Signal(ClinicDeskError)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.settings = ctx.settings
        self.bundle: EncounterBundle | None = None
        self._orders_stale = False
        self.note: NoteState | None = None
        self.dirty = False
        self.dialog: QDialog | None = None

        self.title = QLabel("No encounter open")
        self.title.setObjectName("viewTitle")
        self.title.setAccessibleName("Encounter")
        self.info = QLabel("Open an encounter from the schedule: select an appointment and press Ctrl+E.")
        self.info.setObjectName("dayInfo")
        self.info.setWordWrap(True)
        self.note_status = QLabel("")
        self.note_status.setObjectName("noteStatus")
        self.note_status.setAccessibleName("Note status")

        self.editor = NoteEditor()
        self.editor.changed.connect(self._changed)
        self.dictation = NoteDictation(
            ctx.ops.runner, ctx.settings, self.editor, editable=lambda: self.editable, parent=self
        )
        self.panel = self.dictation.panel
        self.dictation.ready.connect(self._save_dictation)
        self.dictation.structured.connect(self.structured.emit)
        self.dictation.failed.connect(self._fail)
        user = ctx.workspace.user
        self.review = MarkReview(
            self.editor, reviewer=Reviewer(str(user.id), user.full_name),
            editable=lambda: self.editable and not self.dictation.active, parent=self,
        )  # fmt: skip
        self.review.status.connect(lambda text: self.status_message.emit(text, 8000))
        self.dictation.controller.state_changed.connect(self._dictation_state)
        self.panel.import_button.clicked.connect(lambda: ctx.actions.trigger("import_speech_model"))

        self.chart_view = QTextBrowser()
        self.chart_view.setObjectName("chart")
        self.chart_view.setAccessibleName("Patient chart")
        self.orders_list = VisitOrders(ctx.ops, fail=self._fail, open_dialog=self._open)
        self.orders_list.changed.connect(self.orders_changed.emit)
        self._lay_out()
        self._show_empty()
        self._make_actions()

    def _lay_out(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.panel)
        left_layout.addWidget(self.editor, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.chart_view, 1)
        orders_title = QLabel("Prescriptions and orders")
        orders_title.setObjectName("sectionLabel")
        right_layout.addWidget(orders_title)
        right_layout.addWidget(self.orders_list)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([700, 420])
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.note_status)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.splitter, 1)

    # -- actions ----------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        a, menu = self.ctx.actions.create, Menu.ENCOUNTER
        self.vitals_action = a(
            "Record &vitals…",
            name="record_vitals",
            menu=menu,
            shortcut="Ctrl+Shift+V",
            slot=self.record_vitals,
        )
        self.save_note_action = a(
            "&Save draft", name="save_note", menu=menu, shortcut=QKeySequence.StandardKey.Save,
            slot=self.save_draft,
        )  # fmt: skip
        self.sign_note_action = a(
            "Si&gn note", name="sign_note", menu=menu, shortcut="Ctrl+Shift+S", slot=self.sign,
            icon_name="sign", tip="Sign the note (doctor only); it becomes read-only", toolbar=2,
        )  # fmt: skip
        self.amend_note_action = a(
            "&Amend note…", name="amend_note", menu=menu, shortcut="Ctrl+Shift+A", slot=self.amend,
            tip="Amend the signed note with a reason (new version)",
        )  # fmt: skip
        self.history_action = a(
            "Note &history…", name="note_history", menu=menu, shortcut="Ctrl+H", slot=self.show_history
        )
        self.complete_action = a(
            "&Complete encounter", name="complete_encounter", menu=menu, shortcut="Ctrl+Shift+E",
            slot=self.complete,
        )  # fmt: skip
        self.prescription_action = a(
            "New &prescription…", name="new_prescription", menu=menu, group=1, shortcut="Ctrl+Shift+P",
            slot=self.new_prescription,
        )  # fmt: skip
        self.order_action = a(
            "New &order…", name="new_order", menu=menu, group=1, shortcut="Ctrl+Shift+O", slot=self.new_order
        )
        self.sign_order_action = a(
            "Sign prescription or order", name="sign_order", menu=menu, group=1, shortcut="Ctrl+Shift+G",
            slot=self.sign_selected_order,
        )  # fmt: skip
        self.dictation.make_actions(self.ctx.actions)
        self.review.make_actions(self.ctx.actions)

    def _dictation_state(self, _state: str) -> None:
        self.update_actions()
        self._reload_stale_orders()

    def update_actions(self) -> None:
        enable = self.ctx.actions.enable
        role = self.workspace.user.role
        doctor = role is Role.DOCTOR
        draft = self.editable
        enable(self.vitals_action, role in (Role.DOCTOR, Role.NURSE) and self.has_encounter)
        enable(self.save_note_action, draft)
        enable(self.sign_note_action, draft and not self.dictation.active)
        enable(self.amend_note_action, doctor and self.note is not None and not self.editable)
        enable(self.history_action, self.note is not None)
        for action in (
            self.complete_action,
            self.prescription_action,
            self.order_action,
            self.sign_order_action,
        ):
            enable(action, doctor and self.has_encounter)
        self.dictation.update_actions(self.ctx.actions, draft=draft)
        self.review.update_actions()

    # -- state ------------------------------------------------------------------------------------

    @property
    def is_doctor(self) -> bool:
        return self.workspace.user.role is Role.DOCTOR

    @property
    def has_encounter(self) -> bool:
        return self.bundle is not None

    @property
    def editable(self) -> bool:
        return self.note is not None and self.note.status is NoteStatus.DRAFT and self.is_doctor

    def _show_empty(self) -> None:
        self.editor.setEnabled(False)
        self.panel.setEnabled(False)
        self.chart_view.setHtml("<p style='color:gray'>The patient's chart appears here.</p>")

    def _set_note(self, note: NoteState | None) -> None:
        self.note = note
        if note is not None:
            self.editor.set_content(note.content)
        self.dirty = False
        self.editor.setEnabled(note is not None or not self.is_doctor)
        self.editor.set_read_only(not self.editable)
        self.panel.setEnabled(self.editable)
        self._show_note_status()
        self.update_actions()

    def _show_note_status(self) -> None:
        if self.note is None:
            text = "" if self.is_doctor else "Nurse view: vitals only"
        elif self.note.status is NoteStatus.DRAFT:
            text = "Draft — unsaved changes" if self.dirty else "Draft — saved"
        else:
            status = self.note.status.value.capitalize()
            text = f"{status} (version {self.note.version}) — read-only; amend with Ctrl+Shift+A"
        self.note_status.setText(text)

    def _changed(self) -> None:
        if self.editable:
            self.dirty = True
            self._show_note_status()

    def _fail(self, error: ClinicDeskError) -> None:
        """Said on the page and in a message box (the window shows it)."""
        self.info.setText(error.message[:1].upper() + error.message[1:])
        self.failed.emit(error)
        self.ctx.ops.show_error(error)

    def set_locked(self, locked: bool) -> None:
        if locked:
            self.dictation.stop()

    # -- opening ----------------------------------------------------------------------------------

    def open_entry(self, entry: ScheduleEntry) -> None:
        appointment_id = entry.appointment_id
        if appointment_id is None:
            return
        self.info.setText("Opening the encounter…")
        self.ctx.ops.op(
            lambda ws: encounter_ops.open_visit(ws, appointment_id),
            label="opening the encounter",
            initiator=self,
        ).success(lambda opened: self._opened(entry, opened)).failure(self._fail).run()

    def _opened(self, entry: ScheduleEntry, opened: OpenedEncounter) -> None:
        result = EncounterBundle(
            entry, opened.encounter, opened.note, opened.chart, opened.prescriptions, opened.orders
        )
        self.bundle = result
        p = result.chart.patient
        self.title.setText(f"{p.first_name} {p.last_name} · {p.mrn}")
        complaint = result.encounter.chief_complaint or "no reason given"
        nurse = ". Record vitals with Ctrl+Shift+V; the doctor's note picks them up."
        self.info.setText(
            f"{result.entry.start:%H:%M} {result.encounter.status.value.replace('_', ' ')} — {complaint}"
            + ("" if self.is_doctor else nurse)
        )
        ws = self.workspace
        self.chart_view.setHtml(chart_html(result.chart, today=ws.today(), tz=ws.practice_tz))
        self._set_note(result.note)
        if result.note is None and result.encounter.vitals:
            self.editor.set_content({"vitals": result.encounter.vitals})
        self.orders_list.encounter_id = result.encounter.id
        self.orders_list.show_records(result.prescriptions, result.orders)
        if self.editable:
            self.dictation.prepare()
        self.opened.emit(result)

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if self.bundle is None or initiator in (self, self.orders_list):
            return
        if changes.prescriptions or changes.orders:
            self.reload_orders()
        elif changes.external:  # a sync's records: read again, but not while the doctor dictates
            self._orders_stale = True
            if not self.dictation.active:
                self._reload_stale_orders()
        if self.note is not None and (changes.touches_record("notes", self.note.id) or changes.conflicts):
            self._reload_open_note()

    def _reload_open_note(self) -> None:
        """A sync or a reconciled conflict may have changed the note on screen: if it did, show it as
        it now stands, so a later save does not write the old text back over it. Not while the user
        is typing or dictating into it."""
        note, bundle = self.note, self.bundle
        if self.ctx.actions.locked or bundle is None or note is None or self.dirty or self.dictation.active:
            return
        entry = bundle.entry

        def reload(changed: bool) -> None:
            current = self.note
            same = current is not None and current.id == note.id and self.bundle is not None
            if (
                changed
                and same
                and not self.dirty
                and not self.dictation.active
                and not self.ctx.actions.locked
            ):
                self.open_entry(entry)

        self.ctx.ops.query(
            lambda ws: note_ops.changed_since(ws, note.id, content=note.content, version=note.version),
            label="checking the open note",
        ).success(reload).failure(lambda _e: None).run()

    # -- saving, signing, amending ----------------------------------------------------------------

    def _save(self, step: SaveStep, label: str, then: Callable[[EditorSave], object]) -> None:
        """Runs ``step`` on the editor's text and the note as the editor loaded it."""
        assert self.note is not None
        note_id, content, loaded_at = self.note.id, self.editor.content(), self.note.loaded_at
        self.ctx.ops.op(
            lambda ws: step(ws, note_id, content, loaded_at=loaded_at), label=label, initiator=self
        ).success(then).failure(self._fail).run()

    def save_draft(self) -> None:
        if self.editable and self.note is not None:
            self._save(note_ops.save_draft, "saving the note", self._saved)

    def _saved(self, result: EditorSave) -> None:
        if result.conflict_id is not None:
            self._kept_aside(result)
            return
        self.note = NoteState.of(result.note)
        self.dirty = False
        self._show_note_status()
        self.saved.emit(self.note)

    def _kept_aside(self, result: EditorSave) -> None:
        """The editor's text is safe in the conflict; show the note as stored, so that the next save
        starts from it, and say where both texts are (the reconcile view opens)."""
        assert result.conflict_id is not None
        self._set_note(NoteState.of(result.note))
        self.note_status.setText("Draft — changed elsewhere; your text is kept as a sync conflict")
        self.info.setText(KEPT_ASIDE[:1].upper() + KEPT_ASIDE[1:])
        self.kept_aside.emit(result.conflict_id)
        self.ctx.actions.trigger("sync_conflicts")
        self.failed.emit(SyncError(KEPT_ASIDE))
        self.ctx.ops.show_error(SyncError(KEPT_ASIDE))

    def sign(self) -> None:
        """Saves the editor's text and signs it, in one operation: a note that cannot be signed
        (empty) keeps its last saved text, and one changed elsewhere is kept aside, unsigned."""
        if self.editable and self.note is not None and not self.dictation.active:
            self.dialog = self.review.before_signing(self._sign_reviewed)

    def _sign_reviewed(self, unreviewed: int) -> None:
        """Signs once the marks are reviewed or, with ``unreviewed`` left, the doctor confirmed."""
        if self.editable and self.note is not None and not self.dictation.active:
            step = partial(note_ops.sign, unreviewed_confirmed=unreviewed)
            self._save(step, "signing the note", self._signed)

    def _signed(self, result: EditorSave) -> None:
        if result.conflict_id is not None:
            self._kept_aside(result)
            return
        self._set_note(NoteState.of(result.note))
        self.status_message.emit("Note signed; it is now read-only", 5000)
        self.signed.emit(self.note)

    def amend(self) -> None:
        if self.note is None or self.note.status is NoteStatus.DRAFT or not self.is_doctor:
            return
        dialog = AmendDialog(self.editor.content(), self)
        dialog.editor.reviewer = self.editor.reviewer
        note_id, version = self.note.id, self.note.version

        def submit() -> None:
            content, reason = dialog.editor.content(), dialog.reason_text()
            self.ctx.ops.op(
                lambda ws: note_ops.amend(ws, note_id, content, reason=reason, base_version=version),
                label="amending the note",
                initiator=self,
            ).success(dialog.closing(self._amended)).failure(dialog.show_error).run()

        self._open(dialog, submit)

    def _amended(self, result: NoteRecord) -> None:
        self._set_note(NoteState.of(result))
        self.status_message.emit(f"Amendment saved as version {result.current_version}", 5000)
        self.amended.emit(self.note)

    def show_history(self) -> None:
        if self.note is None:
            return
        note_id = self.note.id
        self.ctx.ops.query(
            lambda ws: note_ops.history(ws, note_id), label="loading the note history"
        ).success(self._show_history).failure(self._fail).run()

    def _show_history(self, versions: list[NoteVersionRecord]) -> None:
        if not versions:
            self.info.setText("This note has no versions yet: a draft gets its first version when signed.")
            return
        dialog = HistoryDialog(versions, tz=self.workspace.practice_tz, parent=self)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def complete(self) -> None:
        if self.bundle is None or not self.is_doctor:
            return
        encounter_id = self.bundle.encounter.id
        self.ctx.ops.op(
            lambda ws: encounter_ops.complete(ws, encounter_id),
            label="completing the encounter",
            initiator=self,
        ).success(lambda _r: self.info.setText("Encounter completed.")).failure(self._fail).run()

    def _open(self, dialog: FormDialog, submit: Callable[[], None]) -> None:
        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    # -- vitals (nurse) ---------------------------------------------------------------------------

    def record_vitals(self) -> None:
        if self.bundle is None:
            return
        dialog = VitalsDialog(dict(self.bundle.encounter.vitals), self)
        encounter_id = self.bundle.encounter.id

        def submit() -> None:
            vitals = dialog.vitals()
            self.ctx.ops.op(
                lambda ws: encounter_ops.record_vitals(ws, encounter_id, vitals),
                label="recording vitals",
                initiator=self,
            ).success(dialog.closing(self._vitals_done)).failure(dialog.show_error).run()

        self._open(dialog, submit)

    def _vitals_done(self, result: EncounterRecord) -> None:
        assert self.bundle is not None
        self.bundle = replace(
            self.bundle, encounter=result, prescriptions=self.prescriptions, orders=self.orders
        )
        if self.note is None:
            self.editor.set_content({"vitals": result.vitals})
        self.info.setText("Vitals recorded.")
        self.vitals_recorded.emit(result)

    # -- prescriptions and orders -----------------------------------------------------------------

    @property
    def prescriptions(self) -> list[PrescriptionRecord]:
        return self.orders_list.prescriptions

    @property
    def orders(self) -> list[OrderRecord]:
        return self.orders_list.orders

    def reload_orders(self) -> None:
        self._orders_stale = False
        self.orders_list.reload()

    def _reload_stale_orders(self) -> None:
        """Changes from elsewhere are read when no dictation is running (the GUI thread's time then
        goes to the dictation) and the page is on screen."""
        if self._orders_stale and self.bundle is not None and not self.dictation.active:
            if self.isVisible():
                self.reload_orders()
            else:
                self.reload_when_shown()

    def reload(self) -> None:
        self._reload_stale_orders()

    def new_prescription(self) -> None:
        if self.bundle is not None and self.is_doctor:
            self.orders_list.new_prescription(self.editor.content().get("medications") or [])

    def new_order(self) -> None:
        if self.bundle is not None and self.is_doctor:
            self.orders_list.new_order()

    def sign_selected_order(self) -> None:
        if self.is_doctor:
            self.orders_list.sign_selected()

    # -- dictation --------------------------------------------------------------------------------

    def dictate_file(self, path: Path, *, realtime: bool = False) -> None:
        self.dictation.dictate_file(path, realtime=realtime)

    def _save_dictation(self, result: DictationResult, soap: dict[str, Any]) -> None:
        """The dictated note and its recording, saved in one operation."""
        if self.note is None or not self.editable:
            self.dictation_finished.emit(result)
            return

        def done(saved: EditorSave) -> None:
            self._saved(saved)
            self.dictation_finished.emit(result)

        step = partial(note_ops.save_dictation, soap=soap, audio=result.audio)
        self._save(step, "saving the dictation", done)

    # -- push-to-talk key -------------------------------------------------------------------------

    def push_to_talk_key(self, event: QKeyEvent) -> bool:
        """Handles the push-to-talk key wherever the focus is in the window (the main window passes
        on the key events its children leave unhandled); returns whether it did."""
        if event.key() == PUSH_TO_TALK and not event.isAutoRepeat() and self.isVisible() and self.editable:
            self.dictation.push_to_talk(event.type() == QEvent.Type.KeyPress)
            return True
        return False

    def settings_changed(self) -> None:
        """The speech settings or the model changed: the next dictation loads the new engine."""
        self.dictation.forget_engine()

    def shutdown(self) -> None:
        self.dictation.shutdown()
