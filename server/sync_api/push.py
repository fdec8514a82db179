"""Applying a client's queued mutations: each in its own transaction with its ``last_mutation_id``."""

from __future__ import annotations

from typing import Any

from server.db.engine import Database
from server.db.store import InvalidRow, StaleRow, Store, now_iso
from server.errors import ApiError
from sync.actor import Actor
from sync.entities import SCHEMA_VERSION
from sync.messages import MutationResult, PushRequest, PushResponse, ResultError
from sync.mutators.context import Context, ExtensionCharger
from sync.mutators.registry import run_mutation
from sync.rules import Rejected


class PushOutcome:
    """What a push changed, for the work done after commit (pokes, messages, live events)."""

    def __init__(self) -> None:
        self.changed: list[tuple[str, dict[str, Any]]] = []
        self.events: list = []
        self.live: list[dict[str, Any]] = []


async def _client_row(store: Store, actor: Actor, client_id: str) -> int:
    row = await store.conn.fetchrow("SELECT tenant_id, owner_id, last_mutation_id FROM sync_client WHERE id = ?",
                                    client_id)
    if row is None:
        stamp = now_iso()
        await store.conn.execute(
            "INSERT INTO sync_client (id, tenant_id, owner_id, last_mutation_id, created_at, updated_at) "
            "VALUES (?, ?, ?, 0, ?, ?)", client_id, actor.tenant_id, actor.person_id, stamp, stamp)
        return 0
    if row["owner_id"] != actor.person_id or row["tenant_id"] != actor.tenant_id:
        raise ApiError(409, "client_id_taken", "this client_id belongs to another login; make a new one")
    return row["last_mutation_id"]


async def _record_rejection(ctx: Context, store: Store, mutation, exc: Rejected) -> None:
    """Keep the rejection where the person will find it: a synced row and a bell notification."""
    args = mutation.args if isinstance(mutation.args, dict) else {}
    await store.insert("mutation_rejection", {
        "contact_id": ctx.actor.person_id, "client_id": ctx.client_id, "mutation_id": mutation.id,
        "name": mutation.name, "args": args, "error": {"code": exc.code, "message": exc.message}})
    if ctx.actor.person_kind == "contact":
        account_id = args.get("account_id") if isinstance(args.get("account_id"), str) else None
        await store.insert("notification", {
            "contact_id": ctx.actor.person_id, "account_id": account_id if ctx.actor.access(account_id) else None,
            "kind": "mutation_rejected", "title": "Something you sent could not be done",
            "body": f"{mutation.name}: {exc.message}", "link": ""})


async def apply_push(db: Database, actor: Actor, tenant: dict[str, Any], request: PushRequest,
                     charger: ExtensionCharger | None) -> tuple[PushResponse, PushOutcome]:
    """Apply the batch in id order: skip what was applied, stop at a gap, consume rejections."""
    if request.schema_version > SCHEMA_VERSION:
        raise ApiError(409, "schema_mismatch", f"this server speaks sync schema {SCHEMA_VERSION}")
    results: list[MutationResult] = []
    outcome = PushOutcome()
    last = 0
    stopped = False
    for mutation in sorted(request.mutations, key=lambda m: m.id):
        async with db.write() as conn:
            store = Store(conn, actor.tenant_id)
            await store.lock()
            last = await _client_row(store, actor, request.client_id)
            if mutation.id <= last:
                results.append(MutationResult(id=mutation.id, status="skipped"))
                continue
            if mutation.id > last + 1:
                stopped = True
                break
            ctx = Context(actor=actor, tenant=tenant, tx=store, now=now_iso(), client_id=request.client_id,
                          charger=charger)
            await conn.execute("SAVEPOINT mutation")
            try:
                await run_mutation(ctx, mutation.name, mutation.args)
                await conn.execute("RELEASE SAVEPOINT mutation")
                results.append(MutationResult(id=mutation.id, status="applied"))
            except (Rejected, InvalidRow, StaleRow) as exc:
                await conn.execute("ROLLBACK TO SAVEPOINT mutation")
                await conn.execute("RELEASE SAVEPOINT mutation")
                if not isinstance(exc, Rejected):
                    exc = Rejected("invalid", str(exc))
                store.changed.clear()
                ctx.events.clear()
                ctx.live.clear()
                await _record_rejection(ctx, store, mutation, exc)
                results.append(MutationResult(id=mutation.id, status="rejected",
                                              error=ResultError(code=exc.code, message=exc.message)))
            last = mutation.id
            await conn.execute("UPDATE sync_client SET last_mutation_id = ?, updated_at = ? WHERE id = ?",
                               last, now_iso(), request.client_id)
        outcome.changed.extend(store.changed)
        outcome.events.extend(ctx.events)
        outcome.live.extend(ctx.live)
    if not request.mutations:
        async with db.read() as conn:
            row = await conn.fetchrow("SELECT last_mutation_id FROM sync_client WHERE id = ?", request.client_id)
            last = row["last_mutation_id"] if row else 0
    return PushResponse(last_mutation_id=last, results=results, stopped_at_gap=stopped), outcome
