"""the schema of issue 14 (practice set-up, staff, patient registration, scheduling)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

The shared models' new fields (see the workstation's migration 0004: MRN format, allergy status,
problem-list provenance, reschedule history, time-block series), the identity checks of the front
desk (behind row-level security like every synced table), a password an administrator reset that
must be changed at the next sign-in, and each organisation's counter of MRN numbers, from which
workstations reserve blocks so two of them registering offline never give out the same MRN.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import models.base
from server import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GRANTS = {"identity_checks": "SELECT, INSERT, UPDATE", "mrn_counters": "SELECT, INSERT, UPDATE"}


def _column_then_no_default(table: str, name: str, kind: sa.types.TypeEngine[Any], default: str) -> None:
    """A NOT NULL column for the rows already there, whose default then leaves with the migration
    (the models give every new row its value)."""
    op.add_column(table, sa.Column(name, kind, server_default=sa.text(default), nullable=False))
    op.alter_column(table, name, server_default=None)


def upgrade() -> None:
    _column_then_no_default("practices", "mrn_prefix", sa.String(length=16), "'MRN'")
    _column_then_no_default("practices", "mrn_digits", sa.Integer(), "7")
    _column_then_no_default("patients", "allergy_status", sa.String(length=32), "'not_recorded'")
    op.execute(
        "UPDATE patients SET allergy_status = 'recorded'"
        " WHERE allergies IS NOT NULL AND allergies::text NOT IN ('[]', 'null')"
    )
    op.add_column("conditions", sa.Column("resolved_date", sa.Date(), nullable=True))
    op.add_column("conditions", sa.Column("source_note_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_conditions_source_note_id_clinical_notes"),
        "conditions",
        "clinical_notes",
        ["source_note_id"],
        ["id"],
    )
    _column_then_no_default("appointments", "reschedule_history", sa.JSON(), "'[]'")
    _column_then_no_default("time_blocks", "exdates", sa.JSON(), "'[]'")
    op.add_column("time_blocks", sa.Column("series_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_time_blocks_series_id_time_blocks"), "time_blocks", "time_blocks", ["series_id"], ["id"]
    )
    op.create_table(
        "identity_checks",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "context",
            sa.Enum("check_in", "phone_booking", name="identitycontext", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("checked_by_id", sa.Uuid(), nullable=True),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("deleted_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_identity_checks_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["users.id"], name=op.f("fk_identity_checks_checked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_identity_checks_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
    )
    op.create_index("ix_identity_checks_patient_at", "identity_checks", ["patient_id", "at"], unique=False)

    op.add_column(
        "credentials",
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "mrn_counters",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_mrn_counters")),
    )
    for table, privileges in GRANTS.items():
        op.execute(rls.grant(table, privileges))
        for statement in rls.isolate(table):
            op.execute(statement)


def downgrade() -> None:
    for table in GRANTS:
        for statement in rls.release(table):
            op.execute(statement)
        op.execute(f'REVOKE ALL ON "{table}" FROM clinicdesk_app')
    op.drop_table("mrn_counters")
    op.drop_column("credentials", "must_change_password")
    op.drop_index("ix_identity_checks_patient_at", table_name="identity_checks")
    op.drop_table("identity_checks")
    op.drop_constraint(op.f("fk_time_blocks_series_id_time_blocks"), "time_blocks", type_="foreignkey")
    op.drop_column("time_blocks", "series_id")
    op.drop_column("time_blocks", "exdates")
    op.drop_column("appointments", "reschedule_history")
    op.drop_constraint(op.f("fk_conditions_source_note_id_clinical_notes"), "conditions", type_="foreignkey")
    op.drop_column("conditions", "source_note_id")
    op.drop_column("conditions", "resolved_date")
    op.drop_column("patients", "allergy_status")
    op.drop_column("practices", "mrn_digits")
    op.drop_column("practices", "mrn_prefix")
