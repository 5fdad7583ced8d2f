"""pushes in flight: the pull horizon

Pushes no longer queue behind one lock for their whole transaction. Each reserves a block of USNs in
a short transaction of its own and registers the block here with its transaction id, and deletes the
row in its own transaction, so the row disappears exactly when the push's records become visible.
Pull reads only below the lowest block still in flight (services/horizon.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_inflight",
        sa.Column("first_usn", sa.BigInteger(), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("first_usn", name=op.f("pk_push_inflight")),
    )


def downgrade() -> None:
    op.drop_table("push_inflight")
