"""Serving pulls: the compacted changelog of a session's scope since its cursor, page by page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import msgspec

from server.db.engine import Conn, Database, DatabaseBusy
from server.db.store import decode_row, now_iso
from sync import cursor as cursors
from sync.actor import Actor
from sync.entities import SCHEMA_VERSION
from sync.messages import Change, PullResponse
from sync.scope import (
    SCOPE_TENANT_FIELDS,
    SITE_ONLY_ENTITIES,
    Part,
    invoice_visible,
    needs_view,
    part_matches,
    present,
    scope_for,
    scope_parts,
)

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


def _in(values: tuple[str, ...] | list[str], args: list[Any]) -> str:
    args.extend(values)
    return f"({', '.join('?' * len(values))})"


# The columns a pull reads, and which arm an entry came from (1: a part that left the scope).
_COLUMNS = "seq, id, entity, row_id, op, account_id, site_id, contact_id, data"
_GROUP_ABOVE = 64  # more company accounts than this: one arm with an IN list instead of one arm each


def _arm_where(kind: str, values: list[tuple[str, ...]], args: list[Any]) -> str:
    """The exact-match condition of one part (or of many parts of one kind, grouped), after tenant_id = ?."""
    if kind == "contact":
        args.append(values[0][1])
        return "contact_id = ?"
    if kind == "all":
        return "contact_id IS NULL"
    if kind == "tenant":
        return "account_id IS NULL AND contact_id IS NULL"
    if kind == "company":
        if len(values) == 1:
            args.append(values[0][1])
            return "account_id = ? AND contact_id IS NULL"
        return f"account_id IN {_in([v[1] for v in values], args)} AND contact_id IS NULL"
    if kind == "account-entity":
        args.extend(values[0][2:0:-1])
        # (the IN list repeats the partial index's condition, so that both planners may use it)
        return "entity = ? AND account_id = ? AND contact_id IS NULL AND entity IN ('account', 'message')"
    if kind == "site":
        args.extend((values[0][2], values[0][1]))
        return f"site_id = ? AND account_id = ? AND contact_id IS NULL AND entity IN {_in(SITE_ONLY_ENTITIES, args)}"
    if kind == "row":
        return f"id IN {_in([f'{v[1]}:{v[2]}' for v in values], args)}"
    raise ValueError(kind)


def _arms(parts: list[Part]) -> list[tuple[str, list[Part]]]:
    """Group parts into arms: one per part (each an index range in seq order, merged by the database),
    except driver rows (one primary-key lookup for all) and very many company accounts (one IN list)."""
    company = [p for p in parts if p[0] == "company"]
    rows = [p for p in parts if p[0] == "row"]
    arms = [(p[0], [p]) for p in parts if p[0] not in ("row", "company")]
    if len(company) > _GROUP_ABOVE:
        arms.append(("company", company))
    else:
        arms.extend(("company", [p]) for p in company)
    if rows:
        arms.append(("row", rows))
    return arms


class _Seq:
    """Where a sequence number goes in a statement's arguments (see ``_pull_shape``)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


_SINCE, _FROM, _KEPT = _Seq("since"), _Seq("from_seq"), _Seq("max(since, from_seq)")
_SHAPES_MAX = 10_000


def pull_sql(
    tenant_id: str,
    kept: Sequence[Part],
    since: int,
    limit: int,
    added: Sequence[Part] = (),
    removed: Sequence[Part] = (),
    from_seq: int = 0,
) -> tuple[str, list[Any]]:
    """The statement of one pull page: the changelog entries after ``since`` of the ``kept`` parts; while
    a scope change is sent (``from_seq``: where the client was), also every entry of the ``added`` parts
    and of the ``removed`` ones (``leaving`` = 1) that the client lacks or holds — rows, not older tombstones
    — merged in seq order. Every arm is an exact match on one index; see docs/PROTOCOL-EXTENSIONS.md."""
    key = (tenant_id, tuple(kept), int(limit), tuple(added), tuple(removed))
    shape = _SHAPES.get(key)
    if shape is None:
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        shape = _SHAPES[key] = _pull_shape(*key)
    sql, template = shape
    at_least = max(since, from_seq)
    return sql, [since if a is _SINCE else from_seq if a is _FROM else at_least if a is _KEPT else a for a in template]


# A session pulls with the same parts page after page: the statement and its arguments, with the
# sequence numbers left as markers, are made once per shape.
_SHAPES: dict[tuple, tuple[str, list[Any]]] = {}


def _pull_shape(
    tenant_id: str, kept: tuple[Part, ...], limit: int, added: tuple[Part, ...], removed: tuple[Part, ...]
) -> tuple[str, list[Any]]:
    selects: list[str] = []
    args: list[Any] = []
    for group, is_kept, leaving in ((kept, True, 0), (added, False, 0), (removed, False, 1)):
        for kind, values in _arms(list(group)):
            args.append(tenant_id)
            # Driver rows are found by primary key; `|| ''` keeps the tenant check from steering the
            # planner to a tenant-wide index range instead.
            tenant = "tenant_id || '' = ?" if kind == "row" else "tenant_id = ?"
            where = _arm_where(kind, values, args)
            if is_kept:
                args.append(_KEPT)
                seq = "seq > ?"
            else:
                args.extend((_SINCE, _FROM))
                seq = "seq > ? AND (seq > ? OR op = 'put')"
            # Each arm in seq order with its own LIMIT: both engines then merge the arms' index ranges and
            # stop at the page's end (PostgreSQL does not merge a bare UNION ALL of them).
            selects.append(
                f"SELECT * FROM (SELECT {_COLUMNS}, {leaving} AS leaving FROM changelog WHERE {tenant} AND {where} "
                f"AND {seq} ORDER BY seq LIMIT {limit + 1}) AS arm{len(selects)}"
            )
    return " UNION ALL ".join(selects) + f" ORDER BY seq LIMIT {limit + 1}", args


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


SCOPE_KEPT_DAYS = 60
SCOPE_WRITE_WAIT_S = 0.05  # how long a pull waits for the write lock to store its scope
_KNOWN_MAX = 100_000  # sync_scope ids a Database remembers having seen stored (they never change)


def _scope_key(actor: Actor, fp: str) -> str:
    return f"{actor.tenant_id}:{actor.person_id}:{fp}"


async def _scope_parts_of(conn: Conn, actor: Actor, fp: str) -> list[Part] | None:
    """The parts of this person's scope that had fingerprint ``fp``, if the server kept it."""
    raw = await conn.fetchval("SELECT parts FROM sync_scope WHERE id = ?", _scope_key(actor, fp))
    return None if raw is None else [tuple(p) for p in _row_of(raw)["parts"]]


async def _store_scope(db: Database, actor: Actor, key: str, parts: Sequence[Part]) -> None:
    async with db.write(wait_s=SCOPE_WRITE_WAIT_S) as conn:
        # A person's scopes older than SCOPE_KEPT_DAYS go: a cursor that old resets instead.
        cutoff = (datetime.now(UTC) - timedelta(days=SCOPE_KEPT_DAYS)).isoformat(timespec="milliseconds")
        await conn.execute(
            "DELETE FROM sync_scope WHERE person_id = ? AND tenant_id = ? AND created_at < ?",
            actor.person_id,
            actor.tenant_id,
            cutoff.replace("+00:00", "Z"),
        )
        await conn.execute(
            "INSERT INTO sync_scope (id, tenant_id, person_id, parts, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            key,
            actor.tenant_id,
            actor.person_id,
            msgspec.json.encode({"parts": parts}).decode(),
            now_iso(),
        )


async def _remember_scope(db: Database, actor: Actor, fp: str, parts: Sequence[Part]) -> None:
    """Keep the parts behind a fingerprint served to this person, for a later scope change (once per scope)."""
    key = _scope_key(actor, fp)
    known = db.known_scopes
    if key in known:
        return
    async with db.read() as conn:
        stored = await conn.fetchval("SELECT 1 FROM sync_scope WHERE id = ?", key)
    if stored is None:
        try:
            await _store_scope(db, actor, key, parts)
        except DatabaseBusy:
            # Best effort: a pull never waits for (or fails on) the write lock. Not stored, a later
            # scope change of this cursor resets instead; the next pull tries again.
            return
    if len(known) > _KNOWN_MAX:
        known.clear()
    known.add(key)


_SCOPES: dict[int, tuple[Actor, tuple, Any, tuple[Part, ...]]] = {}
_SCOPES_MAX = 10_000


def _scope_and_parts(actor: Actor, tenant: dict[str, Any], rows: dict[str, tuple[str, ...]] | None):
    """The session's scope and its parts. A driver's follows their route (``rows``); anyone else's
    follows only the actor and ``SCOPE_TENANT_FIELDS``, so it is made once per actor object (the
    session's ``ActorCache`` hands out the same object for as long as nothing changes)."""
    if rows is not None:
        scope = scope_for(actor, tenant, rows)
        return scope, tuple(scope_parts(scope))
    fields = tuple(tenant.get(f) for f in SCOPE_TENANT_FIELDS)
    kept = _SCOPES.get(id(actor))
    if kept is not None and kept[0] is actor and kept[1] == fields:
        return kept[2], kept[3]
    scope = scope_for(actor, tenant)
    parts = tuple(scope_parts(scope))
    if len(_SCOPES) >= _SCOPES_MAX:
        _SCOPES.clear()
    _SCOPES[id(actor)] = (actor, fields, scope, parts)
    return scope, parts


async def serve_pull(
    db: Database, actor: Actor, tenant: dict[str, Any], client_id: str, cursor: str | None, limit: int, today: str
) -> PullResponse:
    async with db.read() as conn:
        rows = await driver_rows(conn, actor, today) if actor.role == "driver" else None
        scope, parts = _scope_and_parts(actor, tenant, rows)
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
        old: list[Part] | None = None  # while a scope change is sent: the scope the client came from
        from_fp, from_seq, since = None, 0, 0
        if state is not None and state.schema_version == SCHEMA_VERSION and state.seq >= floor:
            since = state.seq
            if state.from_fingerprint is not None:  # in the middle of sending a scope change
                if state.fingerprint == scope.fingerprint and state.from_seq >= floor:
                    old = await _scope_parts_of(conn, actor, state.from_fingerprint)
                    from_fp, from_seq = state.from_fingerprint, state.from_seq
                usable = old is not None
            elif state.fingerprint != scope.fingerprint:  # the scope changed since this cursor
                old = await _scope_parts_of(conn, actor, state.fingerprint)
                from_fp, from_seq, since = state.fingerprint, state.seq, 0
                usable = old is not None
            else:
                usable = True
        else:
            usable = False
        if not usable:
            old, from_fp, from_seq, since = None, None, 0, 0
        reset = bool(cursor) and not usable
        if old is None:
            sql, args = pull_sql(actor.tenant_id, parts, since, limit)
        else:
            before, now = set(old), set(parts)
            sql, args = pull_sql(
                actor.tenant_id,
                [p for p in parts if p in before],
                since,
                limit,
                added=[p for p in parts if p not in before],
                removed=[p for p in old if p not in now],
                from_seq=from_seq,
            )
        entries = await conn.fetch(sql, *args)
    await _remember_scope(db, actor, scope.fingerprint, parts)
    more = len(entries) > limit
    if more:
        # An entry can come twice (from a part that left and one that entered): never split the pair.
        entries = entries[: limit + 1] if entries[limit]["seq"] == entries[limit - 1]["seq"] else entries[:limit]
    fresh = since == 0 and old is None
    changes: list[Change] = []
    redacted: dict[str, bool] = {}  # entity -> whether its rows go through present() for this session
    in_scope = set(parts)
    for entry in entries:
        entity, row_id = entry["entity"], entry["row_id"]
        if entry["leaving"]:
            # A row of a part that left the scope: gone from the replica, unless it is still in the scope.
            if not any(part_matches(p, entry) for p in in_scope or ()):
                changes.append(Change(entity=entity, id=row_id, op="del"))
            continue
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
    if old is not None and not more:  # the scope change is all sent: an ordinary cursor from here on
        next_cursor = cursors.CursorState(max(last_seq, from_seq), scope.fingerprint)
    elif old is not None:
        next_cursor = cursors.CursorState(last_seq, scope.fingerprint, from_fingerprint=from_fp, from_seq=from_seq)
    else:
        next_cursor = cursors.CursorState(last_seq, scope.fingerprint)
    return PullResponse(
        cursor=next_cursor.encode(),
        more=more,
        reset=reset,
        schema_version=SCHEMA_VERSION,
        last_mutation_id=meta["last_mutation_id"] or 0,
        changes=changes,
    )


__all__ = ["serve_pull", "pull_sql", "driver_rows", "decode_row"]
