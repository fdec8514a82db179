"""The app's own dialogs instead of the browser's confirm()/prompt() (Cancel job, Remove), buttons
that look like buttons for secondary actions, and map markers that say what they are."""

from __future__ import annotations

import datetime
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, shoot, sign_in

pytestmark = pytest.mark.browser


def no_browser_dialogs(page) -> list[str]:
    seen: list[str] = []

    def refuse(dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    return seen


def test_cancel_job_asks_in_an_in_app_dialog_and_keeping_it_changes_nothing(page, server):
    seen = no_browser_dialogs(page)
    sign_in(page, server, "ava@example.com")
    go(page, f"jobs/{sid('job:ava-confirmed')}")
    page.get_by_role("button", name="Cancel job").click()
    dialog = page.get_by_role("dialog", name=re.compile(r"Cancel job J-0902\?"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Why are you cancelling? (optional)")).to_be_focused()
    shoot(page, "dialog-cancel-job", desktop=False)
    page.keyboard.press("Escape")  # backs out, like "Keep the job"
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel job")).to_be_visible()

    page.get_by_role("button", name="Cancel job").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Why are you cancelling? (optional)").fill("Plans changed")
    dialog.get_by_role("button", name="Cancel job").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(".section-head .badge, .badge").first).to_contain_text(
        re.compile("Cancel", re.I), timeout=15_000
    )
    assert seen == [], seen


def test_remove_a_contact_asks_first_and_secondary_actions_are_buttons(page, server):
    seen = no_browser_dialogs(page)
    sign_in(page, server, "ops@harbor.example")
    go(page, "contacts")
    remove = page.get_by_role("button", name="Remove").first
    expect(remove).to_be_visible()
    remove.click()
    dialog = page.get_by_role("dialog", name=re.compile(r"^Remove "))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep")).to_be_focused()  # the safe choice first
    shoot(page, "dialog-remove-contact", desktop=False)
    dialog.get_by_role("button", name="Keep").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert seen == [], seen

    # Secondary actions are bordered buttons of one height, not loose bold text.
    shoot(page, "contacts-actions", desktop=False)
    sign_in(page, server, "ava@example.com")
    go(page, "rentals")
    # The demo rental (active) offers "Extend" and "Request pickup"; they come with Ava's first sync, which
    # follows the switch from the other person's session on this page.
    for name in ("Extend", "Request pickup"):
        button = page.get_by_role("button", name=name, exact=True).first
        expect(button).to_be_visible(timeout=30_000)
        # (measured once the screen has settled: the rentals screen re-renders as the sync answers)
        deadline = time.monotonic() + 5
        while True:
            style = button.evaluate(
                "b => { const s = getComputedStyle(b); return [s.borderTopStyle, s.borderTopWidth, b.getBoundingClientRect().height] }"
            )
            if (style[0] == "solid" and style[1] != "0px" and 34 <= style[2] <= 46) or time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)
        assert style[0] == "solid" and style[1] != "0px" and 34 <= style[2] <= 46, (name, style)
    heights = (
        page.locator(".action-row")
        .first.locator("button")
        .evaluate_all("bs => bs.map(b => Math.round(b.getBoundingClientRect().height))")
    )
    assert len(heights) >= 2 and len(set(heights)) == 1, heights  # one height for all of them
    shoot(page, "rentals-actions")


def test_map_markers_say_whose_they_are(page, server):
    sign_in(page, server, "ava@example.com")
    go(page, f"jobs/{sid('job:ava-en-route')}")
    expect(page.locator(".truck-map")).to_be_visible(timeout=20_000)
    # The driver of T-1 (on J-0903) reports positions, as the driver app does every few seconds; the
    # customer's map shows the truck, labelled (the first may come before the map's live channel is open).
    truck = page.get_by_role("img", name=re.compile(r"^Your truck · T-\d"))
    for _ in range(10):
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        fix = {"lat": 39.7817, "lng": -89.6501, "at": now}
        response = httpx.post(
            f"{server}/api/driver/gps", json={"fixes": [fix]}, headers=api_session(server, "driver@demo.example")
        )
        assert response.status_code == 200, response.text
        try:
            expect(truck).to_be_visible(timeout=2_000)
            break
        except AssertionError:
            continue
    expect(truck).to_be_visible()
    expect(page.get_by_role("img", name="Your site")).to_be_visible()
    expect(page.locator(".map-label", has_text=re.compile(r"Your truck · T-\d"))).to_be_visible()
    expect(page.locator(".map-label", has_text="Your site")).to_be_visible()
    shoot(page, "map-labelled-markers", desktop=False)


def test_a_site_pin_is_placed_by_a_tap_and_moved_with_the_arrow_keys(page, server):
    sign_in(page, server, "ava@example.com")
    go(page, "sites")
    page.get_by_role("button", name="Add a location").click()
    area = page.locator(".pin-map")
    expect(area).to_be_visible(timeout=15_000)
    expect(area.get_by_role("button", name="Zoom in")).to_be_visible()
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hint = page.get_by_text(re.compile(r"^Pinned at -?\d+\.\d{5}, -?\d+\.\d{5}\. Drag the pin to adjust\.$"))
    expect(hint).to_be_visible()
    before = hint.inner_text()
    pin = area.get_by_role("button", name=re.compile("^Site location"))
    pin.focus()
    page.keyboard.press("ArrowRight")
    expect(hint).not_to_have_text(before)
    shoot(page, "site-pin-map", desktop=False)
