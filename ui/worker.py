"""Run slow work (unlocking, database reads and writes) off the GUI thread.

Anki's pattern (aqt.operations): the window never touches the database. A page starts an
:class:`Op` (a user action from :mod:`app.ops`: one transaction, a typed result and a change set) or
a :class:`QueryOp` (a read) on a pool thread, and gets the typed result, or the ClinicDeskError, back
on the GUI thread. After an Op's success callback, its change set goes to every page through
:attr:`Operations.did_execute`, and each page refreshes itself when a kind of record it shows changed.

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
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.ops.changes import Changes, Outcome
from clinicdesk.errors import ClinicDeskError

if TYPE_CHECKING:
    from app.workspace import Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")
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

    #: task number, succeeded, the result (of whatever type the task returns) or its ClinicDeskError
    delivered = Signal(int, bool, object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay, number: int, label: str) -> None:
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
    error = Signal(ClinicDeskError)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.delivered.connect(self._deliver)
        self._callbacks: dict[int, tuple[Callable[[Any], object] | None, Failed | None]] = {}
        self._numbers = itertools.count()
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    def run(
        self,
        fn: Callable[[], T],
        *,
        label: str,
        on_done: Callable[[T], object] | None = None,
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

    @Slot(int, bool, object)
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


class _Callbacks(Generic[T]):
    """Typed success and failure callbacks, set in a chain: ``.success(show).failure(say).run()``.
    Without ``failure``, an error goes to the runner's ``error`` signal, which the window shows."""

    def __init__(self) -> None:
        self._success: Callable[[T], object] | None = None
        self._failure: Failed | None = None

    def success(self, callback: Callable[[T], object]) -> Self:
        self._success = callback
        return self

    def failure(self, callback: Failed) -> Self:
        self._failure = callback
        return self


class QueryOp(_Callbacks[T]):
    """Work on the runner whose result the caller shows (a read, a check, an import)."""

    def __init__(self, runner: Runner, work: Callable[[], T], *, label: str) -> None:
        super().__init__()
        self._runner = runner
        self._work = work
        self._label = label

    def run(self) -> None:
        self._runner.run(self._work, label=self._label, on_done=self._success, on_error=self._failure)


class Op(_Callbacks[T]):
    """A user action (an :mod:`app.ops` operation): its result goes to ``success``, then its change
    set to every page through :attr:`Operations.did_execute`, naming the page that asked."""

    def __init__(
        self,
        operations: Operations,
        work: Callable[[], Outcome[T]],
        *,
        label: str,
        initiator: object | None = None,
    ) -> None:
        super().__init__()
        self._operations = operations
        self._work = work
        self._label = label
        self._initiator = initiator

    def _done(self, outcome: Outcome[T]) -> None:
        try:
            if self._success is not None:
                self._success(outcome.value)
        finally:
            self._operations.announce(outcome.changes, self._initiator)

    def run(self) -> None:
        runner = self._operations.runner
        runner.run(self._work, label=self._label, on_done=self._done, on_error=self._failure)


class Operations(QObject):
    """What every page works with: the Runner and the signed-in Workspace, and the one signal that
    tells every page what an operation changed (Anki's ``operation_did_execute``)."""

    #: the change set, and the page (or other object) that started the operation, or None
    did_execute = Signal(Changes, object)

    def __init__(self, runner: Runner, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.workspace = workspace

    def query(self, read: Callable[[Workspace], T], *, label: str) -> QueryOp[T]:
        workspace = self.workspace
        return QueryOp(self.runner, lambda: read(workspace), label=label)

    def op(
        self, action: Callable[[Workspace], Outcome[T]], *, label: str, initiator: object | None = None
    ) -> Op[T]:
        workspace = self.workspace
        return Op(self, lambda: action(workspace), label=label, initiator=initiator)

    def announce(self, changes: Changes, initiator: object | None = None) -> None:
        """Tells every page what changed (also for changes from outside: a sync's pull, a reload)."""
        if not changes.empty:
            self.did_execute.emit(changes, initiator)

    def show_error(self, error: ClinicDeskError) -> None:
        """An error for the window to show in a message box."""
        self.runner.error.emit(error)
