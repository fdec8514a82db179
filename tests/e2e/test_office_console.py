"""The office console: customer chats with typing and read receipts, the read-only portal view,
the request queues, the dispatch board, and contacts' portal access and login links."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    DESKTOP,
    PHONE,
    api_headers,
    eventually,
    new_context,
    own_server,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

AVA, OFFICE, DRIVER = "ava@example.com", "office@demo.example", "driver@demo.example"
SLOW = 30_000


def type_until_seen(typist, field: str, text: str, watcher, shown: str) -> None:
    """Typing indicators are best effort (a socket may be reconnecting): keep typing, as a person
    would, until the other side shows it."""
    for attempt in range(6):
        typist.get_by_label(field).press_sequentially(text if attempt == 0 else " .")
        try:
            expect(watcher.get_by_role("status").filter(has_text="is typing")).to_contain_text(shown, timeout=5_000)
            return
        except AssertionError:
            typist.wait_for_timeout(3_100)  # the app sends at most one typing event per 3 s
    expect(watcher.get_by_role("status").filter(has_text="is typing")).to_contain_text(shown, timeout=SLOW)


def office_at(new_context, base: str, path: str):
    page = sign_in(new_context(**DESKTOP), base, OFFICE, path)
    expect(page.locator(".office-nav")).to_be_visible()
    return page


def test_office_reply_reaches_the_customer_with_typing_and_read_receipts(new_context, own_server):
    ava = sign_in(new_context(**PHONE), own_server, AVA, "messages")
    account = ava.locator(".account-bar .account-name").inner_text()
    ava.get_by_label("Message").fill("Is the driver close?")
    ava.get_by_role("button", name="Send").click()
    mine = ava.locator(".bubble.mine").filter(has_text="Is the driver close?")
    expect(mine).to_contain_text("Sent", timeout=SLOW)

    office = office_at(new_context, own_server, "inbox")
    thread = office.locator(".thread").filter(has_text=account)
    expect(thread).to_contain_text("1 new")
    expect(office.locator(".office-nav")).to_contain_text("Inbox1")
    thread.click()
    expect(office.locator(".thread-view .bubble.theirs").filter(has_text="Is the driver close?")).to_be_visible()

    # Opening the thread reads it: the customer's message shows "Read".
    expect(mine).to_contain_text("Read", timeout=SLOW)

    # Typing shows on both sides (live socket).
    type_until_seen(ava, "Message", "Also", office, "Ava Reed is typing")
    office.get_by_label("Reply").fill("")
    type_until_seen(office, "Reply", "About ten minutes away", ava, "Oscar is typing")
    office.get_by_label("Reply").fill("About ten minutes away")

    office.get_by_role("button", name="Send").click()
    reply = ava.locator(".bubble.theirs").filter(has_text="About ten minutes away")
    expect(reply).to_be_visible(timeout=SLOW)
    expect(reply).to_contain_text("Oscar Office")
    screenshot(ava, "customer-chat-office-reply")

    # The customer read it (their chat screen is open): the office sees "Read" on its reply.
    ours = office.locator(".thread-view .bubble.mine").filter(has_text="About ten minutes away")
    expect(ours).to_contain_text("Read", timeout=SLOW)
    expect(thread).not_to_contain_text("new")
    screenshot(office, "office-inbox")


def test_view_portal_opens_the_customers_portal_read_only_in_a_new_tab(new_context, own_server):
    office = office_at(new_context, own_server, "customers")
    office.get_by_label("Search by name, number, email or phone").fill("harbor")
    row = office.locator("tr[data-account='Harbor Property Group']")
    expect(row).to_be_visible()
    expect(office.locator("tbody tr")).to_have_count(1)
    screenshot(office, "office-customers")
    with office.context.expect_page() as opened:
        row.get_by_role("button", name="View portal").click()
    view = opened.value
    expect(view.get_by_role("note")).to_contain_text("Staff read-only view", timeout=SLOW)
    expect(view.locator(".account-bar")).to_contain_text("Harbor Property Group")
    screenshot(view, "office-view-portal-read-only")

    # The office's own tab keeps its own session (the view tab has a database of its own).
    office.reload()
    expect(office.locator(".office-nav")).to_be_visible()
    expect(office.get_by_role("heading", name="Customers")).to_be_visible()


def test_requests_queue_confirms_a_booking_and_contacts_get_access_and_links(new_context, own_server):
    headers = api_headers(own_server, OFFICE)
    office = office_at(new_context, own_server, "requests")
    booking = office.locator(".queue-item[data-number='J-0901']")
    expect(booking).to_contain_text("Old sofa and two mattresses")
    screenshot(office, "office-requests")
    booking.get_by_role("button", name="Confirm").click()
    expect(booking).to_have_count(0)
    assert (
        httpx.get(f"{own_server}/api/admin/jobs/{sid('job:ava-requested')}", headers=headers).json()["status"]
        == "confirmed"
    )

    office.goto(f"{own_server}/t/demo/customers/{sid('account:harbor')}")
    gate = office.locator("tr[data-contact='gate@harbor.example']")
    expect(gate).to_contain_text("Site contact: Harbor Tower A")
    gate.get_by_label("Portal access for Gus Gate").uncheck()
    expect(gate).to_contain_text("Turn access on first")
    membership = httpx.get(f"{own_server}/api/admin/memberships/{sid('membership:gate')}", headers=headers).json()
    assert membership["portal_access"] is False

    ops = office.locator("tr[data-contact='ops@harbor.example']")
    ops.get_by_role("button", name="Send login link").click()
    expect(ops).to_contain_text("Sent to ops@harbor.example")
    expect(ops.get_by_role("button", name="Resend login link")).to_be_visible()
    outbox = httpx.get(f"{own_server}/api/dev/outbox", params={"to": "ops@harbor.example"}).json()["messages"]
    assert outbox and "/t/demo/login?token=" in outbox[0]["link"]
    screenshot(office, "office-customer-contacts")


def test_dispatch_puts_a_job_on_a_truck_and_the_driver_gets_it(new_context, own_server):
    headers = api_headers(own_server, OFFICE)
    job_id = sid("job:ava-confirmed")  # J-0902: confirmed, on truck T-2, in two days
    day = httpx.get(f"{own_server}/api/admin/jobs/{job_id}", headers=headers).json()["scheduled_date"]
    phone = new_context(**PHONE, geolocation={"latitude": 39.79, "longitude": -89.65}, permissions=["geolocation"])
    driver = sign_in(phone, own_server, DRIVER)
    expect(driver.locator("li.driver-job[data-job='J-0904']")).to_be_visible()
    expect(driver.locator("li.driver-job[data-job='J-0902']")).to_have_count(0)

    office = office_at(new_context, own_server, "dispatch")
    office.get_by_label("Day shown").fill(day)
    tile = office.locator(".tile[data-number='J-0902']")
    expect(office.locator(".board-column[aria-label='T-2']")).to_contain_text("J-0902")
    tile.get_by_label("Truck").select_option(label="T-1")
    expect(office.locator(".board-column[aria-label='T-1'] .tile[data-number='J-0902']")).to_be_visible()
    tile = office.locator(".tile[data-number='J-0902']")
    tile.get_by_label("Crew").fill("Drew Driver, Pat Porter")
    tile.get_by_role("button", name="Save").click()
    expect(tile.get_by_role("button", name="Save")).to_have_count(0)
    screenshot(office, "office-dispatch")

    row = httpx.get(f"{own_server}/api/admin/jobs/{job_id}", headers=headers).json()
    assert row["truck_id"] == sid("truck:t1") and [c["name"] for c in row["crew"]] == ["Drew Driver", "Pat Porter"]
    card = driver.locator("li.driver-job[data-job='J-0902']")
    expect(card).to_be_visible(timeout=SLOW)
    expect(card).to_contain_text("Ava Reed")
    assert date.fromisoformat(day)  # the job kept its day
