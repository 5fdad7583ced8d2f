"""Run slow work (unlocking, database reads and writes) off the GUI thread.

Anki's pattern: the window never touches the database; it asks a Workspace method to run on a pool
thread and gets the result, or the ClinicDeskError, back on the GUI thread through a queued signal.
Callbacks are delivered by a small relay QObject that lives in the GUI thread, so they may touch
widgets freely. Anything other than a ClinicDeskError is logged by type only (never its message,
which may hold patient data) and turned into a generic error the user can report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from clinicdesk.errors import ClinicDeskError

log = logging.getLogger(__name__)

Done = Callable[[Any], object]
Failed = Callable[[ClinicDeskError], object]


class InternalError(ClinicDeskError):
    """A bug, not a user error: shown as a one-line apology without details."""


class _Relay(QObject):
    """Lives in the GUI thread; the pool thread emits, Qt queues, the GUI thread delivers."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, runner: Runner, on_done: Done | None, on_error: Failed | None) -> None:
        super().__init__(runner)
        self._runner = runner
        self._on_done = on_done
        self._on_error = on_error
        self._discarded = False
        self.succeeded.connect(self._deliver_result)
        self.failed.connect(self._deliver_error)

    def discard(self) -> None:
        self._on_done = None
        self._on_error = None
        self._discarded = True

    @Slot(object)
    def _deliver_result(self, result: object) -> None:
        try:
            if self._on_done is not None:
                self._on_done(result)
        finally:
            self._runner._finished(self)

    @Slot(object)
    def _deliver_error(self, error: object) -> None:
        assert isinstance(error, ClinicDeskError)
        try:
            if self._on_error is not None:
                self._on_error(error)
            elif not self._discarded:
                self._runner.error.emit(error)
        finally:
            self._runner._finished(self)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, label: str) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay
        self._label = label

    def run(self) -> None:
        try:
            result = self._fn()
        except ClinicDeskError as exc:
            self._relay.failed.emit(exc)
        except Exception as exc:  # a bug: keep the GUI alive, log the type only (no patient data)
            log.error("background task %r failed with %s", self._label, type(exc).__name__)
            self._relay.failed.emit(
                InternalError(f"internal error while {self._label} ({type(exc).__name__}); please report it")
            )
        else:
            self._relay.succeeded.emit(result)


class Runner(QObject):
    """Runs callables on a private thread pool and calls back on the GUI thread.

    ``busy_changed`` lets the window show a busy cursor/status; ``error`` receives errors of tasks
    started without their own ``on_error``. ``pending`` counts tasks not yet delivered, which tests
    use to wait for quiet.
    """

    busy_changed = Signal(bool)
    error = Signal(object)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relays: set[_Relay] = set()
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._relays)

    def run(
        self,
        fn: Callable[[], Any],
        *,
        label: str,
        on_done: Done | None = None,
        on_error: Failed | None = None,
    ) -> None:
        """Start ``fn`` on a pool thread. ``label`` describes the work for error messages
        ("loading the schedule"); it must not contain patient data. Ignored after shutdown()."""
        if self._closed:
            return
        relay = _Relay(self, on_done, on_error)
        self._relays.add(relay)
        if len(self._relays) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(fn, relay, label))

    def wait(self, msecs: int = -1) -> bool:
        """Block until running tasks finish (on quit, so the store is not closed under a query)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = -1) -> None:
        """Stop accepting work, let running tasks finish, and drop their pending callbacks: once
        the window closes its Workspace, no callback may start new database work."""
        self._closed = True
        self._pool.waitForDone(msecs)
        for relay in list(self._relays):
            relay.discard()
        self._relays.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    def _finished(self, relay: _Relay) -> None:
        self._relays.discard(relay)
        relay.deleteLater()
        if not self._relays:
            self.busy_changed.emit(False)
