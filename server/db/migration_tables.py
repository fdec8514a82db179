"""How the hand-written migrations add server-only tables: from a list of columns, not 20 lines each."""

from __future__ import annotations

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Text, Varchar
from piccolo.columns.indexes import IndexMethod

DEFAULTS: dict[type, Any] = {Varchar: "", Text: "", Integer: 0, Boolean: False}
# A column: (name, class, length or None, primary key, indexed[, nullable]) — not nullable unless said.
Column = tuple[Any, ...]


def add_tables(manager: MigrationManager, tables: dict[str, tuple[str, list[Column]]]) -> None:
    """Add each ``tablename → (class name, columns)`` with its columns to ``manager``."""
    for tablename, (class_name, columns) in tables.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, length, primary_key, index, *rest in columns:
            nullable = bool(rest and rest[0])
            params: dict[str, Any] = {
                "default": None if nullable else DEFAULTS[column_class],
                "null": nullable,
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
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
