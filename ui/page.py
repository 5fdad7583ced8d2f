"""A page of the main window: one room with its own door.

Each page gets the same :class:`PageContext` (the operations, the action registry, the workstation's
settings), makes its own actions, enables them from its own state, and keeps what it shows current
from the change sets of operations (its :meth:`Page.on_changes`): the main window never refreshes a
page. A page that is not on screen only notes that it is out of date and reloads when it is shown:
the GUI thread pays for each redraw, and during a dictation it has better things to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from app.ops.changes import Changes
from app.settings import WorkstationSettings
from app.workspace import Workspace
from ui.actions import ActionRegistry
from ui.worker import Operations


@dataclass(frozen=True)
class PageContext:
    ops: Operations
    actions: ActionRegistry
    settings: WorkstationSettings

    @property
    def workspace(self) -> Workspace:
        return self.ops.workspace


class Page(QWidget):
    """``status_message(text, ms)`` asks the window's status bar to say something; ``show_requested``
    asks the window to show this page (its own actions do, e.g. Find patient)."""

    status_message = Signal(str, int)
    show_requested = Signal()
    #: read again each time the page is shown, not only after a change set said it is out of date
    reload_on_show = False

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._stale = False
        ctx.ops.did_execute.connect(self.on_changes)
        ctx.actions.add_updater(self.update_actions)

    @property
    def workspace(self) -> Workspace:
        return self.ctx.ops.workspace

    def on_changes(self, changes: Changes, initiator: object) -> None:
        """An operation changed these records (or, ``changes.external``, anything may have changed)."""

    def update_actions(self) -> None:
        """Enables this page's actions from its state (ActionRegistry.enable honours the lock)."""

    def reload(self) -> None:
        """Reads what the page shows from the store again."""

    def reload_when_shown(self) -> None:
        """Reloads now if the page is on screen, else the next time it is shown."""
        if self.isVisible():
            self._stale = False
            self.reload()
        else:
            self._stale = True

    def set_locked(self, locked: bool) -> None:
        """The window locked (nothing of this page is visible) or unlocked."""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale or self.reload_on_show:
            self._stale = False
            self.reload()
