"""Tenant API keys: created by an admin, shown once, kept as a SHA-256 hash, scoped ``read`` or
``read_write``, revocable, with the time each was last used.

A key is ``hpk_<key id>_<secret>``; the office API (``/api/admin/…``) accepts it as
``Authorization: Bearer <key>`` and acts as office staff (a ``read`` key may only read). A key reaches
nothing else: not the portal, the sync API, nor the keys and webhooks themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from server.db.engine import Conn, Database
from server.db.store import Store, now_iso
from sync.actor import Actor

PREFIX = "hpk_"
_TOKEN = re.compile(r"^hpk_([0-9a-f]{32})_([A-Za-z0-9_-]{20,100})$")
Scope = Literal["read", "read_write"]
LAST_USED_EVERY_S = 60  # last_used_at is written at most this often per key (not on every request)
SCOPE_NAMES = {"read": "read only", "read_write": "read and write"}


class KeyRefused(Exception):
    """The key is malformed, unknown, revoked or of another tenant."""


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def public_view(row: dict[str, Any]) -> dict[str, Any]:
    """A key as the console lists it (never its secret or hash)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "prefix": row["prefix"],
        "scope": row["scope"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "last_used_at": row["last_used_at"],
        "revoked_at": row["revoked_at"],
    }


async def create_key(conn: Conn, tenant_id: str, name: str, scope: Scope, created_by: str) -> tuple[dict, str]:
    """A new key's row and the key itself (shown this once)."""
    key_id = uuid.uuid4().hex
    secret = secrets.token_urlsafe(32)
    token = f"{PREFIX}{key_id}_{secret}"
    row = {
        "id": key_id,
        "tenant_id": tenant_id,
        "name": name,
        "prefix": token[:12],
        "secret_hash": _hash(secret),
        "scope": scope,
        "created_by": created_by,
        "created_at": now_iso(),
        "last_used_at": None,
        "revoked_at": None,
    }
    await conn.execute(
        "INSERT INTO api_key (id, tenant_id, name, prefix, secret_hash, scope, created_by, created_at, last_used_at, "
        "revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        *row.values(),
    )
    return row, token


async def list_keys(conn: Conn, tenant_id: str) -> list[dict[str, Any]]:
    return [
        public_view(r)
        for r in await conn.fetch("SELECT * FROM api_key WHERE tenant_id = ? ORDER BY created_at DESC", tenant_id)
    ]


async def revoke_key(conn: Conn, tenant_id: str, key_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM api_key WHERE id = ? AND tenant_id = ?", key_id, tenant_id)
    if row is None:
        return None
    if row["revoked_at"] is None:
        stamp = now_iso()
        await conn.execute("UPDATE api_key SET revoked_at = ? WHERE id = ?", stamp, key_id)
        row = {**row, "revoked_at": stamp}
    return public_view(row)


def _stale(last_used_at: str | None) -> bool:
    if last_used_at is None:
        return True
    then = datetime.fromisoformat(last_used_at.replace("Z", "+00:00"))
    return datetime.now(UTC) - then > timedelta(seconds=LAST_USED_EVERY_S)


async def authenticate(db: Database, token: str) -> tuple[Actor, dict[str, Any]]:
    """The office actor and tenant row of a valid key; ``KeyRefused`` otherwise."""
    match = _TOKEN.match(token)
    if match is None:
        raise KeyRefused("that is not a Haulport API key")
    key_id, secret = match.groups()
    async with db.read() as conn:
        row = await conn.fetchrow("SELECT * FROM api_key WHERE id = ?", key_id)
        if row is None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
            raise KeyRefused("unknown API key")
        if row["revoked_at"] is not None:
            raise KeyRefused("this API key was revoked")
        tenant = await Store(conn, row["tenant_id"]).get("tenant", row["tenant_id"])
    if tenant is None:
        raise KeyRefused("unknown API key")
    if _stale(row["last_used_at"]):
        async with db.write() as conn:
            await conn.execute("UPDATE api_key SET last_used_at = ? WHERE id = ?", now_iso(), key_id)
    actor = Actor(
        tenant_id=tenant["id"],
        tenant_slug=tenant["slug"],
        person_kind="staff",
        person_id=row["id"],
        name=f"API key {row['name']}",
        role="office",
        read_only=row["scope"] == "read",
    )
    return actor, tenant
