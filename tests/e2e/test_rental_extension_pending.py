"""A rental extension is accepted at once and shown as "Extension pending payment" until its charge is
made after the commit — on the customer's rental card and in the office's view of the customer — then
as extended. Stripe (a localstripe of this module's own) is frozen with SIGSTOP so the pending state
lasts long enough to be seen, then let go."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from haulport_dev.localstripe_runner import PUBLISHABLE_KEY, SECRET_KEY, start_localstripe, stop_localstripe
from server.seed.demo import sid
from tests.e2e.conftest import DESKTOP, api_session, go, module_server, shoot, sign_in
from tests.support.browser import screenshot
from tests.support.browser import sign_in as office_sign_in
from tests.support.localstripe_server import WEBHOOK_SECRET, confirm_card_setup

pytestmark = pytest.mark.browser

AVA_ACCOUNT = sid("account:ava-reed")


@pytest.fixture(scope="module")
def stripe() -> Iterator[tuple[int, str]]:
    process, url = start_localstripe()
    try:
        yield process.pid, url
    finally:
        os.kill(process.pid, signal.SIGCONT)
        stop_localstripe(process)


@pytest.fixture(scope="module")
def stripe_server(template_db, tmp_path_factory, stripe) -> Iterator[str]:
    _, url = stripe
    env = {
        "HAULPORT_STRIPE_SECRET_KEY": SECRET_KEY,
        "HAULPORT_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "HAULPORT_STRIPE_API_BASE": url,
        "HAULPORT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    with module_server(template_db, tmp_path_factory, name="extension-pending", **env) as base:
        yield base


def _save_card(base: str, stripe_url: str, headers: dict) -> None:
    intent = httpx.post(f"{base}/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT}, headers=headers).json()
    assert confirm_card_setup(stripe_url, intent["setup_intent_id"]) == "succeeded"
    saved = httpx.post(
        f"{base}/api/payments/methods",
        headers=headers,
        json={"account_id": AVA_ACCOUNT, "setup_intent_id": intent["setup_intent_id"], "default": True},
    )
    assert saved.status_code == 201, saved.text


def test_an_extension_shows_pending_payment_to_the_customer_and_the_office(browser, page, stripe, stripe_server):
    pid, stripe_url = stripe
    _save_card(stripe_server, stripe_url, api_session(stripe_server, "ava@example.com"))
    sign_in(page, stripe_server, "ava@example.com")
    go(page, "rentals")
    rental = page.locator(".rental-card", has_text="R-1001")
    rental.get_by_role("button", name="Extend").click()
    rental.get_by_label("Extra days").fill("3")
    expect(rental.get_by_text("Charged to your card on file")).to_be_visible()

    os.kill(pid, signal.SIGSTOP)  # Stripe stalls: the charge waits, the extension does not
    try:
        rental.get_by_role("button", name="Extend for $45.00").click()
        pending = rental.locator("dt", has_text="Extension pending payment")
        expect(pending).to_be_visible(timeout=15_000)
        expect(rental).to_contain_text("3 days ($45.00), being charged to your payment method on file")
        shoot(page, "rental-extension-pending", desktop=False)

        office = browser.new_context(viewport=DESKTOP)
        office_page = office_sign_in(office, stripe_server, "office@demo.example", f"customers/{AVA_ACCOUNT}")
        rentals = office_page.get_by_role("region", name="Rentals")
        expect(rentals.get_by_text("Extension pending payment")).to_be_visible(timeout=15_000)
        screenshot(office_page, "office-extension-pending")
        rentals.get_by_role("link", name="R-1001").click()
        expect(office_page.get_by_text("Extension pending payment: 3 days ($45.00)")).to_be_visible(timeout=15_000)
    finally:
        os.kill(pid, signal.SIGCONT)

    # The charge goes through: the customer's card says extended, and so does the office
    expect(rental.locator("dt", has_text="Extended")).to_be_visible(timeout=30_000)
    expect(rental).to_contain_text("3 days ($45.00)")
    expect(rental.locator("dt", has_text="Extension pending payment")).to_have_count(0)
    shoot(page, "rental-extension-paid", desktop=False)
    office_page.reload()
    expect(office_page.get_by_text("Extended 3 days ($45.00)")).to_be_visible(timeout=15_000)
    office.close()
    assert page.console_errors == []
