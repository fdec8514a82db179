"""An index for the upload quota: what one person uploaded in the last 24 hours, counted and summed
from the index alone (the images themselves are never read for it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "upload quota index: uploads by owner and time"

STATEMENTS = ["CREATE INDEX IF NOT EXISTS upload_owner_created ON upload (tenant_id, owner_id, created_at, size)"]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    return manager
