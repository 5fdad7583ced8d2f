# mypy: disable-error-code="func-returns-value"
"""Sync in the window: the always-visible status (online/offline, last sync, changes waiting,
conflicts), "Sync now", a background sync every minute, and the reconcile view for conflicts.

The SyncService (app.sync_service) does the work on the worker or on its own background thread;
results come back to the GUI thread through queued signals only. Resolving a conflict is an
operation (app.ops.conflicts) whose change set reaches every page, so the encounter page shows a
reconciled note as it now stands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.ops import conflicts as conflict_ops
from app.ops.changes import Changes, Outcome
from app.sync_service import ConflictRecord, PeriodicSync, SyncService, SyncState
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError
from models.enums import SOAP_SECTIONS
from sync.status import SyncReport
from ui.actions import Menu
from ui.app import error_label, set_accessible, show_error_in
from ui.page import PageContext
from ui.worker import Operations, QueryOp

STATUS_REFRESH_MS = 15_000
HELP = "Sync state: online or offline, last sync, changes waiting, conflicts (Ctrl+Shift+Y syncs now)"


class SyncController(QObject):
    """The window's sync: the background sync, "Sync now" and "Sync conflicts…" (its own actions),
    the status (``state_changed(SyncState)`` after every read) and what a sync brought.

    The status is read again when an operation queued changes or touched conflicts; a sync that
    pulled records (or found conflicts) tells every page that anything may have changed, and found
    conflicts open the reconcile view."""

    state_changed = Signal(SyncState)
    synced = Signal(SyncReport)
    failed = Signal(ClinicDeskError)
    status_message = Signal(str, int)
    _from_thread = Signal(str, object)  # what the sync thread reports: "start", "report" or "error"

    def __init__(
        self,
        ctx: PageContext,
        service: SyncService,
        *,
        interval: float = 60.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = ctx.ops.runner
        self.service = service
        self.syncing = False
        self._shut_down = False
        self.state: SyncState | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self.label = SyncStatusLabel()
        self.label.clicked.connect(self.show_conflicts)
        self._from_thread.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.periodic = PeriodicSync(
            service,
            interval=interval,
            on_start=lambda: self._from_thread.emit("start", None),
            on_report=lambda report: self._from_thread.emit("report", report),
            on_error=lambda error: self._from_thread.emit("error", error),
        )
        self._timer = QTimer(self)
        self._timer.setInterval(STATUS_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        ctx.ops.did_execute.connect(self._changed)
        self.synced.connect(self._synced)
        self.failed.connect(lambda e: self.status_message.emit(e.message, 8000))
        a = ctx.actions.create
        self.sync_action = a(
            "S&ync now", name="sync_now", menu=Menu.FILE, shortcut="Ctrl+Shift+Y", slot=self.sync_now,
            icon_name="sync", toolbar=3,
        )  # fmt: skip
        self.conflicts_action = a(
            "Sync &conflicts…", name="sync_conflicts", menu=Menu.FILE, shortcut="Ctrl+Shift+J",
            slot=self.show_conflicts,
        )  # fmt: skip

    def start(self) -> None:
        if self._shut_down:
            return
        self.periodic.start()
        self._timer.start()
        self.refresh()

    def _changed(self, changes: Changes, _initiator: object) -> None:
        if changes.outbox or changes.conflicts:  # the count of changes waiting, or of conflicts, moved
            self.refresh()

    def refresh(self) -> None:
        if self._shut_down:
            return  # the service is closed: a change landing while the window closes reads nothing
        syncing, service = self.syncing, self.service
        QueryOp(self.runner, lambda: service.state(syncing=syncing), label="reading the sync status").success(
            self._show_state
        ).failure(self.failed.emit).run()

    def _show_state(self, state: SyncState) -> None:
        if self._shut_down:
            return  # a read that was under way when sync shut down: what it saw is no longer so
        self.state = state
        self.label.show_state(state)
        self.state_changed.emit(state)

    def sync_now(self) -> None:
        """Runs one sync on the worker; a sync already running (or a locked window) makes this a no-op."""
        if self.syncing or self.ctx.actions.locked:
            return
        self._deliver("start", None)
        QueryOp(self.runner, self.service.sync_now, label="syncing").success(
            lambda report: self._deliver("report", report)
        ).failure(lambda error: self._deliver("error", error)).run()

    @Slot(str, object)
    def _deliver(self, kind: str, payload: object) -> None:
        if kind == "start":
            self.syncing = True
        else:
            self.syncing = False
            if isinstance(payload, SyncReport):
                self.synced.emit(payload)
            elif isinstance(payload, ClinicDeskError):
                self.failed.emit(payload)
        self.refresh()

    def _synced(self, report: SyncReport) -> None:
        if report.errors:
            self.status_message.emit(f"Sync: {report.errors[0]}", 8000)
        else:
            self.status_message.emit(
                f"Synced: {report.pushed} sent, {report.pulled} received"
                + (f", {report.conflicts} conflict(s) to reconcile" if report.conflicts else ""),
                8000,
            )
        if report.pulled or report.conflicts:
            self.ctx.ops.announce(Changes.from_elsewhere(), self)
        if report.conflicts:
            self.show_conflicts()

    def show_conflicts(self) -> None:
        if self.ctx.actions.locked:
            return
        parent = self.parent()
        dialog = ConflictDialog(self.ctx.ops, parent if isinstance(parent, QWidget) else None)
        dialog.finished.connect(dialog.deleteLater)
        self.conflict_dialog = dialog
        dialog.open()

    def set_server(self, server_url: str) -> None:
        self.service.set_server(server_url)
        self.refresh()

    def shutdown(self) -> None:
        self._shut_down = True
        self._timer.stop()
        self.periodic.stop()
        self.service.close()


class SyncStatusLabel(QLabel):
    """The status-bar text; clicking it (or Ctrl+Shift+J) opens the conflicts when there are any."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sync: …", parent)
        self.setObjectName("syncStatus")
        self.setAccessibleName("Sync status")
        self.setToolTip(HELP)

    def show_state(self, state: SyncState) -> None:
        if state.status.open_conflicts:
            kind = "syncConflict"
        elif state.status.online and state.problem is None:
            kind = "syncOnline"
        else:
            kind = "syncOffline"
        if self.property("kind") != kind:  # re-polishing restyles the whole label: only on a change
            self.setProperty("kind", kind)
            self.style().unpolish(self)
            self.style().polish(self)
        # the text after the style: its size is then measured in the kind's own font, and the
        # status bar gives the label room for all of it
        self.setText(state.summary)
        problem = state.problem or state.status.last_error
        self.setToolTip(f"{state.summary}\nLast problem: {problem}" if problem else HELP)

    def mousePressEvent(self, event: Any) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)


class ConflictDialog(QDialog):
    """Conflicts listed on the left; a note conflict shows the server's text and this workstation's
    side by side with a merged text to edit. Nothing is lost: both versions stay in the conflict."""

    resolved = Signal(ConflictRecord)

    def __init__(self, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sync conflicts")
        self.resize(1100, 700)
        self._ops = ops
        self.conflicts: list[ConflictRecord] = []
        self.list = QListWidget()
        set_accessible(self.list, "Conflicts", "Open sync conflicts")
        self.list.currentRowChanged.connect(self.show_conflict)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Conflict details")
        self.server_edits: dict[str, QPlainTextEdit] = {}
        self.local_edits: dict[str, QPlainTextEdit] = {}
        self.merged_edits: dict[str, QPlainTextEdit] = {}
        grid = QGridLayout()
        for column, title in enumerate(("Server's version", "This workstation's version", "Merged (saved)")):
            label = QLabel(f"<b>{title}</b>")
            grid.addWidget(label, 0, column + 1)
        for row, section in enumerate(SOAP_SECTIONS, start=1):
            grid.addWidget(QLabel(section.capitalize()), row, 0, Qt.AlignmentFlag.AlignTop)
            for column, (store, name) in enumerate(
                (
                    (self.server_edits, "server"),
                    (self.local_edits, "this workstation"),
                    (self.merged_edits, "merged"),
                )
            ):
                edit = QPlainTextEdit()
                edit.setTabChangesFocus(True)
                edit.setReadOnly(store is not self.merged_edits)
                set_accessible(edit, f"{section.capitalize()}, {name}")
                store[section] = edit
                grid.addWidget(edit, row, column + 1)
        self.texts = QWidget()
        self.texts.setLayout(grid)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.detail)
        right_layout.addWidget(self.texts, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setSizes([260, 840])
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.merge_button = QPushButton("Save &merged text")
        self.mine_button = QPushButton("Keep &mine")
        self.server_button = QPushButton("Keep &server's")
        for button in (self.merge_button, self.mine_button, self.server_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.merge_button.clicked.connect(self.save_merged)
        self.mine_button.clicked.connect(lambda: self._resolve(conflict_ops.keep_mine))
        self.server_button.clicked.connect(lambda: self._resolve(conflict_ops.keep_server))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.load()

    def load(self) -> None:
        self._ops.query(conflict_ops.open_conflicts, label="loading sync conflicts").success(
            self._show
        ).failure(self._fail).run()

    def _show(self, conflicts: list[ConflictRecord]) -> None:
        self.conflicts = list(conflicts)
        self.list.clear()
        for c in self.conflicts:
            what = "Clinical note" if c.is_note else c.entity.replace("_", " ")
            QListWidgetItem(
                f"{what}\n{c.detected_at.astimezone():%Y-%m-%d %H:%M} · {', '.join(c.fields)}", self.list
            )
        if self.conflicts:
            self.list.setCurrentRow(0)
        else:
            self.detail.setText("No open conflicts: everything is in sync.")
            self.texts.setVisible(False)
        for button in (self.merge_button, self.mine_button, self.server_button):
            button.setEnabled(bool(self.conflicts))

    def current(self) -> ConflictRecord | None:
        row = self.list.currentRow()
        return self.conflicts[row] if 0 <= row < len(self.conflicts) else None

    def show_conflict(self, row: int) -> None:
        conflict = self.current()
        if conflict is None:
            return
        self.texts.setVisible(conflict.is_note)
        self.merge_button.setEnabled(conflict.is_note)
        if conflict.is_note:
            self.detail.setText(
                "The note was changed here and on another workstation. The server's text is current; "
                "edit the merged text and save it (a signed note gets an amendment), or keep one side."
            )
            for section, (server, local) in conflict.note_sections().items():
                self.server_edits[section].setPlainText(server)
                self.local_edits[section].setPlainText(local)
                self.merged_edits[section].setPlainText(
                    server if server == local or not local else f"{server}\n{local}".strip()
                )
        else:
            fields = ", ".join(
                f"{f}: server {conflict.server_values.get(f)!r}, here {conflict.local_values.get(f)!r}"
                for f in conflict.fields
            )
            self.detail.setText(f"{conflict.entity.replace('_', ' ')} changed in both places — {fields}")

    def merged(self) -> dict[str, str]:
        return {s: self.merged_edits[s].toPlainText() for s in SOAP_SECTIONS}

    def save_merged(self) -> None:
        merged = self.merged()
        self._resolve(lambda ws, conflict_id: conflict_ops.reconcile_note(ws, conflict_id, merged))

    def _resolve(self, resolve: Callable[[Workspace, uuid.UUID], Outcome[ConflictRecord]]) -> None:
        conflict = self.current()
        if conflict is None:
            return
        conflict_id = conflict.id
        self.error.setVisible(False)
        self._ops.op(
            lambda ws: resolve(ws, conflict_id), label="resolving the conflict", initiator=self
        ).success(self._resolved).failure(self._fail).run()

    def _resolved(self, conflict: ConflictRecord) -> None:
        self.resolved.emit(conflict)
        self.load()

    def _fail(self, error: ClinicDeskError) -> None:
        show_error_in(self.error, error)
