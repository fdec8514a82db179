"""Paying invoices with a saved method: single, bulk, partial, custom oldest-first, declines, 3-D Secure,
and every way a request is refused. Balances and statuses are checked to the cent."""

from __future__ import annotations

import uuid

import pytest

from tests.payments.stripe_flows import (
    ACME_OPEN,
    AVA_ACCOUNT,
    AVA_BIZ,
    AVA_OPEN,
    AVA_PAID,
    BIZ_OPEN,
    HARBOR,
    HARBOR_OVERDUE,
    HARBOR_PARTIAL,
    HARBOR_PENDING,
    admin_row,
    customer_of,
    deliver,
    event_for,
    intents_of,
    pay,
    pay_ok,
    save_card,
)
from tests.support.localstripe_server import CARD_3DS, CARD_DECLINED_AT_CHARGE, authenticate_payment
from tests.support.portal import OPS, login, new_client_id, pull_all


async def test_paying_one_invoice_in_full_marks_it_paid(client, ava, admin, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)

    answer = await pay_ok(
        client,
        ava,
        {
            "account_id": AVA_ACCOUNT,
            "mode": "invoices",
            "payment_method_id": card["id"],
            "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}],
        },
    )

    assert answer["status"] == "succeeded" and "client_secret" not in answer
    assert answer["amount"] == 32500
    assert answer["allocations"] == [{"invoice_id": AVA_OPEN, "amount": 32500}]
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (0, "paid")
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["status"] == "succeeded" and payment["paid_at"]
    assert payment["number"].startswith("PAY-") and payment["reference"] == "Visa •••• 4242"
    assert payment["number"] not in ("PAY-1001", "PAY-1002")  # the demo data's own numbers stay unique
    [intent] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert (intent.id, intent.amount, intent.currency, intent.status) == (
        payment["stripe_payment_intent_id"],
        32500,
        "usd",
        "succeeded",
    )
    assert intent.metadata.to_dict()["payment_id"] == payment["id"]
    # the customer's replica learns it by sync, with a receipt in the bell and the mailbox
    _, rows = await pull_all(client, ava, new_client_id())
    assert rows[("invoice", AVA_OPEN)]["status"] == "paid"
    assert rows[("payment", payment["id"])]["status"] == "succeeded"
    assert "stripe_payment_intent_id" not in rows[("payment", payment["id"])]
    assert any(
        r["kind"] == "payment_received" and payment["number"] in r["title"]
        for (entity, _), r in rows.items()
        if entity == "notification"
    )
    outbox = (await client.get("/api/dev/outbox", params={"to": "ava@example.com"})).json()["messages"]
    assert any(
        payment["number"] in m["subject"] and m["link"].endswith(f"/payments/{payment['id']}/receipt.pdf")
        for m in outbox
    )
    receipt = await client.get(f"/api/documents/payments/{payment['id']}/receipt.pdf", headers=ava)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


async def test_bulk_payment_of_several_invoices_is_one_charge_with_a_partial_one(client, admin, localstripe_url):
    ops = await login(client, OPS)
    card = await save_card(client, ops, HARBOR, localstripe_url)

    answer = await pay_ok(
        client,
        ops,
        {
            "account_id": HARBOR,
            "mode": "invoices",
            "payment_method_id": card["id"],
            "allocations": [
                {"invoice_id": HARBOR_OVERDUE, "amount": 80800},
                {"invoice_id": HARBOR_PARTIAL, "amount": 10001},
            ],
        },
    )

    assert answer["status"] == "succeeded" and answer["amount"] == 90801
    overdue = await admin_row(client, admin, "invoices", HARBOR_OVERDUE)
    partial = await admin_row(client, admin, "invoices", HARBOR_PARTIAL)
    assert (overdue["balance"], overdue["status"]) == (0, "paid")
    assert (partial["balance"], partial["status"]) == (24000 - 10001, "open")
    intents = intents_of(localstripe_url, customer_of(localstripe_url, HARBOR))
    assert [(i.amount, i.status) for i in intents] == [(90801, "succeeded")]


async def test_custom_amount_is_applied_to_the_oldest_open_invoice_first(client, admin, localstripe_url):
    ops = await login(client, OPS)
    await save_card(client, ops, HARBOR, localstripe_url)  # the default method: no payment_method_id sent

    answer = await pay_ok(client, ops, {"account_id": HARBOR, "mode": "custom", "amount": 85000})

    # INV-1002 (issued 45 days ago, 808.00) first, the rest to INV-1003 (20 days ago, 240.00 left)
    assert answer["status"] == "succeeded"
    assert answer["allocations"] == [
        {"invoice_id": HARBOR_OVERDUE, "amount": 80800},
        {"invoice_id": HARBOR_PARTIAL, "amount": 4200},
    ]
    assert (await admin_row(client, admin, "invoices", HARBOR_OVERDUE))["status"] == "paid"
    assert (await admin_row(client, admin, "invoices", HARBOR_PARTIAL))["balance"] == 24000 - 4200
    # the pending invoice (hidden from customers here) was not touched
    assert (await admin_row(client, admin, "invoices", HARBOR_PENDING))["balance"] == 43500


async def test_custom_amount_may_clear_the_whole_open_balance_but_not_more(client, admin, localstripe_url):
    ops = await login(client, OPS)
    await save_card(client, ops, HARBOR, localstripe_url)

    too_much = await pay(client, ops, {"account_id": HARBOR, "mode": "custom", "amount": 80800 + 24000 + 1})
    assert too_much.status_code == 409
    error = too_much.json()["error"]
    assert (error["code"], error["details"]) == ("over_balance", {"open_balance": 104800})
    answer = await pay_ok(client, ops, {"account_id": HARBOR, "mode": "custom", "amount": 104800})
    assert answer["status"] == "succeeded"
    for invoice_id in (HARBOR_OVERDUE, HARBOR_PARTIAL):
        assert (await admin_row(client, admin, "invoices", invoice_id))["status"] == "paid"


async def test_pending_invoices_are_payable_only_when_the_tenant_shows_them(client, admin, localstripe_url):
    ops = await login(client, OPS)
    await save_card(client, ops, HARBOR, localstripe_url)
    body = {"account_id": HARBOR, "mode": "invoices", "allocations": [{"invoice_id": HARBOR_PENDING, "amount": 43500}]}

    hidden = await pay(client, ops, body)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "invoice_not_found"

    await client.patch("/api/admin/settings", json={"show_pending_invoices": True}, headers=admin)
    answer = await pay_ok(client, ops, body)
    assert answer["status"] == "succeeded"
    assert (await admin_row(client, admin, "invoices", HARBOR_PENDING))["status"] == "paid"


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 32501}]}, 409, "over_balance"),
        ({"mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 0}]}, 422, "invalid_amount"),
        ({"mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": -100}]}, 422, "invalid_amount"),
        ({"mode": "invoices", "allocations": []}, 422, "no_allocations"),
        ({"mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 100}] * 2}, 422, "duplicate_invoice"),
        ({"mode": "invoices", "allocations": [{"invoice_id": AVA_PAID, "amount": 100}]}, 409, "over_balance"),
        ({"mode": "custom", "amount": 0}, 422, "invalid_amount"),
        ({"mode": "custom", "amount": -5}, 422, "invalid_amount"),
        ({"mode": "custom", "amount": 32501}, 409, "over_balance"),
        ({"mode": "custom"}, 422, "invalid_amount"),
        # another account's invoice, even one of the same person, and another business's
        ({"mode": "invoices", "allocations": [{"invoice_id": BIZ_OPEN, "amount": 100}]}, 404, "invoice_not_found"),
        (
            {"mode": "invoices", "allocations": [{"invoice_id": HARBOR_OVERDUE, "amount": 100}]},
            404,
            "invoice_not_found",
        ),
        ({"mode": "invoices", "allocations": [{"invoice_id": ACME_OPEN, "amount": 100}]}, 404, "invoice_not_found"),
        (
            {"mode": "invoices", "allocations": [{"invoice_id": str(uuid.uuid4()), "amount": 100}]},
            404,
            "invoice_not_found",
        ),
    ],
    ids=[
        "over-balance",
        "zero",
        "negative",
        "no-invoices",
        "twice",
        "paid-invoice",
        "custom-zero",
        "custom-negative",
        "custom-over",
        "custom-no-amount",
        "own-other-account",
        "other-customer",
        "other-tenant",
        "unknown",
    ],
)
async def test_refused_payments_charge_nothing(client, ava, admin, localstripe_url, body, status, code):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)

    response = await pay(client, ava, {"account_id": AVA_ACCOUNT, **body})

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT)) == []
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500
    payments = (await client.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)).json()
    assert len(payments["items"]) == 1  # the seeded one only


async def test_requests_that_cannot_be_payments(client, ava, gate, admin, localstripe_url):
    body = {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 100}]}
    no_key = await client.post("/api/payments", json=body, headers=ava)
    assert no_key.status_code == 400 and no_key.json()["error"]["code"] == "idempotency_key_required"
    no_method = await pay(client, ava, body)
    assert no_method.status_code == 422 and no_method.json()["error"]["code"] == "no_payment_method"
    foreign_account = await pay(client, ava, {**body, "account_id": HARBOR})
    assert foreign_account.status_code == 404
    site_contact = await pay(client, gate, {**body, "account_id": HARBOR})
    assert site_contact.status_code == 403
    staff = await pay(client, admin, body)
    assert staff.status_code == 403
    view = (await client.post(f"/api/admin/accounts/{AVA_ACCOUNT}/portal-view", headers=admin)).json()
    read_only = await pay(client, {"Authorization": f"Bearer {view['session_token']}"}, body)
    assert read_only.status_code == 403 and read_only.json()["error"]["code"] == "read_only"


async def test_switched_off_payments_and_invoices_closed_to_online_payment(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    body = {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 100}]}

    await client.patch(f"/api/admin/invoices/{AVA_OPEN}", json={"allow_online_payment": False}, headers=admin)
    closed = await pay(client, ava, body)
    assert closed.status_code == 422 and closed.json()["error"]["code"] == "online_payment_not_allowed"
    custom = await pay(client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 100})
    assert custom.status_code == 409 and custom.json()["error"]["code"] == "over_balance"

    await client.patch("/api/admin/settings", json={"features": {"invoice_payment": False}}, headers=admin)
    off = await pay(client, ava, body)
    assert off.status_code == 403 and off.json()["error"]["code"] == "feature_disabled"
    assert intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT)) == []


async def test_a_declined_card_fails_with_the_reason_and_leaves_the_invoice_open(client, ava, admin, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_DECLINED_AT_CHARGE)

    answer = await pay_ok(
        client,
        ava,
        {
            "account_id": AVA_ACCOUNT,
            "mode": "invoices",
            "payment_method_id": card["id"],
            "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}],
        },
    )

    assert answer["status"] == "failed"
    assert answer["error"]["code"] == "card_declined"
    assert answer["error"]["message"] == "Your card was declined."
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert (payment["status"], payment["failure_reason"]) == ("failed", "Your card was declined.")
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (32500, "open")
    # the webhook's payment_failed for it changes nothing more
    event = event_for(localstripe_url, "payment_intent.payment_failed", payment["stripe_payment_intent_id"])
    assert (await deliver(client, event)).status_code == 200
    assert (await admin_row(client, admin, "payments", payment["id"]))["version"] == payment["version"]


async def test_3d_secure_needs_the_customer_then_the_webhook_settles(client, ava, admin, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    body = {
        "account_id": AVA_ACCOUNT,
        "mode": "invoices",
        "payment_method_id": card["id"],
        "allocations": [{"invoice_id": AVA_OPEN, "amount": 20000}],
    }
    key = str(uuid.uuid4())

    answer = await pay_ok(client, ava, body, key)

    assert answer["status"] == "requires_action"
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["status"] == "pending"
    assert answer["client_secret"].startswith(payment["stripe_payment_intent_id"] + "_secret_")
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500
    # the PWA runs confirmCardPayment; Stripe then tells the server by webhook
    assert authenticate_payment(localstripe_url, answer["client_secret"]) == "succeeded"
    event = event_for(localstripe_url, "payment_intent.succeeded", payment["stripe_payment_intent_id"])
    response = await deliver(client, event)
    assert response.status_code == 200 and response.json() == {"received": True}

    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["status"] == "succeeded"
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (12500, "open")
    # asking again with the same key tells the settled outcome, and charges nothing more
    again = await pay_ok(client, ava, body, key)
    assert (again["payment_id"], again["status"]) == (answer["payment_id"], "succeeded")
    assert "client_secret" not in again
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1


async def test_failed_3d_secure_fails_the_payment(client, ava, admin, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    answer = await pay_ok(
        client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 5000, "payment_method_id": card["id"]}
    )
    assert answer["status"] == "requires_action"

    authenticate_payment(localstripe_url, answer["client_secret"], success=False)
    # no webhook needed: the PWA asks for the payment's status, which checks with Stripe
    status = (await client.get(f"/api/payments/{answer['payment_id']}", headers=ava)).json()

    assert status["status"] == "failed"
    assert (await admin_row(client, admin, "payments", answer["payment_id"]))["status"] == "failed"
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500


async def test_a_payment_status_is_private_to_its_account(client, ava, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    answer = await pay_ok(client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 100})
    ops = await login(client, OPS)

    assert (await client.get(f"/api/payments/{answer['payment_id']}", headers=ava)).json()["status"] == "succeeded"
    assert (await client.get(f"/api/payments/{answer['payment_id']}", headers=ops)).status_code == 404


async def test_ava_pays_her_business_account_separately(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_BIZ, localstripe_url)
    # her residential account has no saved method
    refused = await pay(client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 100})
    assert refused.json()["error"]["code"] == "no_payment_method"
    answer = await pay_ok(client, ava, {"account_id": AVA_BIZ, "mode": "custom", "amount": 39500})
    assert answer["status"] == "succeeded"
    assert (await admin_row(client, admin, "invoices", BIZ_OPEN))["status"] == "paid"
