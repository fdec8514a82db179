"""A US bank account (ACH) through the PWA: added with its routing and account numbers and the debit
authorisation (Stripe.js confirmUsBankAccountSetup, localstripe's stand-in as the test launcher
extends it), unusable until its micro-deposits are entered, then paying an invoice by debit that
shows as Processing and turns Paid when localstripe's webhook says it cleared.

Its own server: ``stripe_bank_method = "us_bank_account"`` (the demo tenant bills in USD, which ACH
collects), and debits that take 4 s to clear."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, module_server, shoot, sign_in

pytestmark = pytest.mark.browser

OVERDUE = sid("invoice:harbor-overdue")  # INV-1002, 808.00


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory):
    with module_server(
        template_db,
        tmp_path_factory,
        "server-us-bank",
        HAULPORT_STRIPE_BANK_METHOD="us_bank_account",
        LOCALSTRIPE_DEBIT_SETTLE_S="4",
    ) as base:
        yield base


def test_add_verify_and_pay_from_a_us_bank_account(page, server):
    sign_in(page, server, "ops@harbor.example")
    go(page, "payment-methods")
    page.get_by_role("button", name="Add a bank account").click()
    form = page.get_by_role("form", name="Add a bank account")
    expect(form.get_by_text("Authorization to debit")).to_be_visible()
    expect(form.get_by_label("Email")).to_have_value("ops@harbor.example")
    form.get_by_label("Routing number").fill("110000001")  # check digit wrong
    form.get_by_label("Account number", exact=True).fill("000123456789")
    form.get_by_label("Account number again").fill("000123456788")
    form.get_by_role("button", name="Authorize and save").click()
    expect(form.get_by_role("alert")).to_contain_text("routing number is not valid")
    form.get_by_label("Routing number").fill("110000000")
    form.get_by_role("button", name="Authorize and save").click()
    expect(form.get_by_role("alert")).to_contain_text("account numbers differ")
    form.get_by_label("Account number again").fill("000123456789")
    shoot(page, "us-bank-account-form")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the bank account form is wider than the screen at 360 px"
    form.get_by_role("button", name="Authorize and save").click()

    saved = page.locator(".card", has_text="Stripe Test Bank")
    expect(saved.locator(".badge")).to_have_text("Needs verifying", timeout=15_000)
    expect(page.get_by_role("status").filter(has_text="is saved")).to_contain_text("Two small deposits")

    # Not usable for paying yet: the pay screen says why and where to verify it.
    go(page, "invoices")
    page.get_by_label("Select invoice INV-1002 to pay").check()
    page.get_by_role("button", name=re.compile(r"Pay 1 selected")).click()
    page.get_by_label("Payment type").select_option("bank")
    expect(page.get_by_role("note")).to_contain_text("waiting for verification")
    expect(page.get_by_role("button", name="Pay $808.00")).to_be_disabled()

    page.get_by_role("note").get_by_role("link", name="Verify it under Payment methods").click()
    saved = page.locator(".card", has_text="Stripe Test Bank")
    saved.get_by_role("button", name="Verify").click()
    verify = page.get_by_role("form", name="Verify bank account")
    verify.get_by_label("First deposit").fill("0.10")
    verify.get_by_label("Second deposit").fill("0.11")
    verify.get_by_role("button", name="Verify").click()
    expect(verify.get_by_role("alert")).to_contain_text("9 verification attempts remaining")
    verify.get_by_label("First deposit").fill("0.32")
    verify.get_by_label("Second deposit").fill("$0.45")
    shoot(page, "us-bank-account-verify")
    verify.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status").filter(has_text="verified")).to_contain_text("ready to use", timeout=15_000)
    expect(saved.locator(".badge")).to_have_text("Default")

    go(page, "invoices")
    page.get_by_label("Select invoice INV-1002 to pay").check()
    page.get_by_role("button", name=re.compile(r"Pay 1 selected")).click()
    expect(page.get_by_label("Payment type")).to_have_value("bank")  # the default method's type
    expect(page.get_by_role("radio", name=re.compile(r"Stripe Test Bank \(US\) •••• 6789"))).to_be_checked()
    page.get_by_role("button", name="Pay $808.00").click()
    done = page.get_by_role("status").filter(has=page.get_by_role("heading", name="Payment processing"))
    expect(done).to_be_visible(timeout=20_000)

    go(page, f"invoices/{OVERDUE}")
    expect(page.locator(".section-head .badge")).to_have_text("Paid", timeout=30_000)
    office = api_session(server, "office@demo.example")
    invoice = httpx.get(f"{server}/api/admin/invoices/{OVERDUE}", headers=office).json()
    assert (invoice["balance"], invoice["status"]) == (0, "paid")
    assert page.console_errors == []
