"""Bank accounts (``stripe_bank_method = "sepa_debit"``, what localstripe can emulate): saved through a
SetupIntent, listed, made the default, and charged. A debit comes back ``processing``: the payment is
``pending`` and its amount reserved on the invoices, until Stripe's webhook (delivered and signed by
localstripe itself) settles it — once. Balances are checked to the cent.

The demo tenant bills in USD; SEPA debits collect euros, so this module switches it to EUR."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from haulport_dev.localstripe_runner import IBAN_FAILS, register_webhook
from server.app import create_app
from tests.payments.stripe_flows import (
    AVA_ACCOUNT,
    AVA_OPEN,
    AVA_RENTAL,
    HARBOR,
    HARBOR_OVERDUE,
    HARBOR_PARTIAL,
    admin_row,
    customer_of,
    deliver,
    event_for,
    intents_of,
    pay,
    pay_ok,
    save_bank,
    save_card,
    set_currency,
)
from tests.support.localstripe_server import WEBHOOK_SECRET, sdk_client
from tests.support.portal import ADMIN, AVA, OPS, effects_done, login, new_client_id, pull_all, push

FULL = {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}]}
INSUFFICIENT = "The customer's account has insufficient funds to cover this payment."


@pytest.fixture
def database_url(database_url):
    """The seeded database, its demo tenant billing in euros."""
    asyncio.run(set_currency(database_url, "EUR"))
    return database_url


@pytest.fixture
async def hooked(live_server, localstripe_url):
    """The live server, with localstripe posting its (signed) events to the server's webhook."""
    hook = f"{live_server}/api/stripe/webhook"
    register_webhook(localstripe_url, hook, WEBHOOK_SECRET, webhook_id="haulport-bank-tests")
    try:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            yield http
    finally:
        register_webhook(localstripe_url, hook, WEBHOOK_SECRET, webhook_id="haulport-bank-tests", events=[])


@pytest.fixture
def intent_params(client, monkeypatch) -> list[dict]:
    """The parameters of every PaymentIntent the app creates (localstripe does not keep
    ``payment_method_types``, so it is read on the way out)."""
    service = client.app.state.stripe._gateway._client.v1.payment_intents
    real, seen = service.create, []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("params"))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "create", spy)
    return seen


async def _settled(http, admin, payment_id: str, timeout: float = 20) -> dict:
    """The payment once the webhook has moved it out of ``pending``."""
    deadline = time.monotonic() + timeout  # the debit clears ~1 s after the charge, its event ~1 s later
    while (payment := await admin_row(http, admin, "payments", payment_id))["status"] == "pending":
        assert time.monotonic() < deadline, "no webhook settled the payment"
        await asyncio.sleep(0.2)
    return payment


async def _outbox(http, to: str, text: str) -> list[dict]:
    messages = (await http.get("/api/dev/outbox", params={"to": to})).json()["messages"]
    return [m for m in messages if text in m["subject"]]


def _notifications(rows: dict, kind: str, text: str) -> list[dict]:
    return [
        r for (entity, _), r in rows.items() if entity == "notification" and r["kind"] == kind and text in r["title"]
    ]


async def test_a_bank_account_is_saved_listed_and_made_the_default(client, ava, localstripe_url):
    config = (await client.get("/api/payments/config", headers=ava)).json()
    assert config["bank_method"] == "sepa_debit"
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)

    bank = await save_bank(client, ava, AVA_ACCOUNT, localstripe_url)

    assert {
        k: bank[k] for k in ("kind", "brand", "country", "last4", "exp_month", "exp_year", "expiry", "default")
    } == {
        "kind": "bank",
        "brand": "",
        "country": "DE",
        "last4": "3000",
        "exp_month": None,
        "exp_year": None,
        "expiry": None,
        "default": False,
    }  # a card was saved first and stays the default
    assert "stripe_payment_method_id" not in bank
    # set up as a SEPA debit only, and attached to the account's own Stripe customer
    stripe = sdk_client(localstripe_url).v1
    customer = customer_of(localstripe_url, AVA_ACCOUNT)
    [setup] = [
        i
        for i in stripe.setup_intents.list(params={"limit": 100}).data
        if i.customer == customer and i.payment_method_types == ["sepa_debit"]
    ]
    method = stripe.payment_methods.retrieve(setup.payment_method)
    assert (method.type, method.customer, method.sepa_debit.last4) == ("sepa_debit", customer, "3000")
    assert method.billing_details.name == "Ava Reed"

    response = await client.post(f"/api/payments/methods/{bank['id']}/default", headers=ava)
    assert response.status_code == 200 and response.json()["default"] is True
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert [(m["id"], m["kind"], m["default"]) for m in listed["methods"]] == [
        (card["id"], "card", False),
        (bank["id"], "bank", True),
    ]
    # the synced copy carries the country, never the Stripe id
    _, rows = await pull_all(client, ava, new_client_id())
    row = rows[("payment_method", bank["id"])]
    assert (row["kind"], row["country"], row["last4"]) == ("bank", "DE", "3000")
    assert "stripe_payment_method_id" not in row


async def test_a_bank_account_the_office_attached_in_stripe_is_picked_up(client, ava, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)  # the account has its Stripe customer now
    stripe = sdk_client(localstripe_url).v1
    customer = customer_of(localstripe_url, AVA_ACCOUNT)
    method = stripe.payment_methods.create(
        params={"type": "sepa_debit", "sepa_debit": {"iban": "FR1420041010050500013M02606"}}
    )
    stripe.payment_methods.attach(method.id, params={"customer": customer})
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "payment_method.attached",
        "data": {"object": {"id": method.id, "object": "payment_method", "type": "sepa_debit", "customer": customer}},
    }

    for _ in range(2):  # Stripe may say it twice
        assert (await deliver(client, event)).status_code == 200

    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    [bank] = [m for m in listed["methods"] if m["kind"] == "bank"]
    assert (bank["country"], bank["last4"], bank["default"]) == ("FR", "2606", False)
    answer = await pay_ok(client, ava, {**FULL, "payment_method_id": bank["id"]})
    assert answer["status"] == "processing"
    # a method attached to someone else's customer is not taken
    other = stripe.customers.create(params={"name": "Someone else"})
    foreign = stripe.payment_methods.create(params={"type": "sepa_debit", "sepa_debit": {"iban": IBAN_FAILS}})
    stripe.payment_methods.attach(foreign.id, params={"customer": other.id})
    await deliver(
        client,
        {
            **event,
            "id": "evt_foreign",
            "data": {
                "object": {"id": foreign.id, "object": "payment_method", "type": "sepa_debit", "customer": customer}
            },
        },
    )
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert len(listed["methods"]) == 2


async def test_a_bank_debit_in_progress_reserves_its_amount(client, ava, admin, localstripe_url, intent_params):
    bank = await save_bank(client, ava, AVA_ACCOUNT, localstripe_url)
    key = str(uuid.uuid4())
    body = {**FULL, "allocations": [{"invoice_id": AVA_OPEN, "amount": 30000}], "payment_method_id": bank["id"]}

    answer = await pay_ok(client, ava, body, key)

    assert answer["status"] == "processing" and "client_secret" not in answer
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert (payment["status"], payment["method"], payment["amount"], payment["reference"]) == (
        "pending",
        "bank",
        30000,
        "Bank DE •••• 3000",
    )
    [intent] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert (intent.id, intent.amount, intent.currency) == (payment["stripe_payment_intent_id"], 30000, "eur")
    [params] = intent_params
    assert (params["payment_method_types"], params["confirm"]) == (["sepa_debit"], True)
    assert params["metadata"]["payment_id"] == payment["id"]
    # the books still say what was received...
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (32500, "open")
    # ...but the amount on its way cannot be paid a second time
    over = await pay(client, ava, {**FULL, "allocations": [{"invoice_id": AVA_OPEN, "amount": 2501}]})
    assert over.status_code == 409
    assert over.json()["error"]["code"] == "over_balance"
    assert over.json()["error"]["details"] == {"invoice_id": AVA_OPEN, "open": 2500, "reserved": 30000}
    custom = await pay(client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 2501})
    assert custom.json()["error"]["details"] == {"open_balance": 2500}
    # the same key is the same payment: one debit, whatever the retries
    again = await pay_ok(client, ava, body, key)
    assert (again["payment_id"], again["status"]) == (answer["payment_id"], "processing")
    assert len(intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))) == 1
    # what is left can be paid (here by card)
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    rest = await pay_ok(
        client, ava, {"account_id": AVA_ACCOUNT, "mode": "custom", "amount": 2500, "payment_method_id": card["id"]}
    )
    assert rest["status"] == "succeeded"
    assert rest["allocations"] == [{"invoice_id": AVA_OPEN, "amount": 2500}]
    whole = await pay(client, ava, {**FULL, "allocations": [{"invoice_id": AVA_OPEN, "amount": 1}]})
    assert whole.json()["error"]["code"] == "payment_processing"


async def test_paying_an_invoice_by_bank_settles_when_the_webhook_says_so(hooked, localstripe_url):
    http = hooked
    ava, admin = await login(http, AVA), await login(http, ADMIN)
    bank = await save_bank(http, ava, AVA_ACCOUNT, localstripe_url)

    answer = await pay_ok(http, ava, {**FULL, "payment_method_id": bank["id"]})

    assert answer["status"] == "processing"
    assert (await admin_row(http, admin, "payments", answer["payment_id"]))["status"] == "pending"
    assert (await admin_row(http, admin, "invoices", AVA_OPEN))["balance"] == 32500
    payment = await _settled(http, admin, answer["payment_id"])
    assert payment["status"] == "succeeded" and payment["paid_at"]
    assert payment["allocations"] == [{"invoice_id": AVA_OPEN, "amount": 32500}]
    invoice = await admin_row(http, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (0, "paid")
    status = (await http.get(f"/api/payments/{payment['id']}", headers=ava)).json()
    assert status["status"] == "succeeded"
    # one receipt: in the bell and in the mailbox
    _, rows = await pull_all(http, ava, new_client_id())
    assert len(_notifications(rows, "payment_received", payment["number"])) == 1
    assert len(await _outbox(http, "ava@example.com", payment["number"])) == 1

    # Stripe repeating itself changes nothing: the same event, or the same outcome as a new event
    event = event_for(localstripe_url, "payment_intent.succeeded", payment["stripe_payment_intent_id"])
    assert (await deliver(http, event)).json() == {"received": True, "duplicate": True}
    assert (await deliver(http, {**event, "id": event["id"] + "-again"})).json() == {"received": True}
    assert await admin_row(http, admin, "payments", payment["id"]) == payment
    assert await admin_row(http, admin, "invoices", AVA_OPEN) == invoice
    _, rows = await pull_all(http, ava, new_client_id())
    assert len(_notifications(rows, "payment_received", payment["number"])) == 1
    assert len(await _outbox(http, "ava@example.com", payment["number"])) == 1


async def test_one_bank_debit_pays_several_invoices(hooked, localstripe_url):
    http = hooked
    ops, admin = await login(http, OPS), await login(http, ADMIN)
    await save_bank(http, ops, HARBOR, localstripe_url, default=True)

    answer = await pay_ok(
        http,
        ops,
        {
            "account_id": HARBOR,
            "mode": "invoices",
            "allocations": [
                {"invoice_id": HARBOR_OVERDUE, "amount": 80800},
                {"invoice_id": HARBOR_PARTIAL, "amount": 10001},
            ],
        },
    )

    assert (answer["status"], answer["amount"]) == ("processing", 90801)
    payment = await _settled(http, admin, answer["payment_id"])
    assert payment["status"] == "succeeded"
    overdue = await admin_row(http, admin, "invoices", HARBOR_OVERDUE)
    partial = await admin_row(http, admin, "invoices", HARBOR_PARTIAL)
    assert (overdue["balance"], overdue["status"]) == (0, "paid")
    assert (partial["balance"], partial["status"]) == (24000 - 10001, "open")
    intents = intents_of(localstripe_url, customer_of(localstripe_url, HARBOR))
    assert [(i.amount, i.status) for i in intents] == [(90801, "succeeded")]
    assert len(await _outbox(http, "ops@harbor.example", payment["number"])) == 1


async def test_a_failed_debit_gives_the_invoice_back_and_tells_the_customer(hooked, localstripe_url):
    http = hooked
    ava, admin = await login(http, AVA), await login(http, ADMIN)
    bank = await save_bank(http, ava, AVA_ACCOUNT, localstripe_url, IBAN_FAILS)

    answer = await pay_ok(http, ava, {**FULL, "payment_method_id": bank["id"]})

    assert answer["status"] == "processing"  # the bank says no only later
    payment = await _settled(http, admin, answer["payment_id"])
    assert (payment["status"], payment["failure_reason"]) == ("failed", INSUFFICIENT)
    invoice = await admin_row(http, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (32500, "open")
    status = (await http.get(f"/api/payments/{payment['id']}", headers=ava)).json()
    assert (status["status"], status["error"]["message"]) == ("failed", INSUFFICIENT)
    # told once, in the bell and by email
    _, rows = await pull_all(http, ava, new_client_id())
    [notice] = _notifications(rows, "payment_failed", payment["number"])
    assert INSUFFICIENT.rstrip(".") in notice["body"] and "INV-1001 is still open" in notice["body"]
    assert len(await _outbox(http, "ava@example.com", f"{payment['number']} failed")) == 1
    assert _notifications(rows, "payment_received", payment["number"]) == []
    # a replayed failure changes nothing
    event = event_for(localstripe_url, "payment_intent.payment_failed", payment["stripe_payment_intent_id"])
    assert (await deliver(http, event)).json() == {"received": True, "duplicate": True}
    assert (await deliver(http, {**event, "id": event["id"] + "-again"})).json() == {"received": True}
    assert await admin_row(http, admin, "payments", payment["id"]) == payment
    assert len(await _outbox(http, "ava@example.com", f"{payment['number']} failed")) == 1
    # and the whole balance is payable again
    await save_card(http, ava, AVA_ACCOUNT, localstripe_url)
    card = [
        m
        for m in (await http.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()[
            "methods"
        ]
        if m["kind"] == "card"
    ][0]
    retry = await pay_ok(http, ava, {**FULL, "payment_method_id": card["id"]})
    assert retry["status"] == "succeeded"
    assert (await admin_row(http, admin, "invoices", AVA_OPEN))["status"] == "paid"


async def test_a_rental_extension_can_be_debited_from_the_default_bank_account(hooked, localstripe_url):
    http = hooked
    ava, admin = await login(http, AVA), await login(http, ADMIN)
    await save_bank(http, ava, AVA_ACCOUNT, localstripe_url)  # the first method: the default

    result = await push(http, ava, new_client_id(), (1, "rental.extend", {"rental_id": AVA_RENTAL, "days": 2}))

    assert result["results"][0]["status"] == "applied", result
    rental = await _extension_settled(http, admin)
    [extension] = rental["extensions"]
    assert extension["status"] == "paid"
    payment = await admin_row(http, admin, "payments", extension["payment_id"])
    assert (payment["status"], payment["method"], payment["amount"]) == ("pending", "bank", 3000)
    [allocation] = payment["allocations"]
    invoice = await admin_row(http, admin, "invoices", allocation["invoice_id"])
    assert (invoice["balance"], invoice["status"]) == (3000, "open")  # until the debit clears
    refused = await pay(
        http,
        ava,
        {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": invoice["id"], "amount": 3000}]},
    )
    assert refused.json()["error"]["code"] == "payment_processing"

    assert (await _settled(http, admin, payment["id"]))["status"] == "succeeded"
    invoice = await admin_row(http, admin, "invoices", invoice["id"])
    assert (invoice["balance"], invoice["status"]) == (0, "paid")


async def _extension_settled(http, admin, timeout: float = 15.0) -> dict:
    """The demo rental once its newest extension's charge has been made (or declined)."""
    deadline = time.monotonic() + timeout
    while True:
        rental = await admin_row(http, admin, "rentals", AVA_RENTAL)
        if rental["extensions"] and rental["extensions"][-1]["status"] != "pending":
            return rental
        assert time.monotonic() < deadline, "the extension's charge was never made"
        await asyncio.sleep(0.05)


async def test_bank_accounts_are_refused_when_the_portal_takes_none(client, ava, settings, localstripe_url):
    bank = await save_bank(client, ava, AVA_ACCOUNT, localstripe_url)
    unknown = await client.post(
        "/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT, "kind": "cheque"}, headers=ava
    )
    assert unknown.status_code == 400

    off = msgspec.structs.replace(settings, stripe_bank_method="off")
    async with AsyncTestClient(app=create_app(off), base_url="http://testserver.local") as other:
        ava = await login(other, AVA)
        assert (await other.get("/api/payments/config", headers=ava)).json()["bank_method"] is None
        response = await other.post(
            "/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT, "kind": "bank"}, headers=ava
        )
        assert response.status_code == 422 and response.json()["error"]["code"] == "bank_unavailable"
        # a bank account saved earlier stays listed, but is not charged
        listed = (await other.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
        assert [m["id"] for m in listed["methods"]] == [bank["id"]]
        response = await pay(other, ava, {**FULL, "payment_method_id": bank["id"]})
        assert response.status_code == 422 and response.json()["error"]["code"] == "bank_unavailable"
        client_id = new_client_id()
        result = await push(other, ava, client_id, (1, "rental.extend", {"rental_id": AVA_RENTAL, "days": 1}))
        assert result["results"][0]["status"] == "applied"  # accepted; the debit is refused after
        await effects_done(other)
        _, rows = await pull_all(other, ava, client_id)
        [rejection] = [r for (e, _), r in rows.items() if e == "mutation_rejection"]
        assert rejection["error"]["code"] == "bank_unavailable"
        assert rows[("rental", AVA_RENTAL)]["extensions"][-1]["status"] == "declined"
        admin = await login(other, ADMIN)
        payments = (await other.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)).json()[
            "items"
        ]
        assert len(payments) == 1  # the seeded one: nothing was recorded
    assert intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT)) == []
