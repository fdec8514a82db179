"""Deleting in the office console: a recurring service ends with its jobs not yet started, and a
service still used by jobs is refused with the reason in words."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.e2e.test_office_records import OFFICE, office_at
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    api_headers,
    new_context,
    own_server,
    screenshot,
)

pytestmark = pytest.mark.browser


def test_the_office_ends_a_recurring_service_and_is_told_why_a_service_in_use_stays(new_context, own_server):
    headers = api_headers(own_server, OFFICE)
    series = httpx.post(
        f"{own_server}/api/admin/recurring-series",
        json={
            "account_id": sid("account:harbor"),
            "site_id": sid("site:harbor-a"),
            "service_type_id": sid("service:toilet"),
            "pattern": "weekly",
            "weekday": 4,
        },
        headers=headers,
    ).json()
    jobs = httpx.get(
        f"{own_server}/api/admin/jobs", params={"recurring_series_id": series["id"]}, headers=headers
    ).json()["items"]
    assert jobs  # saving the series booked its next weeks

    office = office_at(new_context, own_server, OFFICE, f"edit/recurring-series/{series['id']}")
    office.on("dialog", lambda dialog: dialog.accept())
    office.get_by_role("button", name="Delete recurring service").click()
    expect(office.locator(".editor")).to_have_count(0)
    assert httpx.get(f"{own_server}/api/admin/recurring-series/{series['id']}", headers=headers).status_code == 404
    left = httpx.get(
        f"{own_server}/api/admin/jobs", params={"recurring_series_id": series["id"]}, headers=headers
    ).json()
    assert left["items"] == []

    office.goto(f"{own_server}/t/demo/edit/service-types/{sid('service:toilet')}")
    office.get_by_role("button", name="Delete service").click()
    expect(office.get_by_role("alert")).to_contain_text("still used by jobs")
    screenshot(office, "office-delete-refused")
