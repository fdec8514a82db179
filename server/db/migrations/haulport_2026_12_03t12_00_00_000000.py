"""tenant.locale and tenant.country: how the portal and documents write amounts, dates and phone
numbers ("de-DE": "1.234,56 €"; national phone format for the country). Existing tenants keep
US English and the US."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tenant locale and country"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    for column, default in (("locale", "en-US"), ("country", "US")):
        manager.add_column(
            table_class_name="Tenant",
            tablename="tenant",
            column_name=column,
            db_column_name=column,
            column_class_name="Text",
            column_class=Text,
            params={
                "default": default,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
