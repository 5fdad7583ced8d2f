"""the schema of issue 14 (practice set-up, staff, patient registration, scheduling)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Filled in by the work on issue 14; empty until then so that the two issues' revisions can be
written side by side without fighting over the chain.
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
