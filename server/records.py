"""Moving records between PostgreSQL rows (Core, by column name) and the wire form (by attribute
name, as models.registry defines it). Core rather than ORM objects: a push of thousands of changes
must not pay for an identity map it never uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase

from models.registry import NOT_IN_PAYLOAD, SYNCED_MODELS, dict_to_values, to_wire
from sync.protocol.conflict import NOTE_TEXT_FIELDS

#: Entities whose text lives in MongoDB documents rather than in PostgreSQL columns.
DOCUMENT_FIELDS = NOTE_TEXT_FIELDS
#: Entities that never travel down to workstations (the server's audit trail stays on the server).
NOT_PULLED = frozenset({"audit_events"})


@dataclass(frozen=True)
class EntityInfo:
    name: str
    model: type[DeclarativeBase]
    table: Table
    #: attribute key -> column name (they differ for ClinicalNote.note_metadata -> "metadata")
    columns: Mapping[str, str]
    doc_fields: frozenset[str]
    #: attribute key -> (referred entity) for foreign keys to synced tables
    parents: Mapping[str, str]


@cache
def entity_info(name: str) -> EntityInfo | None:
    model = SYNCED_MODELS.get(name)
    if model is None:
        return None
    table = model.__table__
    assert isinstance(table, Table)
    columns: dict[str, str] = {}
    parents: dict[str, str] = {}
    for attr in model.__mapper__.column_attrs:
        if attr.key in NOT_IN_PAYLOAD:
            continue
        column = attr.columns[0]
        columns[attr.key] = str(column.name)
        for fk in column.foreign_keys:
            parents[attr.key] = fk.column.table.name
    return EntityInfo(name, model, table, columns, DOCUMENT_FIELDS.get(name, frozenset()), parents)


def row_to_wire(info: EntityInfo, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A Core row (mapping by column name) in wire form, keyed by attribute name."""
    return {key: to_wire(row[col]) for key, col in info.columns.items()}


def wire_to_columns(info: EntityInfo, data: Mapping[str, Any]) -> dict[str, Any]:
    """Parse wire values (raises ValueError naming the field, never the value) into column values."""
    try:
        values = dict_to_values(info.model, dict(data))
    except (ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("unknown field"):
            raise ValueError(str(exc)) from None
        bad = _first_bad_field(info, data)
        raise ValueError(f"invalid value for field {bad!r} of {info.name}") from None
    return {info.columns[key]: value for key, value in values.items()}


def _first_bad_field(info: EntityInfo, data: Mapping[str, Any]) -> str:
    for key, raw in data.items():
        try:
            dict_to_values(info.model, {key: raw})
        except (ValueError, TypeError, KeyError):
            return key
    return "?"
