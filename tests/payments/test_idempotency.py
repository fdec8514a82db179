"""One Idempotency-Key, one payment, one charge: retried, double-clicked, or sent from several tasks at once.

localstripe (patched to honour Idempotency-Key as Stripe does) lists every PaymentIntent made, so every extra
charge would show up there: these tests count them."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from haulport_dev.localstripe_runner import register_webhook
from tests.payments.stripe_flows import (
    AVA_ACCOUNT,
    AVA_OPEN,
    admin_row,
    customer_of,
    intents_of,
    pay,
    pay_ok,
    run_sql,
    save_card,
)
from tests.support.localstripe_server import CARD_3DS, WEBHOOK_SECRET, authenticate_payment
from tests.support.portal import ADMIN, AVA, login

BODY = {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 12000}]}


async def test_the_same_key_twice_is_the_same_payment_and_one_charge(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    key = str(uuid.uuid4())

    first = await pay_ok(client, ava, BODY, key)
    second = await pay_ok(client, ava, BODY, key)

    assert first == second
    assert first["status"] == "succeeded"
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500 - 12000
    # a new key is a new payment
    third = await pay_ok(client, ava, BODY)
    assert third["payment_id"] != first["payment_id"]
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 2


async def test_a_key_reused_for_another_payment_is_refused(client, ava, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    key = str(uuid.uuid4())
    await pay_ok(client, ava, BODY, key)

    other = await pay(client, ava, {**BODY, "allocations": [{"invoice_id": AVA_OPEN, "amount": 100}]}, key)

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1


async def test_a_refused_request_does_not_burn_its_key(client, ava, localstripe_url):
    key = str(uuid.uuid4())
    assert (await pay(client, ava, BODY, key)).json()["error"]["code"] == "no_payment_method"
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)

    assert (await pay_ok(client, ava, BODY, key))["status"] == "succeeded"


async def test_concurrent_double_clicks_charge_once(live_server, localstripe_url):
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        ava = await login(http, AVA)
        admin = await login(http, ADMIN)
        await save_card(http, ava, AVA_ACCOUNT, localstripe_url)
        key = str(uuid.uuid4())

        responses = await asyncio.gather(*(pay(http, ava, BODY, key) for _ in range(6)))

        assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
        answers = [r.json() for r in responses]
        assert {a["payment_id"] for a in answers} == {answers[0]["payment_id"]}
        assert {a["status"] for a in answers} == {"succeeded"}
        assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1
        assert (await admin_row(http, admin, "invoices", AVA_OPEN))["balance"] == 32500 - 12000
        payments = (await http.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)).json()
        assert len(payments["items"]) == 2  # the seeded one and this one


async def test_localstripe_delivers_the_3ds_outcome_to_the_webhook(live_server, localstripe_url):
    hook = f"{live_server}/api/stripe/webhook"
    register_webhook(localstripe_url, hook, WEBHOOK_SECRET, webhook_id="haulport-tests")
    try:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            ava = await login(http, AVA)
            admin = await login(http, ADMIN)
            await save_card(http, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
            answer = await pay_ok(http, ava, BODY)
            assert answer["status"] == "requires_action"

            await asyncio.to_thread(authenticate_payment, localstripe_url, answer["client_secret"])

            deadline = time.monotonic() + 15  # localstripe posts events about a second later
            while (payment := await admin_row(http, admin, "payments", answer["payment_id"]))["status"] == "pending":
                assert time.monotonic() < deadline, "the webhook never settled the payment"
                await asyncio.sleep(0.2)
            assert payment["status"] == "succeeded"
            assert (await admin_row(http, admin, "invoices", AVA_OPEN))["balance"] == 32500 - 12000
    finally:
        register_webhook(localstripe_url, hook, WEBHOOK_SECRET, webhook_id="haulport-tests", events=[])


async def test_when_stripe_is_unreachable_the_same_key_retries_the_same_payment(
    client, ava, admin, localstripe_url, monkeypatch
):
    from server.billing.gateway import GatewayError

    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    gateway = client.app.state.stripe._gateway

    def unreachable(*args, **kwargs):
        raise GatewayError("stripe_unavailable", "Stripe could not be reached; try again.")

    monkeypatch.setattr(gateway, "charge", unreachable)
    key = str(uuid.uuid4())
    down = await pay(client, ava, BODY, key)
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "payment_gateway_unavailable"
    assert down.headers["retry-after"]
    payments = (await client.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)).json()
    [pending] = [p for p in payments["items"] if p["status"] == "pending"]
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500

    monkeypatch.undo()
    answer = await pay_ok(client, ava, BODY, key)

    assert (answer["payment_id"], answer["status"]) == (pending["id"], "succeeded")
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500 - 12000


async def test_a_charge_whose_answer_was_lost_is_found_again_not_expired(
    client, ava, admin, localstripe_url, monkeypatch, settings
):
    """The process dies between Stripe's charge and our commit, and nobody retries: an hour later the
    expiry must find the charge at Stripe, not free the balance for a second one."""
    from server.billing import payment_flow

    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    full = {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}]}

    async def dies(*args):
        raise RuntimeError("the process died before its commit")

    monkeypatch.setattr(payment_flow, "_settle_and_answer", dies)
    assert (await pay(client, ava, full)).status_code == 500
    monkeypatch.undo()
    [intent] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert intent.status == "succeeded"
    await run_sql(settings, "UPDATE payment SET created_at = ? WHERE status = 'pending'", "2000-01-01T00:00:00.000Z")
    state = client.app.state
    expiry = state.payment_expiry
    expiry._next = 0.0  # the server's next sweep (every 2 s) expires what is due

    payment_id = intent.metadata.to_dict()["payment_id"]
    deadline = time.monotonic() + 20
    while (payment := await admin_row(client, admin, "payments", payment_id))["status"] == "pending":
        assert time.monotonic() < deadline, "the expiry never ran"
        await asyncio.sleep(0.2)
    assert (payment["status"], payment["stripe_payment_intent_id"]) == ("succeeded", intent.id)
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 0
    again = await pay(client, ava, full)
    assert again.status_code == 409 and again.json()["error"]["code"] == "over_balance", again.text
    assert again.json()["error"]["details"]["open"] == 0
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1


async def test_a_retry_after_a_lost_answer_finds_the_charge_even_if_the_default_card_changed(
    client, ava, admin, localstripe_url, monkeypatch
):
    """The request died after Stripe charged the default card; the customer then makes another card
    the default and retries with the same key: the retry finds the first charge (one PaymentIntent),
    instead of asking Stripe again with other parameters (refused as an idempotency error) or charging
    the other card."""
    from server.billing import payment_flow

    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    key = str(uuid.uuid4())

    async def dies(state, tenant, attempt_id, *args):
        async with state.db.write() as conn:  # what a dead request leaves, once its claim is stale
            await conn.execute(
                "UPDATE payment_attempt SET created_at = ? WHERE id = ?", "2000-01-01T00:00:00.000Z", attempt_id
            )
        raise RuntimeError("the process died before its commit")

    monkeypatch.setattr(payment_flow, "_settle_and_answer", dies)
    assert (await pay(client, ava, BODY, key)).status_code == 500
    monkeypatch.undo()
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS, default=True)

    answer = await pay_ok(client, ava, BODY, key)

    [intent] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert (answer["status"], intent.status) == ("succeeded", "succeeded")
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["stripe_payment_intent_id"] == intent.id
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500 - 12000
