"""The Python client's live socket: pulls on every poke, and after a server restart comes back by itself
(reconnecting with jittered backoff), then pulls what changed meanwhile."""

from __future__ import annotations

import asyncio
import uuid

from server.seed.demo import sid
from sync.client import Replica, SyncClient, reconnect_delay
from tests.support.live_server import running_server
from tests.support.smtp import free_port

ACCOUNT = sid("account:ava-reed")


def test_reconnect_delays_are_spread_and_capped():
    # Full jitter: anywhere from 0 to the attempt's ceiling, which doubles from 0.25 s up to 5 s ...
    assert [reconnect_delay(n, 1.0, rng=lambda: 1.0) for n in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert reconnect_delay(3, 1.0, rng=lambda: 0.0) == 0.0
    # ... and up to 30 s once the outage has lasted a minute.
    assert reconnect_delay(20, 61.0, rng=lambda: 1.0) == 30.0
    spread = {round(reconnect_delay(2, 1.0), 3) for _ in range(200)}
    assert len(spread) > 100 and max(spread) <= 1.0


async def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_listen_pulls_on_pokes_and_comes_back_after_a_restart(database_url, tmp_path):
    port = free_port()
    ready: list[str] = []
    with running_server(database_url, port=port) as base:
        ava = SyncClient(Replica(tmp_path / "ava.db"), base)
        office = SyncClient(Replica(tmp_path / "office.db"), base)
        await ava.login_with_email("ava@example.com", "demo")
        await office.login_with_email("office@demo.example", "demo")
        stop = asyncio.Event()
        listening = asyncio.create_task(
            ava.listen(stop, on_event=lambda e: ready.append(e["type"]) if e.get("type") == "ready" else None)
        )
        await _wait_for(lambda: len(ready) == 1)

        first = str(uuid.uuid4())
        office.replica.queue("message.send", {"id": first, "body": "before the restart", "account_id": ACCOUNT})
        await office.push()
        await _wait_for(lambda: ava.replica.get("message", first) is not None)  # the poke made it pull

    # The server is gone; a change is made while it restarts ...
    with running_server(database_url, port=port):
        await _wait_for(lambda: len(ready) == 2)  # ... and the socket came back on its own
        second = str(uuid.uuid4())
        office.replica.queue("message.send", {"id": second, "body": "after the restart", "account_id": ACCOUNT})
        await office.push()
        await _wait_for(lambda: ava.replica.get("message", second) is not None)
        stop.set()
        assert await asyncio.wait_for(listening, 10) == 2
    await ava.aclose()
    await office.aclose()
