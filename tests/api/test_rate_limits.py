"""Rate limits hold under concurrency: 50 requests at once for one address with a limit of 5 send 5
links, in memory and on Redis (an SMS/email bomb is not one slow request after another)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from server.auth.ratelimit import RateLimiter
from server.errors import ApiError
from server.live.redis_channels import redis_client
from tests.faults.conftest import REDIS_URL, redis_problem, require
from tests.support.asgi import concurrent_client

PHONE = "+15550100001"  # Ava's phone in the demo data


async def _fire(limiter: RateLimiter, key: str, limit: int, n: int = 50) -> int:
    async def one() -> bool:
        try:
            await limiter.hit(key, limit)
            return True
        except ApiError as exc:
            assert exc.status == 429 and exc.code == "rate_limited" and exc.headers["Retry-After"]
            return False

    return sum(await asyncio.gather(*(one() for _ in range(n))))


class SlowStore(MemoryStore):
    """A store whose reads take a moment, as a networked one does: reads and writes interleave."""

    async def get(self, key, renew_for=None):
        await asyncio.sleep(0.001)
        return await super().get(key, renew_for)


async def test_fifty_hits_at_once_in_memory_pass_only_the_limit():
    assert await _fire(RateLimiter(SlowStore(), 900), "addr:demo:ava", 5) == 5
    assert await _fire(RateLimiter(MemoryStore(), 900), "ip:10.0.0.1", 30, n=100) == 30


@pytest.fixture
async def redis_store():
    require("Redis", redis_problem())
    client = redis_client(REDIS_URL)
    store = RedisStore(client, namespace=f"h14test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    yield store
    await store.delete_all()
    await client.aclose()


async def test_fifty_hits_at_once_on_redis_pass_only_the_limit(redis_store):
    limiter = RateLimiter(redis_store, 900)
    assert await _fire(limiter, "addr:demo:+15550100001", 5) == 5
    assert await _fire(limiter, "ip:10.0.0.2", 30, n=100) == 30
    [key] = [k async for k in redis_store._redis.scan_iter(match=f"{redis_store.namespace}:rl:addr:*")]
    assert 0 < await redis_store._redis.ttl(key) <= 900  # the window's key expires with the window


@pytest.fixture
def settings_overrides():
    return {"magic_link_per_address": 5, "magic_link_per_ip": 30}


async def _outbox(client, to: str) -> int:
    return len((await client.get("/api/dev/outbox", params={"to": to, "limit": 500})).json()["messages"])


async def test_fifty_parallel_link_requests_for_one_phone_send_five(settings):
    async with concurrent_client(settings) as client:  # the requests really run at the same time
        responses = await asyncio.gather(
            *(client.post("/api/auth/magic-link", json={"tenant": "demo", "phone": PHONE}) for _ in range(50))
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(202) == 5 and codes.count(429) == 45
        assert all(r.headers.get("retry-after") for r in responses if r.status_code == 429)
        assert await _outbox(client, PHONE) == 5


async def test_a_hundred_parallel_requests_from_one_ip_accept_thirty(settings):
    async with concurrent_client(settings) as client:
        responses = await asyncio.gather(
            *(
                client.post("/api/auth/magic-link", json={"tenant": "demo", "email": f"n{i}@example.com"})
                for i in range(100)
            )
        )
        assert sorted(r.status_code for r in responses).count(202) == 30
