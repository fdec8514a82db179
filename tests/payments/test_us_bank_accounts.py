"""US bank accounts (``stripe_bank_method = "us_bank_account"``, ACH Direct Debit) against localstripe
as the test launcher extends it (`haulport_dev.localstripe_patches`): the customer types the
routing and account numbers, Stripe sends two micro-deposits, the account is usable once the
customer confirms them. Until then it is listed as ``verification_pending`` and cannot pay.
The demo tenant bills in USD, which is what ACH collects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.payments.stripe_flows import (
    AVA_ACCOUNT,
    AVA_OPEN,
    HARBOR,
    admin_row,
    customer_of,
    deliver,
    event_for,
    pay,
    pay_ok,
    save_card,
)
from tests.support.localstripe_server import (
    ACH_INSUFFICIENT_FUNDS,
    ACH_OK,
    confirm_us_bank_account_setup,
    sdk_client,
)
from tests.support.portal import ADMIN, OPS, login, new_client_id, pull_all

FULL = {"account_id": AVA_ACCOUNT, "mode": "invoices", "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}]}


@pytest.fixture
def settings_overrides(settings_overrides: dict) -> dict:
    return {**settings_overrides, "stripe_bank_method": "us_bank_account"}


async def add_us_bank(
    client, headers, base_url: str, account_number: str = ACH_OK, account_id: str = AVA_ACCOUNT
) -> dict[str, Any]:
    """SetupIntent (kind bank) → Stripe.js confirmUsBankAccountSetup → ``POST /api/payments/methods``."""
    response = await client.post(
        "/api/payments/setup-intent", json={"account_id": account_id, "kind": "bank"}, headers=headers
    )
    assert response.status_code == 200, response.text
    intent = response.json()
    assert intent["method_type"] == "us_bank_account"
    confirmed = await asyncio.to_thread(
        confirm_us_bank_account_setup, base_url, intent["setup_intent_id"], account_number
    )
    assert (confirmed["status"], confirmed["next_action"]["type"]) == ("requires_action", "verify_with_microdeposits")
    response = await client.post(
        "/api/payments/methods",
        headers=headers,
        json={"account_id": account_id, "setup_intent_id": intent["setup_intent_id"], "default": True},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _waiting_setup(base_url: str, account_id: str = AVA_ACCOUNT):
    """The SDK and the account's SetupIntent waiting for its micro-deposits (as Stripe's own page sees it)."""
    stripe = sdk_client(base_url).v1
    customer = customer_of(base_url, account_id)
    [setup] = [
        i
        for i in stripe.setup_intents.list(params={"limit": 100}).data
        if i.customer == customer and i.status == "requires_action"
    ]
    return stripe, setup


async def verify(client, headers, method_id: str, **body):
    return await client.post(f"/api/payments/methods/{method_id}/verify", json=body, headers=headers)


async def test_a_us_bank_account_waits_for_its_micro_deposits_then_becomes_the_default(client, ava, localstripe_url):
    assert (await client.get("/api/payments/config", headers=ava)).json()["bank_method"] == "us_bank_account"

    bank = await add_us_bank(client, ava, localstripe_url)

    assert {k: bank[k] for k in ("kind", "brand", "last4", "country", "status", "microdeposit_type", "default")} == {
        "kind": "bank",
        "brand": "STRIPE TEST BANK",
        "last4": "6789",
        "country": "US",
        "status": "verification_pending",
        "microdeposit_type": "amounts",
        "default": False,
    }
    assert bank["deposits_arrive_at"] > bank["created_at"]
    # not usable yet: not for paying, not as the default
    response = await pay(client, ava, {**FULL, "payment_method_id": bank["id"]})
    assert response.status_code == 422 and response.json()["error"]["code"] == "method_unverified"
    response = await client.post(f"/api/payments/methods/{bank['id']}/default", headers=ava)
    assert response.status_code == 422 and response.json()["error"]["code"] == "method_unverified"
    response = await pay(client, ava, FULL)  # no default method either
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_payment_method"

    wrong = await verify(client, ava, bank["id"], amounts=[10, 11])
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "verification_mismatch"
    assert "9 verification attempts remaining" in wrong.json()["error"]["message"]

    right = await verify(client, ava, bank["id"], amounts=[32, 45])

    assert right.status_code == 200, right.text
    assert {k: right.json()[k] for k in ("id", "status", "default", "microdeposit_type", "deposits_arrive_at")} == {
        "id": bank["id"],
        "status": "active",
        "default": True,
        "microdeposit_type": "",
        "deposits_arrive_at": None,
    }
    # verified at Stripe and attached to the account's own customer
    stripe = sdk_client(localstripe_url).v1
    customer = customer_of(localstripe_url, AVA_ACCOUNT)
    [method] = stripe.payment_methods.list(params={"customer": customer, "type": "us_bank_account"}).data
    assert method.us_bank_account.last4 == "6789"
    # the synced row says so too, and carries no Stripe ids
    _, rows = await pull_all(client, ava, new_client_id())
    row = rows[("payment_method", bank["id"])]
    assert (row["status"], row["default"]) == ("active", True)
    assert "stripe_payment_method_id" not in row and "stripe_setup_intent_id" not in row
    again = await verify(client, ava, bank["id"], amounts=[32, 45])
    assert again.status_code == 422 and again.json()["error"]["code"] == "not_awaiting_verification"


async def test_a_verified_us_bank_account_pays_by_debit_and_a_failed_debit_reopens_the_invoice(
    client, ava, localstripe_url
):
    admin = await login(client, ADMIN)
    bank = await add_us_bank(client, ava, localstripe_url)
    assert (await verify(client, ava, bank["id"], descriptor_code="sm11aa")).status_code == 200

    answer = await pay_ok(client, ava, {**FULL, "payment_method_id": bank["id"]})

    assert answer["status"] == "processing"
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert (payment["status"], payment["method"]) == ("pending", "bank")
    assert payment["reference"].endswith("6789")
    event = await _event(localstripe_url, "payment_intent.succeeded", payment["stripe_payment_intent_id"])
    assert (await deliver(client, event)).json() == {"received": True}
    invoice = await admin_row(client, admin, "invoices", AVA_OPEN)
    assert (invoice["balance"], invoice["status"]) == (0, "paid")

    # a second account whose debits bounce: the payment fails and says why
    ops = await login(client, OPS)
    closed = await add_us_bank(client, ops, localstripe_url, ACH_INSUFFICIENT_FUNDS, account_id=HARBOR)
    assert (await verify(client, ops, closed["id"], amounts=[32, 45])).status_code == 200
    answer = await pay_ok(client, ops, {"account_id": HARBOR, "mode": "custom", "amount": 1000})
    assert answer["status"] == "processing"
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    event = await _event(localstripe_url, "payment_intent.payment_failed", payment["stripe_payment_intent_id"])
    assert (await deliver(client, event)).json() == {"received": True}
    payment = await admin_row(client, admin, "payments", answer["payment_id"])
    assert payment["status"] == "failed" and "insufficient funds" in payment["failure_reason"]


async def test_too_many_wrong_answers_remove_the_bank_account(client, ava, localstripe_url):
    bank = await add_us_bank(client, ava, localstripe_url)

    response = await verify(client, ava, bank["id"], amounts=[40, 41])  # Stripe's "attempts exceeded" values

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "verification_attempts_exceeded"
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert listed["methods"] == []
    response = await verify(client, ava, bank["id"], amounts=[32, 45])
    assert response.status_code == 404


async def test_an_account_that_failed_verification_elsewhere_is_removed_when_verified_here(
    client, ava, localstripe_url
):
    bank = await add_us_bank(client, ava, localstripe_url)
    stripe, setup = _waiting_setup(localstripe_url)
    with pytest.raises(Exception):  # on Stripe's own page: too many wrong answers
        stripe.setup_intents.verify_microdeposits(setup.id, params={"amounts": [40, 41]})

    response = await verify(client, ava, bank["id"], amounts=[32, 45])

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "verification_attempts_exceeded"
    assert "already failed" in response.json()["error"]["message"]
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert listed["methods"] == []


async def test_verification_answered_on_stripes_page_arrives_by_webhook(client, ava, localstripe_url):
    bank = await add_us_bank(client, ava, localstripe_url)
    stripe, setup = _waiting_setup(localstripe_url)
    stripe.setup_intents.verify_microdeposits(setup.id, params={"amounts": [32, 45]})

    event = await _event(localstripe_url, "setup_intent.succeeded", setup.id)
    assert (await deliver(client, event)).json() == {"received": True}
    assert (await deliver(client, event)).json() == {"received": True, "duplicate": True}

    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert [(m["id"], m["status"], m["default"]) for m in listed["methods"]] == [(bank["id"], "active", True)]


async def test_a_failed_setup_event_removes_the_pending_account(client, ava, localstripe_url):
    bank = await add_us_bank(client, ava, localstripe_url)
    stripe, setup = _waiting_setup(localstripe_url)
    with pytest.raises(Exception):
        stripe.setup_intents.verify_microdeposits(setup.id, params={"descriptor_code": "SM33CC"})

    event = await _event(localstripe_url, "setup_intent.setup_failed", setup.id)
    assert (await deliver(client, event)).json() == {"received": True}

    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert bank["id"] not in [m["id"] for m in listed["methods"]]


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "validation_error"),
        ({"amounts": [32, 45], "descriptor_code": "SM11AA"}, "validation_error"),
        ({"amounts": [32]}, "validation_error"),
        ({"amounts": [32, 45, 1]}, "validation_error"),
        ({"amounts": [0, 45]}, "validation_error"),
        ({"amounts": [32, 100]}, "validation_error"),
        ({"amounts": ["32", 45]}, "validation_error"),
        ({"descriptor_code": "XX11AA"}, "validation_error"),
        ({"descriptor_code": "SM11AA7"}, "validation_error"),
        ({"code": "SM11AA"}, "validation_error"),
    ],
)
async def test_bad_verification_answers_are_refused(client, ava, localstripe_url, body, code):
    bank = await add_us_bank(client, ava, localstripe_url)
    response = await verify(client, ava, bank["id"], **body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] == code


async def test_only_a_pending_account_of_ones_own_can_be_verified(client, ava, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    response = await verify(client, ava, card["id"], amounts=[32, 45])
    assert response.status_code == 422 and response.json()["error"]["code"] == "not_awaiting_verification"

    ops = await login(client, OPS)
    theirs = await add_us_bank(client, ops, localstripe_url, account_id=HARBOR)
    response = await verify(client, ava, theirs["id"], amounts=[32, 45])
    assert response.status_code == 404
    response = await verify(client, ava, "pm-nope", amounts=[32, 45])
    assert response.status_code == 404


async def _event(base_url: str, event_type: str, object_id: str, timeout: float = 10) -> dict:
    """localstripe's event about one object, waiting for a debit to settle first."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await asyncio.to_thread(event_for, base_url, event_type, object_id)
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_a_staff_read_only_view_cannot_verify(client, ava, localstripe_url):
    bank = await add_us_bank(client, ava, localstripe_url)
    admin = await login(client, ADMIN)
    view = (await client.post(f"/api/admin/accounts/{AVA_ACCOUNT}/portal-view", headers=admin)).json()
    readonly = {"Authorization": f"Bearer {view['session_token']}"}

    response = await verify(client, readonly, bank["id"], amounts=[32, 45])

    assert response.status_code == 403 and response.json()["error"]["code"] == "read_only"
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert [m["status"] for m in listed["methods"]] == ["verification_pending"]
