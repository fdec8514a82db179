"""The server's unit of work: one write transaction over a tenant's rows, its changelog and its effects.

    async with unit_of_work(state, tenant_id) as store:
        ...  # store.insert / update / delete; store.emit(effect)

commits the rows, their changelog entries and the durable effects (`server.effects.outbox`) together,
then hands what changed and what was emitted to the dispatcher (pokes, live events, the effects
themselves). Nothing here or in the transaction talks to the network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from server.db.store import Store, new_id
from server.effects.outbox import enqueue


@asynccontextmanager
async def unit_of_work(state: Any, tenant_id: str, origin: str | None = None) -> AsyncIterator[Store]:
    """A locked `Store` for ``tenant_id``; after the commit its changes and effects go to the dispatcher."""
    async with state.db.write() as conn:
        store = Store(conn, tenant_id)
        await store.lock()
        yield store
        ids = await enqueue(conn, tenant_id, origin or f"w:{new_id()}", store.effects)
    await state.effects.after_commit(tenant_id, store.changed, store.effects, ids, store.left)
