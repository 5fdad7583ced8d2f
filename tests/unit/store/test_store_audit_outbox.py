"""Append-only audit trail, and the outbox that rides along with every local change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from app.services import audit
from app.store import Store
from models import AuditEvent, OutboxEntry, Patient
from models.enums import OutboxOperation
from models.local import REMOTE_APPLY


def _patient(mrn: str = "MRN1234567", first: str = "Ada", last: str = "Lovelace") -> Patient:
    return Patient(
        mrn=mrn,
        first_name=first,
        last_name=last,
        first_name_key=first.casefold(),
        last_name_key=last.casefold(),
        date_of_birth=date(1980, 3, 12),
    )


def _event(store: Store) -> AuditEvent:
    with store.session() as s:
        event = audit.record(s, action="read", resource_type="patients", resource_id=None, new={"n": 1})
    return event


def test_audit_events_cannot_be_edited(store: Store) -> None:
    event = _event(store)
    with pytest.raises(DatabaseError, match="append-only"), store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(action="update"))
    with pytest.raises(DatabaseError, match="append-only"), store.session() as s:
        s.execute(text("UPDATE audit_events SET user_id = NULL, reason = 'cover-up'"))
    with store.session() as s:
        assert s.get(AuditEvent, event.id).action == "read"  # type: ignore[union-attr]


def test_audit_events_cannot_be_deleted(store: Store) -> None:
    _event(store)
    with pytest.raises(DatabaseError, match="append-only"), store.session() as s:
        s.execute(delete(AuditEvent))
    with pytest.raises(DatabaseError, match="append-only"), store.session() as s:
        s.execute(text("DELETE FROM audit_events"))
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_the_sync_acknowledgement_may_still_set_an_audit_events_server_version(store: Store) -> None:
    event = _event(store)
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(version=17))
    with store.session() as s:
        assert s.get(AuditEvent, event.id).version == 17  # type: ignore[union-attr]


def test_every_local_change_queues_an_outbox_entry_in_the_same_transaction(store: Store) -> None:
    with store.session() as s:
        patient = _patient()
        s.add(patient)
    with store.session() as s:
        loaded = s.get(Patient, patient.id)
        assert loaded is not None
        loaded.phone = "416-555-0199"
    with store.session() as s:
        entries = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
    assert [(e.entity, e.record_id, e.operation) for e in entries] == [
        ("patients", patient.id, OutboxOperation.UPSERT),
        ("patients", patient.id, OutboxOperation.UPSERT),
    ]
    assert entries[0].payload["last_name"] == "Lovelace"
    assert entries[1].payload["phone"] == "416-555-0199"
    assert "last_name" not in entries[1].payload
    assert entries[1].seq == entries[0].seq + 1


def test_a_rolled_back_change_leaves_neither_the_row_nor_its_outbox_entry(store: Store) -> None:
    class Boom(Exception):
        pass

    queued: list[int] = []

    def change_then_fail() -> None:
        with store.session() as s:
            s.add(_patient())
            s.flush()
            queued.append(s.scalar(select(func.count()).select_from(OutboxEntry)) or 0)
            raise Boom()

    with pytest.raises(Boom):
        change_then_fail()
    assert queued == [1]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_a_failing_write_rolls_back_the_outbox_entries_queued_before_it(store: Store) -> None:
    with store.session() as s:
        s.add(_patient())

    def two_patients_one_mrn() -> None:
        with store.session() as s:
            s.add(_patient(mrn="MRN7654321", first="Grace", last="Hopper"))
            s.flush()
            s.add(_patient(mrn="MRN7654321", first="Alan", last="Turing"))

    with pytest.raises(DatabaseError, match="UNIQUE"):
        two_patients_one_mrn()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 1


def test_deletion_is_a_tombstone_travelling_through_the_outbox(store: Store) -> None:
    with store.session() as s:
        patient = _patient()
        s.add(patient)
    with pytest.raises(ValueError, match="never deleted"), store.session() as s:
        s.delete(s.get(Patient, patient.id))
    with store.session() as s:
        loaded = s.get(Patient, patient.id)
        assert loaded is not None
        loaded.deleted_at = datetime.now(UTC)
    with store.session() as s:
        last = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
    assert last is not None
    assert last.operation == OutboxOperation.DELETE


def test_changes_applied_from_the_server_are_not_queued_again(store: Store) -> None:
    with store.session() as s:
        s.info[REMOTE_APPLY] = True
        s.add(_patient())
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_driver_errors_reach_callers_as_sqlalchemy_errors(store: Store) -> None:
    """Services catch SQLAlchemy's IntegrityError; sqlcipher3's own would slip past them."""
    with store.session() as s:
        s.add(_patient())
    with pytest.raises(IntegrityError, match="UNIQUE"), store.session() as s:
        s.add(_patient())
