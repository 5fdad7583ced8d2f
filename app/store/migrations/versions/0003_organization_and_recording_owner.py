"""the organisation column and the recording's owner

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

The central server keeps practice groups apart by an ``organization_id`` on every synced row and
records who made each recording (only they may upload its audio). The workstation shares the
models, so its tables get the same columns: ``organization_id`` stays empty here (it never travels
in a payload), ``created_by_id`` arrives with the server's answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

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


def upgrade() -> None:
    for table in SYNCED_TABLES:
        op.add_column(table, sa.Column("organization_id", sa.Uuid(), nullable=True))
    # SQLite adds a column with its reference in place (no table rebuild, whose constraint order
    # Alembic does not keep stable).
    op.execute(
        "ALTER TABLE recordings ADD COLUMN created_by_id CHAR(32)"
        " CONSTRAINT fk_recordings_created_by_id_users REFERENCES users (id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_column("created_by_id")  # the rebuilt table leaves its reference out too
    for table in SYNCED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("organization_id")
