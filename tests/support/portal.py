"""Logging in and syncing the way a client does, for tests."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

from server.seed.demo import sid

AVA, OPS, GATE = "ava@example.com", "ops@harbor.example", "gate@harbor.example"
ADMIN, OFFICE, DRIVER = "admin@demo.example", "office@demo.example", "driver@demo.example"
IDS = sid  # demo row ids by name, e.g. IDS("site:ava-home")


async def link_token(client, email: str, tenant: str = "demo") -> str:
    """Ask for a magic link and read its token from the dev outbox."""
    response = await client.post("/api/auth/magic-link", json={"tenant": tenant, "email": email})
    assert response.status_code == 202, response.text
    outbox = (await client.get("/api/dev/outbox", params={"to": email})).json()["messages"]
    # the newest login link: other messages (an invoice's, sent after a commit) may have come in meanwhile
    links = [parse_qs(urlparse(m["link"]).query).get("token") for m in outbox]
    tokens = [t[0] for t in links if t]
    assert tokens, f"no login link sent to {email}"
    return tokens[0]


async def login(client, email: str, tenant: str = "demo") -> dict[str, str]:
    """Authorization headers of a fresh session for ``email``."""
    token = await link_token(client, email, tenant)
    response = await client.post("/api/auth/session", json={"token": token})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # tests authenticate by header unless they test cookies
    return {"Authorization": f"Bearer {response.json()['session_token']}"}


def new_client_id() -> str:
    return uuid.uuid4().hex


async def pull_all(client, headers, client_id: str, cursor: str | None = None) -> tuple[dict, dict[str, Any]]:
    """Follow pull pages to the end; returns (last page, {(entity, id): row})."""
    rows: dict[tuple[str, str], Any] = {}
    while True:
        params = {"client_id": client_id} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/sync/pull", params=params, headers=headers)).json()
        if page.get("reset"):
            rows.clear()
        for change in page["changes"]:
            key = (change["entity"], change["id"])
            if change["op"] == "put":
                rows[key] = change["data"]
            else:
                rows.pop(key, None)
        cursor = page["cursor"]
        if not page["more"]:
            return page, rows


async def push(client, headers, client_id: str, *mutations: tuple[int, str, dict]) -> dict:
    body = {
        "client_id": client_id,
        "schema_version": 1,
        "mutations": [{"id": i, "name": n, "args": a, "created_at": "2026-01-01T00:00:00Z"} for i, n, a in mutations],
    }
    response = await client.post("/api/sync/push", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def effects_done(client) -> None:
    """Wait until the effects the server's last commits asked for (charges, messages) are carried out."""
    await client.app.state.effects.drain()


async def direct_session(settings, email: str, tenant: str = "demo") -> dict[str, str]:
    """Authorization headers for ``email`` made without a login link (production mode has no dev outbox)."""
    from server.auth.tokens import issue
    from server.db.engine import Database

    db = Database(settings.database_url)
    await db.start()
    try:
        async with db.read() as conn:
            tid = (await conn.fetchrow("SELECT id FROM tenant WHERE slug = ?", tenant))["id"]
            row = await conn.fetchrow(
                "SELECT id, token_version FROM contact WHERE tenant_id = ? AND email = ?", tid, email
            )
            kind = "contact"
            if row is None:
                row = await conn.fetchrow(
                    "SELECT id, token_version FROM staff_user WHERE tenant_id = ? AND email = ?", tid, email
                )
                kind = "staff"
    finally:
        await db.close()
    token, _ = issue(settings.secret_key, "session", row["id"], kind, tid, row["token_version"], 3600)
    return {"Authorization": f"Bearer {token}"}
