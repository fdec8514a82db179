"""Test fixtures: a migrated, seeded database per test (SQLite by default, PostgreSQL with
``HAULPORT_TEST_DATABASE=postgres``) and an app + client on it."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import load_settings

PG_ADMIN_URL = os.environ.get("HAULPORT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
USE_PG = os.environ.get("HAULPORT_TEST_DATABASE") == "postgres"
# One database per test session, so two checkouts testing at once never share one.
TEMPLATE_PG = f"haulport_test_{os.getpid()}"


def _migrate_and_seed(url: str) -> None:
    from server.cli import migrate
    from server.seed.demo import seed_demo

    migrate(url)
    asyncio.run(seed_demo(load_settings(env={}, database_url=url)))


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _snapshot(url: str) -> dict[str, list]:
    """Every table's rows, to put back before each test (faster than a database per test)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
            )
        ]
        return {t: await conn.fetch(f'SELECT * FROM "{t}"') for t in tables}
    finally:
        await conn.close()


async def _restore(url: str, snapshot: dict[str, list]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            # DELETE beats TRUNCATE on tables this small (TRUNCATE swaps files on disk).
            await conn.execute("; ".join(f'DELETE FROM "{t}"' for t in snapshot))
            for table, rows in snapshot.items():
                if rows:
                    await conn.copy_records_to_table(
                        table, records=[tuple(r.values()) for r in rows], columns=list(rows[0].keys())
                    )
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated database with the demo data: copied (SQLite) or restored (PostgreSQL) for each test."""
    if USE_PG:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_PG} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE_PG}"))
        url = _pg_url(TEMPLATE_PG)
        _migrate_and_seed(url)
        yield url, asyncio.run(_snapshot(url))
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_PG} WITH (FORCE)"))
        return
    path = tmp_path_factory.mktemp("template") / "haulport.db"
    _migrate_and_seed(f"sqlite:///{path}")
    yield str(path)


@pytest.fixture
def database_url(template_db, tmp_path, request) -> str:
    if USE_PG:
        if request.node.get_closest_marker("browser"):  # Playwright's event loop runs: no asyncio.run here
            pytest.skip("browser tests run on SQLite")
        url, snapshot = template_db
        asyncio.run(_restore(url, snapshot))
        return url
    path = tmp_path / "haulport.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings_overrides() -> dict:
    return {}


@pytest.fixture
def settings(database_url, tmp_path, settings_overrides):
    values = dict(
        database_url=database_url,
        dev_mode=True,
        secret_key="test-secret-key-0123456789-abcdefghijkl",
        public_url="http://testserver.local",
        static_dir=str(tmp_path / "no-pwa"),
        magic_link_per_address=1000,
        magic_link_per_ip=10000,
    )
    values.update(settings_overrides)
    return load_settings(path=Path(__file__).parent / "missing.toml", env={}, **values)


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c
