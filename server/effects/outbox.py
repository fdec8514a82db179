"""The effect outbox: durable effects stored in the transaction of the writes that asked for them.

A row's id is the effect's idempotency key, made from where it came from and its place there:
``m:{client_id}:{mutation_id}:{index}`` for a mutation's effects, ``w:{uuid}:{index}`` for a server
unit of work. Inserting the same id twice does nothing, and whatever the effect does outside
(Stripe's ``Idempotency-Key`` for a charge) is keyed by it, so running it again repeats nothing.

Rows go ``pending`` → ``done`` (or ``failed`` after `MAX_ATTEMPTS`). A dispatcher holds a row while
it works on it by setting ``lease_until``; one that dies holding it leaves it to be taken again when
the lease runs out (by any server process).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from server.db.engine import Conn
from server.db.store import now_iso
from sync.effects import DURABLE, Effect, encode_effect

RELEASED = "1970-01-01T00:00:00.000Z"
MAX_ATTEMPTS = 200  # with the backoff below: about a day of retrying


def later(seconds: float) -> str:
    """The instant ``seconds`` from now (before now when negative), in the changelog's ISO format."""
    then = datetime.now(UTC) + timedelta(seconds=seconds)
    return then.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def backoff_s(attempts: int) -> float:
    """How long to wait before trying an effect again after ``attempts`` tries: 1 s doubling to 10 min."""
    return min(2.0 ** max(attempts - 1, 0), 600.0)


def effect_kind(effect: Effect) -> str:
    """The effect's tag (every effect struct has one: it names the effect in the outbox and on the wire)."""
    tag = type(effect).__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{type(effect).__name__} has no string tag")
    return tag


async def enqueue(conn: Conn, tenant_id: str, origin: str, effects: Iterable[Effect]) -> list[str]:
    """Store the durable ``effects`` under ``{origin}:{index}``, in the caller's open transaction;
    returns their ids (already-stored ids are kept as they are)."""
    ids: list[str] = []
    rows: list[tuple[Any, ...]] = []
    stamp = now_iso()
    for index, effect in enumerate(effects):
        if not isinstance(effect, DURABLE):
            continue
        effect_id = f"{origin}:{index}"
        ids.append(effect_id)
        rows.append(
            (effect_id, tenant_id, effect_kind(effect), encode_effect(effect).decode(), stamp, RELEASED, stamp, stamp)
        )
    if rows:
        await conn.executemany(
            "INSERT INTO effect_outbox (id, tenant_id, kind, payload, status, attempts, next_at, lease_until, "
            "outcome, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, '', ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            rows,
        )
    return ids


async def finish(conn: Conn, effect_id: str, outcome: str, status: str = "done") -> None:
    """Record an effect's outcome (in the transaction that wrote what it did, when it wrote anything)."""
    await conn.execute(
        "UPDATE effect_outbox SET status = ?, outcome = ?, lease_until = ?, updated_at = ? WHERE id = ?",
        status,
        outcome[:2000],
        RELEASED,
        now_iso(),
        effect_id,
    )
