"""payment_method.country: the country of a saved card or bank account (SEPA: the IBAN's)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T02:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment_method.country"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)

    manager.add_column(
        table_class_name="PaymentMethod",
        tablename="payment_method",
        column_name="country",
        db_column_name="country",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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
