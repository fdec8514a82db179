"""The database connection layer: one connection per request's work, SQLite or PostgreSQL.

Piccolo owns the schema and migrations; the request paths run plain SQL here so that a push
or pull does all its work on one connection in one transaction. SQL is written with ``?``
placeholders and rewritten to ``$n`` for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger("haulport.db")
_PLACEHOLDER = re.compile(r"\?")


LOCK_WAIT_S = 5.0
"""How long a statement waits for a lock held elsewhere before the request answers ``503 busy``:
SQLite's write lock held by another process, PostgreSQL's ``lock_timeout`` (e.g. a tenant's writer lock
held by a long transaction). Also the PostgreSQL connect timeout. See docs/OPERATIONS.md "Failure modes"."""


class DatabaseBusy(Exception):
    """The database is locked or unreachable right now; the client should retry (``503 busy``)."""


class NetworkInWriteTransaction(RuntimeError):
    """A network call (Stripe, email, SMS, push, webhooks) was made while a write transaction was open."""


class _Open:
    """Whether a write transaction is open; shared with the tasks and threads started inside it."""

    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open = True


_WRITING: contextvars.ContextVar[_Open | None] = contextvars.ContextVar("haulport_writing", default=None)


def forbid_in_write_transaction(what: str) -> None:
    """Refuse a network call made while this task's write transaction is open: it would hold every
    writer (SQLite: the one write lock; PostgreSQL: the tenant's) for as long as the network takes, and a
    crash between the call and the commit would forget what the call did. Effects go after the commit."""
    state = _WRITING.get()
    if state is not None and state.open:
        raise NetworkInWriteTransaction(f"{what} called inside a database write transaction")


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

    def generation(self) -> int | None:
        """A number that stays the same for as long as nothing at all is committed to the database (by this
        process or any other), read in this transaction's snapshot: what was read at generation ``g`` still
        holds while ``generation()`` is ``g``. ``None`` where that is not known (PostgreSQL): nothing read
        may then be kept for later requests."""
        return None

    deferring = False
    """Whether ``later`` may hold a write back (see ``server/sync_api/push.py``); otherwise it runs now."""

    async def later(self, sql: str, *args: Any) -> None:
        """A write whose result nobody reads: run it now, or (``deferring``) together with the next
        statement, whatever that is; a constraint it breaks then fails that statement."""
        await self.execute(sql, *args)

    async def script(self, *statements: str) -> None:
        """Statements without parameters (e.g. ``RELEASE SAVEPOINT a``, ``SAVEPOINT a``), in order; on
        PostgreSQL in one round trip."""
        for statement in statements:
            await self.execute(statement)


class SqliteConn(Conn):
    """SQLite statements run right here, on the event loop's thread.

    An indexed SQLite statement takes microseconds, while a trip to a helper thread and back
    (aiosqlite) measured 100-250 µs each on a busy machine, and a request makes ten or more.
    A big pull page blocks the loop for its few milliseconds of work, which the GIL would
    have serialised anyway.
    """

    dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection, db: Database | None = None):
        self.raw = raw
        self.db = db

    def generation(self) -> int | None:
        return None if self.db is None else self.db.observe(self.raw)

    async def fetch(self, sql, *args):
        cur = self.raw.execute(sql, args)
        rows = cur.fetchall()
        if not rows:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in rows]

    async def fetchrow(self, sql, *args):
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def execute(self, sql, *args):
        self.raw.execute(sql, args).fetchall()

    async def executemany(self, sql, rows):
        self.raw.executemany(sql, rows)


async def _begin(raw: sqlite3.Connection, statement: str, wait_s: float = LOCK_WAIT_S) -> None:
    """Start a transaction; while another process holds the lock, wait without blocking the loop."""
    delay, deadline = 0.001, time.monotonic() + wait_s
    while True:
        try:
            raw.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class PgConn(Conn):
    dialect = "postgres"

    def __init__(self, raw: asyncpg.Connection | PoolConnectionProxy):
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

    async def script(self, *statements):
        await self.raw.execute("; ".join(statements))  # no arguments: the simple protocol, one round trip


class Database:
    """Connections for reads and serialised, immediate transactions for writes."""

    def __init__(self, url: str, pool_size: int = 8):
        self.url = url
        self.dialect = "postgres" if url.startswith("postgres") else "sqlite"
        self.pool_size = pool_size
        self._pg: asyncpg.Pool | None = None
        self._readers: asyncio.Queue[sqlite3.Connection] | None = None
        self._writer: sqlite3.Connection | None = None
        self._probe: sqlite3.Connection | None = None  # only asks PRAGMA data_version (generation_now)
        self._checkpointer: asyncio.Task | None = None
        self._write_lock = asyncio.Lock()
        self.known_scopes: set[str] = set()  # pull scopes known to be in sync_scope (server/sync_api/pull.py)
        self._generation = 0
        self._data_versions: dict[sqlite3.Connection, int] = {}

    def generation_now(self) -> int | None:
        """``Conn.generation`` outside any transaction, on a connection kept for just this (SQLite);
        ``None`` on an error or on PostgreSQL. Something read at this generation still holds."""
        if self._probe is None:
            return None
        try:
            return self.observe(self._probe)
        except sqlite3.Error:
            return None

    def observe(self, reader: sqlite3.Connection) -> int:
        """``Conn.generation`` on SQLite. ``PRAGMA data_version`` of a connection changes whenever another
        connection (the writer, another process) commits; it is only comparable on the same connection, so
        each reader's last value is kept and the database-wide generation moves on whenever any reader sees
        its value change. Inside a read transaction it also fixes the snapshot (nothing committed after it
        is seen), so what this snapshot reads is as new as the generation says."""
        version = reader.execute("PRAGMA data_version").fetchone()[0]
        if self._data_versions.get(reader) != version:
            self._data_versions[reader] = version
            self._generation += 1
        return self._generation

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")

    async def start(self) -> None:
        if self.dialect == "postgres":
            # lock_timeout: a statement never waits forever for a lock (it fails, and the request answers
            # 503 busy); timeout: nor does opening a connection to an unreachable server.
            self._pg = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                timeout=LOCK_WAIT_S,
                # No parallel workers nor JIT for request-path statements: starting them costs milliseconds,
                # more than any of these statements needs (a planner misestimate once made a 16-row pull
                # start two workers and take 8 ms).
                server_settings={
                    "lock_timeout": str(int(LOCK_WAIT_S * 1000)),
                    "max_parallel_workers_per_gather": "0",
                    "jit": "off",
                },
            )
            return
        Path(self.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        # The writer never waits inside SQLite (that would block the loop): _begin retries instead.
        # Nor does it checkpoint: copying the WAL back into the database (with its fsync) every
        # thousand pages made one commit in a hundred very slow; a background task does it instead.
        self._writer = self._open_sqlite(busy_timeout_ms=0)
        self._writer.execute("PRAGMA wal_autocheckpoint=0")
        self._writer.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
        self._readers = asyncio.Queue()
        for _ in range(4):
            self._readers.put_nowait(self._open_sqlite(busy_timeout_ms=100))
        self._probe = self._open_sqlite(busy_timeout_ms=0)
        self._checkpointer = asyncio.create_task(self._checkpoint_loop())

    async def _checkpoint_loop(self, every_s: float = 1.0) -> None:
        """Copy the WAL back into the database file now and then, in a thread, off the request path."""
        conn = self._open_sqlite(busy_timeout_ms=1000)
        # One statement at a time on this connection: cancelling the task does not stop a checkpoint
        # already running in its thread, so the last checkpoint and the close wait for it (a second
        # statement on the same connection, or closing it under a running one, can crash the process).
        running: asyncio.Future | None = None
        try:
            while True:
                await asyncio.sleep(every_s)
                running = asyncio.ensure_future(asyncio.to_thread(conn.execute, "PRAGMA wal_checkpoint(PASSIVE)"))
                await asyncio.shield(running)
                running = None
        except asyncio.CancelledError:
            pass
        finally:
            if running is not None:
                with contextlib.suppress(Exception):
                    await running
            with contextlib.suppress(Exception):
                await asyncio.to_thread(conn.execute, "PRAGMA wal_checkpoint(PASSIVE)")
            conn.close()

    def _open_sqlite(self, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(self.sqlite_path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys=OFF")
        return conn

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            await asyncio.gather(self._checkpointer, return_exceptions=True)
            self._checkpointer = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._probe is not None:
            self._probe.close()
            self._probe = None
        if self._readers is not None:
            while not self._readers.empty():
                self._readers.get_nowait().close()
            self._readers = None

    def read(self) -> AbstractAsyncContextManager[Conn]:
        """A consistent snapshot for reads (one transaction)."""
        return self._pg_read() if self._pg is not None else _SqliteRead(self)

    @asynccontextmanager
    async def _pg_read(self) -> AsyncIterator[Conn]:
        assert self._pg is not None
        try:
            async with self._pg.acquire() as raw:
                async with raw.transaction(isolation="repeatable_read", readonly=True):
                    yield PgConn(raw)
        except _MAYBE_BUSY as exc:
            if _is_busy(exc):
                raise DatabaseBusy(str(exc)) from exc
            raise

    @asynccontextmanager
    async def write(self, wait_s: float = LOCK_WAIT_S) -> AsyncIterator[Conn]:
        """A write transaction; commits on success, rolls back on any exception. No network call may be
        made inside it (`forbid_in_write_transaction`)."""
        marker = _Open()
        token = _WRITING.set(marker)
        try:
            async with self._write(wait_s) as conn:
                yield conn
        finally:
            marker.open = False
            _WRITING.reset(token)

    @asynccontextmanager
    async def _write(self, wait_s: float = LOCK_WAIT_S) -> AsyncIterator[Conn]:
        try:
            if self._pg is not None:
                async with self._pg.acquire() as raw:
                    async with raw.transaction():
                        yield PgConn(raw)
                return
            assert self._writer is not None, "database not started"
            async with self._write_lock:
                raw = self._writer
                await _begin(raw, "BEGIN IMMEDIATE", wait_s)
                try:
                    yield SqliteConn(raw)
                    raw.execute("COMMIT")  # may fail too (a full disk): then rolled back below
                except BaseException:
                    _rollback(raw)
                    raise
        except _MAYBE_BUSY as exc:
            if _is_busy(exc):
                raise DatabaseBusy(str(exc)) from exc
            raise


class _SqliteRead:
    """``Database.read`` on SQLite: a reader, one transaction, the reader back. A plain class, because a
    generator-based context manager costs more than the few statements of a small pull."""

    __slots__ = ("db", "raw")

    def __init__(self, db: Database):
        self.db = db
        self.raw: sqlite3.Connection | None = None

    async def __aenter__(self) -> Conn:
        readers = self.db._readers
        assert readers is not None, "database not started"
        raw = await readers.get()
        try:
            await _begin(raw, "BEGIN")
        except BaseException as exc:
            readers.put_nowait(raw)
            _raise_busy(exc)
            raise
        self.raw = raw
        return SqliteConn(raw, self.db)

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        raw, readers = self.raw, self.db._readers
        assert raw is not None and readers is not None
        self.raw = None
        try:
            raw.execute("COMMIT")
        except BaseException as commit_failed:
            _raise_busy(commit_failed)
            raise
        finally:
            readers.put_nowait(raw)
        if exc is not None:
            _raise_busy(exc)


def _raise_busy(exc: BaseException) -> None:
    """Raise ``DatabaseBusy`` for an error that means "locked or unreachable right now"; else return."""
    if isinstance(exc, _MAYBE_BUSY) and _is_busy(exc):
        raise DatabaseBusy(str(exc)) from exc


def _rollback(raw: sqlite3.Connection) -> None:
    """End a failed write transaction. SQLite may already have rolled it back itself (a full disk, an
    I/O error): then there is nothing to end, and the writer is ready for the next transaction."""
    if raw.in_transaction:
        try:
            raw.execute("ROLLBACK")
        except sqlite3.OperationalError:
            log.warning("rollback after a failed write did not complete", exc_info=True)


_MAYBE_BUSY = (sqlite3.OperationalError, asyncpg.exceptions.PostgresError, asyncpg.exceptions.InterfaceError, OSError)
# Retry-later errors of PostgreSQL: the connection failed or was lost (08xxx), the server is shutting down,
# starting or cancelled the statement (57xxx), too many connections (53300), a lock wait timed out (55P03).
_PG_BUSY = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.LockNotAvailableError,
    # The disk is full or failing, memory ran out (53xxx, 58030): retry once space or the disk is back.
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.PostgresIOError,
)
# SQLite's messages for the same: locked by another writer; the disk is full, failing or gone.
_SQLITE_BUSY = ("locked", "busy", "disk is full", "disk i/o error", "unable to open database file")


def _is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database is locked or unreachable right now" (so: 503, retry)."""
    if isinstance(exc, (asyncpg.exceptions.InsufficientResourcesError, asyncpg.exceptions.PostgresIOError)):
        log.error("database storage failing (answering 503 busy until it recovers): %s", exc)
        return True
    if isinstance(exc, (OSError, *_PG_BUSY)):  # OSError: refused, reset, timed out (TimeoutError)
        return True
    if isinstance(exc, asyncpg.exceptions.InterfaceError):  # the connection closed under a request
        return "closed" in str(exc).lower()
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and any(sign in text for sign in _SQLITE_BUSY):
        if "locked" not in text and "busy" not in text:
            log.error("database storage failing (answering 503 busy until it recovers): %s", exc)
        return True
    return False
