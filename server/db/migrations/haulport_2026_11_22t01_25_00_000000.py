"""Latest-fix lookups for live GPS and ETA: (tenant, truck, at)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T01:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gps_fix index by tenant, truck and time"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)

    async def run():
        await RawTable.raw("CREATE INDEX IF NOT EXISTS gps_fix_tenant_truck_at ON gps_fix (tenant_id, truck_id, at)")

    manager.add_raw(run)
    return manager
