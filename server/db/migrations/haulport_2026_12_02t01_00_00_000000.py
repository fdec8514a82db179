"""effect_outbox: effects committed with the writes that asked for them (charges, SMS/email), carried
out after the commit by server/effects/dispatcher.py."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Varchar
from piccolo.columns.indexes import IndexMethod

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

    manager.add_table(class_name="EffectOutbox", tablename="effect_outbox", schema=None, columns=None)
    for name, column_class, length, primary_key, index in COLUMNS:
        params = {
            "default": 0 if column_class is Integer else "",
            "null": False,
            "primary_key": primary_key,
            "unique": False,
            "index": index,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        }
        if length is not None:
            params["length"] = length
        manager.add_column(
            table_class_name="EffectOutbox",
            tablename="effect_outbox",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    return manager
