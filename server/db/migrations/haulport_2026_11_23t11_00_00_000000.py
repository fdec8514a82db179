"""push_subscription: browsers' Web Push subscriptions (server-only bookkeeping, never synced).
One row per browser (its id is the sha256 of the push endpoint), owned by the contact who turned
notifications on there. See server/notify/webpush.py."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar

from server.db.migration_tables import add_tables

ID = "2026-11-23T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "push_subscription"

# (column, class, length or None, primary key, indexed)
COLUMNS = [
    ("id", Varchar, 64, True, False),
    ("tenant_id", Varchar, 64, False, True),
    ("contact_id", Varchar, 64, False, True),
    ("endpoint", Text, None, False, False),
    ("p256dh", Varchar, 100, False, False),
    ("auth", Varchar, 40, False, False),
    ("created_at", Varchar, 40, False, False),
    ("updated_at", Varchar, 40, False, False),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    add_tables(manager, {"push_subscription": ("PushSubscription", COLUMNS)})
    return manager
