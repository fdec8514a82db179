"""The disk fills up or fails under the database: a request answers ``503 busy`` with ``Retry-After``
(never a 500), nothing half-written stays, and once space is back the same server takes writes again
without a restart.

SQLite for real: the writer's ``max_page_count`` is lowered to the database's current size, so the
next pages it needs are refused exactly as a full disk refuses them ("database or disk is full").
Both dialects: the connection raises the driver's own disk-full and I/O errors (sqlite3's
``OperationalError``, asyncpg's ``DiskFullError`` / ``PostgresIOError``) in the middle of a write."""

from __future__ import annotations

import sqlite3
import uuid

import asyncpg
import pytest

from server.db import engine
from server.db.engine import Database
from server.seed.demo import sid
from tests.conftest import USE_PG
from tests.support.portal import AVA, DRIVER, login, new_client_id

ACCOUNT = sid("account:ava-reed")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR"


@pytest.fixture
def settings_overrides():
    return {"upload_max_bytes": 300_000, "upload_quota_bytes": 100_000_000, "upload_quota_count": 1000}


def _busy(response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "busy"
    assert int(response.headers["retry-after"]) >= 1


def _push(client_id: str, mutation_id: int, body: str, count: int = 1, pad: int = 0) -> dict:
    return {
        "client_id": client_id,
        "schema_version": 1,
        "mutations": [
            {
                "id": mutation_id + i,
                "name": "message.send",
                "args": {
                    "id": str(uuid.uuid4()),
                    "body": body + (" " + uuid.uuid4().hex * (pad // 32) if pad else ""),
                    "account_id": ACCOUNT,
                },
                "created_at": "2026-01-01T00:00:00Z",
            }
            for i in range(count)
        ],
    }


def _image(size: int) -> bytes:
    return PNG + uuid.uuid4().bytes * ((size - len(PNG)) // 16)


@pytest.mark.skipif(USE_PG, reason="SQLite's page limit stands for a full disk")
async def test_a_full_sqlite_disk_answers_503_busy_and_writes_resume_when_space_returns(client):
    driver = await login(client, DRIVER)
    ava = await login(client, AVA)
    writer = client.app.state.db._writer
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count = {pages}")
    try:
        answers = []
        for _ in range(10):  # the free pages inside the file go first, then the "disk" is full
            response = await client.post(
                "/api/uploads", headers=driver, files={"data": ("a.png", _image(250_000), "image/png")}
            )
            answers.append(response.status_code)
            if response.status_code != 201:
                break
        assert answers[-1] == 503, answers
        _busy(response)
        client_id = new_client_id()
        pushed = await client.post(
            "/api/sync/push", json=_push(client_id, 1, "while full", count=50, pad=4000), headers=ava
        )
        _busy(pushed)
        read = await client.get("/api/sync/pull", params={"client_id": new_client_id()}, headers=ava)
        assert read.status_code == 200  # reads go on while the disk is full
    finally:
        writer.execute("PRAGMA max_page_count = 4294967294")  # space is back
    again = await client.post("/api/sync/push", json=_push(client_id, 1, "after space came back"), headers=ava)
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "applied", again.text
    uploaded = await client.post(
        "/api/uploads", headers=driver, files={"data": ("a.png", _image(250_000), "image/png")}
    )
    assert uploaded.status_code == 201, uploaded.text
    async with client.app.state.db.read() as conn:
        bodies = [
            r["body"]
            for r in await conn.fetch(
                "SELECT body FROM message WHERE body LIKE ? OR body LIKE ?", "while full%", "after space%"
            )
        ]
    assert bodies == ["after space came back"]


def _faults() -> list[BaseException]:
    if USE_PG:
        return [
            asyncpg.exceptions.DiskFullError("could not extend file: No space left on device"),
            asyncpg.exceptions.PostgresIOError("could not write to file: Input/output error"),
        ]
    return [sqlite3.OperationalError("database or disk is full"), sqlite3.OperationalError("disk I/O error")]


@pytest.mark.parametrize("fault", range(2), ids=["disk_full", "io_error"])
async def test_a_disk_fault_in_the_middle_of_a_write_answers_503_busy_then_recovers(
    client, settings, monkeypatch, fault
):
    ava = await login(client, AVA)
    error = _faults()[fault]
    conn_class = engine.PgConn if USE_PG else engine.SqliteConn
    failing = {"on": True}

    def failing_on_message_insert(method):
        async def run(self, sql, *args):
            if failing["on"] and sql.lstrip().upper().startswith("INSERT INTO MESSAGE"):
                raise error
            return await method(self, sql, *args)

        return run

    # However the store sends the row (now, with RETURNING, or batched with the next statement).
    for name in ("execute", "executemany", "fetch", "fetchrow", "later"):
        if hasattr(conn_class, name):
            monkeypatch.setattr(conn_class, name, failing_on_message_insert(getattr(conn_class, name)))
    client_id = new_client_id()
    for _ in range(3):  # each answer is the same; nothing of the failed writes stays
        _busy(await client.post("/api/sync/push", json=_push(client_id, 1, "during the fault"), headers=ava))
    failing["on"] = False
    response = await client.post("/api/sync/push", json=_push(client_id, 1, "after the fault"), headers=ava)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied", response.text
    db = Database(settings.database_url)  # the app's pool belongs to the test client's event loop
    await db.start()
    try:
        async with db.read() as conn:
            bodies = [r["body"] for r in await conn.fetch("SELECT body FROM message WHERE body LIKE ?", "%the fault")]
            last = await conn.fetchval("SELECT last_mutation_id FROM sync_client WHERE id = ?", client_id)
    finally:
        await db.close()
    assert (bodies, last) == (["after the fault"], 1)
