"""Web Push in the PWA: the service worker shows a pushed notification, and the "Notifications on this
device" control tells the person when it cannot turn on.

Chromium here has no push service (no internet), so the push is delivered to the service worker
through the DevTools protocol (``ServiceWorker.deliverPushMessage``), as a push service would after the
server's encrypted POST (that half is tests/api/test_web_push.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from server.seed.demo import sid
from tests.e2e.conftest import api_session, go, shoot, sign_in, wait_for_service_worker
from tests.support.portal import AVA

pytestmark = pytest.mark.browser


def push_sender(page, origin: str) -> Callable[[dict], None]:
    """Deliver a push to the page's service worker as its push service would, once the worker is
    activated (DevTools: the registration's id, then ``deliverPushMessage``)."""
    cdp = page.context.new_cdp_session(page)
    versions: list[dict] = []
    cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event["versions"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not (active := [v for v in versions if v["status"] == "activated"]):
        assert time.monotonic() < deadline, f"DevTools reported no activated service worker: {versions}"
        page.wait_for_timeout(50)
    registration = active[-1]["registrationId"]

    def send(message: dict) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": registration, "data": json.dumps(message)},
        )

    return send


def shown_notifications(page) -> list[list]:
    return page.evaluate("""navigator.serviceWorker.ready
        .then(r => r.getNotifications())
        .then(ns => ns.map(n => [n.title, n.body, n.tag, n.data && n.data.url]))""")


def test_the_service_worker_shows_a_pushed_notification(server, context, page):
    context.grant_permissions(["notifications"], origin=server)
    sign_in(page, server, AVA)
    wait_for_service_worker(page)
    push = push_sender(page, server)
    message = {
        "title": "Technician dispatched: job J-0901",
        "body": "Truck T-2.",
        "url": "/t/demo/jobs/abc",
        "tag": "notification:n1",
        "icon": "/icons/icon-192.png",
    }
    push(message)
    deadline = time.monotonic() + 10
    while not (shown := shown_notifications(page)):
        assert time.monotonic() < deadline, "the service worker showed no notification"
        page.wait_for_timeout(100)
    assert shown == [["Technician dispatched: job J-0901", "Truck T-2.", "notification:n1", "/t/demo/jobs/abc"]]

    # A link to another site is never followed: the notification opens the portal instead.
    push({"title": "Elsewhere", "body": "", "url": "https://evil.example/x", "tag": "n2"})
    deadline = time.monotonic() + 10
    while len(shown := shown_notifications(page)) < 2:
        assert time.monotonic() < deadline, f"the second push was not shown: {shown}"
        page.wait_for_timeout(100)
    assert ["Elsewhere", "", "n2", "/"] in shown


def test_turning_on_without_a_push_service_says_why(server, context, page):
    context.grant_permissions(["notifications"], origin=server)
    sign_in(page, server, AVA)
    wait_for_service_worker(page)
    go(page, "notifications")
    control = page.locator(".push-toggle")
    control.get_by_text("Off: you see updates here").wait_for()
    control.get_by_role("button", name="Turn on").click()
    alert = control.get_by_role("alert")
    alert.wait_for(timeout=30_000)
    # Headless Chromium has no push service and refuses the subscription: the person is told, with the reason.
    text = alert.inner_text()
    assert text.startswith("Notifications could not be turned on: this browser refused") and "(" in text, text
    assert control.get_by_role("button", name="Turn on").is_enabled()  # still off, and may be tried again
    shoot(page, "web-push-unavailable", desktop=False)


def test_blocked_notifications_are_shown_as_blocked(server, browser, context, page):
    sign_in(page, server, AVA)
    wait_for_service_worker(page)
    # Playwright can only grant permissions; DevTools can deny one, as a person would in site settings.
    target = page.context.new_cdp_session(page).send("Target.getTargetInfo")["targetInfo"]
    browser.new_browser_cdp_session().send(
        "Browser.setPermission",
        {
            "permission": {"name": "notifications"},
            "setting": "denied",
            "origin": server,
            "browserContextId": target["browserContextId"],
        },
    )
    assert page.evaluate("Notification.permission") == "denied"
    go(page, "notifications")
    state = page.locator(".push-toggle [data-push-state]")
    state.wait_for()
    assert state.get_attribute("data-push-state") == "blocked"
    assert "settings" in state.inner_text()
    assert page.locator(".push-toggle button").count() == 0  # nothing to press: the browser decides


def test_read_only_and_offline_sessions_cannot_change_it(server, context, page):
    context.grant_permissions(["notifications"], origin=server)
    sign_in(page, server, AVA)
    wait_for_service_worker(page)
    go(page, "notifications")
    button = page.locator(".push-toggle").get_by_role("button", name="Turn on")
    button.wait_for()
    context.set_offline(True)
    page.locator(".push-toggle").get_by_text("You are offline").wait_for()
    assert button.is_disabled()
    context.set_offline(False)


def test_a_staff_read_only_view_cannot_turn_it_on(server, context, page):
    context.grant_permissions(["notifications"], origin=server)
    office = api_session(server, "office@demo.example")
    response = httpx.post(f"{server}/api/admin/accounts/{sid('account:harbor')}/portal-view", headers=office)
    assert response.status_code == 200, response.text
    page.goto(f"{server}/t/demo/view#session={response.json()['session_token']}")
    page.get_by_role("note").wait_for()
    wait_for_service_worker(page)
    go(page, "notifications")
    control = page.locator(".push-toggle")
    control.get_by_text("read-only view").wait_for()
    assert control.get_by_role("button", name="Turn on").is_disabled()
