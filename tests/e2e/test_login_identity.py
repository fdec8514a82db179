"""Signing in from a link in a real browser: the token leaves the address bar (and history), the page
runs under its Content-Security-Policy without a violation, and an address that is both a customer's
and a staff member's gets a chooser."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import api_session, login_link, shoot

pytestmark = pytest.mark.browser


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def test_the_login_token_leaves_the_address_bar_and_the_page_keeps_its_policy(page, server):
    violations = _watch_csp(page)
    link = login_link(server, "ava@example.com")
    page.goto(link)
    page.wait_for_selector(".bottom-nav")
    assert "token=" not in page.url
    assert "token" not in page.evaluate("location.href")
    page.go_back()  # the history entry the link made was replaced, not kept
    assert "token=" not in page.evaluate("location.href")
    assert violations == []


def test_a_bad_link_also_leaves_the_address_bar(page, server):
    page.goto(f"{server}/t/demo/login?token={'x' * 40}")
    expect(page.get_by_role("alert")).to_contain_text("no longer valid")
    assert "token=" not in page.evaluate("location.href")


def test_an_address_that_is_both_staff_and_customer_chooses_at_login(page, server):
    office = api_session(server, "office@demo.example")
    contact_id = str(uuid.uuid4())
    response = httpx.post(
        f"{server}/api/admin/contacts",
        headers=office,
        json={"id": contact_id, "name": "Dana at home", "email": "admin@demo.example"},
    )
    assert response.status_code == 201, response.text
    response = httpx.post(
        f"{server}/api/admin/memberships",
        headers=office,
        json={
            "id": str(uuid.uuid4()),
            "contact_id": contact_id,
            "account_id": sid("account:ava-reed"),
            "name": "Dana at home",
            "email": "admin@demo.example",
        },
    )
    assert response.status_code == 201, response.text
    link = login_link(server, "admin@demo.example")
    page.goto(link)
    expect(page.get_by_role("heading", name="How do you want to sign in?")).to_be_visible()
    assert "token=" not in page.evaluate("location.href")
    shoot(page, "login-choose-identity")
    page.get_by_role("button", name="As a customer: my portal").click()
    page.wait_for_selector(".bottom-nav")  # the customer portal, not the office console
    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    other = page.context.new_page()
    other.goto(link)
    other.get_by_role("button", name="As staff: work for", exact=False).click()
    other.wait_for_function("() => !location.pathname.endsWith('/login')", timeout=15_000)
    expect(other.get_by_role("button", name="Log out")).to_be_visible(timeout=15_000)
