"""The background sync: every minute on its own thread, at once when asked, and after a failure
again sooner or later as the backoff says.

A whole clinic loses the server together (the network, a restart) and gets it back together. If
every workstation then retried on its fixed minute, they would all come back in step; after a
failure the next attempt therefore waits a random time that grows with each failure (exponential
backoff with full jitter, :class:`sync.backoff.Backoff`), and the regular interval resumes after the
first sync that gets through.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.sync_service.connection import SyncService
from clinicdesk.errors import ClinicDeskError
from sync.backoff import Backoff
from sync.status import SyncReport

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 60.0
#: the first retry after a failure comes within this many seconds; each further failure doubles it
RETRY_BASE_SECONDS = 5.0
#: retries are never further apart than this (nor than the regular interval, if that is longer)
RETRY_CAP_SECONDS = 300.0


class PeriodicSync:
    """Syncs every ``interval`` seconds on its own thread (and at once on ``trigger``), reporting
    each run through ``on_report`` and every failure through ``on_error``; both are called on this
    thread, so a GUI must pass them on to its own thread."""

    def __init__(
        self,
        service: SyncService,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        on_start: Callable[[], None] | None = None,
        on_report: Callable[[SyncReport], None] | None = None,
        on_error: Callable[[ClinicDeskError], None] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.service = service
        self.interval = interval
        self.on_start = on_start
        self.on_report = on_report
        self.on_error = on_error
        self.backoff = backoff or Backoff(base=RETRY_BASE_SECONDS, cap=max(interval, RETRY_CAP_SECONDS))
        #: whether the last run failed: the next one then waits as the backoff says
        self.failing = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="clinicdesk-sync", daemon=True)
            self._thread.start()

    def trigger(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def next_wait(self) -> float:
        """Seconds until the next run: the interval, or after failures the backoff's jittered delay."""
        return self.backoff.next_delay() if self.failing else self.interval

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.run_once()
            wait = self.next_wait()

    def run_once(self) -> SyncReport | None:
        """One sync now; a failure (an error, or a report of network trouble) counts towards the
        backoff, a sync that gets through resets it. Not signed in: nothing to do, nothing failed."""
        if not self.service.configured or self.service.signed_in_as() is None:
            return None
        if self.on_start is not None:
            self.on_start()
        try:
            report = self.service.sync_now()
        except ClinicDeskError as exc:
            self.failing = True
            if self.on_error is not None:
                self.on_error(exc)
            return None
        except Exception as exc:  # a bug must not end background sync; the type only, no data
            log.error("background sync failed with %s", type(exc).__name__)
            self.failing = True
            if self.on_error is not None:
                self.on_error(ClinicDeskError(f"sync failed ({type(exc).__name__}); please report it"))
            return None
        self.failing = not report.ok
        if report.ok:
            self.backoff.reset()
        if self.on_report is not None:
            self.on_report(report)
        return report
