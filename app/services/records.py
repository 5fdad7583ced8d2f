"""Read-only views the services return. Frozen dataclasses, so a worker thread can hand them to the
GUI thread without anyone holding a live ORM object (which would lazy-load on the wrong thread)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.enums import AppointmentStatus, AppointmentType, Role, TimeBlockType


@dataclass(frozen=True)
class SignedInUser:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role


@dataclass(frozen=True)
class UserSummary:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    specialty: str | None


@dataclass(frozen=True)
class ScheduleEntry:
    kind: str  # "appointment" or "block"
    start: datetime
    end: datetime
    appointment_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    patient_name: str | None = None
    mrn: str | None = None
    appointment_type: AppointmentType | None = None
    status: AppointmentStatus | None = None
    reason: str | None = None
    block_type: TimeBlockType | None = None
    block_id: uuid.UUID | None = None
    #: a block of a series (editable as this occurrence or as the whole series)
    recurring: bool = False


@dataclass(frozen=True)
class DaySchedule:
    day: date
    clinician: UserSummary
    timezone: str
    entries: list[ScheduleEntry]
    closed_reason: str | None = None


@dataclass(frozen=True)
class PatientSummary:
    id: uuid.UUID
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: date
    phone: str | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class AppointmentRecord:
    id: uuid.UUID
    patient_id: uuid.UUID
    clinician_id: uuid.UUID
    start: datetime
    duration_minutes: int
    appointment_type: AppointmentType
    status: AppointmentStatus
    reason: str | None
    confirmation_number: str | None
    status_history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class EncounterSummary:
    id: uuid.UUID
    start: datetime
    encounter_type: str
    status: str
    chief_complaint: str | None
    clinician_name: str
    notes: list[dict[str, Any]]


@dataclass(frozen=True)
class PatientChart:
    patient: PatientSummary
    gender: str | None
    email: str | None
    address: str
    emergency_contact: dict[str, Any]
    blood_group: str | None
    preferred_language: str | None
    allergies: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    insurance: list[dict[str, Any]]
    encounters: list[EncounterSummary]
    upcoming: list[AppointmentRecord]
    #: "not_recorded", "none_known" or "recorded" (models.enums.AllergyStatus)
    allergy_status: str = "recorded"
