"""Piccolo app config: the tables and the migrations folder."""

import os

from piccolo.conf.apps import AppConfig

from server.db.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="haulport",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
