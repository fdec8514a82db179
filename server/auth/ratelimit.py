"""Fixed-window rate limits kept in a Litestar store (memory, or Redis when configured)."""

from __future__ import annotations

import time

from litestar.stores.base import Store

from server.errors import ApiError


class RateLimiter:
    def __init__(self, store: Store, window_s: int):
        self.store = store
        self.window_s = window_s

    async def hit(self, key: str, limit: int) -> None:
        """Count one attempt for ``key``; ``429`` with ``Retry-After`` once over ``limit``."""
        now = int(time.time())
        window = now - now % self.window_s
        bucket = f"rl:{key}:{window}"
        raw = await self.store.get(bucket)
        count = int(raw or 0) + 1
        await self.store.set(bucket, str(count).encode(), expires_in=self.window_s)
        if count > limit:
            retry = str(window + self.window_s - now)
            raise ApiError(429, "rate_limited", "too many login links requested; try again later",
                           {"retry_after_s": int(retry)}, headers={"Retry-After": retry})
