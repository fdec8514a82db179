"""Who sees what: the staff read-only view, a site contact, a switched-off portal, and untrusted
text (a chat message, a site name) that must render as text, never as markup."""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, shoot, sign_in

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=window.__xss=1>"
HARBOR = sid("account:harbor")


def test_staff_read_only_view_disables_every_write(page, server):
    office = api_session(server, "office@demo.example")
    response = httpx.post(f"{server}/api/admin/accounts/{HARBOR}/portal-view", headers=office)
    assert response.status_code == 200, response.text
    token = response.json()["session_token"]
    page.goto(f"{server}/t/demo/view#session={token}")
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("Staff read-only view of Harbor Property Group")
    shoot(page, "read-only-dashboard")

    go(page, "book")
    expect(page.get_by_role("button", name="Book", exact=True)).to_be_disabled()
    expect(page.get_by_label("What should we take or deliver?")).to_be_disabled()
    go(page, "units")
    buttons = page.get_by_role("button", name="Report issue")
    expect(buttons.first).to_be_visible()
    for i in range(buttons.count()):
        expect(buttons.nth(i)).to_be_disabled()
    go(page, "estimates")
    expect(page.get_by_role("button", name="Approve")).to_be_disabled()
    expect(page.get_by_role("button", name="Decline")).to_be_disabled()
    go(page, "invoices")
    expect(page.get_by_role("button", name="Pay another amount")).to_be_disabled()
    expect(page.get_by_role("checkbox").first).to_be_disabled()
    go(page, "contacts")
    expect(page.get_by_role("button", name="Add a contact")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    go(page, "messages")
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    expect(page.get_by_label("Message")).to_have_count(0)
    shoot(page, "read-only-messages", desktop=False)

    # And the server refuses a write even if the UI were bypassed.
    forced = httpx.post(
        f"{server}/api/sync/push",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "client_id": "forced-write",
            "schema_version": 1,
            "mutations": [
                {
                    "id": 1,
                    "name": "message.send",
                    "args": {"id": "00000000-0000-4000-8000-000000000001", "body": "hi"},
                    "created_at": "2030-01-01T00:00:00Z",
                }
            ],
        },
    )
    assert forced.status_code == 403
    assert forced.json()["error"]["code"] == "read_only"
    assert page.console_errors == []


def test_site_contact_sees_no_invoices(page, server):
    sign_in(page, server, "gate@harbor.example")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_contain_text("Jobs")
    expect(nav.get_by_role("link", name="Invoices")).to_have_count(0)
    expect(page.get_by_text("Open invoices")).to_have_count(0)
    go(page, "invoices")
    expect(page).to_have_url(f"{server}/t/demo/")
    go(page, "more")
    more = page.locator("main")
    expect(more).to_contain_text("Service & supply requests")
    expect(more).not_to_contain_text("Payment methods")
    expect(more).not_to_contain_text("Statements")
    shoot(page, "site-contact-more")


def test_untrusted_text_renders_inert(page, server):
    office = api_session(server, "office@demo.example")
    ava_account = sid("account:ava-reed")
    created = httpx.post(f"{server}/api/admin/messages", headers=office, json={"account_id": ava_account, "body": XSS})
    assert created.status_code == 201, created.text
    site = httpx.post(
        f"{server}/api/admin/sites",
        headers=office,
        json={
            "account_id": ava_account,
            "name": XSS,
            "type": "residential",
            "address": {
                "line1": "1 Script St",
                "line2": "",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "country": "US",
            },
        },
    )
    assert site.status_code == 201, site.text

    sign_in(page, server, "ava@example.com")
    go(page, "messages")
    expect(page.locator(".bubble", has_text=XSS)).to_be_visible()
    go(page, "sites")
    expect(page.locator(".card-title", has_text=XSS)).to_be_visible()
    go(page, "book")
    expect(page.get_by_label("Location")).to_contain_text(XSS)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0


def test_switched_off_portal_says_not_available(browser, server):
    office = api_session(server, "office@demo.example")
    signed_in = browser.new_context(viewport={"width": 360, "height": 780})
    try:
        page = signed_in.new_page()
        sign_in(page, server, "ava@example.com")
        assert (
            httpx.patch(f"{server}/api/admin/settings", json={"portal_enabled": False}, headers=office).status_code
            == 200
        )
        page.reload()
        expect(page.get_by_role("heading", name="Portal not available")).to_be_visible()
        # Nothing to sync, read or switch to: no sync error, no bell, no account switcher.
        page.wait_for_timeout(1_500)
        expect(page.locator(".bell")).to_have_count(0)
        expect(page.get_by_text("Switch account")).to_have_count(0)
        expect(page.get_by_text("Couldn't sync")).to_have_count(0)
        expect(page.locator(".account-bar")).to_have_count(0)
        shoot(page, "portal-not-available-signed-in")

        fresh = signed_in.browser.new_context(viewport={"width": 360, "height": 780})
        try:
            newcomer = fresh.new_page()
            newcomer.goto(f"{server}/t/demo/login")
            expect(newcomer.get_by_role("heading", name="Portal not available")).to_be_visible()
            shoot(newcomer, "portal-not-available")
            expect(newcomer.get_by_label("Email address")).to_have_count(0)
        finally:
            fresh.close()
    finally:
        httpx.patch(f"{server}/api/admin/settings", json={"portal_enabled": True}, headers=office)
        signed_in.close()


def _office_events(socket, kind: str, timeout_s: float = 10) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        event = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if event.get("type") == kind:
            return event
    raise AssertionError(f"no {kind} event reached the office")


def test_chat_typing_indicators_and_read_receipts(page, server):
    office = api_session(server, "office@demo.example")
    ava_account = sid("account:ava-reed")
    token = office["Authorization"].split(" ", 1)[1]
    with connect(f"{server.replace('http', 'ws', 1)}/api/live?token={token}") as socket:
        sign_in(page, server, "ava@example.com")
        go(page, "messages")
        body = f"Is the truck coming today? {uuid.uuid4().hex[:6]}"
        page.get_by_label("Message").type(body[:12])
        typing = _office_events(socket, "typing")  # Ava has two accounts: the app must say which chat
        assert typing["account_id"] == ava_account
        page.get_by_label("Message").fill(body)
        page.get_by_role("button", name="Send").click()
        bubble = page.locator(".bubble", has_text=body)
        expect(bubble).to_contain_text("Sent", timeout=15_000)

        # The office types back: the customer sees it live.
        socket.send(f'{{"type": "typing", "account_id": "{ava_account}"}}')
        expect(page.get_by_role("status").filter(has_text="is typing")).to_be_visible()

        # The office reads the message: "Read" appears without a reload.
        items = httpx.get(f"{server}/api/admin/messages", params={"body": body}, headers=office).json()["items"]
        assert len(items) == 1
        pushed = httpx.post(
            f"{server}/api/sync/push",
            headers=office,
            json={
                "client_id": uuid.uuid4().hex,
                "schema_version": 1,
                "mutations": [
                    {
                        "id": 1,
                        "name": "message.mark_read",
                        "args": {"ids": [items[0]["id"]]},
                        "created_at": "2030-01-01T00:00:00Z",
                    }
                ],
            },
        )
        assert pushed.json()["results"][0]["status"] == "applied", pushed.text
        expect(bubble).to_contain_text("Read", timeout=10_000)
        shoot(page, "chat-read-receipt", desktop=False)


def test_notification_bell_marks_read(page, server):
    sign_in(page, server, "ava@example.com")
    bell = page.get_by_role("link", name=re.compile(r"Notifications, \d+ unread"))
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".bell-count")).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    ava = api_session(server, "ava@example.com")
    deadline = time.monotonic() + 15
    while True:  # the read marks reach the server (notification.mark_read), not just this screen
        pulled = httpx.get(f"{server}/api/sync/pull", params={"client_id": uuid.uuid4().hex}, headers=ava).json()
        unread = [c for c in pulled["changes"] if c["entity"] == "notification" and c["data"]["read_at"] is None]
        if not unread:
            break
        assert time.monotonic() < deadline, f"still unread on the server: {unread}"
        time.sleep(0.3)
