"""Applying a client's queued mutations: a transaction per chunk of the batch, savepoints where needed.

Each chunk (up to ``CHUNK`` mutations) runs in one write transaction under the tenant's writer lock:
it reads the client's ``last_mutation_id`` once, then for each mutation in id order skips what was
applied, stops at a gap, or runs the mutator. A rejected mutation that wrote nothing (mutators check
their rules first) is recorded as rejected in the same transaction; one that did write makes the
chunk run again with a savepoint per mutation, and rolls back to its savepoint (undoing only its own
writes) before it is recorded. The chunk ends by moving ``last_mutation_id`` to its last consumed
mutation, so it advances exactly once per mutation, in the commit that holds the mutation's writes. A
copy of the same push racing this one waits for the lock and then finds those mutations consumed
(skipped). A crash loses at most the uncommitted chunk, which the client's retry applies.

On PostgreSQL the statements are what costs (a round trip each, under the tenant's lock): the chunk
reads the changelog counter once and counts in memory (``Store.lock(hold=True)``), remembers the rows
it read (``remember_rows``), and sends new rows with their changelog entries together (``_Watched``).

A mutator's effects (`sync.effects`: a charge, an SMS/email) are stored in the effect outbox in its
savepoint, under ids made from ``(client_id, mutation_id, index)``; the dispatcher carries them out
after the commit (`server.effects`). Nothing here talks to the network."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from server.db.engine import Conn, Database
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
        self.left: list[tuple[str, dict[str, Any]]] = []  # see `Store.left`
        self.effects: list = []
        self.effect_ids: list[str] = []


CHUNK = 50
"""Mutations per transaction: one commit (with its fsync) serves this many, while the tenant's writers
wait at most one chunk's work (a few milliseconds)."""

_SAVEPOINT = "mutation"


async def _client_row(store: Store, actor: Actor, client_id: str) -> int:
    """The client's last_mutation_id, registering a new client (two first pushes may race: both
    insert-if-absent, then read the one row that won)."""
    stamp = now_iso()
    row = await store.conn.fetchrow(
        "INSERT INTO sync_client (id, tenant_id, owner_id, last_mutation_id, created_at, updated_at) "
        "VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO UPDATE SET updated_at = sync_client.updated_at "
        "RETURNING tenant_id, owner_id, last_mutation_id",
        client_id,
        actor.tenant_id,
        actor.person_id,
        stamp,
        stamp,
    )
    assert row is not None  # an upsert with RETURNING returns its row
    if row["owner_id"] != actor.person_id or row["tenant_id"] != actor.tenant_id:
        raise ApiError(409, "client_id_taken", "this client_id belongs to another login; make a new one")
    return row["last_mutation_id"]


def _storable_text(text: str) -> str:
    """``text`` (which may quote what the client sent) without NUL characters, which no text column holds."""
    return text.replace("\x00", "\ufffd")


async def _record_rejection(ctx: Context, store: Store, mutation, exc: Rejected) -> None:
    """Keep the rejection where the person will find it: a synced row and a bell notification.

    The PWA keeps what was sent as an editable draft (``/drafts/{client_id}:{mutation_id}``, where the
    notification leads) and words the reason from its ``error.code``; the message here is the server's
    plain fallback, never prefixed with the mutation's name."""
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
                "body": f"{message[:1].upper()}{message[1:]}. Open it to change it and send it again, or discard it.",
                "link": f"/drafts/{ctx.client_id}:{mutation.id}",
            },
        )


class _Redo(Exception):
    """A mutation was rejected after it wrote: run its chunk again, with savepoints."""


class _Watched(Conn):
    """The transaction's connection, counting the statements that may have changed something: every
    one but a ``SELECT``, and any that failed (which leaves a PostgreSQL transaction aborted).

    ``deferring`` (PostgreSQL, first attempt): writes nobody reads the result of (``later``, e.g. a new
    row and its changelog entry) wait, and go in one pipelined ``executemany`` per statement just before
    the next statement of any kind, so every read still sees every earlier write. A write that then
    breaks a constraint (an id already taken) makes the chunk run again without deferring (``_Redo``),
    where the mutation meets the conflict itself and is rejected."""

    def __init__(self, inner: Conn, deferring: bool = False):
        self.inner, self.dialect, self.touched, self.deferring = inner, inner.dialect, 0, deferring
        self._pending: list[tuple[str, tuple]] = []

    async def later(self, sql, *args):
        if not self.deferring:
            await self.execute(sql, *args)
            return
        self.touched += 1
        self._pending.append((sql, args))

    async def send_pending(self) -> None:
        """Write the deferred statements now (in order; a run of the same statement in one executemany)."""
        pending, self._pending = self._pending, []
        # Deferred writes are independent inserts: grouping each statement's rows keeps each table's order.
        groups: dict[str, list[tuple]] = {}
        for sql, args in pending:
            groups.setdefault(sql, []).append(args)
        try:
            for sql, rows in groups.items():
                await self.inner.executemany(sql, rows)
        except (asyncpg.exceptions.IntegrityConstraintViolationError, asyncpg.exceptions.DataError):
            raise _Redo() from None  # (not the failure of whichever statement came next)

    def _see(self, sql: str) -> None:
        if sql[:6].upper() != "SELECT":
            self.touched += 1

    async def fetch(self, sql, *args):
        if self._pending:
            await self.send_pending()
        self._see(sql)
        try:
            return await self.inner.fetch(sql, *args)
        except BaseException:
            self.touched += 1
            raise

    async def fetchrow(self, sql, *args):
        if self._pending:
            await self.send_pending()
        self._see(sql)
        try:
            return await self.inner.fetchrow(sql, *args)
        except BaseException:
            self.touched += 1
            raise

    async def execute(self, sql, *args):
        if self._pending:
            await self.send_pending()
        self._see(sql)
        try:
            await self.inner.execute(sql, *args)
        except BaseException:
            self.touched += 1
            raise

    async def executemany(self, sql, rows):
        if self._pending:
            await self.send_pending()
        self.touched += 1
        await self.inner.executemany(sql, rows)


class _Push:
    """One push request being applied, chunk by chunk."""

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

    async def apply_chunk(self, mutations: list) -> bool:
        """Apply, skip or reject each of ``mutations`` (in id order) in one transaction; False when a
        gap stops the batch. Nothing is kept from a chunk whose transaction fails.

        Mutators check their rules before they write, so a rejected mutation has usually written
        nothing and needs no savepoint: the first attempt sets none, and when a rejected mutation
        did write (or a statement failed), that transaction is rolled back and the chunk runs again
        with a savepoint before every mutation."""
        try:
            return await self._chunk(mutations, careful=False)
        except _Redo:
            return await self._chunk(mutations, careful=True)

    async def _chunk(self, mutations: list, careful: bool) -> bool:
        results: list[MutationResult] = []
        effects: list = []
        effect_ids: list[str] = []
        going = True
        async with self.db.write() as raw:
            conn = _Watched(raw, deferring=raw.dialect == "postgres" and not careful)
            store = Store(conn, self.actor.tenant_id, remember_rows=True)
            await store.lock(hold=True)
            first = last = await _client_row(store, self.actor, self.client_id)
            marked = False
            for mutation in mutations:
                if mutation.id <= last:
                    results.append(MutationResult(id=mutation.id, status="skipped"))
                    continue
                if mutation.id > last + 1:
                    going = False
                    break
                if careful and marked:  # the previous mutation's savepoint is kept: release it, open this one's
                    await raw.script(f"RELEASE SAVEPOINT {_SAVEPOINT}", f"SAVEPOINT {_SAVEPOINT}")
                elif careful:
                    await raw.script(f"SAVEPOINT {_SAVEPOINT}")
                    marked = True
                changed_before, left_before, touched_before = len(store.changed), len(store.left), conn.touched
                ctx = self._context(store, mutation.id)
                rejected = await self._run(store, ctx, mutation)
                if rejected is None:
                    ids = await enqueue(conn, self.actor.tenant_id, f"m:{self.client_id}:{mutation.id}", ctx.effects)
                    effects.extend(ctx.effects)
                    effect_ids.extend(ids)
                    results.append(MutationResult(id=mutation.id, status="applied"))
                else:
                    if conn.touched != touched_before:  # it wrote something, or a statement failed
                        if not careful:
                            raise _Redo()
                        await raw.script(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
                        store.forget()
                    del store.changed[changed_before:]
                    del store.left[left_before:]
                    await _record_rejection(self._context(store, mutation.id), store, mutation, rejected)
                    results.append(
                        MutationResult(
                            id=mutation.id,
                            status="rejected",
                            error=ResultError(code=rejected.code, message=rejected.message),
                        )
                    )
                last = mutation.id
                if raw.dialect == "sqlite":
                    # SQLite statements run on the event loop's thread: let reads in between mutations.
                    await asyncio.sleep(0)
            await conn.send_pending()
            if last != first:
                await conn.execute(
                    "UPDATE sync_client SET last_mutation_id = ?, updated_at = ? WHERE id = ?",
                    last,
                    now_iso(),
                    self.client_id,
                )
            await store.flush()
        self.last = last
        self.results.extend(results)
        self.outcome.changed.extend(store.changed)
        self.outcome.left.extend(store.left)
        self.outcome.effects.extend(effects)
        self.outcome.effect_ids.extend(effect_ids)
        return going

    async def _run(self, store: Store, ctx: Context, mutation) -> Rejected | None:
        """Run one mutator; what rejected it, if anything (its writes are then to be rolled back)."""
        try:
            await run_mutation(ctx, mutation.name, mutation.args)
            await record_mutation_events(store, mutation.name, mutation.args, store.changed)
        except Rejected as exc:
            return exc
        except (InvalidRow, StaleRow) as exc:
            return Rejected("invalid", str(exc))
        except asyncpg.exceptions.DataError:  # a value PostgreSQL refuses: the mutation's, so rejected
            return Rejected("invalid", "a value in this mutation cannot be stored")
        return None

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
    mutations = sorted(request.mutations, key=lambda m: m.id)
    stopped = False
    for start in range(0, len(mutations), CHUNK):
        await asyncio.sleep(0)  # let other requests in between chunks
        if not await push.apply_chunk(mutations[start : start + CHUNK]):
            stopped = True
            break
    last = await push.last_mutation_id()
    return PushResponse(last_mutation_id=last, results=push.results, stopped_at_gap=stopped), push.outcome
