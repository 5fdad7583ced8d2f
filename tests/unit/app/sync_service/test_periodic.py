"""The background sync: failures reach the window through a callback, and the retries after them
back off with jitter instead of coming every minute in step with every other workstation."""

from __future__ import annotations

import random

from app.sync_service import PeriodicSync, SyncService
from app.workspace import Workspace
from clinicdesk.errors import ClinicDeskError, SyncError
from sync.backoff import Backoff
from sync.status import SyncReport


class Scripted(SyncService):
    """A service whose syncs go as the test says (a unit test of the loop alone)."""

    configured = True  # type: ignore[assignment]

    def __init__(self, workspace: Workspace, outcomes: list[SyncReport | ClinicDeskError]) -> None:
        super().__init__(workspace.store, "http://127.0.0.1:9")
        self.outcomes = outcomes

    def signed_in_as(self) -> str | None:
        return "dr.house"

    def sync_now(self) -> SyncReport:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, ClinicDeskError):
            raise outcome
        return outcome


def test_background_sync_reports_errors_through_its_callback_and_keeps_running(workspace: Workspace) -> None:
    errors: list[ClinicDeskError] = []
    service = Scripted(workspace, [SyncError("the server is unreachable")])
    periodic = PeriodicSync(service, interval=3600, on_error=errors.append)
    assert periodic.run_once() is None
    assert [e.message for e in errors] == ["the server is unreachable"]


def test_after_failures_the_next_sync_waits_a_jittered_growing_time_and_a_success_restores_the_interval(
    workspace: Workspace,
) -> None:
    offline = SyncReport(errors=["cannot reach the sync server"])
    outcomes: list[SyncReport | ClinicDeskError] = [
        offline,
        SyncError("no network"),
        offline,
        offline,
        SyncReport(),
    ]
    periodic = PeriodicSync(
        Scripted(workspace, outcomes), interval=60, backoff=Backoff(base=5, cap=300, rng=random.Random(7))
    )
    assert periodic.next_wait() == 60  # nothing has failed yet
    waits = []
    for _ in range(4):
        periodic.run_once()
        waits.append(periodic.next_wait())
    ceilings = [5, 10, 20, 40]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True)), waits
    assert len(set(waits)) == len(waits)  # jittered: two workstations do not retry in step
    assert periodic.run_once() == SyncReport()
    assert periodic.next_wait() == 60 and periodic.backoff.failures == 0
