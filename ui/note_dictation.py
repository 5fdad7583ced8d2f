"""Dictating into the note editor: the Dictation menu's actions, the panel's buttons, the section the
words go into, and the note structured again (on the worker) after every utterance.

The encounter page owns this part and saves what it hands back (``ready``): the dictation's SOAP
note and its recording, in one operation. A newer utterance supersedes a structuring still running,
so the editor never shows an older dictation over a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from app.dictation import DictationResult, Snapshot, prepare_structuring, structure
from app.settings import WorkstationSettings
from clinicdesk.errors import ClinicDeskError
from models.enums import SOAP_SECTIONS
from ui.actions import ActionRegistry, Menu
from ui.dictation import IDLE, PAUSED, RECORDING, DictationController, DictationPanel
from ui.note_editor import NoteEditor
from ui.worker import QueryOp, Runner


class NoteDictation(QObject):
    """``ready(result, soap)`` once a dictation has finished and been structured; ``structured(soap)``
    after each utterance's structuring is shown; ``failed`` for an engine or audio problem."""

    ready = Signal(DictationResult, dict)
    structured = Signal(dict)
    failed = Signal(ClinicDeskError)

    def __init__(
        self,
        runner: Runner,
        settings: WorkstationSettings,
        editor: NoteEditor,
        *,
        editable: Callable[[], bool],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self.settings = settings
        self.editor = editor
        self._editable = editable
        self._page = parent
        self._generation = 0
        self._prepared = False
        self._chosen_section: str | None = None
        self._sections_by_start: dict[float, str] = {}
        self.controller = DictationController(runner, settings, self)
        self.panel = DictationPanel()
        c, panel = self.controller, self.panel
        c.state_changed.connect(lambda state: panel.set_state(state, section=self._chosen_section or ""))
        c.level.connect(panel.show_level)
        c.partial.connect(panel.show_partial)
        c.section_spoken.connect(self._section_spoken)
        c.utterance_heard.connect(self._utterance_heard)
        c.command_heard.connect(lambda name: panel.status.setText(f"Command: {name.replace('_', ' ')}"))
        c.dictated.connect(self._dictated)
        c.finished.connect(self._finished)
        c.failed.connect(self._failed)
        editor.active_section_changed.connect(self._section_chosen)
        panel.record_button.clicked.connect(lambda _c=False: self.toggle_recording())
        panel.pause_button.clicked.connect(lambda _c=False: self.toggle_pause())
        panel.file_button.clicked.connect(lambda _c=False: self.choose_wav())

    @property
    def active(self) -> bool:
        return self.controller.active

    # -- the Dictation menu -----------------------------------------------------------------------

    def make_actions(self, actions: ActionRegistry) -> list[QAction]:
        a, menu = actions.create, Menu.DICTATION
        self.record_action = a(
            "&Record / stop dictation", name="record", menu=menu, shortcut="F9", slot=self.toggle_recording,
            icon_name="mic", tip="Start or stop dictation (hold F8 to push-to-talk)", toolbar=2,
        )  # fmt: skip
        self.pause_action = a(
            "&Pause / resume dictation",
            name="pause_dictation",
            menu=menu,
            shortcut="F7",
            slot=self.toggle_pause,
        )
        self.dictate_file_action = a(
            "Dictate from &file…",
            name="dictate_file",
            menu=menu,
            shortcut="Ctrl+Shift+D",
            slot=self.choose_wav,
        )
        self.accept_code_action = a(
            "Accept ICD-10 s&uggestion", name="accept_code", menu=menu, shortcut="F4",
            slot=self.editor.accept_suggestion,
        )  # fmt: skip
        self.section_actions = [
            a(
                f"Go to {name.capitalize()}",
                name=f"go_to_{name}",
                menu=menu,
                shortcut=f"Alt+{i + 1}",
                slot=partial(self.editor.focus_section, name),
            )
            for i, name in enumerate(SOAP_SECTIONS)
        ]
        return [
            self.record_action, self.pause_action, self.dictate_file_action, self.accept_code_action,
            *self.section_actions,
        ]  # fmt: skip

    def update_actions(self, actions: ActionRegistry, *, draft: bool) -> None:
        """``draft``: a doctor's draft is open. Sign waits for a dictation to end (the page's)."""
        dictating = self.active
        for action in (self.record_action, self.dictate_file_action, self.accept_code_action):
            actions.enable(action, draft)
        actions.enable(self.pause_action, draft and dictating)
        for action in self.section_actions:
            actions.enable(action, draft)

    # -- starting and stopping --------------------------------------------------------------------

    def prepare(self) -> None:
        """Once a draft opens: loads the SOAP code on the worker, so the first utterance is quick."""
        if not self._prepared:
            self._prepared = True
            QueryOp(self._runner, prepare_structuring, label="preparing the note structuring").run()

    def _begin(self) -> bool:
        if not self._editable():
            return False
        focus = self._page.focusWidget()
        self._chosen_section = (
            self.editor.active_section if focus is not None and focus in self.editor.edits.values() else None
        )
        self._sections_by_start = {}
        self.controller.section = self._chosen_section
        self.editor.begin_dictation()
        self.panel.reset_words()
        self.panel.show_problem("")
        return True

    def toggle_recording(self) -> None:
        state = self.controller.state
        if state in (RECORDING, PAUSED):
            self.controller.stop()
        elif state == IDLE and self._begin():
            self.controller.start_microphone(self.settings.extra.get("microphone"))
        else:
            self.panel.set_state(state)

    def toggle_pause(self) -> None:
        if self.controller.state == RECORDING:
            self.controller.pause()
        elif self.controller.state == PAUSED:
            self.controller.resume()

    def push_to_talk(self, pressed: bool) -> None:
        """Hold to talk: the first press starts a paused microphone dictation and resumes it."""
        if pressed:
            if self.controller.state == IDLE and self._begin():
                self.controller.start_microphone(self.settings.extra.get("microphone"))
            else:
                self.controller.resume()
        else:
            self.controller.pause()

    def dictate_file(self, path: Path, *, realtime: bool = False) -> None:
        if self.controller.state == IDLE and self._begin():
            self.controller.start_wav(path, realtime=realtime)

    def choose_wav(self) -> None:
        if not self._editable():
            return
        path, _ = QFileDialog.getOpenFileName(self._page, "Dictate from a recording", "", "WAV audio (*.wav)")
        if path:
            self.dictate_file(Path(path))

    def stop(self) -> None:
        self.controller.stop()

    def forget_engine(self) -> None:
        """The settings or the model changed: the next dictation loads the engine they name."""
        self.controller.forget_engine()
        self.panel.show_problem("")

    def shutdown(self) -> None:
        self.controller.shutdown()

    # -- what is heard ----------------------------------------------------------------------------

    def _section_chosen(self, section: str) -> None:
        if self.active:
            self._chosen_section = section
        self.panel.set_state(self.controller.state, section=section if self.active else "")

    def _section_spoken(self, section: str) -> None:
        self._chosen_section = section
        self.editor.set_active_section(section)
        self.panel.set_state(self.controller.state, section=section)

    def _utterance_heard(self, start: float) -> None:
        if self._chosen_section:
            self._sections_by_start.setdefault(start, self._chosen_section)

    def _dictated(self, snapshot: Snapshot) -> None:
        self.panel.show_final(snapshot.texts)
        self._restructure(snapshot)

    def _sections(self, snapshot: Snapshot) -> list[str | None]:
        return [
            spoken or self._sections_by_start.get(start)
            for spoken, start in zip(snapshot.sections, snapshot.starts, strict=True)
        ]

    def _restructure(
        self, snapshot: Snapshot, *, then: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        """Structures the dictation so far on the worker; a newer utterance supersedes an older run."""
        self._generation += 1
        generation = self._generation
        sections = self._sections(snapshot)

        def done(soap: dict[str, Any]) -> None:
            if generation != self._generation:
                return
            self.editor.show_dictated(soap)
            self.structured.emit(soap)
            if then is not None:
                then(soap)

        QueryOp(self._runner, lambda: structure(snapshot, sections), label="structuring the note").success(
            done
        ).failure(self.failed.emit).run()

    def _finished(self, result: DictationResult) -> None:
        if result.error is not None:
            self.panel.show_problem(result.error.message)

        def save(soap: dict[str, Any]) -> None:
            self.editor.end_dictation()
            self.ready.emit(result, soap)

        self._restructure(result.snapshot, then=save)

    def _failed(self, error: ClinicDeskError) -> None:
        self.editor.end_dictation()
        self.panel.show_problem(error.message)
        self.failed.emit(error)
