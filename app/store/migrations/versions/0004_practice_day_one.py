"""the schema of issue 14 (practice set-up, staff, patient registration, scheduling)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

A practice starts on ClinicDesk from day one: its MRN format; whether a patient's allergies were
asked about ("no known allergies" is an answer, an empty list nobody asked about is not); a
resolved problem's date and the signed note a problem came from; an appointment's reschedules
(who, when, from which slot to which, why); time-block series with occurrences taken out or
edited on their own; and the identity checks of the front desk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "practices", sa.Column("mrn_prefix", sa.String(length=16), server_default="MRN", nullable=False)
    )
    op.add_column("practices", sa.Column("mrn_digits", sa.Integer(), server_default="7", nullable=False))
    op.add_column(
        "patients",
        sa.Column("allergy_status", sa.String(length=32), server_default="not_recorded", nullable=False),
    )
    op.execute(
        "UPDATE patients SET allergy_status = 'recorded'"
        " WHERE allergies IS NOT NULL AND allergies NOT IN ('[]', 'null', '')"
    )
    op.add_column("conditions", sa.Column("resolved_date", sa.Date(), nullable=True))
    # SQLite adds a column with its reference in place (no table rebuild), as 0003 does.
    op.execute(
        "ALTER TABLE conditions ADD COLUMN source_note_id CHAR(32)"
        " CONSTRAINT fk_conditions_source_note_id_clinical_notes REFERENCES clinical_notes (id)"
    )
    op.add_column(
        "appointments", sa.Column("reschedule_history", sa.JSON(), server_default="[]", nullable=False)
    )
    op.add_column("time_blocks", sa.Column("exdates", sa.JSON(), server_default="[]", nullable=False))
    op.execute(
        "ALTER TABLE time_blocks ADD COLUMN series_id CHAR(32)"
        " CONSTRAINT fk_time_blocks_series_id_time_blocks REFERENCES time_blocks (id)"
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


def downgrade() -> None:
    op.drop_index("ix_identity_checks_patient_at", table_name="identity_checks")
    op.drop_table("identity_checks")
    for table, columns in (
        ("time_blocks", ("series_id", "exdates")),
        ("appointments", ("reschedule_history",)),
        ("conditions", ("source_note_id", "resolved_date")),
        ("patients", ("allergy_status",)),
        ("practices", ("mrn_digits", "mrn_prefix")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
