"""The customer portal as an installed, offline-first app: magic-link login, installability with the
tenant's manifest, an offline cold start, work queued offline and applied exactly once, and a
mutation rejected while offline explained to the user."""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE,
    api_session,
    go,
    login_link,
    shoot,
    sign_in,
    wait_for_service_worker,
)

pytestmark = pytest.mark.browser

OFFLINE_FIRST_CONTENT_S = 5.0  # generous for CI; scripts/bench/pwa.py measures the real figure


def office_count(base: str, collection: str, **filters: str) -> int:
    headers = api_session(base, "office@demo.example")
    response = httpx.get(f"{base}/api/admin/{collection}", params=filters, headers=headers)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


def book_offline_job(page, description: str) -> None:
    go(page, "book")
    page.get_by_label("Service").select_option(label="Junk removal")
    page.get_by_label("Time").select_option(index=1)
    page.get_by_label("What should we take or deliver?").fill(description)
    page.get_by_role("button", name=re.compile(r"^Book")).click()
    expect(page.get_by_text("Waiting to send").first).to_be_visible()


def test_magic_link_login_shows_avas_accounts(page, server):
    page.goto(f"{server}/t/demo/login")
    page.get_by_label("Email address").fill("ava@example.com")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(login_link(server, "ava@example.com"))
    expect(page.locator(".account-bar")).to_contain_text("Ava Reed")
    expect(page.get_by_text("Open invoices")).to_be_visible()
    shoot(page, "dashboard")
    page.get_by_role("link", name="Switch account").click()
    accounts = page.locator("main .card-list")
    expect(accounts).to_contain_text("Ava Reed")
    expect(accounts).to_contain_text("Reed Landscaping")
    assert page.console_errors == []


def test_installable_with_the_tenants_manifest(playwright_driver, server, profile_dir):
    # Chromium reports "in-incognito" for throwaway contexts: installability needs a real profile.
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile_dir / "installable"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=MOBILE
    )
    try:
        page = context.new_page()
        page.goto(f"{server}/t/demo/login")
        wait_for_service_worker(page)
        assert page.locator('link[rel="manifest"]').count() == 1
        cdp = context.new_cdp_session(page)
        manifest = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            data = cdp.send("Page.getAppManifest").get("data") or "{}"
            manifest = json.loads(data)
            if manifest.get("name") == "Demo Junk & Dumpster":
                break
            time.sleep(0.2)
        assert manifest.get("name") == "Demo Junk & Dumpster"
        assert manifest["theme_color"].lower() == "#0e7c66"
        assert manifest["start_url"].endswith("/t/demo/")
        assert any(icon["sizes"] == "512x512" for icon in manifest["icons"])
        monogram = next(icon for icon in manifest["icons"] if icon["src"].startswith("data:image/svg+xml"))
        assert "0E7C66" in monogram["src"] and "DJ" in monogram["src"]  # the tenant's colour and initials
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_offline_cold_start_then_queued_work_is_applied_once(context, page, server):
    sign_in(page, server, "ava@example.com")
    wait_for_service_worker(page)
    expect(page.locator(".job-card").first).to_be_visible()

    context.set_offline(True)
    started = time.monotonic()
    page.reload()
    expect(page.locator(".job-card").first).to_be_visible(timeout=OFFLINE_FIRST_CONTENT_S * 1000)
    assert time.monotonic() - started < OFFLINE_FIRST_CONTENT_S
    expect(page.get_by_text("You're offline")).to_be_visible()
    shoot(page, "offline-dashboard", desktop=False)

    description = f"Offline booking {uuid.uuid4().hex[:8]}"
    book_offline_job(page, description)
    go(page, "messages")
    body = f"Sent with no signal {uuid.uuid4().hex[:8]}"
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".bubble", has_text=body).get_by_text("Waiting to send")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+ changes waiting to send"))).to_be_visible()
    shoot(page, "offline-queued-message", desktop=False)
    assert office_count(server, "jobs", description=description) == 0
    assert office_count(server, "messages", body=body) == 0

    context.set_offline(False)
    expect(page.locator(".bubble", has_text=body).get_by_text("Waiting to send")).to_have_count(0, timeout=15_000)
    expect(page.locator(".bubble", has_text=body)).to_contain_text("Sent")
    go(page, "jobs")
    expect(
        page.locator(".job-card", has_text=re.compile("Junk removal")).filter(has=page.get_by_text("Waiting to send"))
    ).to_have_count(0)
    # Sync again from a fresh page load: retries must not apply anything twice.
    page.reload()
    expect(page.locator(".account-bar")).to_be_visible()
    page.wait_for_timeout(1000)
    assert office_count(server, "jobs", description=description) == 1
    assert office_count(server, "messages", body=body) == 1
    assert page.console_errors == []


def test_a_booking_rejected_while_offline_shows_why(context, page, server):
    sign_in(page, server, "ava@example.com")
    wait_for_service_worker(page)
    office = api_session(server, "office@demo.example")
    context.set_offline(True)
    description = f"Rejected booking {uuid.uuid4().hex[:8]}"
    book_offline_job(page, description)
    try:
        response = httpx.patch(f"{server}/api/admin/settings", json={"features": {"booking": False}}, headers=office)
        assert response.status_code == 200, response.text
        context.set_offline(False)
        alert = page.get_by_role("alert").filter(has_text="Your booking wasn't accepted")
        expect(alert).to_be_visible(timeout=15_000)
        expect(alert).to_contain_text("This part of the portal is switched off right now")
        # The banner says which booking it is about.
        expect(alert).to_contain_text(re.compile(r"\(Junk removal for \w{3}, \w{3} \d{1,2} at [^)]+\)"))
        shoot(page, "rejected-booking", desktop=False)
        assert office_count(server, "jobs", description=description) == 0
        expect(page.locator(".bottom-nav")).not_to_contain_text("Book")
    finally:
        httpx.patch(f"{server}/api/admin/settings", json={"features": {"booking": True}}, headers=office)
