"""Two deployments sharing one Redis, each under its own ``redis_prefix``, never hear each other's pokes."""

from __future__ import annotations

import asyncio
import os
import uuid

from server.live.redis_channels import ResilientRedisChannels
from tests.faults.conftest import REDIS_URL, redis_problem, require


async def _listen(backend: ResilientRedisChannels, got: list) -> None:
    async for channel, data in backend.stream_events():
        got.append((channel, data))


async def test_deployments_with_different_prefixes_do_not_share_channels():
    require("Redis", redis_problem())
    run = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
    first = ResilientRedisChannels.from_url(REDIS_URL, prefix=f"h14a-{run}")
    second = ResilientRedisChannels.from_url(REDIS_URL, prefix=f"h14b-{run}")
    same = ResilientRedisChannels.from_url(REDIS_URL, prefix=f"h14a-{run}")
    heard = {"second": [], "same": []}
    tasks = [asyncio.create_task(_listen(second, heard["second"])), asyncio.create_task(_listen(same, heard["same"]))]
    try:
        await second.subscribe(["t:tenant-1"])
        await same.subscribe(["t:tenant-1"])
        listener = asyncio.create_task(_listen(first, []))
        tasks.append(listener)
        for _ in range(100):
            if first.available and second.available and same.available:
                break
            await asyncio.sleep(0.05)
        await first.publish(b'{"type":"poke"}', ["t:tenant-1"])
        for _ in range(40):
            if heard["same"]:
                break
            await asyncio.sleep(0.05)
        assert heard["same"] == [("t:tenant-1", b'{"type":"poke"}')]  # the same deployment: heard, name unprefixed
        assert heard["second"] == []  # the other deployment on the same Redis: nothing
    finally:
        for task in tasks:
            task.cancel()
        for backend in (first, second, same):
            await backend.on_shutdown()
