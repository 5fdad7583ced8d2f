"""Prescriptions and orders from an encounter: drafts until a doctor signs them; signed ones are
cancelled, never edited, so what the pharmacy or lab received stays on record."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.roles import require_role
from clinicdesk.errors import NotFoundError, ValidationError
from models import Encounter, Order, OrderItem, Prescription, PrescriptionItem, utcnow
from models.enums import OrderStatus, OrderType, PrescriptionStatus, Role


@dataclass(frozen=True)
class PrescriptionItemInput:
    medication: str
    dosage: str | None = None
    frequency: str | None = None
    duration: str | None = None
    quantity: str | None = None
    refills: int = 0
    instructions: str | None = None


@dataclass(frozen=True)
class OrderItemInput:
    name: str
    code: str | None = None
    instructions: str | None = None


@dataclass(frozen=True)
class PrescriptionRecord:
    id: uuid.UUID
    encounter_id: uuid.UUID | None
    patient_id: uuid.UUID
    status: PrescriptionStatus
    signed_at: datetime | None
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class OrderRecord:
    id: uuid.UUID
    encounter_id: uuid.UUID | None
    patient_id: uuid.UUID
    order_type: OrderType
    status: OrderStatus
    signed_at: datetime | None
    items: list[dict[str, Any]] = field(default_factory=list)


def _encounter(session: Session, encounter_id: uuid.UUID) -> Encounter:
    enc = session.get(Encounter, encounter_id)
    if enc is None or enc.deleted_at is not None:
        raise NotFoundError("no such encounter in this profile")
    return enc


Draft = TypeVar("Draft", Prescription, Order)


def _add_draft(
    session: Session,
    draft: Prescription | Order,
    make_items: Callable[[uuid.UUID], Sequence[PrescriptionItem | OrderItem]],
    *,
    resource_type: str,
) -> None:
    """A new draft with its items (made once the draft has its id), and the audit event."""
    session.add(draft)
    session.flush()
    session.add_all(make_items(draft.id))
    audit.record(session, action="create", resource_type=resource_type, resource_id=draft.id)
    session.flush()


def _draft_to_sign(session: Session, row: Draft | None, *, what: str) -> Draft:
    """The draft about to be signed: it exists and is still a draft (what is signed is never edited)."""
    if row is None or row.deleted_at is not None:
        raise NotFoundError(f"no such {what} in this profile")
    if row.status.value != "draft":
        raise ValidationError(f"only a draft {what} can be signed")
    return row


def _signed(session: Session, row: Prescription | Order, *, resource_type: str) -> None:
    row.signed_at = utcnow()
    audit.record(
        session, action="sign", resource_type=resource_type, resource_id=row.id, new={"status": "signed"}
    )
    session.flush()


def _prescription_record(session: Session, rx: Prescription) -> PrescriptionRecord:
    items = session.scalars(
        select(PrescriptionItem).where(
            PrescriptionItem.prescription_id == rx.id, PrescriptionItem.deleted_at.is_(None)
        )
    ).all()
    return PrescriptionRecord(
        id=rx.id,
        encounter_id=rx.encounter_id,
        patient_id=rx.patient_id,
        status=rx.status,
        signed_at=rx.signed_at,
        items=[
            {
                "medication": i.medication,
                "dosage": i.dosage,
                "frequency": i.frequency,
                "duration": i.duration,
                "quantity": i.quantity,
                "refills": i.refills,
                "instructions": i.instructions,
            }
            for i in items
        ],
    )


def create_prescription(
    session: Session,
    encounter_id: uuid.UUID,
    items: list[PrescriptionItemInput],
    *,
    valid_until: date | None = None,
) -> PrescriptionRecord:
    user = require_role(session, Role.DOCTOR, action="write a prescription")
    enc = _encounter(session, encounter_id)
    if not items:
        raise ValidationError("a prescription needs at least one medication")
    for item in items:
        if not item.medication.strip():
            raise ValidationError("each prescription item needs a medication name")
        if item.refills < 0 or item.refills > 12:
            raise ValidationError("refills must be between 0 and 12")
    rx = Prescription(
        encounter_id=enc.id,
        patient_id=enc.patient_id,
        prescriber_id=user.id,
        valid_from=utcnow().date(),
        valid_until=valid_until,
    )
    _add_draft(
        session,
        rx,
        lambda rx_id: [PrescriptionItem(prescription_id=rx_id, **item.__dict__) for item in items],
        resource_type="prescriptions",
    )
    return _prescription_record(session, rx)


def sign_prescription(session: Session, prescription_id: uuid.UUID) -> PrescriptionRecord:
    require_role(session, Role.DOCTOR, action="sign a prescription")
    rx = _draft_to_sign(session, session.get(Prescription, prescription_id), what="prescription")
    rx.status = PrescriptionStatus.SIGNED
    _signed(session, rx, resource_type="prescriptions")
    return _prescription_record(session, rx)


def cancel_prescription(session: Session, prescription_id: uuid.UUID, *, reason: str) -> PrescriptionRecord:
    require_role(session, Role.DOCTOR, action="cancel a prescription")
    rx = session.get(Prescription, prescription_id)
    if rx is None or rx.deleted_at is not None:
        raise NotFoundError("no such prescription in this profile")
    if not reason.strip():
        raise ValidationError("a cancellation needs a reason")
    if rx.status in (PrescriptionStatus.DISPENSED, PrescriptionStatus.CANCELLED):
        raise ValidationError(f"a {rx.status.value} prescription cannot be cancelled")
    old = rx.status.value
    rx.status = PrescriptionStatus.CANCELLED
    rx.notes = reason.strip()
    audit.record(
        session,
        action="update",
        resource_type="prescriptions",
        resource_id=rx.id,
        old={"status": old},
        new={"status": "cancelled"},
        reason=reason.strip(),
    )
    session.flush()
    return _prescription_record(session, rx)


def _order_record(session: Session, order: Order) -> OrderRecord:
    items = session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id, OrderItem.deleted_at.is_(None))
    ).all()
    return OrderRecord(
        id=order.id,
        encounter_id=order.encounter_id,
        patient_id=order.patient_id,
        order_type=order.order_type,
        status=order.status,
        signed_at=order.signed_at,
        items=[{"code": i.code, "name": i.name, "instructions": i.instructions} for i in items],
    )


def create_order(
    session: Session,
    encounter_id: uuid.UUID,
    order_type: OrderType,
    items: list[OrderItemInput],
    *,
    priority: str | None = None,
) -> OrderRecord:
    user = require_role(session, Role.DOCTOR, action="place an order")
    enc = _encounter(session, encounter_id)
    if not items or any(not i.name.strip() for i in items):
        raise ValidationError("an order needs at least one named item")
    order = Order(
        encounter_id=enc.id,
        patient_id=enc.patient_id,
        orderer_id=user.id,
        order_type=order_type,
        priority=priority,
    )
    _add_draft(
        session,
        order,
        lambda order_id: [OrderItem(order_id=order_id, **item.__dict__) for item in items],
        resource_type="orders",
    )
    return _order_record(session, order)


def sign_order(session: Session, order_id: uuid.UUID) -> OrderRecord:
    require_role(session, Role.DOCTOR, action="sign an order")
    order = _draft_to_sign(session, session.get(Order, order_id), what="order")
    order.status = OrderStatus.SIGNED
    _signed(session, order, resource_type="orders")
    return _order_record(session, order)


def encounter_orders(
    session: Session, encounter_id: uuid.UUID
) -> tuple[list[PrescriptionRecord], list[OrderRecord]]:
    rxs = session.scalars(
        select(Prescription)
        .where(Prescription.encounter_id == encounter_id, Prescription.deleted_at.is_(None))
        .order_by(Prescription.created_at)
    ).all()
    orders = session.scalars(
        select(Order)
        .where(Order.encounter_id == encounter_id, Order.deleted_at.is_(None))
        .order_by(Order.created_at)
    ).all()
    return [_prescription_record(session, r) for r in rxs], [_order_record(session, o) for o in orders]
