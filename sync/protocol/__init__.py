"""The sync wire protocol: the one definition of what client and server say to each other.

Shared by the client engine and the server (the server may import this package and nothing else
from ``sync``), so a change here is a protocol change: bump :data:`PROTOCOL_VERSION`
when an old client could misread a new answer. Every model forbids unknown fields, so a request
from a newer client is refused with a clear error instead of being half understood.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sync.limits import DEFAULT_WINDOW_DAYS as DEFAULT_WINDOW_DAYS  # the limits are the protocol's too
from sync.limits import MAX_DOCUMENT_BYTES as MAX_DOCUMENT_BYTES
from sync.limits import MAX_DOCUMENT_UPLOAD as MAX_DOCUMENT_UPLOAD
from sync.limits import MAX_WINDOW_DAYS as MAX_WINDOW_DAYS

#: Version spoken by this build. The server accepts exactly the versions in SUPPORTED_PROTOCOLS.
PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = frozenset({1})
#: Header every sync request carries; an older client is refused with 426 before anything changes.
PROTOCOL_HEADER = "X-ClinicDesk-Protocol"

MAX_PUSH_BATCH = 500
MAX_PULL_PAGE = 2000
DEFAULT_PULL_PAGE = 1000
#: Largest request body the server reads; bigger ones get 413 without being parsed.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Largest recording the server stores (bytes).
MAX_RECORDING_BYTES = 64 * 1024 * 1024


def _clean(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded at all: refuse both
    at the door with a 422 rather than failing deep inside a transaction."""
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text must not contain NUL characters or unpaired surrogates")
    return value


CleanStr = Annotated[str, AfterValidator(_clean)]
EntityName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
Reason = Annotated[str, Field(max_length=500)]
Secret = Annotated[CleanStr, Field(min_length=1, max_length=1024)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Operation(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class ResultStatus(StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    REJECTED = "rejected"


# --- authentication -------------------------------------------------------------------------------


class LoginRequest(Strict):
    username: Annotated[CleanStr, Field(min_length=1, max_length=64)]
    password: Secret
    device_id: uuid.UUID
    device_name: Annotated[CleanStr, Field(min_length=1, max_length=120)] = "workstation"
    #: the password chosen at a sign-in an administrator's reset requires it for (answer 428)
    new_password: Annotated[CleanStr, Field(min_length=8, max_length=1024)] | None = None


class RefreshRequest(Strict):
    refresh_token: Secret


class UserPublic(Strict):
    id: uuid.UUID
    username: str
    full_name: str
    role: str


class TokenPair(Strict):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    device_id: uuid.UUID
    user: UserPublic


class DevicePublic(Strict):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    revoked: bool
    last_seen_at: datetime | None = None


class DeviceList(Strict):
    devices: list[DevicePublic]


class UserCreate(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    password: Annotated[CleanStr, Field(min_length=8, max_length=1024)]
    full_name: Annotated[CleanStr, Field(min_length=1, max_length=160)]
    role: Annotated[str, Field(pattern=r"^(doctor|nurse|receptionist|admin)$")]
    email: Annotated[CleanStr, Field(max_length=254)] | None = None
    specialty: Annotated[CleanStr, Field(max_length=120)] | None = None
    credentials: Annotated[CleanStr, Field(max_length=64)] | None = None
    license_number: Annotated[CleanStr, Field(max_length=64)] | None = None
    phone_extension: Annotated[CleanStr, Field(max_length=16)] | None = None


#: What the server answers (401) to a deactivated account, and how a workstation recognises it.
ACCOUNT_DEACTIVATED = "this account has been deactivated by the practice's administrator"


class PasswordReset(Strict):
    """An administrator's new password for a staff account; the user must change it when they next
    sign in."""

    password: Annotated[CleanStr, Field(min_length=8, max_length=1024)]


class MrnRequest(Strict):
    count: Annotated[int, Field(ge=1, le=100_000)]


class MrnBlock(Strict):
    """MRN numbers reserved for one workstation: ``start`` up to (not including) ``end``."""

    start: int
    end: int


# --- push ----------------------------------------------------------------------------------------


class ChangeIn(Strict):
    """One outbox entry. ``id`` is the idempotency key; ``payload`` holds the changed fields in wire
    form (models.registry.row_to_dict); ``base_version`` is the server version the change was based
    on (null for a record the client created)."""

    id: uuid.UUID
    entity: EntityName
    record_id: uuid.UUID
    operation: Operation
    base_version: Annotated[int, Field(ge=0)] | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class PushRequest(Strict):
    changes: Annotated[list[ChangeIn], Field(max_length=MAX_PUSH_BATCH)]


class ChangeResult(Strict):
    """The server's answer for one change. ``server_record`` (the record as the server now holds it)
    is sent when the client's copy may differ from it: after a merge, a conflict or a rejection.
    ``fields`` names the client's fields that lost (conflict) or were refused (rejected)."""

    id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    status: ResultStatus
    version: int | None = None
    merged: bool = False
    fields: list[str] = Field(default_factory=list)
    reason: str | None = None
    server_record: dict[str, Any] | None = None


class PushResponse(Strict):
    results: list[ChangeResult]
    server_usn: int


# --- pull ----------------------------------------------------------------------------------------


class RecordOut(Strict):
    """A record as the server holds it: ``values`` in wire form, ``version`` its USN."""

    entity: str
    record_id: uuid.UUID
    version: int
    deleted: bool
    values: dict[str, Any]


class PullResponse(Strict):
    records: list[RecordOut]
    cursor: int
    has_more: bool


class BootstrapResponse(Strict):
    """What a new workstation downloads at first sign-in, plus the cursor to pull from afterwards."""

    records: list[RecordOut]
    cursor: int
    window_start: date
    window_end: date


class RecordRef(Strict):
    entity: EntityName
    record_id: uuid.UUID


class FetchRequest(Strict):
    """Records a client needs because something it pulled refers to them."""

    refs: Annotated[list[RecordRef], Field(max_length=MAX_PULL_PAGE)]


class FetchResponse(Strict):
    records: list[RecordOut]


# --- notes and recordings --------------------------------------------------------------------------


class NoteRevision(Strict):
    version: int
    kind: str
    fields: dict[str, Any]
    device_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    at: str


class NoteHistory(Strict):
    note_id: uuid.UUID
    revisions: list[NoteRevision]


class AmendRequest(Strict):
    """An amendment of a signed note through its own endpoint: the sections that change, why, and
    the note's version the author edited (a newer one is a conflict, not overwritten)."""

    content: dict[str, Any]
    reason: Annotated[CleanStr, Field(min_length=1, max_length=500)]
    base_version: Annotated[int, Field(ge=0, le=2**62)] | None = None


class UserUpdate(Strict):
    """What an administrator changes about a staff account (the same policy as a pushed change)."""

    full_name: Annotated[CleanStr, Field(min_length=1, max_length=160)] | None = None
    role: Annotated[str, Field(pattern=r"^(doctor|nurse|receptionist|admin)$")] | None = None
    active: bool | None = None
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None


class RecordingStored(Strict):
    recording_id: uuid.UUID
    size_bytes: int
    sha256: str


class DocumentStored(Strict):
    document_id: uuid.UUID
    size_bytes: int
    sha256: str


class Health(Strict):
    status: str
    protocol: int
    server_usn: int


class ErrorBody(Strict):
    detail: str


__all__ = [
    "DEFAULT_PULL_PAGE",
    "MAX_BODY_BYTES",
    "MAX_PULL_PAGE",
    "MAX_PUSH_BATCH",
    "MAX_RECORDING_BYTES",
    "PROTOCOL_HEADER",
    "PROTOCOL_VERSION",
    "SUPPORTED_PROTOCOLS",
    "AmendRequest",
    "BootstrapResponse",
    "ChangeIn",
    "ChangeResult",
    "DevicePublic",
    "ErrorBody",
    "FetchRequest",
    "FetchResponse",
    "Health",
    "LoginRequest",
    "NoteHistory",
    "NoteRevision",
    "Operation",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "RecordOut",
    "RecordRef",
    "RecordingStored",
    "RefreshRequest",
    "ResultStatus",
    "TokenPair",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
]
