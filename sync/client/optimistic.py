"""The optimistic layer: pending mutations replayed on top of the server's snapshot.

The same mutators that run on the server run here, over ``ReplicaTx``: an in-memory overlay on
the replica's rows with ``authoritative = False``, so checks the client cannot make (slot
capacity, promo codes, card charges) are left to the server. A mutation the replay rejects
simply has no local effect; the server has the last word when it is pushed.

Nothing here does I/O: rows come from a ``load`` callable the replica supplies.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from sync.actor import Actor
from sync.entities import ENTITIES
from sync.mutators.context import Context
from sync.mutators.registry import load_all, run_mutation
from sync.rules import IdTaken, Rejected

Key = tuple[str, str]


def now_iso() -> str:
    """Now as an ISO-8601 UTC instant ending in Z, like the server's."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_to_completion(coro: Coroutine[Any, Any, Any]) -> Any:
    """Drive a coroutine that never waits on real I/O (a mutator over ``ReplicaTx``) without an event loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("an optimistic replay tried to wait on I/O")


class ReplicaTx:
    """``sync.mutators.context.Tx`` over the replica's rows plus an in-memory overlay of local changes."""

    authoritative = False

    def __init__(
        self,
        load_entity: Callable[[str], dict[str, dict[str, Any]]],
        load_row: Callable[[str, str], dict[str, Any] | None],
        tenant_id: str,
        now: str,
    ):
        self._load_entity = load_entity
        self._load_row = load_row
        self._loaded: dict[str, dict[str, dict[str, Any]]] = {}
        self.tenant_id = tenant_id
        self.now = now
        # (entity, id) -> the row as changed locally, or None when deleted locally
        self.overlay: dict[Key, dict[str, Any] | None] = {}

    def _base(self, entity: str) -> dict[str, dict[str, Any]]:
        rows = self._loaded.get(entity)
        if rows is None:
            rows = self._loaded[entity] = self._load_entity(entity)
        return rows

    def _rows(self, entity: str) -> list[dict[str, Any]]:
        merged = dict(self._base(entity))
        for (kind, row_id), row in self.overlay.items():
            if kind != entity:
                continue
            if row is None:
                merged.pop(row_id, None)
            else:
                merged[row_id] = row
        return list(merged.values())

    async def get(self, entity: str, row_id: str) -> dict[str, Any] | None:
        """The row as it is locally, or None."""
        if not isinstance(row_id, str):
            return None
        key = (entity, row_id)
        if key in self.overlay:
            return self.overlay[key]
        if entity in self._loaded:
            return self._loaded[entity].get(row_id)
        return self._load_row(entity, row_id)

    async def find(
        self, entity: str, order_by: str | None = None, limit: int | None = None, **where: Any
    ) -> list[dict[str, Any]]:
        """Rows matching ``where`` like ``Store.find``: None matches NULL, a list matches any of its values."""

        def matches(row: dict[str, Any]) -> bool:
            for key, value in where.items():
                have = row.get(key)
                if isinstance(value, (list, tuple, set, frozenset)):
                    if have not in value:
                        return False
                elif have != value:
                    return False
            return True

        found = [r for r in self._rows(entity) if matches(r)]
        if order_by:
            column = order_by.lstrip("-")
            found.sort(key=lambda r: (r.get(column) is not None, r.get(column)), reverse=order_by.startswith("-"))
        return found[:limit] if limit else found

    def _valid(self, entity: str, data: dict[str, Any]) -> dict[str, Any]:
        try:
            return msgspec.to_builtins(msgspec.convert(data, ENTITIES[entity], str_keys=True))
        except msgspec.ValidationError as exc:
            raise Rejected("invalid", str(exc)) from None

    async def insert(self, entity: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create a row locally; ``IdTaken`` if the id is already known."""
        row_id = data.get("id")
        if row_id and await self.get(entity, row_id) is not None:
            raise IdTaken(f"{entity} {row_id} already exists")
        row = self._valid(
            entity,
            {
                **data,
                "id": row_id or f"local-{len(self.overlay)}",
                "tenant_id": self.tenant_id,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            },
        )
        self.overlay[(entity, row["id"])] = row
        return row

    async def update(self, entity: str, current: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """Write ``changes`` over ``current`` locally, bumping its version."""
        row = self._valid(
            entity, {**current, **changes, "updated_at": self.now, "version": current.get("version", 0) + 1}
        )
        self.overlay[(entity, row["id"])] = row
        return row

    async def delete(self, entity: str, current: dict[str, Any]) -> None:
        self.overlay[(entity, current["id"])] = None

    async def next_number(self, kind: str, prefix: str) -> str:
        """A placeholder: the server hands out the real number."""
        return f"{prefix}-pending"


@dataclass(frozen=True)
class Outcome:
    """What replaying one pending mutation locally did."""

    id: int
    name: str
    error: Rejected | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def replay(
    tx: ReplicaTx, actor: Actor, tenant: dict[str, Any], mutations: Iterable[Any], client_id: str = ""
) -> list[Outcome]:
    """Run each pending mutation's mutator over ``tx`` in id order; a rejected one leaves no trace."""
    load_all()
    outcomes = []
    for mutation in mutations:
        saved = dict(tx.overlay)
        ctx = Context(actor=actor, tenant=tenant, tx=tx, now=tx.now, client_id=client_id)
        try:
            run_to_completion(run_mutation(ctx, mutation.name, mutation.args))
            outcomes.append(Outcome(mutation.id, mutation.name))
        except Exception as exc:
            tx.overlay = saved
            error = (
                exc
                if isinstance(exc, Rejected)
                else Rejected("id_taken" if isinstance(exc, IdTaken) else "local_error", str(exc) or type(exc).__name__)
            )
            outcomes.append(Outcome(mutation.id, mutation.name, error))
    return outcomes
