"""Identity checks at the front desk (seed 000's verification): who confirmed which identifiers of a
patient, when, why, and with what result."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import IdentityContext

#: What may be confirmed. The full name and the date of birth always; one more of the rest.
ALWAYS_CONFIRMED = ("full_name", "date_of_birth")
MORE_IDENTIFIERS = ("phone", "address", "mrn", "insurance", "photo_id", "email")


class IdentityCheck(Synced, Base):
    """One attempt to confirm a patient's identity, kept whether it succeeded or not. Made once and
    never changed (a second attempt is a second row). ``identifiers`` names what was confirmed
    (never the values said); ``reason`` is why an unverified patient was checked in all the same."""

    __tablename__ = "identity_checks"
    __table_args__ = (Index("ix_identity_checks_patient_at", "patient_id", "at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    context: Mapped[IdentityContext] = mapped_column(str_enum(IdentityContext))
    identifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    checked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[datetime]
