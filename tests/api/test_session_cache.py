"""A session's person, memberships and tenant are kept between requests only while nothing at all is
committed (``server/auth/actor.py`` ``ActorCache``, ``Database.generation_now``). Whatever changes who
a person is takes effect on their very next request, wherever it was written: this process, or another
one (a ``haulport`` command, a second server) through its own connection."""

from __future__ import annotations

import sqlite3

from server.db.engine import Database
from tests.payments.stripe_flows import run_sql  # a write by another process: its own connection
from tests.support.portal import AVA, IDS, OFFICE, login, new_client_id


async def _pull(client, headers, client_id):
    return await client.get("/api/sync/pull", params={"client_id": client_id}, headers=headers)


async def test_a_sign_out_everywhere_written_by_another_process_refuses_the_next_request(client, settings):
    headers, client_id = await login(client, AVA), new_client_id()
    for _ in range(3):  # from the second request on, the session's person is the one kept
        assert (await _pull(client, headers, client_id)).status_code == 200
    await run_sql(settings, "UPDATE contact SET token_version = token_version + 1 WHERE id = ?", IDS("contact:ava"))
    refused = await _pull(client, headers, client_id)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "session_revoked"


async def test_losing_portal_access_elsewhere_ends_the_session_on_its_next_request(client, settings):
    headers, client_id = await login(client, AVA), new_client_id()
    for _ in range(2):
        assert (await _pull(client, headers, client_id)).status_code == 200
    await run_sql(settings, "UPDATE membership SET portal_access = ? WHERE contact_id = ?", False, IDS("contact:ava"))
    refused = await _pull(client, headers, client_id)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "session_revoked"


async def test_the_office_switching_the_portal_off_refuses_a_warm_session_at_once(client):
    customer, office, client_id = await login(client, AVA), await login(client, OFFICE), new_client_id()
    for _ in range(2):
        assert (await _pull(client, customer, client_id)).status_code == 200
    switched = await client.patch("/api/admin/settings", json={"portal_enabled": False}, headers=office)
    assert switched.status_code == 200, switched.text
    refused = await _pull(client, customer, client_id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "portal_disabled"


async def test_the_generation_moves_on_with_any_commit_and_only_then(tmp_path):
    path = tmp_path / "generation.db"
    db = Database(f"sqlite:///{path}")
    await db.start()
    try:
        async with db.write() as conn:
            await conn.execute("CREATE TABLE t (x INTEGER)")
        first = db.generation_now()
        assert first is not None and db.generation_now() == first
        async with db.read() as conn:  # a reader seen for the first time counts as a change
            seen = conn.generation()
        assert db.generation_now() == seen
        async with db.write() as conn:  # this process's own writer
            await conn.execute("INSERT INTO t VALUES (1)")
        after_own = db.generation_now()
        assert after_own is not None and after_own > seen
        other = sqlite3.connect(path, isolation_level=None)  # another process's connection
        other.execute("INSERT INTO t VALUES (2)")
        other.close()
        after_other = db.generation_now()
        assert after_other is not None and after_other > after_own
        assert db.generation_now() == after_other
        async with db.read() as conn:
            assert conn.generation() >= after_other  # (this reader had not seen either commit)
            assert conn.generation() == db.generation_now()
    finally:
        await db.close()


async def test_postgresql_keeps_nothing_between_requests_and_sqlite_does(database_url):
    db = Database(database_url)
    await db.start()
    try:
        on_postgres = database_url.startswith("postgres")
        assert (db.generation_now() is None) == on_postgres
        async with db.read() as conn:
            assert (conn.generation() is None) == on_postgres
    finally:
        await db.close()
