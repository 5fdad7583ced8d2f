"""The user's decisions about sync conflicts, each one operation (app.sync_service.conflicts)."""

from __future__ import annotations

from app.ops.base import operation, query
from app.sync_service import conflicts

#: the open conflicts, oldest first
open_conflicts = query(conflicts.list_conflicts)
#: the merged SOAP text saved (an amendment of a signed note) and the conflict closed
reconcile_note = operation(conflicts.reconcile_note)
keep_server = operation(conflicts.keep_server)
keep_mine = operation(conflicts.keep_mine)
