"""Run slow work (unlocking, database reads and writes) off the GUI thread.

Anki's pattern: the window never touches the database; it asks a Workspace method to run on a pool
thread and gets the result, or the ClinicDeskError, back on the GUI thread through a queued signal.
Callbacks are delivered by a small relay QObject that lives in the GUI thread, so they may touch
widgets freely. Anything other than a ClinicDeskError is logged by type only (never its message,
which may hold patient data) and turned into a generic error the user can report.

Work that loaded modules is followed by one garbage collection and a ``gc.freeze()``, so that later
collections, which hold the GIL throughout, stay short (see ``freeze_what_loading_left``).
"""

from __future__ import annotations

import gc
import itertools
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from clinicdesk.errors import ClinicDeskError

log = logging.getLogger(__name__)

Done = Callable[[Any], object]
Failed = Callable[[ClinicDeskError], object]


class InternalError(ClinicDeskError):
    """A bug, not a user error: shown as a one-line apology without details."""


#: A task after which this many more modules are loaded has loaded code and data for good.
LOADED_MODULES = 20
_modules_when_frozen = 0
_freezing = threading.Lock()


def freeze_what_loading_left() -> bool:
    """After work that loaded modules (the first schedule, the speech model, the first sync), one
    garbage collection, then ``gc.freeze()``: what is left is there for the whole session (module
    globals, classes, the speech model's Python side), and freezing takes it out of the collector's
    sight. Returns whether it froze.

    Why: Python's cyclic collector holds the GIL for a whole collection, on whichever thread it runs,
    and a full collection walks every tracked object: some 115,000 once the window, the store and the
    speech model are loaded, 80 to 150 ms on this hardware, during which the GUI thread runs no
    Python at all. Such a collection was the longest stall measured during a dictation (a 147 ms gap
    matched a generation-2 collection on a pool thread). Frozen, later full collections look only at
    what came after and take a few milliseconds; the one collection here happens right after a load,
    when the user is waiting for it anyway."""
    global _modules_when_frozen
    if len(sys.modules) - _modules_when_frozen < LOADED_MODULES or not _freezing.acquire(blocking=False):
        return False
    try:
        _modules_when_frozen = len(sys.modules)
        gc.collect()
        gc.freeze()
        return True
    finally:
        _freezing.release()


class _Relay(QObject):
    """One per Runner, living in the GUI thread: pool threads emit, Qt queues, the GUI thread delivers.

    A single relay, not one QObject per task: creating, parenting and deleting a QObject for every
    task cost the GUI thread a Python object, connections and three more events (child added, deferred
    delete, child removed) each time, and the GUI thread pays for every event it handles while other
    threads hold the GIL."""

    delivered = Signal(object, bool, object)  # task number, succeeded, result or ClinicDeskError


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, number: int, label: str) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay
        self._number = number
        self._label = label

    def run(self) -> None:
        try:
            result = self._fn()
            freeze_what_loading_left()
        except ClinicDeskError as exc:
            self._relay.delivered.emit(self._number, False, exc)
        except Exception as exc:  # a bug: keep the GUI alive, log the type only (no patient data)
            log.error("background task %r failed with %s", self._label, type(exc).__name__)
            error = InternalError(
                f"internal error while {self._label} ({type(exc).__name__}); please report it"
            )
            self._relay.delivered.emit(self._number, False, error)
        else:
            self._relay.delivered.emit(self._number, True, result)


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
        self._relay = _Relay(self)
        self._relay.delivered.connect(self._deliver)
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self._numbers = itertools.count()
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._callbacks)

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
        number = next(self._numbers)
        self._callbacks[number] = (on_done, on_error)
        if len(self._callbacks) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(fn, self._relay, number, label))

    def wait(self, msecs: int = -1) -> bool:
        """Block until running tasks finish (on quit, so the store is not closed under a query)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = -1) -> None:
        """Stop accepting work, let running tasks finish, and drop their pending callbacks: once
        the window closes its Workspace, no callback may start new database work."""
        self._closed = True
        self._pool.waitForDone(msecs)
        self._callbacks.clear()  # results still queued for the GUI thread find no callback: dropped

    @property
    def closed(self) -> bool:
        return self._closed

    @Slot(object, bool, object)
    def _deliver(self, number: int, succeeded: bool, payload: object) -> None:
        callbacks = self._callbacks.get(number)
        if callbacks is None:  # dropped by shutdown()
            return
        on_done, on_error = callbacks
        try:
            if succeeded:
                if on_done is not None:
                    on_done(payload)
            else:
                assert isinstance(payload, ClinicDeskError)
                if on_error is not None:
                    on_error(payload)
                else:
                    self.error.emit(payload)
        finally:
            self._callbacks.pop(number, None)  # a callback may have shut the runner down
            if not self._callbacks:
                self.busy_changed.emit(False)
