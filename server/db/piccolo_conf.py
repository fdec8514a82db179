"""Piccolo configuration, used by ``haulport migrate`` (and the ``piccolo`` CLI).

The engine follows the ``database_url`` setting (litestar.toml / HAULPORT_DATABASE_URL).
"""

from urllib.parse import urlparse

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from server.settings import load_settings


def engine_for(url: str):
    """A piccolo engine for a ``sqlite:///…`` or ``postgresql://…`` URL."""
    if url.startswith("sqlite:///"):
        return SQLiteEngine(path=url.removeprefix("sqlite:///"))
    parsed = urlparse(url)
    config = {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "database": (parsed.path or "/postgres").lstrip("/") or "postgres",
        "user": parsed.username or "postgres",
    }
    if parsed.password:
        config["password"] = parsed.password
    return PostgresEngine(config=config)


DB = engine_for(load_settings().database_url)
APP_REGISTRY = AppRegistry(apps=["server.db.piccolo_app"])
