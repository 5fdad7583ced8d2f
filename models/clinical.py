"""Encounters, clinical notes with their versions, recordings, prescriptions and orders."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import (
    EncounterStatus,
    EncounterType,
    NoteStatus,
    NoteType,
    OrderStatus,
    OrderType,
    PrescriptionStatus,
    RecordingStatus,
)


class Encounter(Synced, Base):
    __tablename__ = "encounters"

    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_type: Mapped[EncounterType] = mapped_column(
        str_enum(EncounterType), default=EncounterType.OFFICE_VISIT
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None] = mapped_column(default=None)
    chief_complaint: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[EncounterStatus] = mapped_column(
        str_enum(EncounterStatus), default=EncounterStatus.IN_PROGRESS
    )
    vitals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClinicalNote(Synced, Base):
    """``content`` is {"subjective", "objective", "assessment", "plan"} (text) plus structured parts
    {"vitals": {...}, "medications": [...], "diagnoses": [...], "plan_items": [...]}.
    ``utterances`` keeps the raw transcription per utterance with the engine's confidence."""

    __tablename__ = "clinical_notes"

    encounter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("encounters.id"), index=True, default=None
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    note_type: Mapped[NoteType] = mapped_column(str_enum(NoteType), default=NoteType.SOAP)
    status: Mapped[NoteStatus] = mapped_column(str_enum(NoteStatus), default=NoteStatus.DRAFT)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raw_transcription: Mapped[str | None] = mapped_column(Text, default=None)
    utterances: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    engine_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    note_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    template: Mapped[str | None] = mapped_column(String(64), default=None)
    current_version: Mapped[int] = mapped_column(Integer, default=1)


class NoteVersion(Synced, Base):
    __tablename__ = "note_versions"
    __table_args__ = (UniqueConstraint("note_id", "version_number"),)

    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinical_notes.id"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(500), default=None)


class Recording(Synced, Base):
    """A dictation recording. The audio itself is AES-GCM encrypted (``audio`` = nonce + ciphertext)
    with a key that never leaves the encrypted store; it is not part of the row's sync payload.
    ``created_by_id`` is whoever made the recording: the server sets it from the signed-in user, and
    only that user may upload the audio, once."""

    __tablename__ = "recordings"

    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounters.id"), default=None)
    note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clinical_notes.id"), index=True, default=None
    )
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    mime_type: Mapped[str] = mapped_column(String(64), default="audio/wav")
    status: Mapped[RecordingStatus] = mapped_column(
        str_enum(RecordingStatus), default=RecordingStatus.RECORDING
    )
    engine: Mapped[str | None] = mapped_column(String(32), default=None)
    model: Mapped[str | None] = mapped_column(String(120), default=None)
    processing_stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retention_until: Mapped[date | None] = mapped_column(Date, default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    audio: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)


class Prescription(Synced, Base):
    __tablename__ = "prescriptions"

    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounters.id"), default=None)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    prescriber_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[PrescriptionStatus] = mapped_column(
        str_enum(PrescriptionStatus), default=PrescriptionStatus.DRAFT
    )
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    #: the prescription this one renews (its items were copied from it)
    renewed_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("prescriptions.id"), default=None)
    #: the safety checks shown at signing and the doctor's decision (app/services/prescribing.py)
    safety: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: refills handed out so far: [{"item_id", "at", "by"}]; refills remaining = item.refills - used
    refill_log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    printed_at: Mapped[datetime | None] = mapped_column(default=None)


class PrescriptionItem(Synced, Base):
    __tablename__ = "prescription_items"

    prescription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    medication: Mapped[str] = mapped_column(String(200))
    dosage: Mapped[str | None] = mapped_column(String(64), default=None)
    frequency: Mapped[str | None] = mapped_column(String(64), default=None)
    duration: Mapped[str | None] = mapped_column(String(64), default=None)
    quantity: Mapped[str | None] = mapped_column(String(32), default=None)
    refills: Mapped[int] = mapped_column(Integer, default=0)
    instructions: Mapped[str | None] = mapped_column(Text, default=None)


class Order(Synced, Base):
    __tablename__ = "orders"

    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounters.id"), default=None)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    orderer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    order_type: Mapped[OrderType] = mapped_column(str_enum(OrderType))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.DRAFT)
    priority: Mapped[str | None] = mapped_column(String(16), default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    resulted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)


class OrderItem(Synced, Base):
    __tablename__ = "order_items"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(32), default=None)
    name: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str | None] = mapped_column(Text, default=None)
