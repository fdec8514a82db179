"""The server is SIGKILLed in the middle of a push batch and restarted: the client retries and every
mutation is applied exactly once (SQLite file or PostgreSQL, whichever the suite runs on).

Each chunk of the batch (50 mutations) commits in its own transaction together with the client's
``last_mutation_id`` (see ``server/sync_api/push.py``), so a kill leaves a prefix of the batch applied;
the retried batch skips that prefix and applies the rest.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from server.db.engine import Database
from server.seed.demo import sid
from sync.client import Backoff, Replica, SyncClient
from tests.support.portal import AVA

N = 500  # the most one push may carry: one request, so the kill lands inside it
ACCOUNT = sid("account:ava-reed")
KILL_AT = (0.2, 0.75)  # kill once this share of the batch has committed (one restart each: a few seconds)


async def last_mutation_id(db: Database, client_id: str) -> int:
    async with db.read() as conn:
        return await conn.fetchval("SELECT last_mutation_id FROM sync_client WHERE id = ?", client_id) or 0


async def wait_for_progress(
    db: Database, client_id: str, at_least: int, push: asyncio.Task, timeout: float = 20.0
) -> int:
    """Poll the database until the server has committed ``at_least`` mutations of the batch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = await last_mutation_id(db, client_id)
        if seen >= at_least:
            return seen
        if push.done():
            raise AssertionError(f"the push ended before the kill: {push.exception() or push.result()!r}")
        await asyncio.sleep(0.002)
    raise AssertionError(f"the server committed only {seen} mutations in {timeout} s")


async def test_sigkill_mid_push_then_restart_applies_every_mutation_exactly_once(database_url, start_server, tmp_path):
    server = await start_server(database_url)
    db = Database(database_url)  # the test's own view of the server's database
    await db.start()
    try:
        for round_no, share in enumerate(KILL_AT):
            replica = Replica(tmp_path / f"client-{round_no}.db")
            replica.conn.execute("PRAGMA synchronous=OFF")  # the test's queue needs no power-cut safety
            # Retries keep coming while the server restarts (a few seconds on a busy machine).
            client = SyncClient(replica, server.url, batch_size=N, backoff=Backoff(attempts=200, base=0.05, cap=0.25))
            try:
                await client.login_with_email(AVA, "demo")
                ids = [str(uuid.uuid4()) for _ in range(N)]
                marker = f"kill-{round_no}-{uuid.uuid4().hex[:8]}"
                for i, message_id in enumerate(ids, 1):
                    replica.queue("message.send", {"id": message_id, "body": f"{marker} #{i}", "account_id": ACCOUNT})
                client_id = replica.client_id

                push = asyncio.create_task(client.push())
                await wait_for_progress(db, client_id, int(N * share), push)
                server.kill()
                committed = await last_mutation_id(db, client_id)  # what survived the kill
                assert 0 < committed < N, f"kill at {share:.0%}: {committed} of {N} committed"
                assert not push.done(), "the client must not have had an answer from the killed server"
                await server.start()
                report = await asyncio.wait_for(push, 60)

                # The retried batch: the committed prefix is skipped, the rest applied, nothing rejected.
                assert report.rejected == [], report.rejected[:3]
                assert (report.skipped, report.applied) == (committed, N - committed), (report, committed)
                assert report.last_mutation_id == N and replica.last_mutation_id == N
                assert replica.pending() == []
                # Every mutation's effect exists exactly once on the server ...
                async with db.read() as conn:
                    assert await last_mutation_id(db, client_id) == N
                    rows = await conn.fetch("SELECT id, body FROM message WHERE body LIKE ?", f"{marker} #%")
                    rejections = await conn.fetchval(
                        "SELECT COUNT(*) FROM mutation_rejection WHERE client_id = ?", client_id
                    )
                assert len(rows) == N and {r["id"] for r in rows} == set(ids)
                assert sorted(r["body"] for r in rows) == sorted(f"{marker} #{i}" for i in range(1, N + 1))
                assert rejections == 0
                # ... and a pull from the restarted server brings all of them to the client.
                pulled = await client.pull()
                assert pulled.last_mutation_id == N
                mine = [m for m in replica.snapshot("message") if m["body"].startswith(f"{marker} #")]
                assert len(mine) == N
            finally:
                await client.aclose()
                replica.close()
    finally:
        await db.close()
