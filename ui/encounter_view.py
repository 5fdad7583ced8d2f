# mypy: disable-error-code="func-returns-value"
"""The encounter: the visit opened from today's schedule, with the note (SOAP sections, structured
fields, dictation) on the left and the patient's chart alongside, plus the visit's prescriptions and
orders.

Every database step runs through the Runner (``ws.call(service, ...)``); dictation runs on its own
audio thread (dictation.py). The note is saved as a draft after each dictation and on Ctrl+S; a
signed note is read-only and changes only through "Amend…", which makes a new version.

A save names the note as the editor loaded it (its ``updated_at``): when a sync brought another
workstation's text meanwhile, the save keeps the editor's text beside it as a sync conflict instead
of writing over it, and the editor shows the note as it now stands (notes.save_edited_draft).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services import notes, orders, recordings
from app.services.notes import EditorSave, EncounterView, NoteView
from app.services.orders import OrderView, PrescriptionView
from app.services.views import PatientChart, ScheduleEntry
from app.settings import Settings
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError, SyncError
from models.enums import NoteStatus, Role
from ui.app import set_accessible
from ui.clinical_dialogs import (
    AmendDialog,
    HistoryDialog,
    OrderDialog,
    PrescriptionDialog,
    VitalsDialog,
)
from ui.dictation import (
    IDLE,
    PAUSED,
    RECORDING,
    DictationController,
    DictationPanel,
    DictationResult,
    Snapshot,
)
from ui.note_editor import NoteEditor
from ui.patients_view import chart_html
from ui.worker import Runner

PUSH_TO_TALK = Qt.Key.Key_F8


@dataclass(frozen=True)
class NoteState:
    """The note on screen: a draft (NoteView) or a signed/amended note read from its history."""

    id: uuid.UUID
    status: NoteStatus
    content: dict[str, Any]
    version: int
    #: the stored note's ``updated_at`` when the editor loaded or last saved it (drafts only)
    loaded_at: datetime | None = None


@dataclass(frozen=True)
class EncounterBundle:
    entry: ScheduleEntry
    encounter: EncounterView
    note: NoteState | None
    chart: PatientChart
    prescriptions: list[PrescriptionView]
    orders: list[OrderView]


def _state(view: NoteView) -> NoteState:
    return NoteState(view.id, view.status, dict(view.content), view.current_version, view.updated_at)


KEPT_ASIDE = (
    "this note was changed on another workstation while you were editing it. Nothing was lost: the "
    "note now shows that version, and your text is kept beside it as a sync conflict. Reconcile the "
    "two in Sync conflicts (Ctrl+Shift+J)."
)


def load_encounter(workspace: Workspace, entry: ScheduleEntry) -> EncounterBundle:
    """Runs on the worker: opens (or creates) the encounter, then the note the user may see."""
    assert entry.appointment_id is not None and entry.patient_id is not None
    encounter = workspace.call(notes.open_encounter, entry.appointment_id)
    chart = workspace.patient_chart(entry.patient_id)
    note: NoteState | None = None
    if workspace.user.role is Role.DOCTOR:
        existing = next((e.notes for e in chart.encounters if e.id == encounter.id), [])
        draft = next((n for n in existing if n.get("status") == NoteStatus.DRAFT.value), None)
        signed = next((n for n in reversed(existing) if n.get("status") != NoteStatus.DRAFT.value), None)
        if signed is not None and draft is None:
            note_id = uuid.UUID(str(signed["id"]))
            history = workspace.call(notes.note_history, note_id)
            last = history[-1]
            note = NoteState(
                note_id, NoteStatus(str(signed["status"])), dict(last.content), last.version_number
            )
        else:
            note = _state(workspace.call(notes.create_note, encounter.id))
    prescriptions, order_list = workspace.call(orders.encounter_orders, encounter.id)
    return EncounterBundle(entry, encounter, note, chart, prescriptions, order_list)


def structure_dictation(
    rows: list[tuple[str, float, float | None]], sections: list[str | None]
) -> dict[str, Any]:
    """Runs on the worker: the dictation so far (text, start, confidence per utterance) as a note.

    The SOAP code is imported here rather than at the top: its first import loads the classifier
    weights, the vocabularies and the ICD-10 index, which must never happen on the GUI thread."""
    from app.soap import structure_note
    from audio.transcriber import Utterance

    utterances = [
        Utterance(text, start, start, conf if conf is not None else 1.0, "") for text, start, conf in rows
    ]
    return structure_note(utterances, sections=sections).to_dict()


def prepare_structuring() -> None:
    """Runs on the worker when a note opens for dictation, so the first utterance is structured
    without the loading pause (structuring one word loads everything the SOAP code needs)."""
    structure_dictation([("hypertension", 0.0, 1.0)], [None])


class EncounterPage(QWidget):
    """Signals carry the fresh view after each step; tests and the window wait on them."""

    opened = Signal(object)  # EncounterBundle
    saved = Signal(object)  # NoteState
    kept_aside = Signal(object)  # the conflict id: the editor's text, beside a note changed meanwhile
    signed = Signal(object)
    amended = Signal(object)
    vitals_recorded = Signal(object)  # EncounterView
    orders_changed = Signal()
    dictation_finished = Signal(object)  # DictationResult
    structured = Signal(object)  # the SOAP dict shown after an utterance
    failed = Signal(object)
    open_patient = Signal(object)

    def __init__(
        self, runner: Runner, workspace: Workspace, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._workspace = workspace
        self.settings = settings
        self.bundle: EncounterBundle | None = None
        self.note: NoteState | None = None
        self.dirty = False
        self.dialog: QWidget | None = None
        self._structure_generation = 0
        self._structuring_prepared = False
        self._chosen_section: str | None = None
        self._sections_by_start: dict[float, str] = {}
        self.prescriptions: list[PrescriptionView] = []
        self.orders: list[OrderView] = []

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
        self.editor.active_section_changed.connect(self._section_chosen)
        self.dictation = DictationController(runner, settings, self)
        self.panel = DictationPanel()
        self.dictation.state_changed.connect(self._dictation_state)
        self.dictation.session_event.connect(self._dictation_event)
        self.dictation.finished.connect(self._dictation_done)
        self.dictation.failed.connect(self._dictation_failed)
        self.panel.record_button.clicked.connect(lambda _c=False: self.toggle_recording())
        self.panel.pause_button.clicked.connect(lambda _c=False: self.toggle_pause())
        self.panel.file_button.clicked.connect(self.choose_wav)

        self.chart_view = QTextBrowser()
        self.chart_view.setObjectName("chart")
        self.chart_view.setAccessibleName("Patient chart")
        self.orders_list = QListWidget()
        set_accessible(self.orders_list, "Prescriptions and orders", "This visit's prescriptions and orders")
        self.orders_list.setMaximumHeight(150)

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
        self._show_empty()

    # -- role -------------------------------------------------------------------------------------

    @property
    def is_doctor(self) -> bool:
        return self._workspace.user.role is Role.DOCTOR

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

    # -- opening ----------------------------------------------------------------------------------

    def open_entry(self, entry: ScheduleEntry) -> None:
        if entry.appointment_id is None:
            return
        self.info.setText("Opening the encounter…")
        workspace = self._workspace
        self._runner.run(
            lambda: load_encounter(workspace, entry),
            label="opening the encounter",
            on_done=self._opened,
            on_error=self._fail,
        )

    def _opened(self, result: object) -> None:
        assert isinstance(result, EncounterBundle)
        self.bundle = result
        p = result.chart.patient
        self.title.setText(f"{p.first_name} {p.last_name} · {p.mrn}")
        complaint = result.encounter.chief_complaint or "no reason given"
        self.info.setText(
            f"{result.entry.start:%H:%M} {result.encounter.status.value.replace('_', ' ')} — {complaint}"
            + (
                ""
                if self.is_doctor
                else ". Record vitals with Ctrl+Shift+V; the doctor's note picks them up."
            )
        )
        self.chart_view.setHtml(
            chart_html(result.chart, today=self._workspace.today(), tz=self._workspace.practice_tz)
        )
        self._set_note(result.note)
        if result.note is None and result.encounter.vitals:
            self.editor.set_content({"vitals": result.encounter.vitals})
        self._show_orders(result.prescriptions, result.orders)
        if self.editable and not self._structuring_prepared:
            self._structuring_prepared = True
            self._runner.run(prepare_structuring, label="preparing the note structuring")
        self.opened.emit(result)

    def _set_note(self, note: NoteState | None) -> None:
        self.note = note
        if note is not None:
            self.editor.set_content(note.content)
        self.dirty = False
        self.editor.setEnabled(note is not None or not self.is_doctor)
        self.editor.set_read_only(not self.editable)
        self.panel.setEnabled(self.editable)
        self._show_note_status()

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
        self.info.setText(error.message[:1].upper() + error.message[1:])
        self.failed.emit(error)

    # -- saving, signing, amending ----------------------------------------------------------------

    def _save_call(self, content: dict[str, Any], **extra: Any) -> Callable[[], EditorSave]:
        """The save as the worker runs it, naming the note as this editor loaded it."""
        assert self.note is not None
        note_id, loaded_at, workspace = self.note.id, self.note.loaded_at, self._workspace

        def save() -> EditorSave:
            if loaded_at is None:  # not loaded from the store (never for a draft): a plain save
                return EditorSave(workspace.call(notes.save_draft, note_id, content, **extra))
            return workspace.call(notes.save_edited_draft, note_id, content, loaded_at=loaded_at, **extra)

        return save

    def save_draft(self, *, extra: dict[str, Any] | None = None) -> None:
        if not self.editable or self.note is None:
            return
        self._runner.run(
            self._save_call(self.editor.content(), **dict(extra or {})),
            label="saving the note",
            on_done=self._saved,
            on_error=self._fail,
        )

    def _saved(self, result: object) -> None:
        assert isinstance(result, EditorSave)
        if result.conflict_id is not None:
            self._kept_aside(result)
            return
        self.note = _state(result.note)
        self.dirty = False
        self._show_note_status()
        self.saved.emit(self.note)

    def _kept_aside(self, result: EditorSave) -> None:
        """The editor's text is safe in the conflict; show the note as stored, so that the next save
        starts from it, and say where both texts are."""
        self._set_note(_state(result.note))
        self.note_status.setText("Draft — changed elsewhere; your text is kept as a sync conflict")
        self.info.setText(KEPT_ASIDE[:1].upper() + KEPT_ASIDE[1:])
        self.kept_aside.emit(result.conflict_id)
        self.failed.emit(SyncError(KEPT_ASIDE))

    def sign(self) -> None:
        if not self.editable or self.note is None or self.dictation.active:
            return
        save, note_id = self._save_call(self.editor.content()), self.note.id

        def save_and_sign() -> EditorSave | NoteView:
            saved = save()
            if saved.conflict_id is not None:  # the note changed meanwhile: nothing is signed unseen
                return saved
            return self._workspace.call(notes.sign_note, note_id)

        self._runner.run(save_and_sign, label="signing the note", on_done=self._signed, on_error=self._fail)

    def _signed(self, result: object) -> None:
        if isinstance(result, EditorSave):
            self._kept_aside(result)
            return
        assert isinstance(result, NoteView)
        self._set_note(_state(result))
        self.signed.emit(self.note)

    def amend(self) -> None:
        if self.note is None or self.note.status is NoteStatus.DRAFT or not self.is_doctor:
            return
        dialog = AmendDialog(self.editor.content(), self)
        note_id, version = self.note.id, self.note.version

        def submit(d: Any) -> None:
            content, reason = d.editor.content(), d.reason_text()
            self._runner.run(
                lambda: self._workspace.call(
                    notes.amend_note, note_id, content, reason=reason, base_version=version
                ),
                label="amending the note",
                on_done=lambda r: (d.done_ok(), self._amended(r)),
                on_error=d.show_error,
            )

        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _amended(self, result: object) -> None:
        assert isinstance(result, NoteView)
        self._set_note(_state(result))
        self.amended.emit(self.note)

    def show_history(self) -> None:
        if self.note is None:
            return
        note_id = self.note.id

        def show(result: object) -> None:
            assert isinstance(result, list)
            if not result:
                self.info.setText(
                    "This note has no versions yet: a draft gets its first version when signed."
                )
                return
            dialog = HistoryDialog(result, tz=self._workspace.practice_tz, parent=self)
            dialog.finished.connect(dialog.deleteLater)
            self.dialog = dialog
            dialog.open()

        self._runner.run(
            lambda: self._workspace.call(notes.note_history, note_id),
            label="loading the note history",
            on_done=show,
            on_error=self._fail,
        )

    def complete(self) -> None:
        if self.bundle is None or not self.is_doctor:
            return
        encounter_id = self.bundle.encounter.id
        self._runner.run(
            lambda: self._workspace.call(notes.complete_encounter, encounter_id),
            label="completing the encounter",
            on_done=lambda r: self.info.setText("Encounter completed."),
            on_error=self._fail,
        )

    # -- vitals (nurse) ---------------------------------------------------------------------------

    def record_vitals(self) -> None:
        if self.bundle is None:
            return
        dialog = VitalsDialog(dict(self.bundle.encounter.vitals), self)
        encounter_id = self.bundle.encounter.id

        def submit(d: Any) -> None:
            vitals = d.vitals()
            self._runner.run(
                lambda: self._workspace.call(notes.record_vitals, encounter_id, vitals),
                label="recording vitals",
                on_done=lambda r: (d.done_ok(), self._vitals_done(r)),
                on_error=d.show_error,
            )

        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _vitals_done(self, result: object) -> None:
        assert isinstance(result, EncounterView) and self.bundle is not None
        self.bundle = EncounterBundle(
            self.bundle.entry, result, self.bundle.note, self.bundle.chart, self.prescriptions, self.orders
        )
        if self.note is None:
            self.editor.set_content({"vitals": result.vitals})
        self.info.setText("Vitals recorded.")
        self.vitals_recorded.emit(result)

    # -- prescriptions and orders -----------------------------------------------------------------

    def _show_orders(self, prescriptions: list[PrescriptionView], order_list: list[OrderView]) -> None:
        self.prescriptions, self.orders = list(prescriptions), list(order_list)
        self.orders_list.clear()
        for rx in prescriptions:
            meds = ", ".join(
                f"{i['medication']} {i.get('dosage') or ''} {i.get('frequency') or ''}".strip()
                for i in rx.items
            )
            item = QListWidgetItem(f"℞ {rx.status.value.upper()}: {meds}")
            item.setData(Qt.ItemDataRole.UserRole, ("rx", rx.id))
            self.orders_list.addItem(item)
        for order in order_list:
            names = ", ".join(str(i["name"]) for i in order.items)
            item = QListWidgetItem(
                f"{order.order_type.value.capitalize()} order {order.status.value.upper()}: {names}"
            )
            item.setData(Qt.ItemDataRole.UserRole, ("order", order.id))
            self.orders_list.addItem(item)
        if not prescriptions and not order_list:
            self.orders_list.addItem("No prescriptions or orders yet (Ctrl+Shift+P, Ctrl+Shift+O).")

    def reload_orders(self) -> None:
        if self.bundle is None:
            return
        encounter_id = self.bundle.encounter.id
        self._runner.run(
            lambda: self._workspace.call(orders.encounter_orders, encounter_id),
            label="loading orders",
            on_done=lambda r: (self._show_orders(*r), self.orders_changed.emit()),
            on_error=self._fail,
        )

    def new_prescription(self) -> None:
        if self.bundle is None or not self.is_doctor:
            return
        dialog = PrescriptionDialog(self.editor.content().get("medications") or [], self)
        encounter_id = self.bundle.encounter.id

        def submit(d: Any) -> None:
            items = d.items()
            self._runner.run(
                lambda: self._workspace.call(orders.create_prescription, encounter_id, items),
                label="saving the prescription",
                on_done=lambda r: (d.done_ok(), self.reload_orders()),
                on_error=d.show_error,
            )

        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def new_order(self) -> None:
        if self.bundle is None or not self.is_doctor:
            return
        dialog = OrderDialog(self)
        encounter_id = self.bundle.encounter.id

        def submit(d: Any) -> None:
            kind, items, priority = d.order_type(), d.items(), d.priority.currentText()
            self._runner.run(
                lambda: self._workspace.call(
                    orders.create_order, encounter_id, kind, items, priority=priority
                ),
                label="saving the order",
                on_done=lambda r: (d.done_ok(), self.reload_orders()),
                on_error=d.show_error,
            )

        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def sign_selected_order(self) -> None:
        """Signs the selected draft prescription or order (or the first draft when none is selected)."""
        if not self.is_doctor:
            return
        chosen = self.orders_list.currentItem()
        data = chosen.data(Qt.ItemDataRole.UserRole) if chosen is not None else None
        if data is None:
            drafts = [("rx", r.id) for r in self.prescriptions if r.status.value == "draft"] + [
                ("order", o.id) for o in self.orders if o.status.value == "draft"
            ]
            data = drafts[0] if drafts else None
        if data is None:
            return
        kind, record_id = data
        service = orders.sign_prescription if kind == "rx" else orders.sign_order
        self._runner.run(
            lambda: self._workspace.call(service, record_id),
            label="signing",
            on_done=lambda _r: self.reload_orders(),
            on_error=self._fail,
        )

    # -- dictation --------------------------------------------------------------------------------

    def _section_chosen(self, section: str) -> None:
        if self.dictation.active:
            self._chosen_section = section
        self.panel.set_state(self.dictation.state, section=section if self.dictation.active else "")

    def go_to_section(self, section: str) -> None:
        self.editor.focus_section(section)

    def _begin(self) -> bool:
        if not self.editable:
            return False
        focus = self.focusWidget()
        self._chosen_section = (
            self.editor.active_section if focus is not None and focus in self.editor.edits.values() else None
        )
        self._sections_by_start = {}
        self.dictation.section = self._chosen_section
        self.editor.begin_dictation()
        self.panel.reset_words()
        self.panel.show_problem("")
        return True

    def toggle_recording(self) -> None:
        if self.dictation.state in (RECORDING, PAUSED):
            self.dictation.stop()
        elif self.dictation.state == IDLE and self._begin():
            self.dictation.start_microphone(self.settings.extra.get("microphone"))
        else:
            self.panel.set_state(self.dictation.state)

    def toggle_pause(self) -> None:
        if self.dictation.state == RECORDING:
            self.dictation.pause()
        elif self.dictation.state == PAUSED:
            self.dictation.resume()

    def push_to_talk(self, pressed: bool) -> None:
        """Hold to talk: the first press starts a paused microphone dictation and resumes it."""
        if pressed:
            if self.dictation.state == IDLE and self._begin():
                self.dictation.start_microphone(self.settings.extra.get("microphone"))
            else:
                self.dictation.resume()
        else:
            self.dictation.pause()

    def dictate_file(self, path: Path, *, realtime: bool = False) -> None:
        if self.dictation.state == IDLE and self._begin():
            self.dictation.start_wav(path, realtime=realtime)

    def choose_wav(self) -> None:
        if not self.editable:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Dictate from a recording", "", "WAV audio (*.wav)")
        if path:
            self.dictate_file(Path(path))

    def _dictation_state(self, state: str) -> None:
        self.panel.set_state(state, section=self._chosen_section or "")

    def _dictation_event(self, event: object, snapshot: object) -> None:
        from audio.session import (
            CommandEvent,
            LevelEvent,
            PartialEvent,
            SectionEvent,
            StoppedEvent,
            UtteranceEvent,
        )

        if isinstance(event, LevelEvent):
            self.panel.show_level(event.db)
        elif isinstance(event, PartialEvent):
            self.panel.show_partial(event.text)
        elif isinstance(event, SectionEvent):
            self._chosen_section = event.section
            self.editor.set_active_section(event.section)
            self.panel.set_state(self.dictation.state, section=event.section)
        elif isinstance(event, UtteranceEvent) and self._chosen_section:
            self._sections_by_start.setdefault(float(event.utterance.start), self._chosen_section)
        elif isinstance(event, CommandEvent):
            self.panel.status.setText(f"Command: {event.command.name.replace('_', ' ')}")
        if isinstance(event, StoppedEvent):
            self.dictation.stop()
        if isinstance(snapshot, Snapshot) and isinstance(event, UtteranceEvent | CommandEvent):
            self.panel.show_final(snapshot.texts)
            self._restructure(snapshot)

    def _sections(self, snapshot: Snapshot) -> list[str | None]:
        return [
            spoken or self._sections_by_start.get(start)
            for spoken, start in zip(snapshot.sections, snapshot.starts, strict=True)
        ]

    def _restructure(self, snapshot: Snapshot, *, then: Any = None) -> None:
        """Structures the dictation so far on the worker; a newer utterance supersedes an older run."""
        self._structure_generation += 1
        generation = self._structure_generation
        sections = self._sections(snapshot)
        rows = list(zip(snapshot.texts, snapshot.starts, snapshot.confidences, strict=True))

        def done(result: object) -> None:
            if generation != self._structure_generation:
                return
            assert isinstance(result, dict)
            self.editor.show_dictated(result)
            self.structured.emit(result)
            if then is not None:
                then(result)

        self._runner.run(
            lambda: structure_dictation(rows, sections),
            label="structuring the note",
            on_done=done,
            on_error=self._fail,
        )

    def _dictation_done(self, result: object) -> None:
        assert isinstance(result, DictationResult)
        if result.error is not None:
            self.panel.show_problem(result.error.message)

        def save(soap: dict[str, Any]) -> None:
            self.editor.end_dictation()
            self._save_dictation(result, soap)

        self._restructure(result.snapshot, then=save)

    def _save_dictation(self, result: DictationResult, soap: dict[str, Any]) -> None:
        if self.note is None or not self.editable:
            self.dictation_finished.emit(result)
            return
        note_id = self.note.id
        save = self._save_call(
            self.editor.content(),
            raw_transcription=soap.get("raw_transcription") or None,
            utterances=soap.get("utterances") or [],
            recording_seconds=result.seconds,
        )
        workspace = self._workspace

        def persist() -> EditorSave:
            saved = save()
            if result.wav:  # the recording is kept either way: it belongs to the note, not its text
                workspace.call(
                    recordings.keep_recording,
                    note_id,
                    result.wav,
                    duration_seconds=result.seconds,
                    engine=result.engine,
                    model=result.model,
                    processing_stats=result.stats,
                )
            return saved

        def done(view: object) -> None:
            self._saved(view)
            self.dictation_finished.emit(result)

        self._runner.run(persist, label="saving the dictation", on_done=done, on_error=self._fail)

    def _dictation_failed(self, error: ClinicDeskError) -> None:
        self.editor.end_dictation()
        self.panel.show_problem(error.message)
        self.failed.emit(error)

    # -- push-to-talk key -------------------------------------------------------------------------

    def push_to_talk_key(self, event: QKeyEvent) -> bool:
        """Handles the push-to-talk key wherever the focus is in the window (the main window passes
        on the key events its children leave unhandled); returns whether it did."""
        if event.key() == PUSH_TO_TALK and not event.isAutoRepeat() and self.isVisible() and self.editable:
            self.push_to_talk(event.type() == QEvent.Type.KeyPress)
            return True
        return False

    def shutdown(self) -> None:
        self.dictation.shutdown()
