"""Outside dev mode the outbox (a database table anyone with a backup can read) keeps no usable login link."""

from __future__ import annotations

import pytest

from server.db.engine import Database


@pytest.fixture
def settings_overrides():
    return {"dev_mode": False}


async def test_the_production_outbox_keeps_no_login_link(client, settings):
    response = await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": "ava@example.com"})
    assert response.status_code == 202
    db = Database(settings.database_url)
    await db.start()
    try:
        async with db.read() as conn:
            rows = await conn.fetch("SELECT body, link FROM outbox WHERE recipient = ?", "ava@example.com")
    finally:
        await db.close()
    assert rows, "the message is recorded"
    assert all(r["link"] == "" and "token=" not in r["body"] for r in rows)
