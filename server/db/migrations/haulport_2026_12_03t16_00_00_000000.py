"""Active jobs by account: what a new live socket reads (the trucks on its accounts' jobs) finds its own
jobs through this index instead of walking every job of the tenant."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job index by tenant, account and status"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)

    async def run():
        await RawTable.raw("CREATE INDEX IF NOT EXISTS job_account_status ON job (tenant_id, account_id, status)")

    manager.add_raw(run)
    return manager
