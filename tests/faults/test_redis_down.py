"""Redis goes away (the server reaches it through a proxy the test cuts): live updates degrade to
polling, nothing else breaks, and live comes back with Redis.

While Redis is down: push, pull, login and the other HTTP endpoints answer as usual (no 5xx); open
live sockets are closed with 1013 ``live_unavailable`` and new ones are refused with ``503`` +
``Retry-After`` — clients then poll ``/api/sync/pull``, which has every change. When Redis is back,
new sockets connect and hear pokes again. Stopping the server never hangs on undelivered pokes.

Needs Redis at 127.0.0.1:6379: skipped without it, except in CI (``CI=true``) where it must be there.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
import websockets
from litestar.channels import ChannelsPlugin

from server.live.redis_channels import ResilientRedisChannels
from server.seed.demo import sid
from tests.faults.conftest import REDIS_URL, TcpProxy, host_port, redis_problem, require, with_port
from tests.live.conftest import live_socket
from tests.support.portal import AVA, DRIVER, OFFICE, login, new_client_id, pull_all, push

pytestmark = pytest.mark.redis
ACCOUNT = sid("account:ava-reed")
# Redis keeps rate-limit counters between runs: generous limits keep reruns green.
LIMITS = {"HAULPORT_MAGIC_LINK_PER_ADDRESS": "100000", "HAULPORT_MAGIC_LINK_PER_IP": "100000"}


@pytest.fixture
def redis_proxy():
    require("Redis", redis_problem())
    proxy = TcpProxy(*host_port(REDIS_URL, 6379))
    proxy.start()
    yield proxy
    proxy.close()


def through(proxy: TcpProxy) -> str:
    return with_port(REDIS_URL, proxy.port)


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def send_message(n: int, marker: str) -> tuple[int, str, dict]:
    return (n, "message.send", {"id": str(uuid.uuid4()), "body": f"{marker} #{n}", "account_id": ACCOUNT})


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def refused_while_down(base_url: str, token: str) -> websockets.exceptions.InvalidStatus:
    url = base_url.replace("http://", "ws://") + f"/api/live?token={token}"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url, open_timeout=10):
            pass
    response = refused.value.response
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert json.loads(response.body)["error"]["code"] == "live_unavailable"
    return refused.value


async def assert_http_works(
    http: httpx.AsyncClient, marker: str, client_id: str, ava: dict, n: int, cursor: str
) -> str:
    """Everything but the live socket, while Redis is down; returns the new pull cursor."""
    fresh = await login(http, AVA)  # login links are rate limited in Redis
    me = await http.get("/api/auth/me", headers=fresh)
    assert me.status_code == 200, me.text
    result = await push(http, ava, client_id, send_message(n, marker))
    assert result["results"][0]["status"] == "applied", result
    # A client that polls sees the change the socket could not announce.
    page, rows = await pull_all(http, ava, client_id, cursor)
    assert any(row.get("body") == f"{marker} #{n}" for (entity, _), row in rows.items() if entity == "message")
    assert page["last_mutation_id"] == n
    office = await login(http, OFFICE)
    jobs = await http.get("/api/admin/jobs", headers=office)
    assert jobs.status_code == 200, jobs.text
    driver = await login(http, DRIVER)
    fixes = await http.post(
        "/api/driver/gps", headers=driver, json={"fixes": [{"lat": 39.78, "lng": -89.65, "at": now_iso()}]}
    )
    assert fixes.status_code == 200, fixes.text  # stored; going live is best effort
    assert (await http.get("/api/public/tenants/demo")).status_code == 200
    return page["cursor"]


async def test_redis_down_live_degrades_to_polling_nothing_else_breaks_and_live_returns(
    database_url, start_server, redis_proxy
):
    server = await start_server(database_url, HAULPORT_REDIS_URL=through(redis_proxy), **LIMITS)
    marker = f"redis-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        ava = await login(http, AVA)
        client_id = new_client_id()
        page, _rows = await pull_all(http, ava, client_id)
        cursor = page["cursor"]

        async with live_socket(server.url, token_of(ava)) as live:
            await push(http, ava, client_id, send_message(1, marker))
            await live.next(type="poke")
            redis_proxy.stop()
            # The open socket is told that live updates are gone, then closed: fall back to polling.
            told = await live.next(timeout=15, type="error")
            assert told["code"] == "live_unavailable", told
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await live.next(timeout=5, type="never")
            assert closed.value.rcvd is not None, "the server closed without a close frame"
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1013, "live_unavailable")

        await refused_while_down(server.url, token_of(ava))
        cursor = await assert_http_works(http, marker, client_id, ava, 2, cursor)
        await refused_while_down(server.url, token_of(ava))

        redis_proxy.start()
        deadline = time.monotonic() + 20
        while True:  # the server reconnects by itself, with a short backoff
            try:
                async with live_socket(server.url, token_of(ava)) as live:
                    await push(http, ava, client_id, send_message(3, marker))
                    await live.next(type="poke")
                    break
            except websockets.exceptions.InvalidStatus as exc:
                assert exc.response.status_code == 503 and time.monotonic() < deadline, exc
                await asyncio.sleep(0.2)
        _page, rows = await pull_all(http, ava, client_id, cursor)
        assert any(row.get("body") == f"{marker} #3" for row in rows.values())
    # Stopping must not hang on pokes that could not be delivered (the fixture stops within 10 s or fails).
    server.stop()
    log = server.log()
    for sign in ("Exception in ASGI application", "unhandled error", "without completing handshake"):
        assert sign not in log, log[-4000:]
    assert "Redis is unreachable" in log and "Redis is reachable again" in log, log[-4000:]  # the outage is logged


async def test_a_server_started_while_redis_is_down_serves_http_and_goes_live_when_redis_comes(
    database_url, start_server, redis_proxy
):
    redis_proxy.stop()
    server = await start_server(database_url, HAULPORT_REDIS_URL=through(redis_proxy), **LIMITS)
    marker = f"late-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        ava = await login(http, AVA)
        client_id = new_client_id()
        page, _rows = await pull_all(http, ava, client_id)
        await refused_while_down(server.url, token_of(ava))
        await assert_http_works(http, marker, client_id, ava, 1, page["cursor"])

        redis_proxy.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                async with live_socket(server.url, token_of(ava)) as live:
                    await push(http, ava, client_id, send_message(2, marker))
                    await live.next(type="poke")
                    break
            except websockets.exceptions.InvalidStatus as exc:
                assert exc.response.status_code == 503 and time.monotonic() < deadline, exc
                await asyncio.sleep(0.2)
    server.stop()
    log = server.log()
    for sign in ("Exception in ASGI application", "unhandled error", "without completing handshake"):
        assert sign not in log, log[-4000:]


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_the_channels_backend_never_fails_a_publisher_and_resubscribes_when_redis_returns(redis_proxy):
    """In process: publishing while Redis is gone returns quietly (dropped and counted), listeners are
    told, and after Redis returns the same subscriber hears new messages (its channel was subscribed again)."""
    backend = ResilientRedisChannels.from_url(through(redis_proxy))
    plugin = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    channel = f"fault-test:{uuid.uuid4().hex}"
    async with plugin:
        subscriber = await plugin.subscribe([channel])
        events = subscriber.iter_events()
        await _until(lambda: backend.available)
        await plugin.wait_published(b"one", channel)
        assert await asyncio.wait_for(events.__anext__(), 5) == b"one"

        lost = asyncio.create_task(backend.wait_lost())
        redis_proxy.stop()
        await backend.publish(b"lost", [channel])  # before or after the loss is noticed: never raises
        plugin.publish(b"queued", channel)  # the plugin's publishing task survives too
        await asyncio.wait_for(lost, 10)
        assert not backend.available
        await backend.publish(b"dropped", [channel])
        assert backend.stats["outages"] == 1
        await _until(lambda: backend.stats["publish_failed"] + backend.stats["publish_dropped"] == 3)  # all counted

        redis_proxy.start()
        await _until(lambda: backend.available)
        await plugin.wait_published(b"two", channel)
        assert await asyncio.wait_for(events.__anext__(), 5) == b"two"
        plugin.publish(b"three", channel)  # through the plugin's (still running) publishing task
        assert await asyncio.wait_for(events.__anext__(), 5) == b"three"
        await plugin.unsubscribe(subscriber)
    # Leaving the plugin (server shutdown) did not hang on the messages Redis never took.
