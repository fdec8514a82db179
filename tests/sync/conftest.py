"""Fixtures for the sync tests: a restartable server (see harness.py), fresh databases, a direct DB handle."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from server.db.engine import Database
from tests.conftest import _restore as restore_pg
from tests.sync.harness import USE_PG, Server


@pytest.fixture(scope="session")
def fresh_database(template_db, tmp_path_factory):
    """Make a fresh copy of the seeded database (one per hypothesis example); returns its URL."""

    def make() -> str:
        if USE_PG:
            url, snapshot = template_db
            asyncio.run(restore_pg(url, snapshot))
            return url
        path = tmp_path_factory.mktemp("example") / "haulport.db"
        shutil.copy(template_db, path)
        return f"sqlite:///{path}"

    return make


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
