"""The app's side of sync, one module per job (all Qt-free; the UI runs these calls on its worker
threads and hands the callbacks of :class:`PeriodicSync` to the GUI thread itself):

- :mod:`.connection`: which server, the profile's CA file and schedule window, the engine made from
  them, signing in, one sync, the status (:class:`SyncService`, :class:`SyncState`);
- :mod:`.conflicts`: reconciling what changed in two places (run as operations by app.ops.conflicts);
- :mod:`.periodic`: the background sync, with backoff and jitter after failures;
- :mod:`.setup`: a new workstation made from the server's data.
"""

from app.sync_service.conflicts import RECONCILED_REASON, ConflictRecord
from app.sync_service.connection import (
    CA_FILE_PROBLEM,
    CERTIFICATE_NOT_TRUSTED,
    SIGN_IN_AGAIN,
    AccountDeactivated,
    SyncService,
    SyncState,
    check_ca_file,
    check_window,
)
from app.sync_service.periodic import DEFAULT_INTERVAL_SECONDS, PeriodicSync
from app.sync_service.setup import SetupProgress, WorkstationSetup, setup_workstation

__all__ = [
    "CA_FILE_PROBLEM",
    "CERTIFICATE_NOT_TRUSTED",
    "DEFAULT_INTERVAL_SECONDS",
    "RECONCILED_REASON",
    "SIGN_IN_AGAIN",
    "AccountDeactivated",
    "ConflictRecord",
    "PeriodicSync",
    "SetupProgress",
    "SyncService",
    "SyncState",
    "WorkstationSetup",
    "check_ca_file",
    "check_window",
    "setup_workstation",
]
