"""Fixed-window rate limits kept in a Litestar store (memory, or Redis when configured).

While the shared store (Redis) is unreachable, attempts are counted in this process instead, so
logging in keeps working (each process then enforces the limits on its own).
"""

from __future__ import annotations

import logging
import time

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from server.errors import ApiError

log = logging.getLogger("haulport")


class RateLimiter:
    def __init__(self, store: Store, window_s: int):
        self.store = store
        self.window_s = window_s
        self.fallback = MemoryStore()  # counts while ``store`` is unreachable
        self.store_failures = 0  # attempts counted in ``fallback`` because ``store`` failed
        self._store_down = False

    async def _count(self, store: Store, bucket: str) -> int:
        raw = await store.get(bucket)
        count = int(raw or 0) + 1
        await store.set(bucket, str(count).encode(), expires_in=self.window_s)
        return count

    async def hit(self, key: str, limit: int) -> None:
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
                log.warning("rate-limit store unreachable (%s: %s); counting in this process until it is back",
                            type(exc).__name__, exc)
            count = await self._count(self.fallback, bucket)
        if count > limit:
            retry = str(window + self.window_s - now)
            raise ApiError(429, "rate_limited", "too many login links requested; try again later",
                           {"retry_after_s": int(retry)}, headers={"Retry-After": retry})
