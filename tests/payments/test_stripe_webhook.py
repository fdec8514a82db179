"""``POST /api/stripe/webhook``: only Stripe's signed events count, and each counts once."""

from __future__ import annotations

import json
import time

import pytest

from tests.payments.stripe_flows import (
    AVA_ACCOUNT,
    AVA_OPEN,
    admin_row,
    deliver,
    event_for,
    pay_ok,
    save_card,
)
from tests.support.localstripe_server import CARD_3DS, authenticate_payment
from tests.support.portal import new_client_id, pull_all


async def _settled_3ds_payment(client, ava, admin, localstripe_url) -> tuple[dict, dict]:
    """A 3-D Secure payment of 200.00 on INV-1001, settled by its webhook event; (event, payment)."""
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    answer = await pay_ok(
        client,
        ava,
        {
            "account_id": AVA_ACCOUNT,
            "mode": "invoices",
            "payment_method_id": card["id"],
            "allocations": [{"invoice_id": AVA_OPEN, "amount": 20000}],
        },
    )
    authenticate_payment(localstripe_url, answer["client_secret"])
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    event = event_for(localstripe_url, "payment_intent.succeeded", payment["stripe_payment_intent_id"])
    assert (await deliver(client, event)).json() == {"received": True}
    return event, await admin_row(client, admin, "payments", answer["payment_id"])


async def test_a_replayed_event_changes_nothing(client, ava, admin, localstripe_url):
    event, payment = await _settled_3ds_payment(client, ava, admin, localstripe_url)
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (payment["status"], invoice["balance"]) == ("succeeded", 12500)
    page, _ = await pull_all(client, ava, new_client_id())

    for _ in range(2):
        response = await deliver(client, event)
        assert response.status_code == 200
        assert response.json() == {"received": True, "duplicate": True}

    assert await admin_row(client, admin, "payments", payment["id"]) == payment
    assert await admin_row(client, admin, "invoices", AVA_OPEN) == invoice
    # nothing new to sync either
    after = (
        await client.get("/api/sync/pull", params={"client_id": new_client_id(), "cursor": page["cursor"]}, headers=ava)
    ).json()
    assert after["changes"] == []
    payments = (await client.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)).json()[
        "items"
    ]
    assert len(payments) == 2  # the seeded one and this one


async def test_the_same_outcome_under_a_new_event_id_is_not_applied_twice(client, ava, admin, localstripe_url):
    event, payment = await _settled_3ds_payment(client, ava, admin, localstripe_url)

    response = await deliver(client, {**event, "id": event["id"] + "x"})

    assert response.json() == {"received": True}
    assert (await admin_row(client, admin, "payments", payment["id"]))["version"] == payment["version"]
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 12500


@pytest.mark.parametrize("how", ["other-secret", "tampered", "stale", "garbage", "missing"])
async def test_forged_or_stale_events_are_refused(client, ava, admin, localstripe_url, how):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    answer = await pay_ok(
        client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 20000, "payment_method_id": card["id"]}
    )
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    forged = {
        "id": "evt_forged",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": payment["stripe_payment_intent_id"],
                "object": "payment_intent",
                "status": "succeeded",
                "metadata": {"payment_id": payment["id"]},
            }
        },
    }

    if how == "other-secret":
        response = await deliver(client, forged, secret="whsec_not_ours")
    elif how == "tampered":
        from server.billing.gateway import sign_webhook_payload
        from tests.support.localstripe_server import WEBHOOK_SECRET

        signature = sign_webhook_payload(json.dumps({**forged, "type": "ping"}).encode(), WEBHOOK_SECRET)
        response = await deliver(client, forged, signature=signature)
    elif how == "stale":
        response = await deliver(client, forged, timestamp=int(time.time()) - 3600)
    elif how == "garbage":
        response = await deliver(client, forged, signature="t=1,v1=deadbeef")
    else:
        response = await client.post("/api/stripe/webhook", content=json.dumps(forged).encode())

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert (await admin_row(client, admin, "payments", payment["id"]))["status"] == "pending"
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500


async def test_events_about_other_things_are_acknowledged_and_ignored(client):
    for event in (
        {
            "id": "evt_customer",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"id": "cus_1", "object": "customer"}},
        },
        {
            "id": "evt_stranger",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {"id": "pi_not_ours", "object": "payment_intent", "status": "succeeded", "metadata": {}}
            },
        },
    ):
        response = await deliver(client, event)
        assert response.status_code == 200 and response.json() == {"received": True}


async def test_a_signed_body_that_is_no_event_is_refused(client):
    response = await deliver(client, {"hello": "world"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
