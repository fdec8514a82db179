"""Load the acting person for a verified session token."""

from __future__ import annotations

from typing import Any

from server.auth.tokens import Claims
from server.db.engine import Conn
from server.db.store import Store
from sync.actor import AccountAccess, Actor


class Revoked(Exception):
    """The person is gone, lost portal access, or their tokens were revoked."""


async def portal_accounts(store: Store, contact_id: str) -> dict[str, AccountAccess]:
    """Accounts a contact may open in the portal, by id."""
    memberships = await store.find("membership", contact_id=contact_id, portal_access=True)
    if not memberships:
        return {}
    accounts = {a["id"]: a for a in await store.find("account", id=[m["account_id"] for m in memberships])}
    out = {}
    for m in memberships:
        account = accounts.get(m["account_id"])
        if account is None:
            continue
        out[account["id"]] = AccountAccess(
            role=m["role"],
            site_ids=tuple(m["site_ids"] or ()),
            primary=m["primary"],
            name=account["name"],
            kind=account["kind"],
        )
    return out


async def load_actor(conn: Conn, claims: Claims) -> tuple[Actor, dict]:
    """The actor and its tenant row for a session's claims; ``Revoked`` when no longer valid."""
    store = Store(conn, claims.tid)
    tenant = await store.get("tenant", claims.tid)
    if tenant is None:
        raise Revoked("tenant not found")
    if claims.sid and await conn.fetchrow("SELECT id FROM revoked_session WHERE id = ?", claims.sid):
        raise Revoked("signed out")
    if claims.kind == "staff":
        staff = await store.get("staff_user", claims.sub)
        if staff is None or staff["token_version"] != claims.ver:
            raise Revoked("staff session revoked")
        if claims.ro:
            account = await store.get("account", claims.ro)
            if account is None:
                raise Revoked("account not found")
            access = AccountAccess(role="company", primary=True, name=account["name"], kind=account["kind"])
            return Actor(
                tenant_id=claims.tid,
                tenant_slug=tenant["slug"],
                person_kind="staff",
                person_id=staff["id"],
                name=staff["name"],
                role="staff_readonly",
                accounts={account["id"]: access},
                read_only=True,
            ), tenant
        return Actor(
            tenant_id=claims.tid,
            tenant_slug=tenant["slug"],
            person_kind="staff",
            person_id=staff["id"],
            name=staff["name"],
            role=staff["role"],
            truck_id=staff["truck_id"],
        ), tenant
    contact = await store.get("contact", claims.sub)
    if contact is None or contact["token_version"] != claims.ver:
        raise Revoked("session revoked")
    accounts = await portal_accounts(store, contact["id"])
    if not accounts:
        raise Revoked("no portal access")
    role = "customer" if any(a.role == "company" for a in accounts.values()) else "site_contact"
    return Actor(
        tenant_id=claims.tid,
        tenant_slug=tenant["slug"],
        person_kind="contact",
        person_id=contact["id"],
        name=contact["name"],
        role=role,
        accounts=accounts,
    ), tenant


class ActorCache:
    """Actors of sessions, kept for as long as nothing is committed to the database.

    Loading an actor reads the tenant, the person, their memberships and accounts: five statements
    and their decoding, more than the rest of a small pull. While ``Conn.generation`` stays the same,
    none of those rows changed (nor was a session revoked), so the actor loaded then still holds; any
    commit at all, by this process or another, moves the generation on and the next request loads
    afresh. Where the generation is not known (PostgreSQL), every request loads. Revocation is
    therefore never cached: what was refused is not kept, and what was allowed is only reused
    while the database is exactly as it was when it was allowed."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._kept: dict[tuple, tuple[int, Actor, dict[str, Any]]] = {}

    @staticmethod
    def _key(claims: Claims) -> tuple:
        return (claims.tid, claims.kind, claims.sub, claims.ver, claims.ro, claims.sid)

    def kept(self, claims: Claims, generation: int | None) -> tuple[Actor, dict[str, Any]] | None:
        """The actor loaded for these claims at ``generation`` (``Database.generation_now``), if kept."""
        if generation is None:
            return None
        kept = self._kept.get(self._key(claims))
        if kept is None or kept[0] != generation:
            return None
        return kept[1], dict(kept[2])  # (the Actor is frozen; the tenant row a copy of its own)

    async def load(self, conn: Conn, claims: Claims) -> tuple[Actor, dict[str, Any]]:
        """The actor for these claims, as kept at this transaction's generation or loaded now."""
        generation = conn.generation()
        if (kept := self.kept(claims, generation)) is not None:
            return kept
        actor, tenant = await load_actor(conn, claims)
        if generation is not None:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[self._key(claims)] = (generation, actor, dict(tenant))
        return actor, tenant
