"""Fixtures for the sync tests: a restartable server (see harness.py), fresh databases, a direct DB handle."""

from __future__ import annotations

import asyncio
import shutil
import uuid

import pytest

from server.db.engine import Database
from tests.sync.harness import PG_ADMIN_URL, USE_PG, Server, pg_admin


@pytest.fixture(scope="session")
def fresh_database(template_db, tmp_path_factory):
    """Make a fresh copy of the seeded template database; returns its URL (for one hypothesis example)."""
    made: list[str] = []

    def make() -> str:
        if USE_PG:
            name = f"haulport_h_{uuid.uuid4().hex[:12]}"
            asyncio.run(pg_admin(f"CREATE DATABASE {name} TEMPLATE {template_db}"))
            made.append(name)
            return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        path = tmp_path_factory.mktemp("example") / "haulport.db"
        shutil.copy(template_db, path)
        return f"sqlite:///{path}"

    yield make
    if made:
        asyncio.run(pg_admin(*(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in made)))


@pytest.fixture
async def server(settings):
    running = Server(settings)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def server_db(settings):
    """A direct connection to the server's database, for checking what it holds."""
    db = Database(settings.database_url)
    await db.start()
    yield db
    await db.close()
