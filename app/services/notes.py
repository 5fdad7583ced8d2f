"""Encounters and clinical notes: drafting, signing, amending, version history.

A signed note never changes in place (DESIGN.md): every later change is an amendment with a reason,
stored as a new NoteVersion, so the history shows who changed what, when and why.

An editor's save names the note as it loaded it (:func:`save_edited_draft`): a sync may have brought
another workstation's text in the meantime, and writing the editor's copy over it would lose that
text without anyone seeing a conflict (the pull moved the note's version on, so the server would
take the save as based on it). Such a save keeps both, as a sync conflict does.
"""

from __future__ import annotations

import copy
import difflib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import note_review
from app.services import audit
from app.services.appointments import change_status
from app.services.roles import current_user, require_role
from clinicdesk.errors import NotFoundError, PermissionDeniedError, ValidationError
from models import (
    Appointment,
    ClinicalNote,
    Encounter,
    NoteVersion,
    SyncConflict,
    User,
    utcnow,
)
from models.enums import (
    SOAP_SECTIONS,
    AppointmentStatus,
    AppointmentType,
    EncounterStatus,
    EncounterType,
    NoteStatus,
    Role,
)

SECTIONS = SOAP_SECTIONS


@dataclass(frozen=True)
class EncounterRecord:
    id: uuid.UUID
    appointment_id: uuid.UUID | None
    patient_id: uuid.UUID
    clinician_id: uuid.UUID
    start: datetime
    status: EncounterStatus
    chief_complaint: str | None
    vitals: dict[str, Any]


@dataclass(frozen=True)
class NoteRecord:
    id: uuid.UUID
    encounter_id: uuid.UUID | None
    patient_id: uuid.UUID
    author_id: uuid.UUID
    status: NoteStatus
    content: dict[str, Any]
    raw_transcription: str | None
    utterances: list[dict[str, Any]]
    current_version: int
    signed_by_id: uuid.UUID | None
    signed_at: datetime | None
    updated_at: datetime

    @property
    def read_only(self) -> bool:
        return self.status is not NoteStatus.DRAFT


@dataclass(frozen=True)
class NoteVersionRecord:
    version_number: int
    author_id: uuid.UUID
    author_name: str
    at: datetime
    reason: str | None
    content: dict[str, Any]


def encounter_record(e: Encounter) -> EncounterRecord:
    return EncounterRecord(
        id=e.id,
        appointment_id=e.appointment_id,
        patient_id=e.patient_id,
        clinician_id=e.clinician_id,
        start=e.start_at,
        status=e.status,
        chief_complaint=e.chief_complaint,
        vitals=dict(e.vitals),
    )


def note_record(n: ClinicalNote) -> NoteRecord:
    return NoteRecord(
        id=n.id,
        encounter_id=n.encounter_id,
        patient_id=n.patient_id,
        author_id=n.author_id,
        status=n.status,
        content=dict(n.content),
        raw_transcription=n.raw_transcription,
        utterances=list(n.utterances),
        current_version=n.current_version,
        signed_by_id=n.signed_by_id,
        signed_at=n.signed_at,
        updated_at=n.updated_at,
    )


def _note(session: Session, note_id: uuid.UUID) -> ClinicalNote:
    note = session.get(ClinicalNote, note_id)
    if note is None or note.deleted_at is not None:
        raise NotFoundError("no such note in this profile")
    return note


def _encounter(session: Session, encounter_id: uuid.UUID) -> Encounter:
    enc = session.get(Encounter, encounter_id)
    if enc is None or enc.deleted_at is not None:
        raise NotFoundError("no such encounter in this profile")
    return enc


def open_encounter(session: Session, appointment_id: uuid.UUID) -> EncounterRecord:
    """The encounter for an appointment, created on first opening; the visit is then in progress."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.deleted_at is not None:
        raise NotFoundError("no such appointment in this profile")
    user = require_role(session, Role.DOCTOR, Role.NURSE, action="open an encounter")
    existing = session.scalars(
        select(Encounter).where(Encounter.appointment_id == appointment_id, Encounter.deleted_at.is_(None))
    ).first()
    if existing is None and appt.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        raise ValidationError("a cancelled or missed appointment has no encounter; book a new one")
    if appt.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED):
        change_status(session, appt.id, AppointmentStatus.CHECKED_IN)
    # a nurse taking vitals has not started the visit; the doctor opening it has
    if appt.status is AppointmentStatus.CHECKED_IN and user.role is Role.DOCTOR:
        change_status(session, appt.id, AppointmentStatus.IN_PROGRESS)
    if existing is not None:
        return encounter_record(existing)
    enc = Encounter(
        appointment_id=appt.id,
        clinician_id=appt.clinician_id,
        patient_id=appt.patient_id,
        encounter_type=(
            EncounterType.TELEMEDICINE
            if appt.appointment_type is AppointmentType.TELEMEDICINE
            else EncounterType.OFFICE_VISIT
        ),
        start_at=utcnow(),
        chief_complaint=appt.reason,
        status=EncounterStatus.IN_PROGRESS,
    )
    session.add(enc)
    session.flush()
    audit.record(session, action="create", resource_type="encounters", resource_id=enc.id)
    return encounter_record(enc)


def record_vitals(session: Session, encounter_id: uuid.UUID, vitals: dict[str, Any]) -> EncounterRecord:
    """A nurse's vitals for a checked-in patient; the doctor's note picks them up."""
    require_role(session, Role.NURSE, Role.DOCTOR, action="record vitals")
    enc = _encounter(session, encounter_id)
    old = dict(enc.vitals)
    enc.vitals = {**old, **{k: v for k, v in vitals.items() if v not in (None, "")}}
    audit.record(
        session, action="update", resource_type="encounters", resource_id=enc.id, old=old, new=enc.vitals
    )
    for note in session.scalars(
        select(ClinicalNote).where(
            ClinicalNote.encounter_id == enc.id, ClinicalNote.status == NoteStatus.DRAFT
        )
    ):
        note.content = {**note.content, "vitals": {**enc.vitals, **note.content.get("vitals", {})}}
    session.flush()
    return encounter_record(enc)


def create_note(session: Session, encounter_id: uuid.UUID) -> NoteRecord:
    """A draft SOAP note for the encounter, or the existing draft: one visit, one working note."""
    user = require_role(session, Role.DOCTOR, action="write a clinical note")
    enc = _encounter(session, encounter_id)
    draft = session.scalars(
        select(ClinicalNote).where(
            ClinicalNote.encounter_id == enc.id,
            ClinicalNote.status == NoteStatus.DRAFT,
            ClinicalNote.deleted_at.is_(None),
        )
    ).first()
    if draft is not None:
        return note_record(draft)
    note = ClinicalNote(
        encounter_id=enc.id,
        patient_id=enc.patient_id,
        author_id=user.id,
        content={**{s: "" for s in SECTIONS}, "vitals": dict(enc.vitals), "medications": [], "diagnoses": []},
        note_metadata={"edit_count": 0, "word_count": 0, "recording_seconds": 0.0},
    )
    session.add(note)
    session.flush()
    audit.record(session, action="create", resource_type="clinical_notes", resource_id=note.id)
    return note_record(note)


def _word_count(content: dict[str, Any]) -> int:
    return sum(len(str(content.get(s, "")).split()) for s in SECTIONS)


def save_draft(
    session: Session,
    note_id: uuid.UUID,
    content: dict[str, Any],
    *,
    raw_transcription: str | None = None,
    utterances: list[dict[str, Any]] | None = None,
    recording_seconds: float | None = None,
) -> NoteRecord:
    note = _note(session, note_id)
    user = current_user(session)
    if note.status is not NoteStatus.DRAFT:
        raise ValidationError("this note is signed and read-only; amend it with a reason instead")
    if note.author_id != user.id and user.role is not Role.ADMIN:
        raise PermissionDeniedError("only the note's author can edit this draft")
    note.content = {**note.content, **content}
    if raw_transcription is not None:
        note.raw_transcription = raw_transcription
    if utterances is not None:
        note.utterances = utterances
        confidences = [float(u["confidence"]) for u in utterances if u.get("confidence") is not None]
        note.engine_confidence = sum(confidences) / len(confidences) if confidences else None
    meta = dict(note.note_metadata)
    meta["edit_count"] = int(meta.get("edit_count", 0)) + 1
    meta["word_count"] = _word_count(note.content)
    if recording_seconds is not None:
        meta["recording_seconds"] = float(meta.get("recording_seconds", 0.0)) + recording_seconds
    note.note_metadata = meta
    audit.record(session, action="update", resource_type="clinical_notes", resource_id=note.id)
    session.flush()
    return note_record(note)


@dataclass(frozen=True)
class EditorSave:
    """What an editor's save did. ``conflict_id`` is set when the stored note had changed since the
    editor loaded it: the stored note is then left as it is and the editor's text is kept beside it
    as an open conflict, to be reconciled like one a sync found."""

    note: NoteRecord
    conflict_id: uuid.UUID | None = None


def save_edited_draft(
    session: Session,
    note_id: uuid.UUID,
    content: dict[str, Any],
    *,
    loaded_at: datetime,
    raw_transcription: str | None = None,
    utterances: list[dict[str, Any]] | None = None,
    recording_seconds: float | None = None,
) -> EditorSave:
    """Saves the editor's draft unless the stored note changed after ``loaded_at`` (its
    ``updated_at`` when the editor loaded or last saved it). A local save moves that marker and a
    pulled change sets it to the other workstation's, while a push's acknowledgement leaves it alone,
    so a different marker means someone else's text arrived. Then nothing is overwritten: the
    editor's text becomes an open conflict beside the stored note (which stays current, as the
    server's text does in a sync conflict), unless the save would change nothing."""
    note = _note(session, note_id)
    if note.updated_at == loaded_at:
        view = save_draft(
            session,
            note_id,
            content,
            raw_transcription=raw_transcription,
            utterances=utterances,
            recording_seconds=recording_seconds,
        )
        return EditorSave(view)
    user = current_user(session)
    if note.author_id != user.id and user.role is not Role.ADMIN:
        raise PermissionDeniedError("only the note's author can edit this draft")
    mine: dict[str, Any] = {"content": {**note.content, **content}}
    if raw_transcription is not None:
        mine["raw_transcription"] = raw_transcription
    if utterances is not None:
        mine["utterances"] = utterances
    stored: dict[str, Any] = {name: copy.deepcopy(getattr(note, name)) for name in mine}
    differing = sorted(name for name in mine if mine[name] != stored[name])
    if not differing:
        return EditorSave(note_record(note))  # the stored note already says what the editor does
    conflict = SyncConflict(
        entity=ClinicalNote.__tablename__,
        record_id=note.id,
        fields=differing,
        local_values=mine,
        server_values=stored,
    )
    session.add(conflict)
    session.flush()
    audit.record(
        session,
        action="conflict",
        resource_type="clinical_notes",
        resource_id=note.id,
        new={"conflict_id": str(conflict.id), "fields": differing},
        reason="the note changed on another workstation while it was being edited here",
    )
    session.flush()
    return EditorSave(note_record(note), conflict.id)


def sign_note(session: Session, note_id: uuid.UUID, *, unreviewed_confirmed: int = 0) -> NoteRecord:
    """Signs a draft. Dictation's automatic changes and uncertain words that nobody reviewed need the
    doctor's explicit confirmation, naming how many (``unreviewed_confirmed``, so a confirmation given
    for another count does not do); who confirmed, when and how many is kept with the note
    (app.note_review: signing is allowed after confirming, never silently)."""
    user = require_role(session, Role.DOCTOR, action="sign a note")
    note = _note(session, note_id)
    if note.status is not NoteStatus.DRAFT:
        raise ValidationError("this note is already signed")
    if not any(str(note.content.get(s, "")).strip() for s in SECTIONS):
        raise ValidationError("an empty note cannot be signed")
    now = utcnow()
    confirmation = note_review.signing_record(
        note.content, user_id=str(user.id), user_name=user.full_name, at=now
    )
    if confirmation is not None:
        if confirmation["count"] != unreviewed_confirmed:
            raise ValidationError(
                f"{confirmation['count']} automatic change(s) or uncertain word(s) in the note are "
                f"still unreviewed: review them, or confirm that you sign with them"
            )
        note.content = {**note.content, note_review.SIGN_CONFIRMATION: confirmation}
    note.status = NoteStatus.SIGNED
    note.signed_by_id = user.id
    note.signed_at = now
    note.current_version = 1
    session.flush()  # the note's change is queued for sync before the version made from it
    session.add(
        NoteVersion(note_id=note.id, version_number=1, content=dict(note.content), author_id=user.id, at=now)
    )
    signed: dict[str, Any] = {"status": NoteStatus.SIGNED.value}
    if confirmation is not None:
        signed["unreviewed_marks_confirmed"] = confirmation["count"]
    audit.record(
        session,
        action="sign",
        resource_type="clinical_notes",
        resource_id=note.id,
        old={"status": NoteStatus.DRAFT.value},
        new=signed,
    )
    session.flush()
    return note_record(note)


def amend_note(
    session: Session,
    note_id: uuid.UUID,
    content: dict[str, Any],
    *,
    reason: str,
    base_version: int | None = None,
) -> NoteRecord:
    """Makes a new version of a signed note. ``base_version`` is the version the user edited: if
    the note has moved on since (a sync brought another workstation's amendment), nothing is saved
    and the error says so, because saving would silently undo that amendment."""
    user = current_user(session)
    note = _note(session, note_id)
    if note.status is NoteStatus.DRAFT:
        raise ValidationError("a draft is edited directly; only a signed note is amended")
    if note.author_id != user.id and user.role is not Role.ADMIN:
        raise PermissionDeniedError("only the note's author or an administrator can amend a signed note")
    if base_version is not None and note.current_version != base_version:
        raise ValidationError(
            f"the note was amended elsewhere while you edited it: it is now version "
            f"{note.current_version}, and you edited version {base_version}. Nothing was saved and "
            f"your text is still here; copy what you need, close this, and amend the new version"
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError("an amendment needs a reason")
    new_content = {**note.content, **content}
    if new_content == note.content:
        raise ValidationError("the amendment changes nothing")
    now = utcnow()
    note.current_version += 1
    note.content = new_content
    note.status = NoteStatus.AMENDED
    session.flush()  # as in sign_note: the server makes the version from the note it already has
    session.add(
        NoteVersion(
            note_id=note.id,
            version_number=note.current_version,
            content=dict(new_content),
            author_id=user.id,
            at=now,
            reason=reason,
        )
    )
    audit.record(
        session,
        action="amend",
        resource_type="clinical_notes",
        resource_id=note.id,
        new={"version": note.current_version},
        reason=reason,
    )
    session.flush()
    return note_record(note)


def note_history(session: Session, note_id: uuid.UUID) -> list[NoteVersionRecord]:
    _note(session, note_id)
    rows = session.execute(
        select(NoteVersion, User.full_name)
        .join(User, User.id == NoteVersion.author_id)
        .where(NoteVersion.note_id == note_id, NoteVersion.deleted_at.is_(None))
        .order_by(NoteVersion.version_number)
    ).all()
    audit.record(session, action="read", resource_type="clinical_notes", resource_id=note_id)
    return [
        NoteVersionRecord(
            version_number=v.version_number,
            author_id=v.author_id,
            author_name=name,
            at=v.at,
            reason=v.reason,
            content=dict(v.content),
        )
        for v, name in rows
    ]


def diff_sections(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """Side-by-side differences per SOAP section: rows of (tag, old line, new line), tag being one of
    "equal", "replace", "delete", "insert" (difflib's opcodes), for sections that changed."""
    result: dict[str, list[tuple[str, str, str]]] = {}
    for section in SECTIONS:
        a = str(old.get(section, "")).splitlines()
        b = str(new.get(section, "")).splitlines()
        if a == b:
            continue
        rows: list[tuple[str, str, str]] = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            left, right = a[i1:i2], b[j1:j2]
            for k in range(max(len(left), len(right))):
                rows.append((tag, left[k] if k < len(left) else "", right[k] if k < len(right) else ""))
        result[section] = rows
    return result


def complete_encounter(session: Session, encounter_id: uuid.UUID) -> EncounterRecord:
    require_role(session, Role.DOCTOR, action="complete an encounter")
    enc = _encounter(session, encounter_id)
    if enc.status is not EncounterStatus.IN_PROGRESS:
        return encounter_record(enc)
    enc.status = EncounterStatus.COMPLETED
    enc.end_at = utcnow()
    if enc.appointment_id is not None:
        appt = session.get(Appointment, enc.appointment_id)
        if appt is not None and appt.status is AppointmentStatus.IN_PROGRESS:
            change_status(session, appt.id, AppointmentStatus.COMPLETED)
    audit.record(
        session, action="update", resource_type="encounters", resource_id=enc.id, new={"status": "completed"}
    )
    session.flush()
    return encounter_record(enc)


def encounter_notes(session: Session, encounter_id: uuid.UUID) -> list[NoteRecord]:
    """The encounter's notes, newest first, so reopening a visit shows its note as it stands."""
    _encounter(session, encounter_id)
    rows = session.scalars(
        select(ClinicalNote)
        .where(ClinicalNote.encounter_id == encounter_id, ClinicalNote.deleted_at.is_(None))
        .order_by(ClinicalNote.created_at.desc())
    ).all()
    for note in rows:
        audit.record(session, action="read", resource_type="clinical_notes", resource_id=note.id)
    return [note_record(n) for n in rows]
