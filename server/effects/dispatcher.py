"""Carrying out what committed units of work asked for: pokes, live events and the effect outbox.

Right after a commit, `EffectDispatcher.after_commit` pokes the live channels the changed rows concern
(and runs the hub's listeners), publishes live events, and starts the durable effects just stored. A
background loop picks up whatever is left (an effect whose server died, one waiting for a retry) in
every server process, holding each by a lease, so every effect runs at least once; the handlers make
running twice harmless (idempotency keys, outcomes recorded with the rows they wrote).

A handler is ``async (state, tenant, effect_id, effect) -> str | None``: it returns the outcome to
record, or None when it recorded the outcome itself (in the transaction that wrote its rows, so the
two cannot part). It raises `RetryLater` when it should be tried again later (Stripe unreachable).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from server.db.engine import DatabaseBusy
from server.db.store import Store, now_iso
from server.effects.outbox import MAX_ATTEMPTS, RELEASED, backoff_s, finish, later
from sync.effects import Effect, Live, decode_effect

log = logging.getLogger("haulport.effects")
Handler = Callable[[Any, dict[str, Any], str, Any], Awaitable[str | None]]
SWEEP_EVERY_S = 2.0


class RetryLater(Exception):
    """The effect could not be carried out now (e.g. Stripe unreachable): try it again after a backoff."""


class EffectDispatcher:
    """One per server process; see the module docstring."""

    def __init__(self, state: Any, lease_s: float = 30.0):
        self.state = state
        self.lease_s = lease_s
        self.handlers: dict[str, Handler] = {}
        self.periodic: list[Callable[[], Awaitable[None]]] = []  # extra sweeps (e.g. expiring payments)
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.Task | None = None

    def handle(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    async def after_commit(
        self,
        tenant_id: str,
        changed: list[tuple[str, dict[str, Any]]],
        effects: list[Effect],
        effect_ids: list[str],
        left: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Pokes and live events now; the durable effects in the background (``left``: ``Store.left``)."""
        await self.state.hub.poke(tenant_id, changed, left)
        for effect in effects:
            if isinstance(effect, Live):
                event = effect.event
                self.state.hub.publish(event, [f"a:{event['account_id']}", f"staff:{tenant_id}"])
        if effect_ids:
            self._spawn(self.run(effect_ids))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, effect_ids: list[str]) -> None:
        for effect_id in effect_ids:
            await self.run_one(effect_id)

    async def run_one(self, effect_id: str) -> None:
        """Take the effect if it is due and nobody holds it, carry it out, record how it went."""
        try:
            async with self.state.db.write() as conn:
                stamp = now_iso()
                row = await conn.fetchrow(
                    "UPDATE effect_outbox SET lease_until = ?, attempts = attempts + 1, updated_at = ? "
                    "WHERE id = ? AND status = 'pending' AND next_at <= ? AND lease_until < ? "
                    "RETURNING tenant_id, kind, payload, attempts",
                    later(self.lease_s),
                    stamp,
                    effect_id,
                    stamp,
                    stamp,
                )
        except DatabaseBusy:
            return  # the sweep takes it later
        if row is None:
            return
        try:
            await self._carry_out(effect_id, row)
        except Exception:  # an effect must never take the dispatcher down with it
            log.exception("effect %s failed unexpectedly", effect_id)
            await self._retry(effect_id, row["attempts"], "unexpected error")

    async def _carry_out(self, effect_id: str, row: dict[str, Any]) -> None:
        handler = self.handlers.get(row["kind"])
        if handler is None:
            await self._retry(effect_id, row["attempts"], f"no handler for {row['kind']} in this process")
            return
        async with self.state.db.read() as conn:
            tenant = await Store(conn, row["tenant_id"]).get("tenant", row["tenant_id"])
        if tenant is None:
            await self._record(effect_id, "the tenant is gone", "failed")
            return
        try:
            outcome = await handler(self.state, tenant, effect_id, decode_effect(row["payload"]))
        except RetryLater as exc:
            await self._retry(effect_id, row["attempts"], str(exc))
            return
        if outcome is not None:
            await self._record(effect_id, outcome)

    async def _record(self, effect_id: str, outcome: str, status: str = "done") -> None:
        async with self.state.db.write() as conn:
            await finish(conn, effect_id, outcome, status)

    async def _retry(self, effect_id: str, attempts: int, reason: str) -> None:
        if attempts >= MAX_ATTEMPTS:
            log.error("effect %s given up after %d attempts: %s", effect_id, attempts, reason)
            await self._record(effect_id, f"gave up: {reason}", "failed")
            return
        async with self.state.db.write() as conn:
            await conn.execute(
                "UPDATE effect_outbox SET next_at = ?, lease_until = ?, outcome = ?, updated_at = ? WHERE id = ?",
                later(backoff_s(attempts)),
                RELEASED,
                reason[:2000],
                now_iso(),
                effect_id,
            )

    async def sweep(self) -> None:
        """Run what is due and held by nobody (left by a dead process, or waiting for its retry)."""
        stamp = now_iso()
        async with self.state.db.read() as conn:
            due = await conn.fetch(
                "SELECT id FROM effect_outbox WHERE status = 'pending' AND next_at <= ? AND lease_until < ? "
                "ORDER BY created_at LIMIT 100",
                stamp,
                stamp,
            )
        await self.run([r["id"] for r in due])
        for extra in self.periodic:
            await extra()

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # database busy or gone for a moment: try again next round
                log.warning("effect sweep failed; trying again shortly", exc_info=True)
            await asyncio.sleep(SWEEP_EVERY_S)

    def start(self) -> None:
        self._loop = asyncio.create_task(self._sweep_forever())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for effects in flight, and those they set off (tests, shutdown). Polls, so a test's own
        event loop may wait for the server's."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    async def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        await self.drain(timeout)
