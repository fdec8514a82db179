"""Serving pulls: the compacted changelog of a session's scope since its cursor, page by page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

import msgspec

from server.db.engine import Conn, Database
from server.db.store import decode_row
from sync import cursor as cursors
from sync.actor import Actor
from sync.entities import SCHEMA_VERSION
from sync.messages import Change, PullResponse
from sync.scope import SITE_CONTACT_ENTITIES, Scope, invoice_visible, needs_view, present, scope_for

DRIVER_DAYS_BACK, DRIVER_DAYS_AHEAD = 1, 7


class _Version(msgspec.Struct):
    version: int = 0


class _InvoiceStatus(msgspec.Struct):
    version: int = 0
    status: str = ""


# Peeking at a stored row without decoding all of it: its version, and an invoice's status.
_version_of = msgspec.json.Decoder(_Version).decode
_invoice_of = msgspec.json.Decoder(_InvoiceStatus).decode
_row_of = msgspec.json.Decoder(dict).decode


def _in(values: tuple[str, ...], args: list[Any]) -> str:
    args.extend(values)
    return f"({', '.join('?' * len(values))})"


def scope_sql(scope: Scope, args: list[Any]) -> str:
    """The WHERE condition selecting a scope's changelog entries (after ``tenant_id = ?``)."""
    args.append(scope.person_id)
    clauses = ["(account_id IS NULL AND contact_id IS NULL)", "contact_id = ?"]
    if scope.all_accounts:
        clauses.append("(contact_id IS NULL)")
    if scope.company_accounts:
        clauses.append(f"(contact_id IS NULL AND account_id IN {_in(scope.company_accounts, args)})")
    if scope.site_accounts:
        accounts = _in(scope.site_accounts, args)
        entities = _in(tuple(sorted(SITE_CONTACT_ENTITIES)), args)
        sites = _in(scope.site_ids or ("-",), args)
        clauses.append(
            f"(contact_id IS NULL AND account_id IN {accounts} AND entity IN {entities} "
            f"AND (site_id IN {sites} OR entity IN ('account', 'message')))"
        )
    for entity, ids in (scope.rows or {}).items():
        if ids:
            args.append(entity)
            clauses.append(f"(entity = ? AND row_id IN {_in(ids, args)})")
    return "(" + " OR ".join(clauses) + ")"


async def driver_rows(conn: Conn, actor: Actor, today: str) -> dict[str, tuple[str, ...]]:
    """The driver's route: jobs on their truck from yesterday to a week ahead, with sites and accounts."""
    if not actor.truck_id:
        return {}
    start = (date.fromisoformat(today) - timedelta(days=DRIVER_DAYS_BACK)).isoformat()
    end = (date.fromisoformat(today) + timedelta(days=DRIVER_DAYS_AHEAD)).isoformat()
    jobs = await conn.fetch(
        "SELECT id, site_id, account_id FROM job WHERE tenant_id = ? AND truck_id = ? "
        "AND scheduled_date >= ? AND scheduled_date <= ?",
        actor.tenant_id,
        actor.truck_id,
        start,
        end,
    )
    return {
        "job": tuple(j["id"] for j in jobs),
        "site": tuple({j["site_id"] for j in jobs}),
        "account": tuple({j["account_id"] for j in jobs}),
    }


async def serve_pull(
    db: Database, actor: Actor, tenant: dict[str, Any], client_id: str, cursor: str | None, limit: int, today: str
) -> PullResponse:
    async with db.read() as conn:
        rows = await driver_rows(conn, actor, today) if actor.role == "driver" else None
        scope = scope_for(actor, tenant, rows)
        # One statement for both: the changelog's floor and this client's last mutation, in the same snapshot.
        meta = await conn.fetchrow(
            "SELECT (SELECT floor FROM sync_counter WHERE tenant_id = ?) AS floor, "
            "(SELECT last_mutation_id FROM sync_client WHERE id = ? AND owner_id = ?) AS last_mutation_id",
            actor.tenant_id,
            client_id,
            actor.person_id,
        )
        assert meta is not None  # a SELECT of two subqueries always has its one row
        floor = meta["floor"] or 0
        state = cursors.decode(cursor)
        reset = bool(cursor) and (
            state is None
            or state.fingerprint != scope.fingerprint
            or state.schema_version != SCHEMA_VERSION
            or state.seq < floor
        )
        since = 0 if (reset or state is None) else state.seq
        args: list[Any] = [actor.tenant_id, since]
        where = scope_sql(scope, args)
        entries = await conn.fetch(
            f"SELECT seq, entity, row_id, op, data FROM changelog WHERE tenant_id = ? AND seq > ? AND {where} "
            f"ORDER BY seq LIMIT {int(limit) + 1}",
            *args,
        )
    more = len(entries) > limit
    entries = entries[:limit]
    fresh = since == 0
    changes: list[Change] = []
    redacted: dict[str, bool] = {}  # entity -> whether its rows go through present() for this session
    for entry in entries:
        entity, row_id = entry["entity"], entry["row_id"]
        if entry["op"] == "del":
            if not fresh:
                changes.append(Change(entity=entity, id=row_id, op="del"))
            continue
        raw = entry["data"]
        if entity not in redacted:
            redacted[entity] = needs_view(actor, entity)
        if redacted[entity]:
            view = present(actor, tenant, entity, _row_of(raw))
            version = view["version"] if view is not None else 0
        elif entity == "invoice" and not actor.is_staff:
            peek = _invoice_of(raw)
            view, version = (raw if invoice_visible(tenant, peek.status) else None), peek.version
        else:
            view, version = raw, _version_of(raw).version
        if view is None:
            if not fresh:
                changes.append(Change(entity=entity, id=row_id, op="del"))
            continue
        data = msgspec.Raw(raw.encode() if isinstance(raw, str) else raw) if view is raw else view
        # (a Raw is encoded as the JSON object it holds: what `Change.data` declares)
        changes.append(Change(entity=entity, id=row_id, op="put", version=version, data=cast("dict[str, Any]", data)))
    last_seq = entries[-1]["seq"] if entries else since
    return PullResponse(
        cursor=cursors.CursorState(last_seq, scope.fingerprint).encode(),
        more=more,
        reset=reset,
        schema_version=SCHEMA_VERSION,
        last_mutation_id=meta["last_mutation_id"] or 0,
        changes=changes,
    )


__all__ = ["serve_pull", "scope_sql", "driver_rows", "decode_row"]
