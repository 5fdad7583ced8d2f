"""Row-level security: the SQL that keeps organisations apart in PostgreSQL itself.

Used by migration 0005, and meant for any later migration that adds a synced table (it must call
:func:`isolate` for it; tests/integration/server check every table that has an ``organization_id``).
The policy applies to :data:`server.db.APP_ROLE`, the role the service reads and writes records as;
a transaction sees and may write only rows of the organisation it named with
:func:`server.db.scope`, and none at all when it named none.
"""

from __future__ import annotations

from server.db import APP_ROLE, ORG_SETTING

POLICY = "organization_isolation"
#: The organisation the current transaction named (NULL when none: then no row matches).
CURRENT_ORG = f"NULLIF(current_setting('{ORG_SETTING}', true), '')::uuid"


def isolate(table: str) -> list[str]:
    """Statements that put ``table`` (which has an ``organization_id`` column) behind the policy."""
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" TO {APP_ROLE}'
        f" USING (organization_id = {CURRENT_ORG}) WITH CHECK (organization_id = {CURRENT_ORG})",
    ]


def release(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


_CREATE_ROLE = """
DO $$
BEGIN
    BEGIN
        CREATE ROLE {role} NOLOGIN NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- made before, by this database or another of the cluster (roles are cluster-wide)
    END;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN
        EXECUTE format('GRANT {role} TO %I', current_user);
    END IF;
END
$$"""


def create_app_role() -> str:
    """The role, if this cluster does not have it yet, and the right for the migrating login (the
    service's own) to act as it. A superuser may act as any role and needs no grant."""
    return _CREATE_ROLE.format(role=APP_ROLE)


def grant(table: str, privileges: str) -> str:
    return f'GRANT {privileges} ON "{table}" TO {APP_ROLE}'
