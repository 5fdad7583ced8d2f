"""Which tables sync, and how a row becomes a JSON-safe dict and back.

Used by the outbox writer, the sync engine and the server, so the wire form of a record is defined
once. Values: UUID -> str, datetime -> ISO 8601 with offset, date/time -> ISO, enums -> value.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Date, Time, Uuid
from sqlalchemy.orm import DeclarativeBase

from models.audit import AuditEvent
from models.base import UTCDateTime
from models.clinical import (
    ClinicalNote,
    Encounter,
    NoteVersion,
    Order,
    OrderItem,
    Prescription,
    PrescriptionItem,
    Recording,
)
from models.documents import DeviceKey, Document, KeyGrant
from models.identity import IdentityCheck
from models.people import CareTeam, Condition, Insurance, Patient, Practice, User
from models.results import OrderResult
from models.scheduling import Appointment, TimeBlock
from models.work import Alert, Message, Task

SYNCED_MODELS: dict[str, type[DeclarativeBase]] = {
    m.__tablename__: m
    for m in (
        User,
        Practice,
        Patient,
        CareTeam,
        Insurance,
        Condition,
        Appointment,
        TimeBlock,
        Encounter,
        ClinicalNote,
        NoteVersion,
        Recording,
        Prescription,
        PrescriptionItem,
        Order,
        OrderItem,
        Task,
        Alert,
        Message,
        IdentityCheck,
        OrderResult,
        Document,
        DeviceKey,
        KeyGrant,
        AuditEvent,
    )
}

#: Columns that never travel in a record payload: bookkeeping the server owns (the version, the
#: organisation a row belongs to), or blobs sent apart.
NOT_IN_PAYLOAD = frozenset({"version", "audio", "blob", "organization_id"})


def to_wire(value: Any) -> Any:
    """A column value as JSON has it (enums by value, ids and times as text); others as they are.
    The one conversion for sync payloads, the server's rows and the command line's JSON."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def row_to_dict(row: DeclarativeBase, *, fields: list[str] | None = None) -> dict[str, Any]:
    """The JSON-safe form of a row (all payload columns, or only ``fields``), keyed by attribute name."""
    mapper = row.__mapper__
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        key = attr.key
        if key in NOT_IN_PAYLOAD or (fields is not None and key not in fields):
            continue
        out[key] = to_wire(getattr(row, key))
    return out


def values_to_dict(values: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe form of a record given as attribute values (the rows of a bulk insert, which
    has no ORM object to read), as :func:`row_to_dict` makes it."""
    return {key: to_wire(value) for key, value in values.items() if key not in NOT_IN_PAYLOAD}


def dict_to_values(model: type[DeclarativeBase], data: dict[str, Any]) -> dict[str, Any]:
    """Parse a JSON-safe dict back into Python values for ``model``'s attributes. Unknown keys raise
    ValueError naming the key, so a record from a newer protocol is rejected rather than half-applied."""
    mapper = model.__mapper__
    attrs = {attr.key: attr for attr in mapper.column_attrs}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in attrs or key in NOT_IN_PAYLOAD:
            raise ValueError(f"unknown field {key!r} for {model.__tablename__}")
        column = attrs[key].columns[0]
        values[key] = _from_wire(column.type, raw)
    return values


def _from_wire(col_type: Any, raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(col_type, UTCDateTime):
        return datetime.fromisoformat(raw)
    if isinstance(col_type, Uuid):
        return uuid.UUID(str(raw))
    if isinstance(col_type, Date):
        return date.fromisoformat(raw)
    if isinstance(col_type, Time):
        return time.fromisoformat(raw)
    enum_class = getattr(col_type, "enum_class", None)
    if enum_class is not None:
        return enum_class(raw)
    return raw
