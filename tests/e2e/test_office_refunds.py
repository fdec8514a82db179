"""The office refunds a customer's card payment from the customer's page in the office console (with a
confirm step), and the customer's billing screen shows the payment refunded and the invoice open again."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    DESKTOP,
    PHONE,
    api_headers,
    new_context,
    own_server,
    screenshot,
    sign_in,
)
from tests.support.localstripe_server import confirm_card_setup

pytestmark = pytest.mark.browser

AVA, OFFICE = "ava@example.com", "office@demo.example"
AVA_ACCOUNT, AVA_OPEN = sid("account:ava-reed"), sid("invoice:ava-open")  # INV-1001, $325.00 open


def paid_by_card(base: str) -> dict:
    """Ava saves a card and pays INV-1001 in full, through the API (the dev server's own localstripe)."""
    ava = api_headers(base, AVA)
    with httpx.Client(base_url=base, headers=ava, timeout=60) as http:
        stripe_js = http.get("/api/payments/config").json()["stripe_js_url"]
        intent = http.post("/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT}).json()
        assert confirm_card_setup(stripe_js.split("/js.stripe.com/")[0], intent["setup_intent_id"]) == "succeeded"
        card = http.post(
            "/api/payments/methods", json={"account_id": AVA_ACCOUNT, "setup_intent_id": intent["setup_intent_id"]}
        ).json()
        answer = http.post(
            "/api/payments",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={
                "account_id": AVA_ACCOUNT,
                "mode": "invoices",
                "payment_method_id": card["id"],
                "allocations": [{"invoice_id": AVA_OPEN, "amount": 32500}],
            },
        ).json()
    assert answer["status"] == "succeeded", answer
    return answer


def test_the_office_refunds_a_payment_and_the_customer_sees_it(new_context, own_server):
    payment = paid_by_card(own_server)
    office = sign_in(new_context(**DESKTOP), own_server, OFFICE, f"customers/{AVA_ACCOUNT}")
    row = office.locator(f"tr[data-payment='{payment['number']}']")
    expect(row).to_contain_text("INV-1001")
    expect(row).to_contain_text("Succeeded")
    seeded = office.locator("tr[data-payment='PAY-1001']")  # recorded without Stripe: nothing to refund here
    expect(seeded).to_be_visible()
    expect(seeded.get_by_role("button")).to_have_count(0)

    row.get_by_role("button", name=f"Refund payment {payment['number']}").click()
    confirm = row.get_by_role("group", name=f"Confirm the refund of payment {payment['number']}")
    expect(confirm).to_contain_text("Give $325.00 back to Visa •••• 4242?")
    expect(confirm).to_contain_text("INV-1001 will be owed again.")
    screenshot(office, "office-refund-confirm")
    confirm.get_by_role("button", name="Keep payment").click()  # changing one's mind changes nothing
    expect(confirm).to_have_count(0)
    row.get_by_role("button", name=f"Refund payment {payment['number']}").click()
    confirm.get_by_role("button", name="Refund $325.00").click()

    expect(row.locator(".badge")).to_have_text("Refunded")
    expect(row).to_contain_text("Refunded ")
    expect(row.get_by_role("button")).to_have_count(0)
    screenshot(office, "office-payment-refunded")
    office_api = api_headers(own_server, OFFICE)
    invoice = httpx.get(f"{own_server}/api/admin/invoices/{AVA_OPEN}", headers=office_api).json()
    assert (invoice["balance"], invoice["status"]) == (32500, "open")

    ava = sign_in(new_context(**PHONE), own_server, AVA, "invoices?tab=payments")
    card = ava.locator(".card").filter(has_text=f"Payment {payment['number']}")
    expect(card.locator(".badge").first).to_have_text("Refunded")
    expect(card).to_contain_text("went back to Visa •••• 4242")
    expect(card.get_by_role("button", name="Payment receipt (PDF)")).to_be_visible()
    screenshot(ava, "customer-payment-refunded")
    ava.get_by_role("tab", name="Invoices").click()
    expect(ava.locator("#billing-panel")).to_contain_text("INV-1001")
