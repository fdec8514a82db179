"""Composite indexes for the sync hot paths (piccolo columns only declare single-column ones)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-21T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync indexes: changelog by tenant/scope and cursor, unique tenant slug"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS changelog_tenant_seq ON changelog (tenant_id, seq)",
    "CREATE INDEX IF NOT EXISTS changelog_account_seq ON changelog (tenant_id, account_id, seq)",
    "CREATE INDEX IF NOT EXISTS changelog_contact_seq ON changelog (tenant_id, contact_id, seq)",
    "CREATE UNIQUE INDEX IF NOT EXISTS tenant_slug_unique ON tenant (slug)",
    "CREATE INDEX IF NOT EXISTS job_truck_date ON job (tenant_id, truck_id, scheduled_date)",
    "CREATE INDEX IF NOT EXISTS job_slot_date ON job (tenant_id, scheduled_date, time_slot_id)",
    "CREATE INDEX IF NOT EXISTS contact_email ON contact (tenant_id, email)",
    "CREATE INDEX IF NOT EXISTS membership_contact ON membership (contact_id)",
    "CREATE INDEX IF NOT EXISTS gps_fix_truck_at ON gps_fix (truck_id, at)",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    return manager
