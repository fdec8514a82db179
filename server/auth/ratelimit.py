"""Fixed-window rate limits kept in a Litestar store (memory, or Redis when configured).

Counting is atomic: with Redis one ``INCR`` (and ``EXPIRE`` on the window's first hit) in a script,
so 50 requests at once for one address count 50; in memory the read and write of a count happen
under one lock. (Reading then writing the count let concurrent requests all see the same count.)

While the shared store (Redis) is unreachable, attempts are counted in this process instead, so
logging in keeps working (each process then enforces the limits on its own).
"""

from __future__ import annotations

import asyncio
import logging
import time

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from server.errors import ApiError

log = logging.getLogger("haulport")
# The first hit of a window sets its expiry: a key never outlives its window (nor lives forever).
_INCR_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RateLimiter:
    def __init__(self, store: Store, window_s: int):
        self.store = store
        self.window_s = window_s
        self.fallback = MemoryStore()  # counts while ``store`` is unreachable
        self.store_failures = 0  # attempts counted in ``fallback`` because ``store`` failed
        self._store_down = False
        self._lock = asyncio.Lock()  # in-process counts: read and write under one lock
        self._redis_store = store if isinstance(store, RedisStore) else None
        self._incr = self._redis_store._redis.register_script(_INCR_SCRIPT) if self._redis_store else None

    async def _count(self, store: Store, bucket: str) -> int:
        if store is self.store and self._incr is not None and self._redis_store is not None:
            return int(await self._incr(keys=[self._redis_store._make_key(bucket)], args=[self.window_s]))
        async with self._lock:
            raw = await store.get(bucket)
            count = int(raw or 0) + 1
            await store.set(bucket, str(count).encode(), expires_in=self.window_s)
            return count

    async def hit(self, key: str, limit: int, message: str = "too many login links requested; try again later") -> None:
        """Count one attempt for ``key``; ``429`` with ``Retry-After`` once over ``limit``."""
        now = int(time.time())
        window = now - now % self.window_s
        bucket = f"rl:{key}:{window}"
        try:
            count = await self._count(self.store, bucket)
            if self._store_down:
                self._store_down = False
                log.warning("rate-limit store reachable again")
        except Exception as exc:  # Redis down or failing: a login must not fail for that
            self.store_failures += 1
            if not self._store_down:
                self._store_down = True
                log.warning(
                    "rate-limit store unreachable (%s: %s); counting in this process until it is back",
                    type(exc).__name__,
                    exc,
                )
            count = await self._count(self.fallback, bucket)
        if count > limit:
            retry = str(window + self.window_s - now)
            raise ApiError(429, "rate_limited", message, {"retry_after_s": int(retry)}, headers={"Retry-After": retry})
