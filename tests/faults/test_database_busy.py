"""The database is locked or unreachable: writes answer ``503 busy`` with ``Retry-After`` (never a 500,
never a hang), and the client's retry applies every mutation exactly once.

SQLite: another process holds the write lock (``BEGIN EXCLUSIVE``) longer than the server waits for it.
PostgreSQL: another connection holds the tenant's writer lock longer than the server's ``lock_timeout``;
and the database disappears altogether (the server reaches it through a proxy the test cuts).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid

import asyncpg
import httpx
import pytest

from server.db.engine import LOCK_WAIT_S, Database
from server.seed.demo import sid
from sync.client import Backoff, Replica, SyncClient
from tests.conftest import USE_PG
from tests.faults.conftest import TcpProxy, host_port, with_port
from tests.support.portal import AVA, login, new_client_id

ACCOUNT = sid("account:ava-reed")


def message(i: int, marker: str) -> tuple[int, str, dict]:
    return (
        i,
        "message.send",
        {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{marker}/{i}")), "body": f"{marker} #{i}", "account_id": ACCOUNT},
    )


def push_body(client_id: str, *mutations: tuple[int, str, dict]) -> dict:
    return {
        "client_id": client_id,
        "schema_version": 1,
        "mutations": [{"id": i, "name": n, "args": a, "created_at": "2026-01-01T00:00:00Z"} for i, n, a in mutations],
    }


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "busy", response.text
    assert int(response.headers["retry-after"]) >= 1


async def assert_applied_once(database_url: str, client_id: str, marker: str, count: int) -> None:
    db = Database(database_url)
    await db.start()
    try:
        async with db.read() as conn:
            bodies = [r["body"] for r in await conn.fetch("SELECT body FROM message WHERE body LIKE ?", f"{marker} #%")]
            last = await conn.fetchval("SELECT last_mutation_id FROM sync_client WHERE id = ?", client_id)
            rejected = await conn.fetchval("SELECT COUNT(*) FROM mutation_rejection WHERE client_id = ?", client_id)
    finally:
        await db.close()
    assert sorted(bodies) == sorted(f"{marker} #{i}" for i in range(1, count + 1))
    assert (last, rejected) == (count, 0)


def assert_no_server_errors(server) -> None:
    """No request ended in a 500 (``server/errors.py`` logs those) or an exception escaping the app."""
    log = server.log()
    for sign in ("unhandled error", "Exception in ASGI application", "server error:"):
        assert sign not in log, log[-4000:]


class RecordingSleep:
    """The client's backoff sleeps, recorded (and really slept, briefly)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.slept = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.slept.set()
        await asyncio.sleep(min(seconds, 0.2))


async def _locked_then_released(
    server_url: str, database_url: str, hold_lock, release_lock, *, pull_while_locked: int
) -> None:
    """Two mutations applied; lock; a push of 1-4 answers 503 busy promptly (no hang); a pull answers
    ``pull_while_locked``; unlock; the same push again skips 1-2 and applies 3-4: exactly four messages."""
    marker = f"busy-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        headers = await login(http, AVA)
        client_id = new_client_id()
        mutations = [message(i, marker) for i in range(1, 5)]
        first = (await http.post("/api/sync/push", json=push_body(client_id, *mutations[:2]), headers=headers)).json()
        assert [r["status"] for r in first["results"]] == ["applied", "applied"]

        await hold_lock()
        try:
            started = time.monotonic()
            response = await http.post("/api/sync/push", json=push_body(client_id, *mutations), headers=headers)
            waited = time.monotonic() - started
            assert_busy(response)
            assert waited < LOCK_WAIT_S + 10, f"the busy answer took {waited:.1f} s"
            pulled = await http.get("/api/sync/pull", params={"client_id": client_id}, headers=headers)
            assert pulled.status_code == pull_while_locked, pulled.text
            if pulled.status_code == 200:
                assert pulled.json()["last_mutation_id"] == 2  # the refused push changed nothing
            else:
                assert_busy(pulled)
        finally:
            await release_lock()
        retried = (await http.post("/api/sync/push", json=push_body(client_id, *mutations), headers=headers)).json()
        assert [r["status"] for r in retried["results"]] == ["skipped", "skipped", "applied", "applied"]
        assert retried["last_mutation_id"] == 4
    await assert_applied_once(database_url, client_id, marker, 4)


async def _client_retries_through_the_lock(
    server_url: str, database_url: str, tmp_path, hold_lock, release_lock
) -> None:
    """The Python client pushes while the database is locked: it is told busy, waits ``Retry-After``,
    and its retry after the lock is gone applies everything once."""
    marker = f"client-{uuid.uuid4().hex[:8]}"
    sleep = RecordingSleep()
    replica = Replica(tmp_path / "client.db")
    client = SyncClient(replica, server_url, sleep=sleep, backoff=Backoff(attempts=20, base=0.05, cap=2))
    try:
        await client.login_with_email(AVA, "demo")
        for i in range(1, 6):
            replica.queue("message.send", {"id": str(uuid.uuid4()), "body": f"{marker} #{i}", "account_id": ACCOUNT})
        await hold_lock()
        try:
            push = asyncio.create_task(client.push())
            await asyncio.wait_for(sleep.slept.wait(), LOCK_WAIT_S + 20)  # the first answer was a 503
            assert not push.done()
        finally:
            await release_lock()
        report = await asyncio.wait_for(push, 30)
        assert sleep.delays[0] >= 1, sleep.delays  # Retry-After was honoured
        assert (report.applied, report.skipped, report.rejected) == (5, 0, [])
        assert replica.pending() == [] and replica.last_mutation_id == 5
        client_id = replica.client_id
    finally:
        await client.aclose()
        replica.close()
    await assert_applied_once(database_url, client_id, marker, 5)


# --- SQLite ------------------------------------------------------------------------------------------


@pytest.mark.skipif(USE_PG, reason="SQLite's file lock")
async def test_sqlite_locked_by_another_process_answers_503_busy_then_the_retry_applies_once(
    database_url, start_server, tmp_path
):
    server = await start_server(database_url)
    locker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=10)

    async def hold() -> None:
        locker.execute("BEGIN EXCLUSIVE")  # in WAL mode: the write lock; readers carry on

    async def release() -> None:
        locker.execute("ROLLBACK")

    try:
        # WAL readers do not wait for writers: a pull still answers while the file is locked.
        await _locked_then_released(server.url, database_url, hold, release, pull_while_locked=200)
        await _client_retries_through_the_lock(server.url, database_url, tmp_path, hold, release)
    finally:
        locker.close()
    assert_no_server_errors(server)


# --- PostgreSQL --------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not USE_PG, reason="PostgreSQL locks and connections")
async def test_postgres_tenant_lock_held_too_long_answers_503_busy_then_the_retry_applies_once(
    database_url, start_server, tmp_path
):
    server = await start_server(database_url)
    locker = await asyncpg.connect(database_url)
    transaction = None

    async def hold() -> None:
        nonlocal transaction
        transaction = locker.transaction()
        await transaction.start()
        # Every writer of the tenant takes this row first (Store.lock); a long transaction holds it.
        await locker.execute("LOCK TABLE sync_counter IN EXCLUSIVE MODE")

    async def release() -> None:
        await transaction.rollback()

    try:
        # MVCC readers do not wait for the lock: a pull still answers.
        await _locked_then_released(server.url, database_url, hold, release, pull_while_locked=200)
        await _client_retries_through_the_lock(server.url, database_url, tmp_path, hold, release)
    finally:
        await locker.close()
    assert_no_server_errors(server)


@pytest.mark.postgres
@pytest.mark.skipif(not USE_PG, reason="PostgreSQL connections")
async def test_postgres_unreachable_answers_503_busy_then_recovers_without_losing_or_doubling_a_write(
    database_url, start_server, tmp_path
):
    proxy = TcpProxy(*host_port(database_url, 5432))
    proxy.start()
    try:
        server = await start_server(with_port(database_url, proxy.port))

        async def down() -> None:
            proxy.stop()  # every pooled connection is cut, new ones are refused

        async def up() -> None:
            proxy.start()

        # Nothing answers: reads are busy too.
        await _locked_then_released(server.url, database_url, down, up, pull_while_locked=503)
        await _client_retries_through_the_lock(server.url, database_url, tmp_path, down, up)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            proxy.stop()
            try:
                public = await http.get("/api/public/tenants/demo")
                assert_busy(public)
            finally:
                proxy.start()
            assert (await http.get("/api/public/tenants/demo")).status_code == 200
        assert_no_server_errors(server)
    finally:
        proxy.close()


@pytest.mark.postgres
@pytest.mark.skipif(not USE_PG, reason="PostgreSQL connections")
async def test_postgres_lost_in_the_middle_of_a_push_answers_503_busy_and_the_retry_applies_the_rest_once(
    database_url, start_server
):
    """The connection dies under a running push (some mutations committed, one in flight): the answer is
    ``503 busy``, not a 500, and resending the whole batch applies each mutation exactly once."""
    proxy = TcpProxy(*host_port(database_url, 5432))
    proxy.start()
    db = Database(database_url)  # direct, not through the proxy
    await db.start()
    try:
        server = await start_server(with_port(database_url, proxy.port))
        marker, count = f"lost-{uuid.uuid4().hex[:8]}", 500
        body = push_body(client_id := new_client_id(), *(message(i, marker) for i in range(1, count + 1)))
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            headers = await login(http, AVA)
            push = asyncio.create_task(http.post("/api/sync/push", json=body, headers=headers))
            deadline = time.monotonic() + 20
            while True:
                async with db.read() as conn:
                    done = await conn.fetchval("SELECT last_mutation_id FROM sync_client WHERE id = ?", client_id)
                if (done or 0) >= count // 4 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.002)
            proxy.stop()
            try:
                response = await push
            finally:
                proxy.start()
            assert_busy(response)
            async with db.read() as conn:
                committed = await conn.fetchval("SELECT last_mutation_id FROM sync_client WHERE id = ?", client_id)
            assert 0 < committed < count, committed
            retried = (await http.post("/api/sync/push", json=body, headers=headers)).json()
            statuses = [r["status"] for r in retried["results"]]
            assert statuses == ["skipped"] * committed + ["applied"] * (count - committed)
        await assert_applied_once(database_url, client_id, marker, count)
        assert_no_server_errors(server)
    finally:
        await db.close()
        proxy.close()
