"""Prices before commitment and nothing typed ever lost, in Chromium as a customer meets them: the
booking form prices the service and the load and shows a promo's effect before anything is sent, the
job keeps the quoted price (the office sees it too); a booking with a bad promo code sent offline comes
back, after reconnecting, as a draft with the reason beside the promo field — from the banner and the
bell, still there offline after a reload — and is sent again without retyping."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, shoot, sign_in, wait_for_service_worker
from tests.support.browser import new_context  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

AVA, OFFICE = "ava@example.com", "office@demo.example"


def office_jobs(base: str, **filters: str) -> list[dict]:
    response = httpx.get(f"{base}/api/admin/jobs", params=filters, headers=api_session(base, OFFICE))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def fill_booking(page, description: str, load: str | None = None, promo: str = "") -> None:
    go(page, "book")
    page.get_by_label("Service").select_option(label="Junk removal")
    page.get_by_label("Time").select_option(index=1)
    page.get_by_label("What should we take or deliver?").fill(description)
    if load:
        page.get_by_label("How much will it fill?").select_option(label=load)
    page.get_by_label("Promo code").fill(promo)


def test_booking_shows_the_price_and_the_promo_discount_before_submitting(page, server):
    sign_in(page, server, AVA)
    description = f"Priced booking {uuid.uuid4().hex[:8]}"
    go(page, "book")
    quote = page.get_by_role("status", name="Price")
    expect(quote).to_have_count(0)  # nothing to price before a service is chosen
    page.get_by_label("Service").select_option(label="Junk removal")
    expect(quote).to_contain_text("Estimate$250.00")
    expect(quote).to_contain_text("choose how much it will fill")
    fill_booking(page, description, load="¼ truck")
    expect(quote).to_contain_text("Total$175.00")
    page.get_by_label("Promo code").fill("welcome10")
    expect(quote).to_contain_text("Promo WELCOME10−$17.50")
    expect(quote).to_contain_text("Total$157.50")
    expect(page.get_by_role("button", name=re.compile(r"^Book"))).to_contain_text("$157.50")
    shoot(page, "booking-price-promo")
    # A code the replica does not have is neither applied nor dropped: it is checked on arrival.
    page.get_by_label("Promo code").fill("PARTNER20")
    expect(quote).to_contain_text("Promo code PARTNER20 will be checked when we receive your booking")
    expect(quote).to_contain_text("Total$175.00")
    shoot(page, "booking-promo-will-be-checked", desktop=False)
    page.get_by_label("Promo code").fill("WELCOME10")
    page.get_by_role("button", name=re.compile(r"^Book")).click()

    expect(page.get_by_text("$157.50 quoted when you booked with promo WELCOME10 (−$17.50)")).to_be_visible()
    expect(page.get_by_text("Waiting to send")).to_have_count(0, timeout=15_000)
    expect(page.get_by_text("$157.50 quoted when you booked with promo WELCOME10 (−$17.50)")).to_be_visible()
    shoot(page, "job-quoted-price", desktop=False)
    [job] = office_jobs(server, description=description)
    assert (job["quoted_price"], job["price"], job["discount"], job["load_estimate"]) == (15750, 15750, 1750, "quarter")
    assert page.console_errors == []


def test_office_sees_the_quoted_price(page, server):
    sign_in(page, server, AVA)
    description = f"Quoted for the office {uuid.uuid4().hex[:8]}"
    fill_booking(page, description, load="Full truck")
    page.get_by_role("button", name=re.compile(r"^Book")).click()
    expect(page.get_by_text("$400.00 quoted when you booked")).to_be_visible()
    [job] = httpx_eventually_job(server, description)
    office = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = office.new_page()
        from tests.e2e.conftest import login_link

        desk.goto(login_link(server, OFFICE))
        desk.wait_for_selector(".office-nav")
        desk.goto(f"{server}/t/demo/edit/jobs/{job['id']}")
        expect(desk.locator(".summary-line")).to_contain_text("Quoted to the customer $400.00")
        shoot(desk, "office-job-quoted-price", desktop=True)
    finally:
        office.close()


def httpx_eventually_job(base: str, description: str) -> list[dict]:
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        jobs = office_jobs(base, description=description)
        if jobs:
            return jobs
        time.sleep(0.3)
    raise AssertionError(f"no job {description!r} reached the server")


def test_a_bad_promo_booked_offline_comes_back_as_a_draft_and_is_sent_again_without_retyping(context, page, server):
    sign_in(page, server, AVA)
    wait_for_service_worker(page)
    description = f"Draft booking {uuid.uuid4().hex[:8]}"
    context.set_offline(True)
    fill_booking(page, description, load="½ truck", promo="WELCOM10")
    quote = page.get_by_role("status", name="Price")
    expect(quote).to_contain_text("Promo code WELCOM10 will be checked")
    page.get_by_role("button", name=re.compile(r"^Book")).click()
    expect(page.get_by_text("Waiting to send").first).to_be_visible()

    context.set_offline(False)
    reason = "The promo code WELCOM10 isn't valid — remove it or try another."
    banner = page.get_by_role("alert").filter(has_text="Your booking wasn't accepted")
    expect(banner).to_contain_text(reason, timeout=20_000)
    assert office_jobs(server, description=description) == []
    shoot(page, "draft-banner", desktop=False)

    # Still there with no connection, after a reload, from the bell.
    context.set_offline(True)
    page.reload()
    expect(page.locator(".account-bar")).to_be_visible()
    expect(page.locator(".bell")).to_have_attribute("aria-label", re.compile(r"Notifications, \d+ unread"))
    page.locator(".bell").click()
    waiting = page.get_by_role("list", name="Waiting for you")
    expect(waiting).to_contain_text("Your booking wasn't accepted")
    expect(waiting).to_contain_text(reason)
    shoot(page, "draft-in-the-bell", desktop=False)
    waiting.get_by_role("button").first.click()

    expect(page.get_by_role("heading", name="Your booking, to send again")).to_be_visible()
    expect(page.get_by_label("What should we take or deliver?")).to_have_value(description)
    expect(page.get_by_label("How much will it fill?")).to_have_value("half")
    promo = page.get_by_label("Promo code")
    expect(promo).to_have_value("WELCOM10")
    expect(promo).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-invalid .field-error")).to_have_text(reason)
    shoot(page, "draft-booking-form")

    # The one fix, kept while offline; then sent again once back online.
    promo.fill("WELCOME10")
    expect(page.locator(".field-error")).to_have_count(0)
    expect(quote).to_contain_text("Total$225.00")
    page.wait_for_timeout(500)  # the draft autosaves its edits
    page.reload()
    expect(page.get_by_label("Promo code")).to_have_value("WELCOME10")
    context.set_offline(False)
    page.get_by_role("button", name=re.compile(r"^Send again")).click()
    expect(page.get_by_text("$225.00 quoted when you booked with promo WELCOME10 (−$25.00)")).to_be_visible(
        timeout=20_000
    )
    [job] = httpx_eventually_job(server, description)
    assert (job["promo_code"], job["quoted_price"], job["load_estimate"]) == ("WELCOME10", 22500, "half")
    expect(page.get_by_role("alert").filter(has_text="Your booking wasn't accepted")).to_have_count(0)
    go(page, "notifications")
    expect(page.get_by_role("list", name="Waiting for you")).to_have_count(0)
    expect(page.get_by_text("Your booking wasn't accepted")).to_be_visible()  # the history stays, in words
    assert page.console_errors == []


def test_a_service_request_shows_the_price_list_estimate(page, server):
    sign_in(page, server, "ops@harbor.example")
    go(page, "requests/service")
    quote = page.get_by_role("status", name="Price")
    expect(quote).to_have_count(0)
    page.get_by_label("Service (line 1)").select_option(label="Portable toilet service")
    page.get_by_label("Quantity").fill("3")
    expect(quote).to_contain_text("Estimate$285.00")
    shoot(page, "service-request-estimate", desktop=False)
    comment = f"Priced request {uuid.uuid4().hex[:8]}"
    page.get_by_label("Comments").fill(comment)
    page.get_by_label("PO number (required)").fill("PO-77")
    page.get_by_role("button", name=re.compile(r"^Send request")).click()
    card = page.locator(".card", has_text="Portable toilet service").filter(has_text="Estimate $285.00")
    expect(card.first).to_be_visible(timeout=15_000)
    headers = api_session(server, OFFICE)
    items = httpx.get(f"{server}/api/admin/service-requests", params={"limit": 500}, headers=headers).json()["items"]
    assert [r["quoted_price"] for r in items if r["comments"] == comment] == [28500]


def test_a_refused_extension_waits_on_the_rentals_screen_until_discarded(page, server):
    sign_in(page, server, AVA)
    go(page, "rentals")
    rental = page.locator(".rental-card", has_text="R-1001")
    rental.get_by_role("button", name="Extend").click()
    rental.get_by_label("Extra days").fill("3")
    rental.get_by_role("button", name="Extend for $45.00").click()
    here = page.get_by_role("list", name="Not accepted, waiting for you")
    expect(here).to_contain_text("The rental extension wasn't accepted: Extensions are charged", timeout=20_000)
    here.get_by_role("link", name="Change it and send it again").click()
    expect(page.get_by_role("heading", name="The rental extension wasn't accepted")).to_be_visible()
    expect(page.get_by_text("You asked to extend the rental by 3 days.")).to_be_visible()
    expect(page.get_by_role("button", name="Send again")).to_be_visible()
    shoot(page, "draft-rental-extension", desktop=False)
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_role("heading", name="Rentals")).to_be_visible()
    expect(here).to_have_count(0)
    expect(page.get_by_role("alert").filter(has_text="wasn't accepted")).to_have_count(0)
    assert page.console_errors == []


def test_an_advertised_promo_code_made_in_the_office_prices_the_customers_booking(new_context, server):
    from tests.e2e.conftest import login_link

    office = new_context(viewport={"width": 1280, "height": 900}).new_page()
    office.goto(login_link(server, OFFICE))
    office.wait_for_selector(".office-nav")
    office.goto(f"{server}/t/demo/edit/promo-codes/new")
    office.get_by_label("Code").fill("SPRING15")
    office.get_by_label("Percent off").fill("15")
    office.get_by_label(re.compile("^Advertised")).check()
    office.get_by_role("button", name="Create").click()
    expect(office.get_by_role("status")).to_contain_text("Created")
    office.goto(f"{server}/t/demo/catalog")
    expect(office.get_by_role("region", name="Promo codes")).to_contain_text("SPRING15")
    expect(office.get_by_role("region", name="Services")).to_contain_text("$250.00 (by load $125.00 to $400.00)")
    shoot(office, "office-promo-codes", desktop=True)
    office.goto(f"{server}/t/demo/edit/service-types/{sid('service:junk')}")
    prices = office.get_by_role("group", name="Price by load")
    expect(prices.get_by_label("Price for ¼ truck")).to_have_value("175.00")
    shoot(office, "office-service-load-prices", desktop=True)
    prices.get_by_label("Price for Full truck").fill("420.00")
    office.get_by_role("button", name="Save changes").click()
    headers = api_session(server, OFFICE)
    junk = f"{server}/api/admin/service-types/{sid('service:junk')}"
    for _ in range(40):
        if httpx.get(junk, headers=headers).json()["load_prices"].get("full") == 42000:
            break
        office.wait_for_timeout(250)
    assert httpx.get(junk, headers=headers).json()["load_prices"]["full"] == 42000
    prices_before = {"min": 12500, "quarter": 17500, "half": 25000, "three_quarter": 32500, "full": 40000}
    assert httpx.patch(junk, json={"load_prices": prices_before}, headers=headers).status_code == 200

    page = new_context(viewport={"width": 360, "height": 780}).new_page()
    sign_in(page, server, AVA)
    fill_booking(page, f"Spring clean {uuid.uuid4().hex[:8]}", promo="spring15")
    quote = page.get_by_role("status", name="Price")
    expect(quote).to_contain_text("Promo SPRING15−$37.50")
    expect(quote).to_contain_text("Total$212.50")


def test_a_refused_contact_comes_back_in_the_contact_form_with_the_reason_beside_the_email(context, page, server):
    # Harbor's primary contact adds the front desk offline, with the office's own address: the server
    # refuses it (staff addresses are the staff's), and the form comes back filled in as it was typed.
    sign_in(page, server, "ops@harbor.example")
    go(page, "contacts")
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    name = f"Front desk {uuid.uuid4().hex[:6]}"
    context.set_offline(True)
    page.get_by_role("button", name="Add a contact").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(OFFICE)
    page.get_by_label("Mobile number").fill("+1 555 010 0777")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_text(name)).to_be_visible()
    context.set_offline(False)
    here = page.get_by_role("list", name="Not accepted, waiting for you")
    reason = "Another person already signs in with that email address or phone number. Use another one."
    expect(here).to_contain_text(f"The contact change wasn't accepted: {reason}", timeout=20_000)
    here.get_by_role("link", name="Change it and send it again").click()

    expect(page.get_by_role("heading", name="The contact change wasn't accepted")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value(name)
    email = page.get_by_label("Email")
    expect(email).to_have_value(OFFICE)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-invalid .field-error")).to_have_text(reason)
    expect(page.get_by_label("Mobile number")).to_have_value("+15550100777")
    shoot(page, "draft-contact-form", desktop=False)
    own = f"desk-{uuid.uuid4().hex[:6]}@harbor.example"
    email.fill(own)
    expect(page.locator(".field-error")).to_have_count(0)
    page.get_by_role("button", name="Send again").click()

    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    expect(page.locator(".card", has_text=name)).to_contain_text(own)
    expect(here).to_have_count(0)
    headers = api_session(server, OFFICE)
    deadline = time.monotonic() + 20
    while True:
        found = httpx.get(f"{server}/api/admin/contacts", params={"q": own}, headers=headers).json()["items"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert [(c["name"], c["email"]) for c in found] == [(name, own)]
    assert page.console_errors == []
