"""effect_outbox: effects committed with the writes that asked for them (charges, SMS/email), carried
out after the commit by server/effects/dispatcher.py."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Varchar

from server.db.migration_tables import add_tables

ID = "2026-12-02T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "effect_outbox"

# (column, class, length or None, primary key, indexed)
COLUMNS = [
    ("id", Varchar, 300, True, False),
    ("tenant_id", Varchar, 64, False, True),
    ("kind", Varchar, 64, False, False),
    ("payload", Text, None, False, False),
    ("status", Varchar, 20, False, True),
    ("attempts", Integer, None, False, False),
    ("next_at", Varchar, 40, False, False),
    ("lease_until", Varchar, 40, False, False),
    ("outcome", Text, None, False, False),
    ("created_at", Varchar, 40, False, False),
    ("updated_at", Varchar, 40, False, False),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    add_tables(manager, {"effect_outbox": ("EffectOutbox", COLUMNS)})
    return manager
