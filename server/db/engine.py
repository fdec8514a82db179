"""The database connection layer: one connection per request's work, SQLite or PostgreSQL.

Piccolo owns the schema and migrations; the request paths run plain SQL here so that a push
or pull does all its work on one connection in one transaction. SQL is written with ``?``
placeholders and rewritten to ``$n`` for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import aiosqlite
import asyncpg

_PLACEHOLDER = re.compile(r"\?")


class DatabaseBusy(Exception):
    """The database is locked or unreachable right now; the client should retry."""


def _to_pg(sql: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - deliberate memo
    out = cache.get(sql)
    if out is None:
        counter = iter(range(1, 10_000))
        out = cache[sql] = _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)
    return out


class Conn:
    """One connection inside one transaction."""

    dialect: str

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]: ...
    async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any] | None: ...
    async def execute(self, sql: str, *args: Any) -> None: ...
    async def executemany(self, sql: str, rows: list[tuple]) -> None: ...

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else next(iter(row.values()))


class SqliteConn(Conn):
    dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection):
        self.raw = raw

    # One trip to aiosqlite's thread per statement (execute + fetch + close would be three).
    async def fetch(self, sql, *args):
        rows = await self.raw.execute_fetchall(sql, args)
        if not rows:
            return []
        names = rows[0].keys()
        return [dict(zip(names, r)) for r in rows]

    async def fetchrow(self, sql, *args):
        rows = await self.raw.execute_fetchall(sql, args)
        return dict(rows[0]) if rows else None

    async def execute(self, sql, *args):
        await self.raw.execute_fetchall(sql, args)

    async def executemany(self, sql, rows):
        await self.raw.executemany(sql, rows)


class PgConn(Conn):
    dialect = "postgres"

    def __init__(self, raw: asyncpg.Connection):
        self.raw = raw

    async def fetch(self, sql, *args):
        return [dict(r) for r in await self.raw.fetch(_to_pg(sql), *args)]

    async def fetchrow(self, sql, *args):
        row = await self.raw.fetchrow(_to_pg(sql), *args)
        return None if row is None else dict(row)

    async def execute(self, sql, *args):
        await self.raw.execute(_to_pg(sql), *args)

    async def executemany(self, sql, rows):
        await self.raw.executemany(_to_pg(sql), rows)


class Database:
    """Connections for reads and serialised, immediate transactions for writes."""

    def __init__(self, url: str, pool_size: int = 8):
        self.url = url
        self.dialect = "postgres" if url.startswith("postgres") else "sqlite"
        self.pool_size = pool_size
        self._pg: asyncpg.Pool | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] | None = None
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")

    async def start(self) -> None:
        if self.dialect == "postgres":
            self._pg = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_size)
            return
        Path(self.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._open_sqlite()
        self._readers = asyncio.Queue()
        for _ in range(4):
            self._readers.put_nowait(await self._open_sqlite())

    async def _open_sqlite(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.sqlite_path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=OFF")
        return conn

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._readers is not None:
            while not self._readers.empty():
                await self._readers.get_nowait().close()
            self._readers = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """A consistent snapshot for reads (one transaction)."""
        try:
            if self._pg is not None:
                async with self._pg.acquire() as raw:
                    async with raw.transaction(isolation="repeatable_read", readonly=True):
                        yield PgConn(raw)
                return
            assert self._readers is not None, "database not started"
            raw = await self._readers.get()
            try:
                await raw.execute("BEGIN")
                try:
                    yield SqliteConn(raw)
                finally:
                    await raw.execute("COMMIT")
            finally:
                self._readers.put_nowait(raw)
        except (sqlite3.OperationalError, asyncpg.exceptions.CannotConnectNowError, OSError) as exc:
            if _is_busy(exc):
                raise DatabaseBusy(str(exc)) from exc
            raise

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """A write transaction; commits on success, rolls back on any exception."""
        try:
            if self._pg is not None:
                async with self._pg.acquire() as raw:
                    async with raw.transaction():
                        yield PgConn(raw)
                return
            assert self._writer is not None, "database not started"
            async with self._write_lock:
                raw = self._writer
                await raw.execute("BEGIN IMMEDIATE")
                try:
                    yield SqliteConn(raw)
                except BaseException:
                    await raw.execute("ROLLBACK")
                    raise
                else:
                    await raw.execute("COMMIT")
        except (sqlite3.OperationalError, asyncpg.exceptions.CannotConnectNowError,
                asyncpg.exceptions.TooManyConnectionsError, OSError) as exc:
            if _is_busy(exc):
                raise DatabaseBusy(str(exc)) from exc
            raise


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, (OSError, asyncpg.exceptions.CannotConnectNowError,
                            asyncpg.exceptions.TooManyConnectionsError)) or "locked" in text or "busy" in text
