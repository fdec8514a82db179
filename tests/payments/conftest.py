"""Payments tests run the app against the session's localstripe on loopback (real SDK, real HTTP)."""

from __future__ import annotations

import pytest

from server.billing.localstripe_runner import PUBLISHABLE_KEY, SECRET_KEY, flush_data
from tests.support.localstripe_server import WEBHOOK_SECRET, localstripe_url  # noqa: F401  (fixture)
from tests.support.portal import ADMIN, AVA, GATE, OPS, login


@pytest.fixture
def settings_overrides(localstripe_url: str) -> dict:  # noqa: F811
    flush_data(localstripe_url)  # each test starts with an empty fake Stripe
    return {"stripe_secret_key": SECRET_KEY, "stripe_api_base": localstripe_url,
            "stripe_webhook_secret": WEBHOOK_SECRET, "stripe_publishable_key": PUBLISHABLE_KEY}


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
