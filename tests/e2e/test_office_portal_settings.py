"""The office sets the portal up as a provider expects, and customers feel it on their next sync:
the portal switched off, booking switched off (even for a booking queued offline), new branding."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    DESKTOP,
    PHONE,
    api_headers,
    new_context,
    own_server,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

AVA, OFFICE = "ava@example.com", "office@demo.example"
SLOW = 30_000  # the customer hears of the change by a live poke, or at worst the 30 s periodic sync


def customer(new_context, base: str, path: str = ""):
    page = sign_in(new_context(**PHONE), base, AVA, path)
    expect(page.locator(".bottom-nav")).to_be_visible()
    return page


def settings_page(new_context, base: str):
    page = sign_in(new_context(**DESKTOP), base, OFFICE, "settings")
    expect(page.get_by_role("heading", name="Portal settings")).to_be_visible()
    return page


def save(page) -> None:
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()


def test_portal_switched_off_shows_portal_not_available_and_staff_can_still_sign_in(new_context, own_server):
    ava = customer(new_context, own_server)
    office = settings_page(new_context, own_server)
    expect(office.get_by_label("Portal URL")).to_have_value(f"{own_server}/t/demo/")

    office.get_by_label("Customer portal is on").uncheck()
    expect(office.get_by_text("Every portal link shows")).to_be_visible()
    save(office)
    screenshot(office, "office-settings-portal-off")

    expect(ava.get_by_role("heading", name="Portal not available")).to_be_visible(timeout=SLOW)
    screenshot(ava, "customer-portal-not-available")
    assert httpx.get(f"{own_server}/api/public/tenants/demo").json()["portal_enabled"] is False

    # A link opened now says so too; the office can still sign in (and switch it back on).
    visitor = new_context(**PHONE).new_page()
    visitor.goto(f"{own_server}/t/demo/")
    expect(visitor.get_by_role("heading", name="Portal not available")).to_be_visible()
    staff = sign_in(new_context(**DESKTOP), own_server, OFFICE, "settings")
    staff.get_by_label("Customer portal is on").check()
    save(staff)
    visitor.reload()
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()


def test_booking_switched_off_hides_booking_and_rejects_a_booking_queued_offline(new_context, own_server):
    ava = customer(new_context, own_server, "book")
    ava.get_by_label("Service").select_option(label="Junk removal")
    ava.get_by_label("Time").select_option(index=1)
    ava.get_by_label("What should we take or deliver?").fill("Old piano (booked offline)")
    ava.context.set_offline(True)
    ava.get_by_role("button", name=re.compile(r"^Book")).click()
    expect(ava.get_by_text("Waiting to send").first).to_be_visible()

    office = settings_page(new_context, own_server)
    office.get_by_label("Job booking").uncheck()
    save(office)
    screenshot(office, "office-settings-booking-off")

    ava.context.set_offline(False)
    banner = ava.get_by_role("alert").filter(has_text="Your booking wasn't accepted")
    expect(banner).to_contain_text("This part of the portal is switched off right now", timeout=SLOW)
    expect(banner).to_contain_text("(Junk removal for ")  # which booking it is
    expect(ava.locator(".bottom-nav").get_by_role("link", name="Book")).to_have_count(0)
    ava.goto(f"{own_server}/t/demo/book")
    expect(ava.locator(".bottom-nav")).to_be_visible()
    expect(ava.get_by_role("heading", name="Book a job")).to_have_count(0)
    screenshot(ava, "customer-booking-rejected")

    jobs = httpx.get(
        f"{own_server}/api/admin/jobs", params={"source": "portal"}, headers=api_headers(own_server, OFFICE)
    ).json()
    assert not [j for j in jobs["items"] if j["description"] == "Old piano (booked offline)"]


def test_branding_change_shows_in_the_preview_and_in_the_customers_portal(new_context, own_server):
    ava = customer(new_context, own_server)
    office = settings_page(new_context, own_server)

    office.get_by_label("Display name in the portal").fill("Springfield Haulers")
    office.get_by_label("Primary colour (hex)").fill("#7B1FA2")
    preview = office.get_by_label("Live preview of the customer portal")
    expect(preview).to_contain_text("Springfield Haulers")
    expect(preview.locator(".preview-header")).to_have_css("background-color", "rgb(123, 31, 162)")
    office.get_by_label("Primary colour (hex)").fill("purple")
    expect(office.get_by_text("Use the form #RRGGBB.")).to_be_visible()
    expect(office.get_by_role("button", name="Save changes")).to_be_disabled()
    office.get_by_label("Primary colour (hex)").fill("#7B1FA2")
    save(office)
    expect(office.locator(".office-header")).to_have_css("background-color", "rgb(123, 31, 162)")
    screenshot(office, "office-settings-branding")

    expect(ava.locator(".app-header .brand-name")).to_have_text("Springfield Haulers", timeout=SLOW)
    expect(ava.locator(".app-header")).to_have_css("background-color", "rgb(123, 31, 162)")
    screenshot(ava, "customer-new-branding")
