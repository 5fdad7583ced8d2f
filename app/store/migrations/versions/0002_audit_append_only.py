"""audit events are append-only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The audit trail must hold even against a buggy service or a hand-edited query, so the database
itself refuses UPDATE and DELETE on audit_events. The sync engine's acknowledgement (setting the
server version) is the one update allowed: it changes no audited content.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_GUARDED = (
    "user_id",
    "action",
    "resource_type",
    "resource_id",
    "old_values",
    "new_values",
    "reason",
    "workstation",
    "session_id",
    "at",
)


def upgrade() -> None:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _GUARDED)
    op.execute(
        f"""
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        WHEN {changed}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
