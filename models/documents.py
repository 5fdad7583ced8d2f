"""Documents attached to a chart (scans, letters, printed prescriptions and notes), and the keys that
let every authorised workstation open them and the recordings (docs/DESIGN-keys.md).

The bytes of a document never travel in its record: they are encrypted on the workstation with the
practice's data key (``blob``, like a recording's ``audio``) and uploaded to the server's GridFS apart
from the row. The data key itself is never stored anywhere in the clear: each workstation profile has
a key pair (:class:`DeviceKey`, public half synced), and each data key is sealed to each authorised
device's public key (:class:`KeyGrant`). The server keeps public keys and sealed grants only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import DocumentCategory


class Document(Synced, Base):
    """A file of a patient's chart, optionally of one encounter. ``source``/``source_id`` name the
    record it was printed from (a prescription, a note). ``key_id`` is the data key it is sealed with."""

    __tablename__ = "documents"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounters.id"), default=None)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(200), default=None)
    category: Mapped[DocumentCategory] = mapped_column(
        str_enum(DocumentCategory), default=DocumentCategory.OTHER
    )
    mime_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    key_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    source: Mapped[str | None] = mapped_column(String(32), default=None)
    source_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)


class DeviceKey(Synced, Base):
    """The public half of one workstation profile's key pair (X25519, base64). The private half stays
    in that profile's encrypted store. ``revoked_at`` (an administrator's) stops new grants to it."""

    __tablename__ = "device_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(120), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class KeyGrant(Synced, Base):
    """One data key (``key_id``) sealed to one device's public key: only that device opens
    ``wrapped_key``. Everyone may read grants (they are useless without the device's private key),
    which is how a workstation knows which devices still need one."""

    __tablename__ = "key_grants"

    key_id: Mapped[uuid.UUID] = mapped_column(index=True)
    device_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device_keys.id"), index=True)
    wrapped_key: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
