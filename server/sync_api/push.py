"""Applying a client's queued mutations: each in its own transaction with its ``last_mutation_id``.

The hot path keeps statements few: the client's ``last_mutation_id`` is read once per request, and
each mutation's transaction first claims its id with a compare-and-set on it (when a concurrent
request for the same client got there first, the claim fails before the mutator runs, and the
mutation is looked at again). A rejected mutation rolls its transaction back and is recorded in a
second one, so an applied mutation needs no savepoint.

A mutator's effects (`sync.effects`: a charge, an SMS/email) are stored in the effect outbox in its
transaction, under ids made from ``(client_id, mutation_id, index)``; the dispatcher carries them out
after the commit (`server.effects`). Nothing here talks to the network."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from server.db.engine import Database
from server.db.store import InvalidRow, StaleRow, Store, now_iso
from server.effects.outbox import enqueue
from server.errors import ApiError
from server.integrations.webhooks import record_mutation_events
from sync.actor import Actor
from sync.entities import SCHEMA_VERSION
from sync.messages import MutationResult, PushRequest, PushResponse, ResultError
from sync.mutators.context import Context
from sync.mutators.registry import run_mutation
from sync.rules import Rejected


class PushOutcome:
    """What a push changed and asked for, for the dispatcher after the commits."""

    def __init__(self) -> None:
        self.changed: list[tuple[str, dict[str, Any]]] = []
        self.effects: list = []
        self.effect_ids: list[str] = []


async def _client_row(store: Store, actor: Actor, client_id: str) -> int:
    """The client's last_mutation_id, registering a new client (two first pushes may race: both
    insert-if-absent, then read the one row that won)."""
    stamp = now_iso()
    await store.conn.execute(
        "INSERT INTO sync_client (id, tenant_id, owner_id, last_mutation_id, created_at, updated_at) "
        "VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
        client_id,
        actor.tenant_id,
        actor.person_id,
        stamp,
        stamp,
    )
    row = await store.conn.fetchrow(
        "SELECT tenant_id, owner_id, last_mutation_id FROM sync_client WHERE id = ?", client_id
    )
    assert row is not None  # inserted just above unless it existed
    if row["owner_id"] != actor.person_id or row["tenant_id"] != actor.tenant_id:
        raise ApiError(409, "client_id_taken", "this client_id belongs to another login; make a new one")
    return row["last_mutation_id"]


class _Raced(Exception):
    """Another request for the same client advanced its last_mutation_id first."""


class _Undo(Exception):
    """The mutation was rejected: roll its transaction back, then record the rejection."""

    def __init__(self, rejected: Rejected):
        self.rejected = rejected


async def _advance(store: Store, client_id: str, seen: int, to: int) -> None:
    """Move the client's last_mutation_id from ``seen`` to ``to``, or raise ``_Raced``."""
    moved = await store.conn.fetchval(
        "UPDATE sync_client SET last_mutation_id = ?, updated_at = ? WHERE id = ? AND last_mutation_id = ? "
        "RETURNING last_mutation_id",
        to,
        now_iso(),
        client_id,
        seen,
    )
    if moved is None:
        raise _Raced()


def _storable_text(text: str) -> str:
    """``text`` (which may quote what the client sent) without NUL characters, which no text column holds."""
    return text.replace("\x00", "\ufffd")


async def _record_rejection(ctx: Context, store: Store, mutation, exc: Rejected) -> None:
    """Keep the rejection where the person will find it: a synced row and a bell notification."""
    args = mutation.args if isinstance(mutation.args, dict) else {}
    name, message = _storable_text(mutation.name), _storable_text(exc.message)
    await store.insert(
        "mutation_rejection",
        {
            "contact_id": ctx.actor.person_id,
            "client_id": ctx.client_id,
            "mutation_id": mutation.id,
            "name": name,
            "args": args,
            "error": {"code": exc.code, "message": message},
        },
    )
    if ctx.actor.person_kind == "contact":
        account_id = args.get("account_id") if isinstance(args.get("account_id"), str) else None
        await store.insert(
            "notification",
            {
                "contact_id": ctx.actor.person_id,
                "account_id": account_id if ctx.actor.access(account_id) else None,
                "kind": "mutation_rejected",
                "title": "Something you sent could not be done",
                "body": f"{name}: {message}",
                "link": "",
            },
        )


class _Push:
    """One push request being applied, mutation by mutation."""

    def __init__(self, db: Database, actor: Actor, tenant: dict[str, Any], client_id: str):
        self.db, self.actor, self.tenant, self.client_id = db, actor, tenant, client_id
        self.last: int | None = None  # the client's last_mutation_id as this request last saw it
        self.results: list[MutationResult] = []
        self.outcome = PushOutcome()

    def _context(self, store: Store, mutation_id: int) -> Context:
        return Context(
            actor=self.actor,
            tenant=self.tenant,
            tx=store,
            now=now_iso(),
            client_id=self.client_id,
            mutation_id=mutation_id,
        )

    async def apply(self, mutation) -> bool:
        """Apply, skip or reject one mutation; False when a gap stops the batch."""
        while True:
            try:
                return await self._attempt(mutation)
            except _Raced:
                self.last = None  # look again: the other request may have consumed this mutation
            except _Undo as undo:
                try:
                    await self._reject(mutation, undo.rejected)
                    return True
                except _Raced:
                    self.last = None

    async def _load_last(self) -> int:
        """The client's last_mutation_id (registering a new client in a transaction of its own)."""
        if self.last is None:
            async with self.db.write() as conn:
                self.last = await _client_row(Store(conn, self.actor.tenant_id), self.actor, self.client_id)
        return self.last

    async def _attempt(self, mutation) -> bool:
        last = await self._load_last()
        async with self.db.write() as conn:
            store = Store(conn, self.actor.tenant_id)
            await store.lock()
            if mutation.id <= last:
                self.results.append(MutationResult(id=mutation.id, status="skipped"))
                return True
            if mutation.id > last + 1:
                return False
            # Claim the mutation before running it, so a copy of this push racing us never runs it too
            # (a mutator may have effects outside the database, like charging a card).
            await _advance(store, self.client_id, last, mutation.id)
            ctx = self._context(store, mutation.id)
            try:
                await run_mutation(ctx, mutation.name, mutation.args)
                await record_mutation_events(store, mutation.name, mutation.args, store.changed)
            except Rejected as exc:
                raise _Undo(exc) from None
            except (InvalidRow, StaleRow) as exc:
                raise _Undo(Rejected("invalid", str(exc))) from None
            except asyncpg.exceptions.DataError:  # a value PostgreSQL refuses: the mutation's, so rejected
                raise _Undo(Rejected("invalid", "a value in this mutation cannot be stored")) from None
            effect_ids = await enqueue(conn, self.actor.tenant_id, f"m:{self.client_id}:{mutation.id}", ctx.effects)
        self.last = mutation.id
        self.results.append(MutationResult(id=mutation.id, status="applied"))
        self._collect(store, ctx, effect_ids)
        return True

    async def _reject(self, mutation, exc: Rejected) -> None:
        last = await self._load_last()
        async with self.db.write() as conn:
            store = Store(conn, self.actor.tenant_id)
            await store.lock()
            if mutation.id != last + 1:
                raise _Raced()  # someone else consumed it meanwhile: look again
            await _advance(store, self.client_id, last, mutation.id)
            ctx = self._context(store, mutation.id)
            await _record_rejection(ctx, store, mutation, exc)
        self.last = mutation.id
        self.results.append(
            MutationResult(id=mutation.id, status="rejected", error=ResultError(code=exc.code, message=exc.message))
        )
        self._collect(store, ctx)

    def _collect(self, store: Store, ctx: Context, effect_ids: list[str] | None = None) -> None:
        self.outcome.changed.extend(store.changed)
        self.outcome.effects.extend(ctx.effects)
        self.outcome.effect_ids.extend(effect_ids or ())

    async def last_mutation_id(self) -> int:
        if self.last is not None:
            return self.last
        async with self.db.read() as conn:
            row = await conn.fetchrow("SELECT owner_id, last_mutation_id FROM sync_client WHERE id = ?", self.client_id)
        last: int = row["last_mutation_id"] if row and row["owner_id"] == self.actor.person_id else 0
        self.last = last
        return last


async def apply_push(
    db: Database, actor: Actor, tenant: dict[str, Any], request: PushRequest
) -> tuple[PushResponse, PushOutcome]:
    """Apply the batch in id order: skip what was applied, stop at a gap, consume rejections."""
    if request.schema_version > SCHEMA_VERSION:
        raise ApiError(409, "schema_mismatch", f"this server speaks sync schema {SCHEMA_VERSION}")
    push = _Push(db, actor, tenant, request.client_id)
    stopped = False
    for mutation in sorted(request.mutations, key=lambda m: m.id):
        # SQLite statements run on the event loop's thread: let other requests in between mutations.
        await asyncio.sleep(0)
        if not await push.apply(mutation):
            stopped = True
            break
    last = await push.last_mutation_id()
    return PushResponse(last_mutation_id=last, results=push.results, stopped_at_gap=stopped), push.outcome
