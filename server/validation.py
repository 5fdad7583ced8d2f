"""Validation at the door: every pushed value checked against its column before anything is written.

A value that PostgreSQL, MongoDB or the JSON encoder of a later answer could choke on never gets in:
text without NUL characters or unpaired surrogates and within the column's length, JSON of bounded
depth and size with finite numbers, whole numbers within the column's range, dates within a sane
span, enums by value. A bad value refuses its own change, with a reason that names the field but
never the value (it may be patient data), and the rest of the batch goes on.

:func:`wire_safe` is the other side: what was stored before these checks existed can still hold such
a value, and a pull must not fail on it, so it is made sendable on the way out.
"""

from __future__ import annotations

import json
import logging
import math
import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, String, Time, Uuid
from sqlalchemy.orm import DeclarativeBase

from models.base import UTCDateTime
from models.registry import NOT_IN_PAYLOAD
from server.records import EntityInfo

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 16
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARS = 1_000_000
#: JSON numbers a JavaScript or SQLite reader holds exactly; and far beyond any clinical value.
MAX_JSON_INT = 2**53
MAX_FLOAT = 1e15
INT32 = (-(2**31), 2**31 - 1)
EARLIEST = date(1850, 1, 1)
LATEST = date(2200, 12, 31)
#: What a value that cannot be sent is replaced by in a pull (see wire_safe).
UNSENDABLE_TEXT = "\ufffd"


class Invalid(ValueError):
    """A value that does not fit its column; the message names the field, never the value."""


def clean_text(value: str) -> bool:
    """No NUL (PostgreSQL text cannot hold it) and no unpaired surrogate (not encodable at all)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    nullable: bool
    required: bool
    length: int | None = None
    choices: frozenset[str] = frozenset()
    container: type | None = None
    items: type | None = None


@cache
def fields_of(model: type[DeclarativeBase]) -> dict[str, Field]:
    """The columns of ``model`` as the validator sees them (attribute name -> Field)."""
    hints = typing.get_type_hints(model)
    out: dict[str, Field] = {}
    for attr in model.__mapper__.column_attrs:
        if attr.key in NOT_IN_PAYLOAD:
            continue
        column = attr.columns[0]
        kind, length, choices, container, items = _kind(column.type, hints.get(attr.key))
        required = not column.nullable and column.default is None and column.server_default is None
        out[attr.key] = Field(
            attr.key, kind, bool(column.nullable), required, length, choices, container, items
        )
    return out


def _kind(col_type: Any, hint: Any) -> tuple[str, int | None, frozenset[str], type | None, type | None]:
    enum_class = getattr(col_type, "enum_class", None)
    if enum_class is not None:
        return "enum", None, frozenset(m.value for m in enum_class), None, None
    if isinstance(col_type, UTCDateTime):
        return "datetime", None, frozenset(), None, None
    if isinstance(col_type, JSON):
        container, items = _json_shape(hint)
        return "json", None, frozenset(), container, items
    for sa_type, kind in ((Uuid, "uuid"), (Boolean, "bool"), (Date, "date"), (Time, "time")):
        if isinstance(col_type, sa_type):
            return kind, None, frozenset(), None, None
    if isinstance(col_type, Integer):
        return "int", None, frozenset(), None, None
    if isinstance(col_type, Float):
        return "float", None, frozenset(), None, None
    if isinstance(col_type, String):
        return "text", col_type.length or MAX_TEXT_CHARS, frozenset(), None, None
    raise TypeError(f"no validator for column type {type(col_type).__name__}")


def _json_shape(hint: Any) -> tuple[type | None, type | None]:
    """dict or list (and the type of a list's items) from ``Mapped[dict[str, Any]]`` and the like."""
    args = typing.get_args(hint)
    inner = args[0] if args else None
    options = (
        [a for a in typing.get_args(inner) if a is not type(None)]
        if typing.get_origin(inner)
        in (
            typing.Union,
            getattr(__import__("types"), "UnionType", None),
        )
        else [inner]
    )
    target = options[0] if options else None
    origin = typing.get_origin(target) or target
    if origin is dict:
        return dict, None
    if origin is list:
        item_args = typing.get_args(target)
        item = typing.get_origin(item_args[0]) or item_args[0] if item_args else None
        return list, item if item in (str, dict) else None
    return None, None


def validate(info: EntityInfo, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload with every value checked and in canonical wire form (UUIDs lower-case, times in
    UTC), so comparing it with a stored record compares meaning, not spelling. Raises Invalid."""
    known = fields_of(info.model)
    out: dict[str, Any] = {}
    for name, raw in payload.items():
        spec = known.get(name)
        if spec is None:
            raise Invalid(f"unknown field {wire_safe(name[:64])!r} for {info.name}")
        out[name] = _value(spec, raw, document=name in info.doc_fields)
    return out


def missing_required(info: EntityInfo, payload: Mapping[str, Any]) -> list[str]:
    """Fields a new record must have (no default, not nullable) that ``payload`` leaves out."""
    return sorted(n for n, f in fields_of(info.model).items() if f.required and payload.get(n) is None)


def _value(spec: Field, raw: Any, *, document: bool) -> Any:
    name = spec.name
    if raw is None:
        if not spec.nullable:
            raise Invalid(f"{name} cannot be empty")
        return None
    kind = spec.kind
    if kind == "text":
        if not isinstance(raw, str):
            raise Invalid(f"{name} must be text")
        if not clean_text(raw):
            raise Invalid(f"{name} holds a NUL character or an unpaired surrogate")
        if spec.length is not None and len(raw) > spec.length:
            raise Invalid(f"{name} is longer than {spec.length} characters")
        return raw
    if kind == "enum":
        if not isinstance(raw, str) or raw not in spec.choices:
            raise Invalid(f"{name} must be one of {', '.join(sorted(spec.choices))}")
        return raw
    if kind == "bool":
        if not isinstance(raw, bool):
            raise Invalid(f"{name} must be true or false")
        return raw
    if kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool) or not INT32[0] <= raw <= INT32[1]:
            raise Invalid(f"{name} must be a whole number between {INT32[0]} and {INT32[1]}")
        return raw
    if kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise Invalid(f"{name} must be a number")
        if not math.isfinite(raw) or abs(raw) > MAX_FLOAT:
            raise Invalid(f"{name} must be a finite number no larger than {MAX_FLOAT:g}")
        return raw
    if kind == "uuid":
        try:
            return str(uuid.UUID(raw)) if isinstance(raw, str) and len(raw) <= 45 else _bad(name, "an id")
        except ValueError:
            return _bad(name, "an id")
    if kind in ("datetime", "date", "time"):
        return _moment(spec, raw)
    return _json(spec, raw, document=document)


def _bad(name: str, what: str) -> Any:
    raise Invalid(f"{name} must be {what}")


def _moment(spec: Field, raw: Any) -> str:
    name = spec.name
    if not isinstance(raw, str) or len(raw) > 40:
        return str(_bad(name, f"a {spec.kind} in ISO 8601 form"))
    try:
        if spec.kind == "time":
            return time.fromisoformat(raw).isoformat()
        if spec.kind == "date":
            day = date.fromisoformat(raw)
            moment = None
        else:
            moment = datetime.fromisoformat(raw)
            day = moment.date() if moment.tzinfo is None else moment.astimezone(UTC).date()
    except (ValueError, OverflowError):
        return str(_bad(name, f"a {spec.kind} in ISO 8601 form"))
    if moment is not None and moment.tzinfo is None:
        raise Invalid(f"{name} needs a timezone")
    if not EARLIEST <= day <= LATEST:
        raise Invalid(f"{name} must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return moment.astimezone(UTC).isoformat() if moment is not None else day.isoformat()


def _json(spec: Field, raw: Any, *, document: bool) -> Any:
    name = spec.name
    if spec.container is not None and not isinstance(raw, spec.container):
        raise Invalid(f"{name} must be a JSON {'object' if spec.container is dict else 'array'}")
    if spec.items is not None and not all(isinstance(item, spec.items) for item in raw):
        what = "text" if spec.items is str else "objects"
        raise Invalid(f"{name} must be a list of {what}")
    problem = _json_problem(raw, depth=0, document=document)
    if problem is not None:
        raise Invalid(f"{name} {problem}")
    try:
        size = len(json.dumps(raw, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (ValueError, TypeError, RecursionError):
        raise Invalid(f"{name} is not valid JSON") from None
    if size > MAX_JSON_BYTES:
        raise Invalid(f"{name} is larger than {MAX_JSON_BYTES // 1024} KiB")
    return raw


def _json_problem(value: Any, *, depth: int, document: bool) -> str | None:
    if depth > MAX_JSON_DEPTH:
        return f"is nested deeper than {MAX_JSON_DEPTH} levels"
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return None if clean_text(value) else "holds a NUL character or an unpaired surrogate"
    if isinstance(value, int):
        return None if abs(value) <= MAX_JSON_INT else "holds a number beyond ±2^53"
    if isinstance(value, float):
        return None if math.isfinite(value) else "holds a number that is not finite"
    if isinstance(value, list):
        for item in value:
            problem = _json_problem(item, depth=depth + 1, document=document)
            if problem is not None:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not clean_text(key):
                return "has a key with a NUL character or an unpaired surrogate"
            if document and (key.startswith("$") or "." in key):
                return "has a key starting with '$' or containing '.'"
            problem = _json_problem(item, depth=depth + 1, document=document)
            if problem is not None:
                return problem
        return None
    return "holds a value that is not JSON"


# --- on the way out ---------------------------------------------------------------------------------


def _unsafe(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return not clean_text(value)
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict | list):
        if depth > MAX_JSON_DEPTH:
            return True
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return any(_unsafe(k) or _unsafe(v, depth + 1) for k, v in items)
    return False


def wire_safe(value: Any, *, depth: int = 0) -> Any:
    """``value`` made sendable: unpaired surrogates and NUL become U+FFFD, numbers that are not
    finite become null, anything nested too deep is cut off with null."""
    if isinstance(value, str):
        if clean_text(value):
            return value
        return "".join(UNSENDABLE_TEXT if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict | list):
        if depth > MAX_JSON_DEPTH:
            return None
        if isinstance(value, dict):
            return {str(wire_safe(k)): wire_safe(v, depth=depth + 1) for k, v in value.items()}
        return [wire_safe(v, depth=depth + 1) for v in value]
    return value


def record_safe(entity: str, record_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """The record's values, sendable. Only data stored before the checks above existed can need a
    change; such a field is logged by name, never by value."""
    if not any(_unsafe(value) for value in values.values()):
        return values
    out: dict[str, Any] = {}
    for name, value in values.items():
        if _unsafe(value):
            log.warning(
                "%s %s: field %s held a value that cannot be sent; sent a placeholder",
                entity,
                record_id,
                name,
            )
            value = wire_safe(value)
        out[name] = value
    return out
