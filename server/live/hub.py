"""After a commit: poke the live subscribers whose scope the change touched.

`server.effects.dispatcher` calls `Hub.poke` once a unit of work commits; nothing else does.

Pokes travel on Litestar channels (in-process by default, Redis when ``redis_url`` is set,
so every server process's subscribers hear them). Channel names:
``t:{tenant}`` tenant-level rows, ``a:{account}`` an account's rows, ``c:{person}`` one
person's rows, ``truck:{truck}`` jobs on a truck, ``staff:{tenant}`` everything for the office.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin

from server.db.store import scope_of
from sync.entities import TENANT_LEVEL

_encode = msgspec.json.Encoder().encode


def channels_for(tenant_id: str, changed: Iterable[tuple[str, dict[str, Any]]]) -> set[str]:
    """The channels that must hear about these changed rows."""
    out = {f"staff:{tenant_id}"}
    for entity, row in changed:
        if entity in TENANT_LEVEL:
            out.add(f"t:{tenant_id}")
            continue
        account_id, _site, contact_id = scope_of(entity, row)
        if contact_id:
            out.add(f"c:{contact_id}")
        elif account_id:
            out.add(f"a:{account_id}")
        if entity == "job" and row.get("truck_id"):
            out.add(f"truck:{row['truck_id']}")
    return out


class Hub:
    """Publishes pokes and live events for committed changes."""

    def __init__(self, channels: ChannelsPlugin):
        self.channels = channels
        self.listeners: list = []  # async callables(tenant_id, changed) run after each commit

    async def poke(
        self,
        tenant_id: str,
        changed: list[tuple[str, dict[str, Any]]],
        left: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> None:
        """Tell the subscribers these committed rows concern to pull, and run the listeners. ``left``: the
        updated rows as they were before (``Store.left``), whose old places' subscribers pull too."""
        if not changed:
            return
        channels = channels_for(tenant_id, changed) | channels_for(tenant_id, left)
        self.channels.publish(_encode({"type": "poke"}), channels=sorted(channels))
        for listener in self.listeners:
            await listener(tenant_id, changed)

    def publish(self, message: dict[str, Any], channels: list[str]) -> None:
        self.channels.publish(_encode(message), channels=channels)
