"""Tables only the central server has. They live on their own MetaData so they never appear in a
workstation's local store, whose schema is exactly ``models.Base.metadata``."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    false,
)

from models import User
from models.base import NAMING_CONVENTION

server_metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: Practice groups. Every synced row carries the id of its organisation (``organization_id``), set
#: from the signed-in user; PostgreSQL row-level security keeps organisations apart behind the
#: service's own filters (migration 0005). Made by the server's operators, never by a workstation.
organizations = Table(
    "organizations",
    server_metadata,
    Column("id", Uuid(), primary_key=True),
    Column("name", String(160), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
#: The organisation that data from before organisations existed (and --dev, and a first deployment)
#: belongs to.
DEFAULT_ORGANIZATION_ID = uuid.UUID("018f0000-0000-7000-8000-00000000c0de")

#: One row holding the last update sequence number handed out. A push locks it only for the short
#: transaction that reserves its block of USNs (and registers the block in push_inflight).
usn_counter = Table(
    "usn_counter",
    server_metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: The latest USN of every synced record (one row per record, moved forward on each change), and
#: which device wrote each field at which USN: what the conflict rule needs to tell a concurrent edit
#: from the device's own history.
change_log = Table(
    "change_log",
    server_metadata,
    Column("entity", String(64), primary_key=True),
    Column("record_id", Uuid(), primary_key=True),
    Column("usn", BigInteger, nullable=False, unique=True),
    Column("field_usns", JSON, nullable=False),
    #: The record's organisation, so a pull reads only its own organisation's changes.
    Column("organization_id", Uuid(), nullable=True),
    Index("ix_change_log_organization_usn", "organization_id", "usn"),
)

#: Answers already given to pushed outbox entries: a replayed entry gets the same answer and changes
#: nothing (the outbox id is the idempotency key).
applied_changes = Table(
    "applied_changes",
    server_metadata,
    Column("outbox_id", Uuid(), primary_key=True),
    Column("device_id", Uuid(), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("result", JSON, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

credentials = Table(
    "credentials",
    server_metadata,
    Column("user_id", Uuid(), ForeignKey(User.__table__.c.id), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    #: set when an administrator resets the password: the next sign-in must choose a new one
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
)

devices = Table(
    "devices",
    server_metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey(User.__table__.c.id), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    #: Moved on by every sign-out: an access token carries the value it was issued under and is
    #: refused once the device has moved past it, so signing out ends the session at once.
    Column("session_epoch", Integer, nullable=False, server_default="0"),
)

refresh_tokens = Table(
    "refresh_tokens",
    server_metadata,
    Column("id", Uuid(), primary_key=True),
    Column("device_id", Uuid(), ForeignKey("devices.id"), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    #: The token issued in exchange for this one.
    Column("replaced_by", Uuid(), nullable=True),
    Index("ix_refresh_tokens_device", "device_id"),
)

#: Committed versions of documents kept in MongoDB (note texts). A document whose version is not
#: listed here belongs to a push that rolled back and is never shown.
document_versions = Table(
    "document_versions",
    server_metadata,
    Column("entity", String(64), primary_key=True),
    Column("record_id", Uuid(), primary_key=True),
    Column("usn", BigInteger, primary_key=True),
)

#: Pushes in flight: the first USN of each one's reserved block and its transaction id. The push
#: deletes its row in its own transaction; pull reads only below the lowest block whose transaction
#: its snapshot does not yet see (services/horizon.py).
push_inflight = Table(
    "push_inflight",
    server_metadata,
    Column("first_usn", BigInteger, primary_key=True),
    Column("xid", BigInteger, nullable=False),
)

#: Usernames in their canonical form (lower case): one row per account, so "ADMIN" cannot be made
#: beside "admin" (whether through /users or a pushed users record), and sign-in, lockout and
#: uniqueness all go by the same name.
usernames = Table(
    "usernames",
    server_metadata,
    Column("username_key", String(64), primary_key=True),
    Column("user_id", Uuid(), ForeignKey(User.__table__.c.id), nullable=False, unique=True),
)

#: Failed sign-ins per username (lower-cased), whether or not the account exists, so a lockout says
#: nothing about which usernames are real. Cleared by a successful sign-in.
login_failures = Table(
    "login_failures",
    server_metadata,
    Column("username", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)

#: The next MRN number of each organisation. Workstations reserve blocks of numbers from it while
#: online (services/mrn.py), so two of them registering patients offline never give out the same
#: MRN. Behind row-level security like the records (migration 0006).
mrn_counters = Table(
    "mrn_counters",
    server_metadata,
    Column("organization_id", Uuid(), primary_key=True),
    Column("next_number", BigInteger, nullable=False),
)
