"""the schema of issue 15 (prescriptions, orders and results, alerts, messages, documents)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

The shared models' new fields (see the workstation's migration 0005): a prescription's renewal,
safety checks, refills and printing; an order's results and review; alerts raised by rules,
acknowledged and resolved; tasks given to a role; message threads; the practice's limits for
critical vital signs. New synced tables, each behind row-level security: order results, documents
(their bytes, encrypted on the workstation, live in GridFS), device keys and key grants (public keys
and sealed data keys only: nothing the server could decrypt with; docs/DESIGN-keys.md).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import models.base
from server import rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = models.base.UTCDateTime(timezone=True)
NEW_TABLES = ("order_results", "documents", "device_keys", "key_grants")
GRANTS = dict.fromkeys(NEW_TABLES, "SELECT, INSERT, UPDATE")


def _synced() -> list[sa.Column[object]]:
    """The columns every synced table ends with (models.base.Synced), as they are at this revision."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("deleted_at", UTC, nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
    ]


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def _column_then_no_default(table: str, name: str, kind: sa.types.TypeEngine[Any], default: str) -> None:
    """A NOT NULL column for the rows already there, whose default then leaves with the migration
    (the models give every new row its value)."""
    op.add_column(table, sa.Column(name, kind, server_default=sa.text(default), nullable=False))
    op.alter_column(table, name, server_default=None)


def _add_reference(table: str, column: str, target: str) -> None:
    op.add_column(table, sa.Column(column, sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f(f"fk_{table}_{column}_{target}"), table, target, [column], ["id"])


#: (table, column, referred table) of the references this revision adds to existing tables
REFERENCES = (
    ("prescriptions", "renewed_from_id", "prescriptions"),
    ("orders", "reviewed_by_id", "users"),
    ("alerts", "acknowledged_by_id", "users"),
    ("alerts", "resolved_by_id", "users"),
)


def upgrade() -> None:
    _column_then_no_default("practices", "alert_thresholds", sa.JSON(), "'{}'")
    _column_then_no_default("prescriptions", "safety", sa.JSON(), "'{}'")
    _column_then_no_default("prescriptions", "refill_log", sa.JSON(), "'[]'")
    op.add_column("prescriptions", sa.Column("printed_at", UTC, nullable=True))
    op.add_column("orders", sa.Column("resulted_at", UTC, nullable=True))
    op.add_column("orders", sa.Column("reviewed_at", UTC, nullable=True))
    op.add_column("orders", sa.Column("review_note", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("rule", sa.String(length=32), nullable=True))
    _column_then_no_default(
        "alerts", "status", _enum("alertstatus", "open", "acknowledged", "resolved"), "'open'"
    )
    op.execute("UPDATE alerts SET status = 'acknowledged' WHERE read")
    op.add_column("alerts", sa.Column("acknowledged_at", UTC, nullable=True))
    op.add_column("alerts", sa.Column("resolved_at", UTC, nullable=True))
    op.add_column("alerts", sa.Column("resolution", sa.Text(), nullable=True))
    for table, column, target in REFERENCES:
        _add_reference(table, column, target)
    op.add_column(
        "tasks",
        sa.Column("assignee_role", _enum("role", "doctor", "nurse", "receptionist", "admin"), nullable=True),
    )
    op.add_column("tasks", sa.Column("source_alert_id", sa.Uuid(), nullable=True))
    op.add_column("messages", sa.Column("thread_id", sa.Uuid(), nullable=True))
    op.add_column("messages", sa.Column("subject", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_messages_thread_id"), "messages", ["thread_id"], unique=False)

    op.create_table(
        "order_results",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("numeric", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("reference_low", sa.Float(), nullable=True),
        sa.Column("reference_high", sa.Float(), nullable=True),
        sa.Column(
            "flag", _enum("resultflag", "normal", "low", "high", "abnormal", "critical"), nullable=False
        ),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("resulted_at", UTC, nullable=False),
        sa.Column("entered_by_id", sa.Uuid(), nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name=op.f("fk_order_results_entered_by_id_users")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_results_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_order_results_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_results")),
    )
    op.create_index(op.f("ix_order_results_order_id"), "order_results", ["order_id"], unique=False)
    op.create_index(op.f("ix_order_results_patient_id"), "order_results", ["patient_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column(
            "category",
            _enum("documentcategory", "scan", "referral", "report", "prescription", "note", "other"),
            nullable=False,
        ),
        sa.Column("mime_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_documents_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_documents_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_documents_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_patient_id"), "documents", ["patient_id"], unique=False)

    op.create_table(
        "device_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_device_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_keys")),
    )
    op.create_index(op.f("ix_device_keys_user_id"), "device_keys", ["user_id"], unique=False)

    op.create_table(
        "key_grants",
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("device_key_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("granted_by_id", sa.Uuid(), nullable=True),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["device_key_id"], ["device_keys.id"], name=op.f("fk_key_grants_device_key_id_device_keys")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_key_grants_granted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_grants")),
    )
    op.create_index(op.f("ix_key_grants_device_key_id"), "key_grants", ["device_key_id"], unique=False)
    op.create_index(op.f("ix_key_grants_key_id"), "key_grants", ["key_id"], unique=False)

    for table, privileges in GRANTS.items():
        op.execute(rls.grant(table, privileges))
        for statement in rls.isolate(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(NEW_TABLES):
        for statement in rls.release(table):
            op.execute(statement)
        op.execute(f'REVOKE ALL ON "{table}" FROM clinicdesk_app')
        op.drop_table(table)
    op.drop_index(op.f("ix_messages_thread_id"), table_name="messages")
    for table, column, target in REFERENCES:
        op.drop_constraint(op.f(f"fk_{table}_{column}_{target}"), table, type_="foreignkey")
        op.drop_column(table, column)
    for table, columns in {
        "practices": ("alert_thresholds",),
        "prescriptions": ("safety", "refill_log", "printed_at"),
        "orders": ("resulted_at", "reviewed_at", "review_note"),
        "alerts": ("rule", "status", "acknowledged_at", "resolved_at", "resolution"),
        "tasks": ("assignee_role", "source_alert_id"),
        "messages": ("thread_id", "subject"),
    }.items():
        for column in columns:
            op.drop_column(table, column)
