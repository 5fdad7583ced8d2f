"""The practice record an administrator sets up on day one and edits later (Settings → Practice):
name, address, phone, timezone, business hours per weekday, holidays, appointment types with their
durations and booking rules, accepted insurance plans and the MRN format.

:func:`check_practice` refuses a record the booking rules could not use (hours that end before they
start, an unknown timezone, a rule out of range), naming the field; the record then syncs like any
other, and the server's policy lets only an administrator change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy.orm import Session

from app.services import audit, mrn
from app.services.practice import find_practice
from app.services.roles import require_role
from clinicdesk.errors import ValidationError
from models import Practice
from models.booking_rules import DEFAULT_TYPE_RULES, RULE_FIELDS, valid_timezone
from models.enums import AppointmentType, Role

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: the seeds' rules (routine visits at least 24 hours and at most 60 days ahead) and the others'
SEED_RULES: dict[str, dict[str, int]] = {str(k): dict(v) for k, v in DEFAULT_TYPE_RULES.items()}
DEFAULT_HOURS: dict[str, list[str]] = {str(d): ["08:00", "17:00"] for d in range(1, 6)}
_PHONE = re.compile(r"^[0-9+()./ -]{3,32}$")


@dataclass(frozen=True)
class PracticeInput:
    name: str
    timezone: str
    phone: str | None = None
    address: dict[str, str] = field(default_factory=dict)
    #: ISO weekday "1".."7" -> ("HH:MM", "HH:MM"); a weekday left out is closed
    business_hours: dict[str, tuple[str, str]] = field(default_factory=dict)
    holidays: tuple[date, ...] = ()
    appointment_types: dict[str, dict[str, int]] = field(default_factory=dict)
    insurance_plans: tuple[str, ...] = ()
    mrn_prefix: str = "MRN"
    mrn_digits: int = 7


def default_input(timezone: str = "UTC") -> PracticeInput:
    """What the set-up wizard starts from: weekdays 08:00–17:00 and the seeds' booking rules."""
    hours = {k: (v[0], v[1]) for k, v in DEFAULT_HOURS.items()}
    return PracticeInput(name="", timezone=timezone, business_hours=hours, appointment_types=dict(SEED_RULES))


def _hours(raw: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for day, span in sorted(raw.items()):
        if day not in {str(d) for d in range(1, 8)}:
            raise ValidationError("business hours are given per weekday (1 = Monday … 7 = Sunday)")
        name = WEEKDAY_NAMES[int(day) - 1]
        try:
            opens, closes = time.fromisoformat(span[0]), time.fromisoformat(span[1])
        except (ValueError, IndexError, TypeError):
            raise ValidationError(f"{name}'s hours must look like 08:00 and 17:00") from None
        if closes <= opens:
            raise ValidationError(f"on {name} the practice must close after it opens")
        out[day] = [f"{opens:%H:%M}", f"{closes:%H:%M}"]
    return out


def _rules(raw: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    limits = {"duration_minutes": (5, 480), "min_lead_hours": (0, 24 * 30), "max_lead_days": (1, 730)}
    for key, rule in raw.items():
        try:
            kind = AppointmentType(key)
        except ValueError:
            raise ValidationError(f"unknown appointment type {key!r}") from None
        label = kind.value.replace("_", "-")
        checked: dict[str, int] = {}
        for name in RULE_FIELDS:
            value = rule.get(name, DEFAULT_TYPE_RULES[kind][name])
            low, high = limits[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValidationError(f"{label}: {name.replace('_', ' ')} must be between {low} and {high}")
            checked[name] = value
        if checked["min_lead_hours"] > checked["max_lead_days"] * 24:
            raise ValidationError(f"{label}: the minimum notice is longer than the maximum")
        out[kind.value] = checked
    return out


def check_practice(data: PracticeInput) -> dict[str, Any]:
    """The record's values, or ValidationError naming the first bad field."""
    name = " ".join(data.name.split())
    if not name:
        raise ValidationError("the practice needs its name")
    if len(name) > 160:
        raise ValidationError("the practice's name is too long (at most 160 characters)")
    if not valid_timezone(data.timezone):
        raise ValidationError("choose the practice's time zone from the list (for example America/Toronto)")
    phone = " ".join((data.phone or "").split()) or None
    if phone is not None and not _PHONE.match(phone):
        raise ValidationError("the practice's phone may hold digits, spaces and + ( ) - . / only")
    address = {k: " ".join(v.split()) for k, v in data.address.items() if v and v.strip()}
    if any(k not in ("street", "city", "region", "postal_code", "country") for k in address):
        raise ValidationError("the address has street, city, region, postal code and country")
    if any(len(v) > 200 for v in address.values()):
        raise ValidationError("an address line is too long (at most 200 characters)")
    hours = _hours(data.business_hours)
    if not hours:
        raise ValidationError("the practice must be open on at least one weekday")
    plans = [p for p in (" ".join(p.split()) for p in data.insurance_plans) if p]
    if any(len(p) > 120 for p in plans) or len(plans) > 200:
        raise ValidationError("an insurance plan's name is too long (at most 120 characters)")
    mrn.check_format(data.mrn_prefix, data.mrn_digits)
    return {
        "name": name,
        "timezone": data.timezone,
        "phone": phone,
        "address": address,
        "business_hours": hours,
        "holiday_schedule": sorted({d.isoformat() for d in data.holidays}),
        "appointment_types": _rules(data.appointment_types or SEED_RULES),
        "insurance_plans_accepted": sorted(set(plans), key=str.casefold),
        "mrn_prefix": data.mrn_prefix,
        "mrn_digits": data.mrn_digits,
    }


def practice_input(practice: Practice) -> PracticeInput:
    return PracticeInput(
        name=practice.name,
        timezone=practice.timezone,
        phone=practice.phone,
        address={str(k): str(v) for k, v in (practice.address or {}).items()},
        business_hours={k: (v[0], v[1]) for k, v in (practice.business_hours or {}).items() if len(v) == 2},
        holidays=tuple(sorted(date.fromisoformat(d) for d in practice.holiday_schedule or [])),
        appointment_types={k: dict(v) for k, v in (practice.appointment_types or {}).items()},
        insurance_plans=tuple(practice.insurance_plans_accepted or ()),
        mrn_prefix=practice.mrn_prefix,
        mrn_digits=practice.mrn_digits,
    )


def current(session: Session) -> PracticeInput | None:
    """The practice as set up, or None on day one."""
    found = find_practice(session)
    return practice_input(found) if found is not None else None


def save_practice(session: Session, data: PracticeInput) -> PracticeInput:
    """Creates the practice record (day one) or changes it. Administrators only."""
    require_role(session, Role.ADMIN, action="set up the practice")
    values = check_practice(data)
    practice = find_practice(session)
    if practice is None:
        practice = Practice(**values)
        session.add(practice)
        action, changed = "create", sorted(values)
    else:
        changed = sorted(k for k, v in values.items() if getattr(practice, k) != v)
        for name, value in values.items():
            setattr(practice, name, value)
        action = "update"
    session.flush()
    audit.record(
        session, action=action, resource_type="practices", resource_id=practice.id, new={"fields": changed}
    )
    return practice_input(practice)
