"""What a workstation does after each sync, beyond the records: its keys (app/keyring.py: its own key
pair on a new workstation, the practice's keys shared with colleagues' new devices, a new key when
someone who held the newest one has left) and the rule alerts that come from time passing or from
the sync itself (app/alert_rules.py: overdue tasks, a signed note changed in two places).

Keys made here go up at once, in a second sync, so a colleague's workstation can open what this
one sealed without waiting for the next round.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from app import alert_rules, keyring
from app.store import Store
from models import utcnow
from sync.status import SyncReport

if TYPE_CHECKING:
    from sync.engine import SyncEngine


def after_sync(store: Store, engine: SyncEngine, report: SyncReport, *, user_id: uuid.UUID | None) -> None:
    if not report.ok:
        return
    with store.session(actor_id=user_id) as session:
        queued = keyring.after_sync(session)
        alert_rules.sweep(session, now=utcnow())
    if queued:
        # Keys are the workstation's own bookkeeping: the report stays about the user's changes,
        # and what does not go up now goes with the next sync.
        engine.sync_once()
