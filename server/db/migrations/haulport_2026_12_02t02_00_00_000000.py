"""sign_in and revoked_session: server-only bookkeeping for identities and sessions (never synced).

- ``sign_in``: one row per person who has ever exchanged a login link (``{kind}:{person id}``), with
  when they first and last did; a customer cannot change the address of a person who has signed in.
- ``revoked_session``: sessions ended by logging out, by id (the ``sid`` claim), kept until they would
  have expired anyway. See docs/SECURITY.md."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar

from server.db.migration_tables import add_tables

ID = "2026-12-02T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign_in, revoked_session"

# table → (class name, [(column, class, length or None, primary key, indexed)])
TABLES = {
    "sign_in": (
        "SignIn",
        [
            ("id", Varchar, 80, True, False),
            ("tenant_id", Varchar, 64, False, True),
            ("person_kind", Varchar, 10, False, False),
            ("person_id", Varchar, 64, False, False),
            ("first_at", Varchar, 40, False, False),
            ("last_at", Varchar, 40, False, False),
        ],
    ),
    "revoked_session": (
        "RevokedSession",
        [
            ("id", Varchar, 64, True, False),
            ("tenant_id", Varchar, 64, False, False),
            ("person_id", Varchar, 64, False, False),
            ("expires_at", Integer, None, False, True),
        ],
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    add_tables(manager, TABLES)
    return manager
