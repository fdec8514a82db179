"""A customer changes their own email in the portal: a link goes to the new address, and only
opening it makes the change (the token then leaves the address bar); someone else's address is
refused in words the customer reads."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.conftest import login_link, shoot, sign_in

pytestmark = pytest.mark.browser
NEW = "ava.reed@newmail.example"


def test_a_customer_changes_their_email_by_the_link_sent_to_it(page, server):
    sign_in(page, server, "ava@example.com")
    page.goto(f"{server}/t/demo/accounts")
    page.get_by_role("button", name="Change email").click()
    page.get_by_label("New email address").fill("ops@harbor.example")  # another customer's address
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_role("alert")).to_contain_text("Someone else already signs in with that address")

    page.get_by_label("New email address").fill(NEW)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_role("status")).to_contain_text(f"We sent a link to {NEW}")
    expect(page.locator(".your-addresses")).to_contain_text("ava@example.com")  # unchanged until confirmed
    shoot(page, "portal-address-change-sent")

    [link] = [
        m["link"]
        for m in httpx.get(f"{server}/api/dev/outbox", params={"to": NEW}).json()["messages"]
        if "confirm-address" in m["link"]
    ]
    page.goto(link)
    expect(page.get_by_role("status")).to_contain_text(f"You now sign in with {NEW}")
    assert "token=" not in page.evaluate("location.href")
    shoot(page, "portal-address-change-confirmed")
    page.get_by_role("link", name="Back to your account").click()
    expect(page.locator(".your-addresses")).to_contain_text(NEW)


def test_editing_yourself_in_contacts_points_to_the_confirmed_change(page, server):
    sign_in(page, server, "ops@harbor.example")
    page.goto(f"{server}/t/demo/contacts")
    me = page.locator("li").filter(has_text="(you)")
    me.get_by_role("button", name="Edit").click()
    expect(me.get_by_label("Email")).to_have_count(0)  # no field that would be refused for your own address
    me.get_by_role("link", name="Change your email or phone").click()
    expect(page.get_by_role("button", name="Change email")).to_be_visible()


def test_an_old_or_broken_confirmation_link_says_so(page, server):
    page.goto(f"{server}/t/demo/confirm-address?token={'x' * 40}")
    expect(page.get_by_role("alert")).to_contain_text("no longer works")
    assert "token=" not in page.evaluate("location.href")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_the_office_changes_a_contacts_email_directly(page, server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(login_link(server, "office@demo.example"))
    expect(page.locator(".office-nav")).to_be_visible()
    page.goto(f"{server}/t/demo/customers/{sid('account:harbor')}")
    page.locator("tr[data-contact='gate@harbor.example']").get_by_role("link", name="Gus Gate").click()
    page.get_by_label("Email").fill("gus@harbor.example")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").or_(page.locator(".form-ok"))).to_be_visible()
    shoot(page, "office-contact-edit", desktop=False)
    page.get_by_role("link", name="← Customer").click()
    expect(page.locator("tr[data-contact='gus@harbor.example']")).to_contain_text("gus@harbor.example")
    # And the new address signs him in.
    assert (
        httpx.post(f"{server}/api/auth/magic-link", json={"tenant": "demo", "email": "gus@harbor.example"}).status_code
        == 202
    )
    messages = httpx.get(f"{server}/api/dev/outbox", params={"to": "gus@harbor.example"}).json()["messages"]
    assert messages and "/t/demo/login?token=" in messages[0]["link"]
