"""Live channels over Redis pub/sub that survive Redis going away (``redis_url`` set).

Litestar's own ``RedisChannelsPubSubBackend`` lets the first Redis error end the channels plugin's
publishing and listening tasks for good: after a blip no poke is delivered again, sockets opened
meanwhile fail, and a stopping server waits forever for pokes it can no longer send. This backend
instead:

- never raises from ``publish``: while Redis is unreachable a message is dropped, counted in
  ``stats`` and logged (a poke only says "pull now", and clients pull when they reconnect);
- remembers the channels its subscribers want and, when the connection is lost, reconnects with
  backoff and subscribes them all again;
- names every channel in Redis ``{redis_prefix}:{channel}`` (and strips it on receipt), so two
  deployments sharing one Redis never see each other's messages;
- says whether live delivery works (``available``) and wakes ``wait_lost()`` waiters when it stops,
  so ``server/live/session.py`` can send clients to polling (docs/OPERATIONS.md "Failure modes").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Iterable

from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.redis import _PUBSUB_PUBLISH_SCRIPT
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

log = logging.getLogger("haulport.live")
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.1, 2.0
# Below, ``except Exception``: whatever goes wrong talking to Redis (RedisError, OSError, or redis-py
# tripping over a connection closed under it) means the connection is unusable, so reconnect; only
# cancellation passes through.


def redis_client(url: str) -> Redis:
    """A client that gives up quickly when Redis is unreachable (the default retries for seconds)."""
    return Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1)
    )


class ResilientRedisChannels(ChannelsBackend):
    def __init__(self, redis: Redis, prefix: str = "haulport"):
        self._redis = redis
        self._prefix = f"{prefix}:"
        self._publish_script = redis.register_script(_PUBSUB_PUBLISH_SCRIPT)
        self._pubsub: PubSub | None = None
        self._anchor = f"{self._prefix}process:{uuid.uuid4().hex}"  # keeps the connection subscribed to something
        self._wanted: set[str] = set()
        self._pending: set[str] = set()  # wanted, not yet sent in a SUBSCRIBE
        self._lock = asyncio.Lock()  # (re)connecting and (un)subscribing take turns
        self._lost = asyncio.Event()  # set when live delivery stops; a fresh one each time it comes back
        self._reported_down = False
        self.available = False  # connected and subscribed: published messages reach subscribers
        # Channels Redis confirmed on the current connection, and sockets waiting for a confirmation.
        self._confirmed: set[str] = set()
        self._confirming: dict[str, list[asyncio.Future]] = {}
        self.stats: Counter[str] = Counter()  # outages, publish_failed, publish_dropped

    @classmethod
    def from_url(cls, url: str, prefix: str = "haulport") -> ResilientRedisChannels:
        return cls(redis_client(url), prefix)

    def _named(self, channels: Iterable[str]) -> list[str]:
        return [self._prefix + c for c in channels]

    async def wait_subscribed(self, channels: Iterable[str], timeout: float) -> bool:
        """Whether Redis confirmed a subscription to every one of ``channels`` (within ``timeout``): from
        then on, whatever is published to them reaches this process. A socket waits for this before it
        says ``ready``; Redis's own confirmation needs no message published to come back."""
        loop = asyncio.get_running_loop()
        waiting = []
        for channel in set(channels) - self._confirmed:
            future = loop.create_future()
            self._confirming.setdefault(channel, []).append(future)
            waiting.append(future)
        if not waiting:
            return True
        try:
            await asyncio.wait_for(asyncio.gather(*waiting), timeout)
            return True
        except TimeoutError:
            return False

    def _confirm(self, kind: str, channel: str) -> None:
        if kind == "subscribe":
            self._confirmed.add(channel)
            for future in self._confirming.pop(channel, ()):
                if not future.done():
                    future.set_result(None)
        else:
            self._confirmed.discard(channel)

    async def wait_lost(self) -> None:
        """Return once live delivery is not working (at once if it is not working now)."""
        if self.available:
            await self._lost.wait()

    # ---- the ChannelsBackend interface -------------------------------------------------------
    async def on_startup(self) -> None:
        pass  # the plugin's listening task (stream_events) connects, and reconnects

    async def on_shutdown(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        await _close_quietly(pubsub)
        with contextlib.suppress(Exception):
            await self._redis.aclose()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        if not self.available:
            self.stats["publish_dropped"] += 1
            return
        try:
            await self._publish_script(keys=self._named(set(channels)), args=[data])
        except Exception as exc:
            self.stats["publish_failed"] += 1
            log.warning(
                "a live message was not published, Redis failed: %s (%d failed so far)",
                exc,
                self.stats["publish_failed"],
            )

    async def subscribe(self, channels: Iterable[str]) -> None:
        # Sockets connecting together share one SUBSCRIBE: whoever gets the lock sends every channel
        # asked for meanwhile (thousands of sockets reconnecting after a restart: one command, not one each).
        channels = set(channels)
        self._wanted |= channels
        self._pending |= channels
        async with self._lock:
            names, self._pending = self._pending, set()
            pubsub = self._pubsub
            if pubsub is None or not names:
                return  # subscribed on reconnecting, or by the SUBSCRIBE of an earlier caller
            try:
                await pubsub.subscribe(*self._named(names))
            except Exception as exc:
                await self._lose(pubsub, exc)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels) & self._wanted
        self._wanted -= channels
        self._pending -= channels
        self._confirmed -= channels  # a socket subscribing again waits for the new confirmation
        async with self._lock:
            pubsub = self._pubsub
            if pubsub is None or not channels:
                return
            try:
                await pubsub.unsubscribe(*self._named(channels))
            except Exception as exc:
                await self._lose(pubsub, exc)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        delay = RECONNECT_MIN_S
        while True:
            pubsub = self._pubsub
            if pubsub is None:
                if await self._connect():
                    delay = RECONNECT_MIN_S
                else:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            try:
                message = await pubsub.get_message(timeout=1.0)
            except Exception as exc:
                await self._lose(pubsub, exc)
                continue
            if message is None:
                continue
            kind, channel = message.get("type"), message["channel"].decode()
            if not channel.startswith(self._prefix):
                continue
            channel = channel[len(self._prefix) :]
            if kind == "message":
                if channel in self._wanted:
                    yield channel, message["data"]
            elif kind in ("subscribe", "unsubscribe") and pubsub is self._pubsub:
                self._confirm(kind, channel)

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError("pub/sub keeps no history")

    # ---- connection state ------------------------------------------------------------------
    async def _connect(self) -> bool:
        async with self._lock:
            pubsub = self._redis.pubsub()
            self._confirmed.clear()  # a new connection: its subscriptions are confirmed anew
            try:
                await pubsub.subscribe(self._anchor, *self._named(self._wanted))
            except Exception as exc:
                await _close_quietly(pubsub)
                self._down(exc)
                return False
            self._pubsub = pubsub
            if not self.available:
                self.available = True
                self._lost = asyncio.Event()
                if self._reported_down:
                    log.warning("Redis is reachable again: live updates are back on")
                self._reported_down = False
            return True

    async def _lose(self, pubsub: PubSub, exc: BaseException) -> None:
        """The connection failed: stop using it (the listening task reconnects)."""
        if self._pubsub is pubsub:
            self._pubsub = None
            self._down(exc)
        await _close_quietly(pubsub)

    def _down(self, exc: BaseException) -> None:
        if self.available or not self._reported_down:
            self.stats["outages"] += 1
            log.warning(
                "Redis is unreachable (%s: %s): live updates are off and clients poll until it is back (outage %d)",
                type(exc).__name__,
                exc,
                self.stats["outages"],
            )
            self._reported_down = True
        self.available = False
        self._lost.set()


async def _close_quietly(pubsub: PubSub | None) -> None:
    if pubsub is not None:
        with contextlib.suppress(Exception):
            await pubsub.aclose()
