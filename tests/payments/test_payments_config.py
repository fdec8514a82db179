"""Which Stripe the server uses: configured keys, a local test-mode Stripe in dev mode, or none."""

from __future__ import annotations

import urllib.error
import urllib.request

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.auth.tokens import issue
from server.seed.demo import sid
from tests.payments.stripe_flows import AVA_ACCOUNT, AVA_OPEN, pay, pay_ok, save_card
from tests.support.portal import AVA, login, new_client_id, push


async def test_configured_keys_are_handed_to_the_pwa(client, ava):
    config = (await client.get("/api/payments/config", headers=ava)).json()
    # bank accounts are SEPA debits here, which collect euros: a portal billing in USD takes cards only
    assert config == {
        "publishable_key": "pk_test_localstripe",
        "stripe_js_url": "https://js.stripe.com/v3/",
        "test_mode": True,
        "bank_method": None,
    }


async def test_dev_mode_without_keys_runs_a_local_test_mode_stripe(settings):
    settings = msgspec.structs.replace(settings, stripe_secret_key="", stripe_api_base="", stripe_publishable_key="")
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        ava = await login(client, AVA)
        config = (await client.get("/api/payments/config", headers=ava)).json()
        assert config["test_mode"] is True
        assert config["publishable_key"].startswith("pk_test_")
        assert config["stripe_js_url"].startswith("http://127.0.0.1:")
        assert config["stripe_js_url"].endswith("/js.stripe.com/v3/")
        with urllib.request.urlopen(config["stripe_js_url"], timeout=5) as response:
            assert response.status == 200  # the Stripe.js stand-in the PWA loads
        local_url = config["stripe_js_url"].removesuffix("/js.stripe.com/v3/")

        # a newcomer can save a card and pay an invoice without a Stripe account
        await save_card(client, ava, AVA_ACCOUNT, local_url)
        answer = await pay_ok(
            client,
            ava,
            {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}]},
        )
        assert answer["status"] == "succeeded"
    # the local Stripe stops with the server
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(config["stripe_js_url"], timeout=2)


async def test_no_keys_outside_dev_mode_means_no_payments(settings):
    settings = msgspec.structs.replace(settings, stripe_secret_key="", dev_mode=False)
    token, _ = issue(settings.secret_key, "session", sid("contact:ava"), "contact", sid("tenant:demo"), 1, 3600)
    ava = {"Authorization": f"Bearer {token}"}
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        for response in (
            await client.get("/api/payments/config", headers=ava),
            await client.post("/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT}, headers=ava),
            await pay(client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 100}),
            await client.post("/api/stripe/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=x"}),
        ):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "payments_unavailable"
        # saved methods can still be listed (there are none)
        listed = await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)
        assert listed.json() == {"methods": []}
        result = await push(
            client, ava, new_client_id(), (1, "rental.extend", {"rental_id": sid("rental:ava-20yd"), "days": 1})
        )
        # nothing can be saved to charge, so an extension is refused at once
        assert result["results"][0]["error"]["code"] == "no_payment_method"


async def test_a_portal_in_usd_has_no_sepa_bank_accounts(client, ava):
    response = await client.post(
        "/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT, "kind": "bank"}, headers=ava
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "bank_unavailable" and "EUR" in error["message"] and "USD" in error["message"]


@pytest.mark.parametrize("secret", ["", "whsec_dev", "whsec_haulport_localstripe"])
def test_outside_dev_mode_a_stripe_key_needs_a_real_webhook_secret(settings, secret):
    """Forged events would be accepted with an empty or a published secret: the server refuses to start."""
    from server.settings import SettingsError

    production = msgspec.structs.replace(
        settings, dev_mode=False, stripe_secret_key="sk_live_configured", stripe_webhook_secret=secret
    )
    with pytest.raises(SettingsError, match=r"^stripe_webhook_secret: "):
        create_app(production)
    # with the endpoint's own secret it starts; in dev mode the local test-mode Stripe's is fine
    create_app(msgspec.structs.replace(production, stripe_webhook_secret="whsec_3f9a1c0d2e7b4a6f8c5d"))
    create_app(msgspec.structs.replace(production, dev_mode=True))


def test_the_shipped_config_sets_no_webhook_secret():
    """One default, in one place (server/settings.py): the shipped litestar.toml does not set one."""
    from pathlib import Path

    from server.settings import load_settings

    toml = Path(__file__).resolve().parents[2] / "litestar.toml"
    assert "stripe_webhook_secret =" not in toml.read_text()
    assert load_settings(path=toml, env={}).stripe_webhook_secret == ""
