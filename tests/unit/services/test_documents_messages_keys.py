"""Documents checked by their content and sealed; the practice keys that let another user's
workstation open them (and nobody who left); staff messages with threads and read receipts."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import keyring
from app.ops import media as media_ops
from app.services import documents, messages
from app.store import create_store
from app.workspace import Workspace
from clinicdesk.errors import NotFoundError, ValidationError
from models import DeviceKey, Document, KeyGrant, User, row_to_dict
from models.enums import DocumentCategory, Role
from sync.protocol import MAX_DOCUMENT_BYTES
from tests.support.profiles import FAST_KDF
from tests.unit.services.conftest import Clinic


def png(width: int = 2, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = (
    bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
    + bytes.fromhex("ffda0008010100003f00")
    + b"\x12\x34"
    + b"\xff\xd9"
)


def test_files_are_known_by_their_content_and_a_damaged_or_foreign_one_is_refused() -> None:
    assert documents.sniff(png()) == "image/png"
    assert documents.sniff(PDF) == "application/pdf"
    assert documents.sniff(JPEG) == "image/jpeg"
    with pytest.raises(ValidationError, match="PNG image is damaged"):
        documents.sniff(png()[:-6])
    broken = bytearray(png())
    broken[20] ^= 0xFF  # the header's checksum no longer holds
    with pytest.raises(ValidationError, match="PNG image is damaged"):
        documents.sniff(bytes(broken))
    with pytest.raises(ValidationError, match="PDF is damaged"):
        documents.sniff(PDF[:-7])
    with pytest.raises(ValidationError, match="JPEG image is damaged"):
        documents.sniff(JPEG[:-2])
    with pytest.raises(ValidationError, match="none of them, whatever its name says"):
        documents.sniff(b"MZ\x90\x00 this is a program")
    with pytest.raises(ValidationError, match="at most 20 MB"):
        documents.check_size(MAX_DOCUMENT_BYTES + 1)


def _workspace(clinic: Clinic, username: str) -> Workspace:
    clinic.store.set_owner(username)
    return Workspace.for_store(clinic.store)


def test_an_oversized_or_renamed_attachment_is_refused_and_nothing_is_kept(
    clinic: Clinic, tmp_path: Path
) -> None:
    workspace = _workspace(clinic, "dr.who")
    big = tmp_path / "scan.pdf"
    with big.open("wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)
    renamed = tmp_path / "letter.pdf"
    renamed.write_bytes(b"GIF89a not really a pdf")
    for path, reason in ((big, "at most 20 MB"), (renamed, "none of them")):
        with pytest.raises(ValidationError, match=reason):
            media_ops.attach_file(workspace, clinic.patients[0].id, path, title="Referral letter")
    with workspace.reading() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0
    good = tmp_path / "photo.jpg"  # a PNG, whatever its name
    good.write_bytes(png())
    attached = media_ops.attach_file(workspace, clinic.patients[0].id, good, title="Wound photo").value
    assert attached.mime_type == "image/png" and attached.category is DocumentCategory.SCAN
    with workspace.reading() as s:
        stored = s.scalars(select(Document.blob)).one()
    assert stored is not None and stored.startswith(keyring.MAGIC) and b"IHDR" not in stored
    record, data = media_ops.open_document(workspace, attached.id)
    assert data == png() and record.title == "Wound photo"


def _copy(rows: list[object], into: Clinic) -> None:
    """What a sync carries between two workstations (records only, never ProfileSecret)."""
    with into.store.session() as s:
        for row in rows:
            model = type(row)
            values = {k: getattr(row, k) for k in row_to_dict(row)}  # type: ignore[arg-type]
            if s.get(model, values["id"]) is None:
                s.add(model(**values))


def test_a_document_sealed_on_one_workstation_opens_on_a_colleagues_once_the_key_is_shared(
    clinic: Clinic, tmp_path: Path
) -> None:
    # A second workstation of the same practice: the same people, its own store and key pair.
    other = create_store(tmp_path / "office", "correct horse", kdf=FAST_KDF)
    try:
        with clinic.store.session() as s:
            people = list(s.scalars(select(User)))
        with other.session() as s:
            for person in people:
                s.add(User(**{k: getattr(person, k) for k in row_to_dict(person)}))
            s.add(User(username="dr.b", full_name="Dr B", role=Role.DOCTOR))
        office = Clinic(other, clinic.doctor, clinic.nurse, clinic.patients)
        with other.session() as s:
            doctor_b = s.scalars(select(User).where(User.username == "dr.b")).one()
        # The office's doctor's workstation registers its key (after its first sync).
        with other.session(actor_id=doctor_b.id) as s:
            assert keyring.after_sync(s)
            office_key = s.scalars(select(DeviceKey)).one()
        _copy([doctor_b, office_key], clinic)
        # The exam room seals a secret before it has shared anything...
        with clinic.store.session(actor_id=clinic.doctor.id) as s:
            sealed, key_id = keyring.seal(s, b"clear words")
            grants = list(s.scalars(select(KeyGrant)))
            devices = list(s.scalars(select(DeviceKey)))
        # ...and the key was sealed for the office's device as it was made (it knew its public key).
        assert {g.device_key_id for g in grants} >= {office_key.id}
        with (
            other.session(actor_id=doctor_b.id) as s,
            pytest.raises(keyring.KeyUnavailable, match="not received"),
        ):
            keyring.open_sealed(s, sealed, what="document")
        _copy([*devices, *grants], office)
        with other.session(actor_id=doctor_b.id) as s:
            assert keyring.open_sealed(s, sealed, what="document") == b"clear words"
            assert keyring.current_key(s)[0] == key_id
        # Doctor B leaves: the exam room's next sync makes a new key that B's device never gets.
        with clinic.store.session(actor_id=clinic.doctor.id) as s:
            b = s.get(User, doctor_b.id)
            assert b is not None
            b.active = False
            assert keyring.needs_rotation(s)
            assert keyring.after_sync(s)
            new_key, _ = keyring.current_key(s)
            assert new_key != key_id and not keyring.needs_rotation(s)
            given = set(s.scalars(select(KeyGrant.device_key_id).where(KeyGrant.key_id == new_key)))
        assert office_key.id not in given
    finally:
        other.close()


def test_messages_thread_and_their_read_receipts_reach_the_sender(clinic: Clinic) -> None:
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        first = messages.send(
            s, recipient_id=clinic.nurse.id, subject="Ada's INR", body="Please book an INR check.",
            patient_id=clinic.patients[0].id,
        )  # fmt: skip
        with pytest.raises(ValidationError, match="needs some text"):
            messages.send(s, recipient_id=clinic.nurse.id, body="  ")
        with pytest.raises(ValidationError, match="someone else"):
            messages.send(s, recipient_id=clinic.doctor.id, body="to myself")
        [thread] = messages.threads(s)
        assert (
            thread.unread == 0 and thread.with_name == "Nurse Joy" and thread.patient_name == "Ada Lovelace"
        )
    with clinic.store.session(actor_id=clinic.nurse.id) as s:
        assert messages.unread_count(s) == 1
        [shown] = messages.read_thread(s, first.thread_id)
        assert shown.read_at is not None and messages.unread_count(s) == 0
        reply = messages.send(s, reply_to=first.id, body="Booked for Thursday.")
        assert (reply.thread_id, reply.recipient_id, reply.subject) == (
            first.thread_id,
            clinic.doctor.id,
            "Ada's INR",
        )
    with clinic.store.session(actor_id=clinic.doctor.id) as s:
        conversation = messages.thread(s, first.thread_id)
        assert [m.body for m in conversation] == ["Please book an INR check.", "Booked for Thursday."]
        assert conversation[0].mine and conversation[0].read_at is not None  # the receipt
        assert messages.unread_count(s) == 1
    with clinic.store.session(actor_id=clinic.nurse.id) as s, pytest.raises(NotFoundError):
        messages.send(s, reply_to=first.id.__class__(int=0), body="x")
