"""Truck positions to this process's sockets: one channel message per fix, fanned out locally.

A fix fans out into one ``gps`` message per active job on its truck (a truck with 100 jobs → 100
messages), each meant for one account's sockets (``a:{account}``) and the office's
(``staff:{tenant}``). Sending those 100 through the channels backend costs 100 Redis messages,
each parsed by every server process; instead the batch travels once, on ``gps:{tenant}``, and
each process hands every message to the local sockets of its account and of the office, through
their ordinary subscriber queues (same backlog and drop policy as everything else they receive).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin, Subscriber

log = logging.getLogger("haulport.live")
_encode = msgspec.json.Encoder().encode


class _Batch(msgspec.Struct):
    tenant_id: str
    messages: list[dict[str, Any]]


_decode_batch = msgspec.json.Decoder(_Batch).decode


def local_keys(channel_names: list[str]) -> list[str]:
    """Which of a socket's channels receive positions (its accounts', or the office's)."""
    return [name for name in channel_names if name.startswith(("a:", "staff:"))]


class GpsFanout:
    """One per server process (``state.gps_fanout``)."""

    def __init__(self, channels: ChannelsPlugin, local_only: bool = False):
        self.channels = channels
        self.local_only = local_only  # in-process channels backend: no other process to tell
        self.local: dict[str, set[Subscriber]] = {}  # "a:{account}" / "staff:{tenant}" → sockets here
        self.tenants: dict[str, tuple[Subscriber, asyncio.Task]] = {}  # tenants with sockets here
        self.lock = asyncio.Lock()

    def publish(self, tenant_id: str, messages: list[dict[str, Any]]) -> None:
        """Send one fix's ``gps`` messages (each has ``account_id``) to every process."""
        if not messages:
            return
        if self.local_only:
            self.deliver(_Batch(tenant_id, messages))
        else:
            self.channels.publish(_encode(_Batch(tenant_id, messages)), f"gps:{tenant_id}")

    async def join(self, tenant_id: str, keys: list[str], subscriber: Subscriber) -> None:
        """Route positions for ``keys`` to a socket's subscriber; listen for its tenant if not yet."""
        for key in keys:
            self.local.setdefault(key, set()).add(subscriber)
        if tenant_id in self.tenants or self.local_only:
            return
        async with self.lock:  # two first sockets of a tenant must not both subscribe
            if tenant_id not in self.tenants:
                listener = await self.channels.subscribe([f"gps:{tenant_id}"])
                self.tenants[tenant_id] = (listener, asyncio.create_task(self._hand_out(listener)))

    def leave(self, keys: list[str], subscriber: Subscriber) -> None:
        for key in keys:
            subscribers = self.local.get(key)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self.local[key]

    def deliver(self, batch: _Batch) -> None:
        """Each message into the queues of this process's sockets of its account and of the office."""
        office = self.local.get(f"staff:{batch.tenant_id}", ())
        for message in batch.messages:
            targets = self.local.get(f"a:{message.get('account_id')}", ())
            if not targets and not office:
                continue
            payload = _encode(message)
            for subscriber in (*targets, *office):
                subscriber.put_nowait(payload)  # full backlog: the oldest is dropped (dropleft)

    async def _hand_out(self, listener: Subscriber) -> None:
        async for data in listener.iter_events():
            try:
                self.deliver(_decode_batch(data))
            except Exception:  # one bad batch must not stop positions for the whole tenant
                log.exception("handing out GPS positions failed")

    async def close(self) -> None:
        for listener, task in self.tenants.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            with contextlib.suppress(Exception):
                await self.channels.unsubscribe(listener)
        self.tenants.clear()
