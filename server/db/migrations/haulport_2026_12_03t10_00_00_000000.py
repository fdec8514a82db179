"""Pulls that stay flat as a tenant grows, and scope changes sent as changes.

changelog indexes: one per branch of a pull's scope (docs/PROTOCOL-EXTENSIONS.md "Pull plans"), each in
seq order after exact matches: the tenant-level entries, all entries no contact owns (office staff), an
account's, a site's, an account's account-wide rows, a person's own. They replace ``changelog_tenant_seq``
(the whole tenant), ``changelog_account_seq`` (an account's with its contacts' own entries, so not in seq
order past the NULL on PostgreSQL) and ``changelog_contact_seq`` (now partial): together they hold fewer
entries than the three did, so writes do not slow down.

sync_scope: the scope (its parts) behind each cursor fingerprint a person was served, so that a pull whose
scope changed can send what entered and what left instead of a full reset."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.table import Table

from server.db.migration_tables import add_tables

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "changelog indexes matching the pull's scope branches; sync_scope"

TABLES = {
    "sync_scope": (
        "SyncScope",
        [
            ("id", Varchar, 200, True, False, False),
            ("tenant_id", Varchar, 64, False, False, False),
            ("person_id", Varchar, 64, False, True, False),
            ("parts", Text, None, False, False, False),
            ("created_at", Varchar, 40, False, False, False),
        ],
    ),
}

# Partial on the NULLs of the scope columns: PostgreSQL cannot read an index in seq order past an
# `IS NULL` column, but can when the NULL is the index's condition; SQLite uses either.
SHARED = "WHERE contact_id IS NULL"  # entries no contact owns
STATEMENTS = [
    # The tenant-level entries (products, slots, trucks …): a few rows however big the tenant, found without
    # walking every contact's own entries (account_id IS NULL too).
    "CREATE INDEX IF NOT EXISTS changelog_tenant_level ON changelog (tenant_id, seq) "
    "WHERE account_id IS NULL AND contact_id IS NULL",
    f"CREATE INDEX IF NOT EXISTS changelog_shared_seq ON changelog (tenant_id, seq) {SHARED}",
    f"CREATE INDEX IF NOT EXISTS changelog_account_shared_seq ON changelog (tenant_id, account_id, seq) {SHARED}",
    "CREATE INDEX IF NOT EXISTS changelog_site_seq ON changelog (tenant_id, site_id, account_id, seq) "
    "WHERE contact_id IS NULL AND site_id IS NOT NULL",
    # A site contact's account-wide rows of its account (the account itself, messages).
    "CREATE INDEX IF NOT EXISTS changelog_account_wide_seq ON changelog (tenant_id, entity, account_id, seq) "
    f"{SHARED} AND entity IN ('account', 'message')",
    # A person's own entries (their contact row, notifications, rejected mutations).
    "CREATE INDEX IF NOT EXISTS changelog_own_seq ON changelog (tenant_id, contact_id, seq) "
    "WHERE contact_id IS NOT NULL",
    "DROP INDEX IF EXISTS changelog_tenant_seq",
    "DROP INDEX IF EXISTS changelog_account_seq",
    "DROP INDEX IF EXISTS changelog_contact_seq",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    add_tables(manager, TABLES)

    async def run():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    return manager
