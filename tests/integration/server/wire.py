"""One pushed change in wire form, as a workstation's outbox sends it (for the server tests)."""

from __future__ import annotations

import uuid
from typing import Any


def change(
    entity: str,
    record_id: str,
    payload: dict[str, Any],
    *,
    base: int | None = None,
    operation: str = "upsert",
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "entity": entity,
        "record_id": record_id,
        "operation": operation,
        "base_version": base,
        "payload": payload,
    }
