"""the schema of issue 15 (prescriptions, orders and results, alerts, messages, documents)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Filled in by the work on issue 15; empty until then so that the two issues' revisions can be
written side by side without fighting over the chain.
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
