"""Prices before commitment: service_type.load_prices (the price by load estimate), promo_code.public
(public codes are in customers' replicas), job.quoted_price and service_request.quoted_price (what the
customer was quoted when sending it). Existing codes are not public; existing jobs and requests have no quote."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, BigInt, Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalogue prices, public promo codes and quoted prices"


def _params(default, null: bool) -> dict:
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    for table_class, table, column, kind, default, null in (
        ("ServiceType", "service_type", "load_prices", JSON, "{}", True),
        ("PromoCode", "promo_code", "public", Boolean, False, False),
        ("Job", "job", "quoted_price", BigInt, None, True),
        ("ServiceRequest", "service_request", "quoted_price", BigInt, None, True),
    ):
        manager.add_column(
            table_class_name=table_class,
            tablename=table,
            column_name=column,
            db_column_name=column,
            column_class_name=kind.__name__,
            column_class=kind,
            params=_params(default, null),
            schema=None,
        )
    return manager
