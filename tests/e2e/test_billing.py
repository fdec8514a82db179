"""Paying an invoice with a card through Stripe.js (localstripe's stand-in in dev mode), PDF receipts
kept for offline reading, payments refused offline with an explanation, and screenshots of the main
customer screens at 360 px and 1280 px."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, shoot, sign_in

pytestmark = pytest.mark.browser

OVERDUE = sid("invoice:harbor-overdue")  # INV-1002, $808.00


def test_pay_an_invoice_with_a_new_card(context, page, server):
    sign_in(page, server, "ops@harbor.example")
    go(page, "invoices")
    page.get_by_label("Select invoice INV-1002 to pay").check()
    page.get_by_role("button", name=re.compile(r"Pay 1 selected")).click()
    expect(page.get_by_role("heading", name="Pay", exact=True)).to_be_visible()

    # No saved card yet: the Card Element (Stripe.js from the URL the server names) is on screen.
    card = page.locator(".card-element")
    card.locator('input[placeholder="number"]').fill("4242424242424242")
    card.locator('input[placeholder="exp_month"]').fill("12")
    card.locator('input[placeholder="exp_year"]').fill("34")
    card.locator('input[placeholder="cvc"]').fill("123")
    card.locator('input[placeholder="postal_code"]').fill("62701")
    shoot(page, "pay-new-card")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("radio", name=re.compile(r"Visa •••• 4242"))).to_be_checked(timeout=15_000)

    page.get_by_role("button", name="Pay $808.00").click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    shoot(page, "payment-received", desktop=False)
    with page.expect_download() as download:
        page.get_by_role("button", name="Payment receipt (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")

    go(page, f"invoices/{OVERDUE}")
    expect(page.locator(".section-head .badge")).to_have_text("Paid", timeout=15_000)
    expect(page.locator(".lines .balance")).to_contain_text("$0.00")
    office = api_session(server, "office@demo.example")
    invoice = httpx.get(f"{server}/api/admin/invoices/{OVERDUE}", headers=office).json()
    assert invoice["balance"] == 0 and invoice["status"] == "paid"

    # The receipt was kept: it opens offline, and paying is refused with a reason while offline.
    context.set_offline(True)
    go(page, "invoices?tab=payments")
    with page.expect_download() as download:
        page.get_by_role("button", name="Payment receipt (PDF)").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    expect(page.get_by_text("Opened the copy saved on this device.")).to_be_visible()
    go(page, "pay?mode=custom")
    expect(page.get_by_text("Payments need a connection")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Pay"))).to_be_disabled()
    context.set_offline(False)
    assert page.console_errors == []


SCREENS = [
    ("", "Upcoming"),
    ("jobs", "Jobs"),
    ("book", "Book a job"),
    ("invoices", "Billing"),
    ("messages", "Messages"),
    ("rentals", "Rentals"),
    ("units", "Units"),
    ("estimates", "Estimates"),
    ("requests", "Requests"),
    ("requests/service", "New service request"),
    ("requests/supply", "Order supplies"),
    ("statements", "Statements"),
    ("contacts", "Contacts"),
    ("sites", "Locations"),
    ("more", "More"),
    ("payment-methods", "Payment methods"),
]


def test_main_screens_render_at_phone_and_desktop_width(page, server):
    sign_in(page, server, "ops@harbor.example")
    for path, heading in SCREENS:
        go(page, path)
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        shoot(page, f"screen-{path.replace('/', '-') or 'home'}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path or 'home'} is wider than the screen at 360 px"
    assert page.console_errors == []


def test_rental_extension_shows_the_price_first_and_explains_a_refusal(page, server):
    sign_in(page, server, "ava@example.com")
    go(page, "rentals")
    rental = page.locator(".rental-card", has_text="R-1001")
    rental.get_by_role("button", name="Extend").click()
    rental.get_by_label("Extra days").fill("3")
    expect(rental.get_by_role("status")).to_contain_text("3 days × $15.00 = $45.00")
    expect(rental.get_by_text("No card on file")).to_be_visible()
    shoot(page, "rental-extension")
    rental.get_by_role("button", name="Extend for $45.00").click()
    # Ava has no card on file: the server refuses the charge, and says why (nothing is lost silently).
    alert = page.get_by_role("alert").filter(has_text="The rental extension wasn't accepted")
    expect(alert).to_be_visible(timeout=15_000)
    expect(alert).to_contain_text("card")
