"""Customer screens that say what is so: the provider's business hours on the contact screen, a
finished job that says when it was done (not "Today morning"), "Next due" never in the past, and
one Recent activity entry per event."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import go, shoot, sign_in

pytestmark = pytest.mark.browser


def test_the_contact_screen_shows_the_week_of_business_hours(page, server):
    sign_in(page, server, "ava@example.com")
    page.get_by_role("link", name="Hours and contact").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Contact "))).to_be_visible()
    hours = page.locator(".hours-table")
    expect(hours.locator("tr")).to_have_count(7)
    expect(hours.locator("tr").first).to_contain_text("Monday")
    expect(hours.locator("tr", has_text="Monday")).to_contain_text(
        re.compile(r"\d{1,2}:\d{2} [AP]M – \d{1,2}:\d{2} [AP]M")
    )
    expect(hours.locator("tr", has_text="Sunday")).to_contain_text("Closed")
    expect(hours.locator("tr.today")).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile(r"^\(\d{3}\) \d{3}-\d{4}$")).first).to_be_visible()
    expect(page.locator(".open-state").first).to_have_text(re.compile(r"^(Open|Closed) now$"))
    shoot(page, "contact-business-hours")
    go(page, "more")
    expect(page.get_by_role("link", name=re.compile("Contact us"))).to_be_visible()


def test_finished_jobs_say_when_they_were_done(page, server):
    sign_in(page, server, "ava@example.com")
    go(page, "jobs?tab=history")
    expect(page.locator(".card", has_text="J-0880")).to_contain_text("Completed")
    go(page, f"jobs/{sid('job:ava-completed')}")
    when = page.locator(".countdown")
    expect(when).to_have_text(re.compile(r"^Completed \w{3} \d{1,2}, \d{1,2}:\d{2} [AP]M$"))
    shoot(page, "jobs-history-completed", desktop=False)


def test_next_due_is_never_in_the_past_and_each_payment_is_listed_once(page, server):
    sign_in(page, server, "ops@harbor.example")
    expect(page.get_by_text("Overdue", exact=True)).to_be_visible()
    next_due = page.locator(".stat", has_text=re.compile("Next due|Nothing"))
    label = next_due.locator(".stat-label").inner_text()
    today = page.evaluate("() => new Date().toISOString().slice(0, 10)")
    if label.startswith("Next due"):
        shown = page.evaluate(
            "text => { const d = new Date(text + ' ' + new Date().getFullYear()); return isNaN(d) ? null : d.toISOString().slice(0, 10) }",
            label.removeprefix("Next due ").split(", ", 1)[-1],
        )
        assert shown is None or shown >= today[:10] or shown < today[:4], label  # (a date next year reads earlier)
    activity = page.locator(".activity li")
    titles = [t.strip() for t in activity.all_inner_texts()]
    payments = [t for t in titles if "PAY-1002" in t]
    assert len(payments) <= 1, titles
    shoot(page, "dashboard-activity", desktop=False)
