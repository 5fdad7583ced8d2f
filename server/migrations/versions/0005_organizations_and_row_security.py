"""organisations with row-level security, canonical usernames, session epochs, recording owners

Each practice group is an organisation. Every synced row and every change-log entry carries its
organisation; the service reads and writes records as ``clinicdesk_app``, a role that owns nothing,
and PostgreSQL's row-level security shows it only the organisation its transaction named. Data from
before this revision belongs to the default organisation.

Usernames get a canonical (lower-case) form that is unique, so "ADMIN" cannot be made beside
"admin". Where the table already holds such a pair, the older account keeps the name and the newer
one cannot sign in until an administrator renames it. Devices get a session epoch that a sign-out
moves on, so an access token stops working at once. A recording gets the account that made it
(taken from the audit trail for existing ones), the only one who may upload its audio.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server import rls
from server.db import APP_ROLE

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEFAULT_ORGANIZATION_ID = "018f0000-0000-7000-8000-00000000c0de"
#: The synced tables as they were at this revision (written out: a migration must not follow the
#: models as they change later).
SYNCED_TABLES = (
    "users",
    "practices",
    "patients",
    "care_team",
    "insurances",
    "conditions",
    "appointments",
    "time_blocks",
    "encounters",
    "clinical_notes",
    "note_versions",
    "recordings",
    "prescriptions",
    "prescription_items",
    "orders",
    "order_items",
    "tasks",
    "alerts",
    "messages",
    "audit_events",
)
#: What the service's role may do. No DELETE on records (tombstones are updates), none at all on
#: the audit trail but adding to it, nothing on credentials, devices or tokens (the owner engine
#: handles sign-in).
GRANTS = {
    **{table: "SELECT, INSERT, UPDATE" for table in SYNCED_TABLES if table != "audit_events"},
    "audit_events": "SELECT, INSERT",
    "change_log": "SELECT, INSERT, UPDATE",
    "applied_changes": "SELECT, INSERT",
    "document_versions": "SELECT, INSERT",
    "usn_counter": "SELECT",
    "push_inflight": "SELECT, DELETE",
    "usernames": "SELECT, INSERT, DELETE",
}


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    default = {"org": DEFAULT_ORGANIZATION_ID}
    op.execute(
        sa.text(
            "INSERT INTO organizations (id, name, created_at)"
            " VALUES (CAST(:org AS uuid), 'Default organisation', now())"
        ).bindparams(**default)
    )
    for table in (*SYNCED_TABLES, "change_log"):
        op.add_column(table, sa.Column("organization_id", sa.Uuid(), nullable=True))
        backfill = f'UPDATE "{table}" SET organization_id = CAST(:org AS uuid)'  # noqa: S608
        op.execute(sa.text(backfill).bindparams(**default))
    op.create_index("ix_change_log_organization_usn", "change_log", ["organization_id", "usn"], unique=False)

    op.add_column("recordings", sa.Column("created_by_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_recordings_created_by_id_users"), "recordings", "users", ["created_by_id"], ["id"]
    )
    op.execute(
        "UPDATE recordings r SET created_by_id = a.user_id FROM audit_events a"
        " WHERE a.resource_type = 'recordings' AND a.action = 'create' AND a.resource_id = r.id"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id)"
    )

    op.add_column("devices", sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "usernames",
        sa.Column("username_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_usernames_user_id_users")),
        sa.PrimaryKeyConstraint("username_key", name=op.f("pk_usernames")),
        sa.UniqueConstraint("user_id", name=op.f("uq_usernames_user_id")),
    )
    op.execute(
        "INSERT INTO usernames (username_key, user_id)"
        " SELECT lower(username), id FROM users ORDER BY created_at, id ON CONFLICT DO NOTHING"
    )

    op.execute(rls.create_app_role())
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    for table, privileges in GRANTS.items():
        op.execute(rls.grant(table, privileges))
    for table in (*SYNCED_TABLES, "change_log"):
        for statement in rls.isolate(table):
            op.execute(statement)


def downgrade() -> None:
    for table in (*SYNCED_TABLES, "change_log"):
        for statement in rls.release(table):
            op.execute(statement)
    for table in GRANTS:
        op.execute(f'REVOKE ALL ON "{table}" FROM {APP_ROLE}')
    op.drop_table("usernames")
    op.drop_column("devices", "session_epoch")
    op.drop_constraint(op.f("fk_recordings_created_by_id_users"), "recordings", type_="foreignkey")
    op.drop_column("recordings", "created_by_id")
    op.drop_index("ix_change_log_organization_usn", table_name="change_log")
    for table in (*SYNCED_TABLES, "change_log"):
        op.drop_column(table, "organization_id")
    op.drop_table("organizations")
