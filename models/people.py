"""Staff, practice, patients and what hangs directly off a patient's chart."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import AllergyStatus, CareTeamStatus, ConditionStatus, PatientStatus, Role


class User(Synced, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    full_name: Mapped[str] = mapped_column(String(160))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    specialty: Mapped[str | None] = mapped_column(String(120), default=None)
    credentials: Mapped[str | None] = mapped_column(String(64), default=None)
    license_number: Mapped[str | None] = mapped_column(String(64), default=None)
    phone_extension: Mapped[str | None] = mapped_column(String(16), default=None)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class Practice(Synced, Base):
    """One practice. ``business_hours`` maps ISO weekday ("1" = Monday) to ["HH:MM", "HH:MM"];
    ``holiday_schedule`` is a list of ISO dates; ``appointment_types`` maps an AppointmentType value
    to {"duration_minutes", "min_lead_hours", "max_lead_days"} (models/booking_rules.py reads them).
    New patients get MRNs of ``mrn_prefix`` and ``mrn_digits`` digits ("MRN0001234")."""

    __tablename__ = "practices"

    name: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holiday_schedule: Mapped[list[str]] = mapped_column(JSON, default=list)
    appointment_types: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    insurance_plans_accepted: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the practice's own limits for the critical-vital alert rule (app/alert_rules.py), e.g.
    #: {"heart_rate": [40, 130]}; what is not given falls back to resources/vocab/vital_limits.json
    alert_thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mrn_prefix: Mapped[str] = mapped_column(String(16), default="MRN")
    mrn_digits: Mapped[int] = mapped_column(Integer, default=7)


class Patient(Synced, Base):
    """A patient. ``last_name_key``/``first_name_key`` are case-folded copies for indexed prefix
    search that works the same on SQLite and PostgreSQL (no engine-specific collations)."""

    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_last_first_key", "last_name_key", "first_name_key"),
        Index("ix_patients_first_name_key", "first_name_key"),
        Index("ix_patients_date_of_birth", "date_of_birth"),
    )

    mrn: Mapped[str] = mapped_column(String(32), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    first_name_key: Mapped[str] = mapped_column(String(80), default="")
    last_name_key: Mapped[str] = mapped_column(String(80), default="")
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(32), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    address_street: Mapped[str | None] = mapped_column(String(200), default=None)
    address_city: Mapped[str | None] = mapped_column(String(100), default=None)
    address_region: Mapped[str | None] = mapped_column(String(100), default=None)
    address_postal_code: Mapped[str | None] = mapped_column(String(20), default=None)
    address_country: Mapped[str | None] = mapped_column(String(64), default=None)
    emergency_contact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    blood_group: Mapped[str | None] = mapped_column(String(8), default=None)
    allergies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    allergy_status: Mapped[AllergyStatus] = mapped_column(
        str_enum(AllergyStatus), default=AllergyStatus.NOT_RECORDED
    )
    preferred_language: Mapped[str | None] = mapped_column(String(32), default=None)
    preferred_contact_method: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[PatientStatus] = mapped_column(str_enum(PatientStatus), default=PatientStatus.ACTIVE)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CareTeam(Synced, Base):
    __tablename__ = "care_team"
    __table_args__ = (Index("ix_care_team_provider_patient", "provider_id", "patient_id"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(64), default=None)
    start_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[CareTeamStatus] = mapped_column(str_enum(CareTeamStatus), default=CareTeamStatus.ACTIVE)


class Insurance(Synced, Base):
    __tablename__ = "insurances"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    payer: Mapped[str] = mapped_column(String(120))
    policy_number: Mapped[str] = mapped_column(String(64))
    group_number: Mapped[str | None] = mapped_column(String(64), default=None)
    coverage_type: Mapped[str | None] = mapped_column(String(32), default=None)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    effective_date: Mapped[date | None] = mapped_column(Date, default=None)
    expiry_date: Mapped[date | None] = mapped_column(Date, default=None)


class Condition(Synced, Base):
    __tablename__ = "conditions"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    icd10_code: Mapped[str | None] = mapped_column(String(16), default=None)
    diagnosed_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[ConditionStatus] = mapped_column(str_enum(ConditionStatus), default=ConditionStatus.ACTIVE)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: the signed note whose assessment named this diagnosis, when it was added from there
    source_note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinical_notes.id"), default=None)
