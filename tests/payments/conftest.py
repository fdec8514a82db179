"""Payments tests run the app against the session's localstripe on loopback (real SDK, real HTTP)."""

from __future__ import annotations

import pytest

from haulport_dev.localstripe_runner import PUBLISHABLE_KEY, SECRET_KEY, flush_data
from tests.support.localstripe_server import WEBHOOK_SECRET, localstripe_url  # noqa: F401  (fixture)
from tests.support.portal import ADMIN, AVA, GATE, OPS, login


@pytest.fixture
def settings_overrides(localstripe_url: str) -> dict:
    flush_data(localstripe_url)  # each test starts with an empty fake Stripe
    # Bank accounts as SEPA Direct Debit (what localstripe can do): offered to tenants billing in
    # EUR only, so the demo tenant (USD) sees cards only unless a test switches it to euros.
    return {
        "stripe_secret_key": SECRET_KEY,
        "stripe_api_base": localstripe_url,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_bank_method": "sepa_debit",
    }


@pytest.fixture
async def ava(client) -> dict[str, str]:
    return await login(client, AVA)


@pytest.fixture
async def ops(client) -> dict[str, str]:
    return await login(client, OPS)


@pytest.fixture
async def gate(client) -> dict[str, str]:
    return await login(client, GATE)


@pytest.fixture
async def admin(client) -> dict[str, str]:
    return await login(client, ADMIN)


@pytest.fixture
async def live_server(settings):
    """The app served by uvicorn on a loopback port (in a thread): real HTTP, so requests run
    concurrently and localstripe can deliver its webhooks."""
    import asyncio
    import threading

    import uvicorn

    from server.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the live server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
