"""What a mutator gets: the actor, the tenant, a transaction over rows, and where to emit effects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync.actor import Actor
from sync.effects import Effect, Notify
from sync.rules import IdTaken, Rejected

Event = Notify  # the SMS/email effect's older name


class Tx(Protocol):
    """Row access inside one transaction: the server's database or a client's replica."""

    authoritative: bool  # False in a client's optimistic replay: skip checks it cannot make

    async def get(self, entity: str, row_id: str) -> dict[str, Any] | None: ...
    async def find(
        self, entity: str, order_by: str | None = None, limit: int | None = None, **where: Any
    ) -> list[dict[str, Any]]: ...
    async def insert(self, entity: str, data: dict[str, Any]) -> dict[str, Any]: ...
    async def update(self, entity: str, current: dict[str, Any], **changes: Any) -> dict[str, Any]: ...
    async def delete(self, entity: str, current: dict[str, Any]) -> None: ...
    async def next_number(self, kind: str, prefix: str) -> str: ...


@dataclass
class Context:
    actor: Actor
    tenant: dict[str, Any]
    tx: Tx
    now: str
    client_id: str = ""
    mutation_id: int = 0  # with client_id, names this mutation for good (its effects' idempotency keys)
    effects: list[Effect] = field(default_factory=list)  # what should happen after the commit, in order

    def emit(self, effect: Effect) -> None:
        """Ask for ``effect`` once this mutation's writes are committed (never acted on here)."""
        self.effects.append(effect)

    @property
    def today(self) -> str:
        return self.now[:10]

    def feature(self, name: str) -> None:
        """Reject unless the tenant has this feature switched on."""
        if not self.tenant.get("features", {}).get(name, False):
            raise Rejected("feature_disabled", f"{name.replace('_', ' ')} is switched off for this portal")

    async def insert(self, entity: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create a row whose id the client made; reject an id that exists."""
        check_uuid(data["id"], "id")
        try:
            return await self.tx.insert(entity, data)
        except IdTaken:
            raise Rejected("id_taken", f"that {entity.replace('_', ' ')} id is already used") from None


def check_uuid(value: Any, field_name: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Rejected("bad_args", f"{field_name} must be a UUID") from None
