"""Blocks of MRN numbers reserved for workstations, one counter per organisation.

A workstation registering patients offline takes MRNs from a block only it holds, so two of them
never give out the same one (app/services/mrn.py). The counter starts above the highest number of
the practice's format its records already hold (imported MRNs included), and each block is handed
out once, under the counter row's lock.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinicdesk.errors import PermissionDeniedError
from models import Patient, Practice
from server.db import scope
from server.policy import ACCOUNT_ACTIONS, Principal
from server.services.audit import write_event
from server.tables import mrn_counters
from sync.protocol import MrnBlock


def _highest(conn: object, prefix: str, digits: int) -> int:
    low, high = prefix + "0" * digits, prefix + "9" * digits
    top = conn.execute(  # type: ignore[attr-defined]
        select(func.max(Patient.mrn)).where(
            Patient.mrn >= low, Patient.mrn <= high, func.length(Patient.mrn) == len(low)
        )
    ).scalar()
    tail = str(top or "")[len(prefix) :]
    return int(tail) if tail.isdigit() else 0


def reserve(engine: Engine, who: Principal, count: int) -> MrnBlock:
    if not ACCOUNT_ACTIONS["reserve_mrns"].permits(who, None):
        raise PermissionDeniedError("this account cannot register patients")
    with engine.begin() as conn:
        scope(conn, who.organization_id)
        conn.execute(
            pg_insert(mrn_counters)
            .values(organization_id=who.organization_id, next_number=0)
            .on_conflict_do_nothing(index_elements=[mrn_counters.c.organization_id])
        )
        current = conn.execute(
            select(mrn_counters.c.next_number)
            .where(mrn_counters.c.organization_id == who.organization_id)
            .with_for_update()
        ).scalar_one()
        practice = conn.execute(
            select(Practice.mrn_prefix, Practice.mrn_digits)
            .where(Practice.deleted_at.is_(None))
            .order_by(Practice.created_at)
            .limit(1)
        ).first()
        floor = _highest(conn, practice[0], practice[1]) + 1 if practice is not None else 1
        start = max(int(current), floor, 1)
        conn.execute(
            update(mrn_counters)
            .where(mrn_counters.c.organization_id == who.organization_id)
            .values(next_number=start + count)
        )
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action="reserve",
            resource_type="mrn_numbers",
            new_values={"start": start, "count": count},
        )
    return MrnBlock(start=start, end=start + count)
