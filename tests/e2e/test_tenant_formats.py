"""A tenant that bills in euros and writes German: the office sets language and country in the console
(the currency is the tenant's from the start: it cannot change once amounts are written in it); the
customer portal, the office console and the PDFs then write "1.234,56 €", German dates and national
phone numbers (and a US tenant keeps its US English)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.payments.stripe_flows import bill_in_euros
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    DESKTOP,
    PHONE,
    api_headers,
    new_context,
    own_server,
    screenshot,
    sign_in,
)
from tests.support.live_server import running_server
from tests.unit.test_documents import pdf_text

pytestmark = pytest.mark.browser

OVERDUE = sid("invoice:harbor-overdue")  # INV-1002, 808.00
HARBOR, OFFICE = "ops@harbor.example", "office@demo.example"
EURO = re.compile(r"\d{1,3}(\.\d{3})*,\d{2}\u00a0€")  # "1.234,56 €", "808,00 €"
US_AMOUNT = re.compile(r"\$\d")
GERMAN_DAY = re.compile(r"\b(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. (Jan|Feb|März|Apr|Mai|Juni|Juli|Aug|Sept|Okt|Nov|Dez)")
SLOW = 30_000


@pytest.fixture
def euro_server(database_url, tmp_path) -> Iterator[str]:
    """A server on this test's own copy of the demo data, as if the business had always billed in euros
    (browser tests run on SQLite: the `database_url` fixture skips them on PostgreSQL)."""
    bill_in_euros(database_url)
    with running_server(database_url, log_path=tmp_path / "server.log") as base:
        yield base


def test_a_euro_tenant_in_germany_reads_german_amounts_dates_and_phone_numbers(new_context, euro_server, tmp_path):
    office = sign_in(new_context(**DESKTOP), euro_server, OFFICE, "settings")
    expect(office.get_by_role("heading", name="Portal settings")).to_be_visible()
    office.get_by_label("Language and region").select_option("de-DE")
    # Amounts are written in euros already: the currency is shown, and says why it stays.
    currency = office.get_by_label("Currency")
    expect(currency).to_have_value("EUR")
    expect(currency).not_to_be_editable()
    expect(
        office.get_by_text("Stays EUR: jobs, estimates, invoices or payments already have prices in it.")
    ).to_be_visible()
    office.get_by_label("Country for phone numbers").select_option("DE")
    office.get_by_label("Phone", exact=True).fill("+4930123456")
    expect(office.get_by_text("Customers will read:")).to_contain_text("1.234,56\u00a0€")
    expect(office.get_by_text("Customers will read:")).to_contain_text("030 123456")
    screenshot(office, "office-settings-formats-de")
    office.get_by_role("button", name="Save changes").click()
    expect(office.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    tenant = httpx.get(f"{euro_server}/api/public/tenants/demo").json()
    assert (tenant["currency"], tenant["locale"], tenant["country"]) == ("EUR", "de-DE", "DE")

    # The customer's portal: amounts, dates and the provider's phone the German way, no US format left.
    customer = sign_in(new_context(**PHONE), euro_server, HARBOR, "invoices")
    invoices = customer.locator("main")
    expect(invoices).to_contain_text(EURO)
    expect(customer.locator(".provider-footer")).to_contain_text("030 123456")
    text = invoices.inner_text()
    assert not US_AMOUNT.search(text), text
    screenshot(customer, "customer-invoices-eur-de")
    customer.goto(f"{euro_server}/t/demo/")
    expect(customer.locator("main")).to_contain_text(EURO)
    screenshot(customer, "customer-dashboard-eur-de")
    customer.goto(f"{euro_server}/t/demo/jobs")
    expect(customer.locator("main")).to_contain_text(GERMAN_DAY)
    screenshot(customer, "customer-jobs-de")
    assert not US_AMOUNT.search(customer.locator("main").inner_text())

    # The office console too.
    office.goto(f"{euro_server}/t/demo/billing")
    expect(office.locator("main")).to_contain_text(EURO)
    assert not US_AMOUNT.search(office.locator("main").inner_text())
    screenshot(office, "office-billing-eur-de")

    # And the PDFs the server writes.
    pdf = httpx.get(f"{euro_server}/api/documents/invoices/{OVERDUE}.pdf", headers=api_headers(euro_server, HARBOR))
    assert pdf.status_code == 200, pdf.text
    printed = pdf_text(pdf.content, tmp_path)
    assert EURO.search(printed) and "$" not in printed, printed
    assert "030 123456" in printed and not re.search(r"\b20\d\d-\d\d-\d\d\b", printed), printed


def test_a_us_tenant_keeps_us_english(new_context, own_server):
    customer = sign_in(new_context(**PHONE), own_server, HARBOR, "invoices")
    expect(customer.locator("main")).to_contain_text(re.compile(r"\$\d{1,3}(,\d{3})*\.\d{2}"))
    expect(customer.locator(".provider-footer")).to_contain_text(re.compile(r"\(\d{3}\) \d{3}-\d{4}"))
