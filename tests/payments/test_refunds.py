"""Refunds: the office console refunds a succeeded payment in full through Stripe, or Stripe's dashboard
does and says so with ``charge.refunded``. Either way each allocation goes back on its invoice to the
cent (a paid invoice is open again), the payment is ``refunded`` once, the customer is told, and sync
carries it. localstripe ignores Stripe's idempotency keys, so every extra refund would show in its
list of refunds: these tests count them."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from typing import Any

import httpx

from haulport_dev.localstripe_runner import SECRET_KEY
from server.billing.gateway import GatewayError, StripeGateway
from tests.documents.test_document_routes import pdf_text
from tests.payments.stripe_flows import (
    AVA_ACCOUNT,
    AVA_OPEN,
    AVA_PAID,
    HARBOR,
    HARBOR_OVERDUE,
    HARBOR_PARTIAL,
    admin_row,
    deliver,
    pay_ok,
    save_card,
)
from tests.support.localstripe_server import CARD_3DS, CARD_DECLINED_AT_CHARGE, authenticate_payment, sdk_client
from tests.support.portal import ADMIN, AVA, DRIVER, OFFICE, OPS, effects_done, login, new_client_id, pull_all

SEEDED_PAYMENT = "PAY-1001"  # recorded without Stripe (demo data)


async def refund(client, headers, payment_id: str):
    return await client.post(f"/api/admin/payments/{payment_id}/refund", headers=headers)


async def refund_ok(client, headers, payment_id: str) -> dict[str, Any]:
    response = await refund(client, headers, payment_id)
    assert response.status_code == 200, response.text
    return response.json()


def stripe_refunds(base_url: str, payment_intent_id: str) -> list[Any]:
    """The refunds localstripe holds for a PaymentIntent (the SDK's Refund.list)."""
    return sdk_client(base_url).v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100}).data


def charge_of(base_url: str, payment_intent_id: str) -> dict[str, Any]:
    """The intent's charge as Stripe's JSON (what a ``charge.*`` event carries)."""
    intent = sdk_client(base_url).v1.payment_intents.retrieve(payment_intent_id)
    charge_id = intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    request = urllib.request.Request(
        f"{base_url}/v1/charges/{charge_id}", headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def charge_refunded_event(charge: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """A ``charge.refunded`` event as Stripe POSTs it (localstripe emits none)."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": "charge.refunded",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": charge},
    }


async def paid_in_full(client, ava, localstripe_url) -> dict[str, Any]:
    """Ava pays INV-1001 (325.00) in full by card; the answer."""
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
    assert answer["status"] == "succeeded"
    return answer


def notifications(rows: dict, kind: str) -> list[dict[str, Any]]:
    return [r for (entity, _), r in rows.items() if entity == "notification" and r["kind"] == kind]


async def test_refunding_a_single_invoice_payment_reopens_the_invoice(client, ava, admin, localstripe_url, tmp_path):
    answer = await paid_in_full(client, ava, localstripe_url)
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["status"] == "paid"
    client_id = new_client_id()
    before, _ = await pull_all(client, ava, client_id)

    payment = await refund_ok(client, admin, answer["payment_id"])

    assert payment["id"] == answer["payment_id"]
    assert payment["status"] == "refunded" and payment["refunded_at"]
    assert payment["allocations"] == [{"invoice_id": AVA_OPEN, "amount": 32500}]  # what it had paid, kept
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (32500, "open")
    [made] = stripe_refunds(localstripe_url, payment["stripe_payment_intent_id"])
    assert (made.id, made.amount, made.status) == (payment["stripe_refund_id"], 32500, "succeeded")
    assert made.metadata.to_dict()["payment_id"] == payment["id"]
    # a client that had synced before learns it from its cursor: the payment refunded, the balance back
    _, rows = await pull_all(client, ava, client_id, before["cursor"])
    assert rows[("payment", payment["id"])]["status"] == "refunded"
    assert "stripe_refund_id" not in rows[("payment", payment["id"])]
    assert "stripe_payment_intent_id" not in rows[("payment", payment["id"])]
    assert (rows[("invoice", AVA_OPEN)]["balance"], rows[("invoice", AVA_OPEN)]["status"]) == (32500, "open")
    [notice] = notifications(rows, "payment_refunded")
    assert payment["number"] in notice["title"] and "$325.00" in notice["title"]
    assert "Visa •••• 4242" in notice["body"] and "INV-1001 is open again" in notice["body"]
    assert notice["link"] == "/invoices?tab=payments"
    await effects_done(client)  # the email is an effect, sent after the commit
    outbox = (await client.get("/api/dev/outbox", params={"to": AVA})).json()["messages"]
    assert any(f"Payment {payment['number']} refunded" in m["subject"] for m in outbox)
    # the receipt says it was refunded
    receipt = await client.get(f"/api/documents/payments/{payment['id']}/receipt.pdf", headers=ava)
    assert receipt.status_code == 200
    text = pdf_text(receipt.content, tmp_path)
    assert "REFUNDED" in text and "This payment was refunded in full" in text and "Refunded on" in text


async def test_refunding_a_payment_of_several_invoices_puts_each_amount_back(client, admin, localstripe_url):
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
    assert (await admin_row(client, admin, "invoices", HARBOR_OVERDUE))["status"] == "paid"
    assert (await admin_row(client, admin, "invoices", HARBOR_PARTIAL))["balance"] == 24000 - 10001

    payment = await refund_ok(client, admin, answer["payment_id"])

    assert payment["status"] == "refunded"
    overdue = await admin_row(client, admin, "invoices", HARBOR_OVERDUE)
    partial = await admin_row(client, admin, "invoices", HARBOR_PARTIAL)
    assert (overdue["balance"], overdue["status"]) == (80800, "open")
    assert (partial["balance"], partial["status"]) == (24000, "open")
    assert [(r.amount, r.status) for r in stripe_refunds(localstripe_url, payment["stripe_payment_intent_id"])] == [
        (90801, "succeeded")
    ]
    _, rows = await pull_all(client, ops, new_client_id())
    [notice] = notifications(rows, "payment_refunded")
    assert "INV-1002, INV-1003 are open again" in notice["body"]


async def test_refunding_twice_refunds_once(client, ava, admin, localstripe_url):
    answer = await paid_in_full(client, ava, localstripe_url)
    first = await refund_ok(client, admin, answer["payment_id"])
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)

    office = await login(client, OFFICE)
    second = await refund_ok(client, office, answer["payment_id"])

    assert second == first  # same row, same version: nothing changed
    assert await admin_row(client, admin, "invoices", AVA_OPEN) == invoice
    assert len(stripe_refunds(localstripe_url, first["stripe_payment_intent_id"])) == 1
    _, rows = await pull_all(client, ava, new_client_id())
    assert len(notifications(rows, "payment_refunded")) == 1


async def test_concurrent_double_clicks_refund_once(live_server, localstripe_url, monkeypatch):
    unhurried = StripeGateway.refund

    def slow_stripe(self, *args, **kwargs):  # every request is in flight before Stripe answers any
        time.sleep(0.5)
        return unhurried(self, *args, **kwargs)

    monkeypatch.setattr(StripeGateway, "refund", slow_stripe)
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        ava = await login(http, AVA)
        admin = await login(http, ADMIN)
        answer = await paid_in_full(http, ava, localstripe_url)
        invoice = await admin_row(http, admin, "invoices", AVA_OPEN)
        payment = await admin_row(http, admin, "payments", answer["payment_id"])

        responses = await asyncio.gather(*(refund(http, admin, answer["payment_id"]) for _ in range(6)))

        assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
        assert {r.json()["status"] for r in responses} == {"refunded"}
        assert {r.json()["version"] for r in responses} == {payment["version"] + 1}
        assert len(stripe_refunds(localstripe_url, payment["stripe_payment_intent_id"])) == 1
        after = await admin_row(http, admin, "invoices", AVA_OPEN)
        assert (after["balance"], after["status"], after["version"]) == (32500, "open", invoice["version"] + 1)
        _, rows = await pull_all(http, ava, new_client_id())
        assert len(notifications(rows, "payment_refunded")) == 1


async def test_only_succeeded_stripe_payments_can_be_refunded(client, ava, admin, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    pending = await pay_ok(
        client,
        ava,
        {
            "account_id": AVA_ACCOUNT,
            "mode": "invoices",
            "payment_method_id": card["id"],
            "allocations": [{"invoice_id": AVA_OPEN, "amount": 10000}],
        },
    )
    assert pending["status"] == "requires_action"
    declining = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_DECLINED_AT_CHARGE)
    failed = await pay_ok(
        client,
        ava,
        {
            "account_id": AVA_ACCOUNT,
            "mode": "invoices",
            "payment_method_id": declining["id"],
            "allocations": [{"invoice_id": AVA_OPEN, "amount": 10000}],
        },
    )
    assert failed["status"] == "failed"
    seeded = (await client.get("/api/admin/payments", params={"number": SEEDED_PAYMENT}, headers=admin)).json()
    [seeded] = seeded["items"]

    for payment_id, status, code in (
        (pending["payment_id"], 409, "payment_not_refundable"),
        (failed["payment_id"], 409, "payment_not_refundable"),
        (seeded["id"], 422, "not_a_stripe_payment"),
        (str(uuid.uuid4()), 404, "not_found"),
        ("no such payment", 404, "not_found"),
    ):
        response = await refund(client, admin, payment_id)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code and error["message"]

    assert (await admin_row(client, admin, "payments", pending["payment_id"]))["status"] == "pending"
    assert (await admin_row(client, admin, "payments", failed["payment_id"]))["status"] == "failed"
    assert (await admin_row(client, admin, "payments", seeded["id"]))["status"] == "succeeded"
    assert (await admin_row(client, admin, "invoices", AVA_PAID))["status"] == "paid"
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500
    assert sdk_client(localstripe_url).v1.refunds.list(params={"limit": 100}).data == []


async def test_customers_drivers_and_read_only_views_cannot_refund(client, ava, admin, localstripe_url):
    answer = await paid_in_full(client, ava, localstripe_url)
    view = (await client.post(f"/api/admin/accounts/{AVA_ACCOUNT}/portal-view", headers=admin)).json()
    read_only = {"Authorization": f"Bearer {view['session_token']}"}
    driver = await login(client, DRIVER)

    for headers, code in ((ava, "forbidden"), (read_only, "read_only"), (driver, "forbidden")):
        response = await refund(client, headers, answer["payment_id"])
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == code
    response = await client.post(f"/api/admin/payments/{answer['payment_id']}/refund")
    assert response.status_code == 401

    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["status"] == "succeeded"
    assert stripe_refunds(localstripe_url, payment["stripe_payment_intent_id"]) == []
    # payments stay read-only in the office API otherwise
    response = await client.patch(f"/api/admin/payments/{payment['id']}", json={"status": "refunded"}, headers=admin)
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")
    response = await client.post("/api/admin/payments", json={"account_id": AVA_ACCOUNT, "amount": 1}, headers=admin)
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")
    assert (await admin_row(client, admin, "payments", payment["id"]))["status"] == "succeeded"


async def test_a_refusal_from_stripe_is_shown_and_changes_nothing(client, ava, admin, localstripe_url, monkeypatch):
    answer = await paid_in_full(client, ava, localstripe_url)
    gateway = client.app.state.stripe._gateway

    def refused(*args, **kwargs):
        raise GatewayError("charge_disputed", "This charge is disputed and cannot be refunded.")

    def unreachable(*args, **kwargs):
        raise GatewayError("stripe_unavailable", "Stripe could not be reached; try again.")

    monkeypatch.setattr(gateway, "refund", refused)
    response = await refund(client, admin, answer["payment_id"])
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "charge_disputed",
        "details": {},
        "message": "This charge is disputed and cannot be refunded.",
    }
    monkeypatch.setattr(gateway, "refund", unreachable)
    response = await refund(client, admin, answer["payment_id"])
    assert (response.status_code, response.json()["error"]["code"]) == (503, "payment_gateway_unavailable")
    assert response.headers["retry-after"]
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["status"] == "succeeded"
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["status"] == "paid"

    monkeypatch.undo()  # the failed attempts let go of the refund: trying again works
    assert (await refund_ok(client, admin, answer["payment_id"]))["status"] == "refunded"
    assert len(stripe_refunds(localstripe_url, payment["stripe_payment_intent_id"])) == 1


async def test_a_refund_made_in_stripes_dashboard_is_recorded_once(client, ava, admin, localstripe_url):
    answer = await paid_in_full(client, ava, localstripe_url)
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    intent_id = payment["stripe_payment_intent_id"]
    made = sdk_client(localstripe_url).v1.refunds.create(params={"payment_intent": intent_id})  # the dashboard
    charge = charge_of(localstripe_url, intent_id)
    assert (charge["amount_refunded"], charge["refunded"]) == (32500, True)
    event = charge_refunded_event(charge)
    page, _ = await pull_all(client, ava, new_client_id())

    response = await deliver(client, event)

    assert (response.status_code, response.json()) == (200, {"received": True})
    refunded = await admin_row(client, admin, "payments", payment["id"])
    assert (refunded["status"], refunded["stripe_refund_id"]) == ("refunded", made.id)
    assert refunded["version"] == payment["version"] + 1
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (32500, "open")
    _, rows = await pull_all(client, ava, new_client_id(), page["cursor"])
    assert rows[("payment", payment["id"])]["status"] == "refunded"
    assert rows[("invoice", AVA_OPEN)]["balance"] == 32500
    assert len(notifications(rows, "payment_refunded")) == 1

    # replayed, or the same news under another event id, or the office pressing Refund afterwards: nothing
    assert (await deliver(client, event)).json() == {"received": True, "duplicate": True}
    assert (await deliver(client, charge_refunded_event(charge))).json() == {"received": True}
    assert (await refund_ok(client, admin, payment["id"])) == refunded
    assert await admin_row(client, admin, "invoices", AVA_OPEN) == invoice
    assert len(stripe_refunds(localstripe_url, intent_id)) == 1
    after = (
        await client.get("/api/sync/pull", params={"client_id": new_client_id(), "cursor": page["cursor"]}, headers=ava)
    ).json()
    assert len([c for c in after["changes"] if c["entity"] == "notification"]) == 1


async def test_the_webhook_after_an_office_refund_changes_nothing(client, ava, admin, localstripe_url):
    answer = await paid_in_full(client, ava, localstripe_url)
    refunded = await refund_ok(client, admin, answer["payment_id"])
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)

    # real Stripe follows the office's refund with charge.refunded
    response = await deliver(
        client, charge_refunded_event(charge_of(localstripe_url, refunded["stripe_payment_intent_id"]))
    )

    assert response.json() == {"received": True}
    assert await admin_row(client, admin, "payments", refunded["id"]) == refunded
    assert await admin_row(client, admin, "invoices", AVA_OPEN) == invoice
    _, rows = await pull_all(client, ava, new_client_id())
    assert len(notifications(rows, "payment_refunded")) == 1


async def test_a_partial_dashboard_refund_changes_nothing_until_the_rest_follows(client, ava, admin, localstripe_url):
    answer = await paid_in_full(client, ava, localstripe_url)
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    intent_id = payment["stripe_payment_intent_id"]
    stripe = sdk_client(localstripe_url)
    stripe.v1.refunds.create(params={"payment_intent": intent_id, "amount": 5000})

    assert (await deliver(client, charge_refunded_event(charge_of(localstripe_url, intent_id)))).json() == {
        "received": True
    }
    assert await admin_row(client, admin, "payments", payment["id"]) == payment
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["status"] == "paid"

    # the office refunds it from the console: only what is left goes back, and the books are whole again
    refunded = await refund_ok(client, admin, payment["id"])
    assert refunded["status"] == "refunded"
    assert sorted(r.amount for r in stripe_refunds(localstripe_url, intent_id)) == [5000, 27500]
    assert (await admin_row(client, admin, "invoices", AVA_OPEN))["balance"] == 32500


async def test_a_refunded_charge_we_had_not_settled_yet_ends_refunded(client, ava, admin, localstripe_url):
    # 3-D Secure completed at Stripe, but its payment_intent.succeeded event has not reached us yet
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
    assert payment["status"] == "pending"
    sdk_client(localstripe_url).v1.refunds.create(params={"payment_intent": payment["stripe_payment_intent_id"]})

    await deliver(client, charge_refunded_event(charge_of(localstripe_url, payment["stripe_payment_intent_id"])))

    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert (payment["status"], bool(payment["paid_at"]), bool(payment["refunded_at"])) == ("refunded", True, True)
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (32500, "open")
    _, rows = await pull_all(client, ava, new_client_id())
    assert len(notifications(rows, "payment_refunded")) == 1
    assert not [n for n in notifications(rows, "payment_received") if payment["number"] in n["title"]]


async def test_charge_refunded_events_about_strangers_are_acknowledged(client):
    for obj in (
        {
            "id": "ch_x",
            "object": "charge",
            "amount": 100,
            "amount_refunded": 100,
            "refunded": True,
            "payment_intent": "pi_not_ours",
            "metadata": {},
        },
        {"id": "ch_y", "object": "charge", "amount": 100, "amount_refunded": 100, "payment_intent": None},
        {"id": "ch_z", "object": "charge", "payment_intent": 7, "metadata": "odd"},
        {"id": "ch_w", "object": "charge", "payment_intent": "pi_not_ours", "metadata": "odd"},
    ):
        response = await deliver(client, charge_refunded_event(obj))
        assert (response.status_code, response.json()) == (200, {"received": True})
