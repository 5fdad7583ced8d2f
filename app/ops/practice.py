"""Setting the practice up on day one and editing it later (Settings → Practice)."""

from __future__ import annotations

from app.ops.base import operation, query
from app.services import practice_setup

#: the practice as set up, or None on day one
current = query(practice_setup.current)
#: create the practice record, or change it (administrators)
save = operation(practice_setup.save_practice)
