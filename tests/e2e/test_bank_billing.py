"""Paying an invoice from a bank account (SEPA Direct Debit) through the PWA: the account is added with
the IBAN form and its mandate (Stripe.js confirmSepaDebitSetup, localstripe's stand-in), the debit shows
as Processing, and the invoice turns Paid when localstripe's webhook says the debit cleared.

Its own server: bank accounts switched on (``stripe_bank_method = "sepa_debit"``), the demo tenant
billing in euros (SEPA debits collect EUR), and debits that take 6 s to clear so "Processing" can be
seen before "Paid"."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, module_server, shoot, sign_in, wait_for_service_worker
from tests.payments.stripe_flows import bill_in_euros

pytestmark = pytest.mark.browser

OVERDUE = sid("invoice:harbor-overdue")  # INV-1002, 808.00


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory):
    with module_server(
        template_db,
        tmp_path_factory,
        "server-bank",
        bill_in_euros,
        HAULPORT_STRIPE_BANK_METHOD="sepa_debit",
        LOCALSTRIPE_DEBIT_SETTLE_S="6",
    ) as base:
        yield base


def test_pay_an_invoice_from_a_new_bank_account(page, server):
    sign_in(page, server, "ops@harbor.example")
    go(page, "invoices")
    page.get_by_label("Select invoice INV-1002 to pay").check()
    page.get_by_role("button", name=re.compile(r"Pay 1 selected")).click()
    expect(page.get_by_role("heading", name="Pay", exact=True)).to_be_visible()

    # Bank accounts are offered: choosing the type shows the IBAN form (none saved yet), mandate included.
    page.get_by_label("Payment type").select_option("bank")
    form = page.get_by_role("form", name="Add a bank account")
    expect(form.get_by_label("Account holder name")).not_to_have_value("")  # the signed-in contact's name
    expect(form.get_by_label("Email")).to_have_value("ops@harbor.example")
    expect(form.get_by_text("SEPA Direct Debit mandate")).to_be_visible()
    form.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 01")  # a typo: the check digits disagree
    form.get_by_role("button", name="Accept mandate and save").click()
    expect(form.get_by_role("alert")).to_contain_text("IBAN is not valid")
    form.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    shoot(page, "pay-new-bank-account")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the bank account form is wider than the screen at 360 px"
    form.get_by_role("button", name="Accept mandate and save").click()
    expect(page.get_by_role("radio", name=re.compile(r"Bank account \(DE\) •••• 3000"))).to_be_checked(timeout=15_000)

    page.get_by_role("button", name="Pay €808.00").click()
    done = page.get_by_role("status").filter(has=page.get_by_role("heading", name="Payment processing"))
    expect(done).to_be_visible(timeout=20_000)
    expect(done.locator(".badge")).to_have_text("Processing")
    shoot(page, "payment-processing", desktop=False)

    # The invoice shows the debit on its way and is not offered for payment again...
    go(page, f"invoices/{OVERDUE}")
    expect(page.locator(".section-head .badge")).to_have_text("Processing")
    expect(page.get_by_text("Bank payment processing")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Pay"))).to_have_count(0)
    # ...until the debit clears and Stripe's webhook settles it.
    expect(page.locator(".section-head .badge")).to_have_text("Paid", timeout=30_000)
    expect(page.locator(".lines .balance")).to_contain_text("€0.00")
    office = api_session(server, "office@demo.example")
    invoice = httpx.get(f"{server}/api/admin/invoices/{OVERDUE}", headers=office).json()
    assert (invoice["balance"], invoice["status"]) == (0, "paid")
    [payment] = [
        p
        for p in httpx.get(
            f"{server}/api/admin/payments", params={"account_id": invoice["account_id"]}, headers=office
        ).json()["items"]
        if p["reference"] == "Bank DE •••• 3000"
    ]
    assert (payment["status"], payment["amount"], payment["method"]) == ("succeeded", 80800, "bank")

    go(page, "invoices?tab=payments")
    card = page.locator(".card", has_text=payment["number"])
    expect(card.locator(".badge")).to_have_text("Succeeded")
    expect(card.get_by_role("button", name="Payment receipt (PDF)")).to_be_visible()
    go(page, "payment-methods")
    expect(page.get_by_text(re.compile(r"Bank account \(DE\) •••• 3000"))).to_be_visible()
    expect(page.get_by_text("debits take a few business days to clear")).to_be_visible()
    # Offline, the portal cannot ask whether bank payments are on: it must not say they are off.
    wait_for_service_worker(page)
    page.context.set_offline(True)
    page.reload()  # a cold start offline: whether bank payments are on is not known
    go(page, "payment-methods")
    expect(page.get_by_text(re.compile(r"Bank account \(DE\) •••• 3000"))).to_be_visible()
    expect(page.get_by_text("switched off")).to_have_count(0)
    shoot(page, "payment-methods-offline-bank", desktop=False)
    page.context.set_offline(False)
    assert page.console_errors == []
