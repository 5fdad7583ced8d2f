"""Staff messages (seed 001): about a patient or general, in threads, with read receipts.

A message is written offline like any record and reaches its recipient at the next sync of both
workstations; the server keeps each message to its two participants (server/policy.py, ``readers``)
and stamps the sender and the time itself. Opening a thread marks what was sent to the reader as
read; that ``read_at`` travels back to the sender as the receipt.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.services import audit
from app.services.patients import live_patient
from app.services.roles import current_user
from clinicdesk.errors import NotFoundError, ValidationError
from models import Message, Patient, User, new_id, utcnow

MAX_BODY = 10_000


@dataclass(frozen=True)
class MessageRecord:
    id: uuid.UUID
    thread_id: uuid.UUID
    subject: str | None
    sender_id: uuid.UUID
    sender_name: str
    recipient_id: uuid.UUID
    recipient_name: str
    patient_id: uuid.UUID | None
    patient_name: str | None
    body: str
    sent_at: datetime
    read_at: datetime | None
    mine: bool


@dataclass(frozen=True)
class ThreadSummary:
    thread_id: uuid.UUID
    subject: str
    with_name: str
    with_id: uuid.UUID
    patient_id: uuid.UUID | None
    patient_name: str | None
    last_at: datetime
    last_text: str
    unread: int
    count: int


def _names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows}


def _patients(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Patient.id, Patient.first_name, Patient.last_name).where(Patient.id.in_(ids))
    )
    return {pid: f"{first} {last}" for pid, first, last in rows}


def _records(session: Session, me: uuid.UUID, rows: list[Message]) -> list[MessageRecord]:
    names = _names(session, {m.sender_id for m in rows} | {m.recipient_id for m in rows})
    patients = _patients(session, {m.patient_id for m in rows if m.patient_id is not None})
    return [
        MessageRecord(
            id=m.id,
            thread_id=m.thread_id or m.id,
            subject=m.subject,
            sender_id=m.sender_id,
            sender_name=names.get(m.sender_id, "?"),
            recipient_id=m.recipient_id,
            recipient_name=names.get(m.recipient_id, "?"),
            patient_id=m.patient_id,
            patient_name=patients.get(m.patient_id) if m.patient_id else None,
            body=m.body,
            sent_at=m.sent_at,
            read_at=m.read_at,
            mine=m.sender_id == me,
        )
        for m in rows
    ]


def _mine(me: uuid.UUID) -> object:
    return or_(Message.sender_id == me, Message.recipient_id == me)


def send(
    session: Session,
    *,
    body: str,
    recipient_id: uuid.UUID | None = None,
    subject: str | None = None,
    patient_id: uuid.UUID | None = None,
    reply_to: uuid.UUID | None = None,
) -> MessageRecord:
    """A new message, or a reply in the thread of ``reply_to`` (to its other participant, about the
    same patient and subject)."""
    user = current_user(session)
    text = body.strip()
    if not text:
        raise ValidationError("a message needs some text")
    if len(text) > MAX_BODY:
        raise ValidationError(f"a message may hold at most {MAX_BODY:,} characters")
    thread_id: uuid.UUID | None = None
    if reply_to is not None:
        original = session.get(Message, reply_to)
        if (
            original is None
            or original.deleted_at is not None
            or user.id
            not in (
                original.sender_id,
                original.recipient_id,
            )
        ):
            raise NotFoundError("no such message for you in this profile")
        thread_id = original.thread_id or original.id
        recipient_id = original.recipient_id if original.sender_id == user.id else original.sender_id
        subject, patient_id = original.subject, original.patient_id
    if recipient_id is None:
        raise ValidationError("choose who the message is for")
    recipient = session.get(User, recipient_id)
    if recipient is None or not recipient.active or recipient.deleted_at is not None:
        raise ValidationError("the message's recipient is not an active member of the practice")
    if recipient.id == user.id:
        raise ValidationError("a message goes to someone else")
    if patient_id is not None:
        live_patient(session, patient_id)
    message_id = new_id()
    message = Message(
        id=message_id,
        thread_id=thread_id or message_id,
        sender_id=user.id,
        recipient_id=recipient.id,
        patient_id=patient_id,
        subject=" ".join((subject or "").split())[:200] or None,
        body=text,
        sent_at=utcnow(),
    )
    session.add(message)
    session.flush()
    audit.record(session, action="create", resource_type="messages", resource_id=message.id)
    return _records(session, user.id, [message])[0]


def threads(session: Session) -> list[ThreadSummary]:
    """The signed-in user's conversations, the latest first."""
    me = current_user(session).id
    rows = list(
        session.scalars(
            select(Message).where(_mine(me), Message.deleted_at.is_(None)).order_by(Message.sent_at)  # type: ignore[arg-type]
        )
    )
    grouped: dict[uuid.UUID, list[MessageRecord]] = {}
    for record in _records(session, me, rows):
        grouped.setdefault(record.thread_id, []).append(record)
    out = []
    for thread_id, messages in grouped.items():
        first, last = messages[0], messages[-1]
        other_id = first.recipient_id if first.sender_id == me else first.sender_id
        other = first.recipient_name if first.sender_id == me else first.sender_name
        out.append(
            ThreadSummary(
                thread_id=thread_id,
                subject=first.subject or "(no subject)",
                with_name=other,
                with_id=other_id,
                patient_id=first.patient_id,
                patient_name=first.patient_name,
                last_at=last.sent_at,
                last_text=" ".join(last.body.split())[:120],
                unread=sum(1 for m in messages if not m.mine and m.read_at is None),
                count=len(messages),
            )
        )
    return sorted(out, key=lambda t: t.last_at, reverse=True)


def thread(session: Session, thread_id: uuid.UUID) -> list[MessageRecord]:
    me = current_user(session).id
    rows = list(
        session.scalars(
            select(Message)
            .where(
                or_(Message.thread_id == thread_id, Message.id == thread_id),
                _mine(me),  # type: ignore[arg-type]
                Message.deleted_at.is_(None),
            )
            .order_by(Message.sent_at)
        )
    )
    if not rows:
        raise NotFoundError("no such conversation for you in this profile")
    return _records(session, me, rows)


def read_thread(session: Session, thread_id: uuid.UUID) -> list[MessageRecord]:
    """The conversation, with what was sent to the reader marked read (the sender's receipt)."""
    me = current_user(session).id
    now = utcnow()
    for message in session.scalars(
        select(Message).where(
            or_(Message.thread_id == thread_id, Message.id == thread_id),
            Message.recipient_id == me,
            Message.read_at.is_(None),
        )
    ):
        message.read_at = now
        audit.record(session, action="read", resource_type="messages", resource_id=message.id)
    session.flush()
    return thread(session, thread_id)


def unread_count(session: Session) -> int:
    me = current_user(session).id
    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.recipient_id == me, Message.read_at.is_(None), Message.deleted_at.is_(None))
        )
        or 0
    )
