"""The console's Import and export screen (preview, apply, every problem line by line) and the
Integrations screen (an API key shown once, working on the office API, then revoked)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_office_records import ADMIN, office_at
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    api_headers,
    new_context,
    own_server,
    screenshot,
)

pytestmark = pytest.mark.browser

GOOD = b"external_id,name,kind,email\nx-1001,Brightside Dental,commercial,front@brightside.example\n"
BAD = b"external_id,name,kind\nx-2001,,commercial\nx-2002,Fine Co,spaceship\n"


def _file(name: str, content: bytes) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def test_a_spreadsheet_of_customers_is_previewed_then_imported_and_a_bad_one_is_refused_line_by_line(
    new_context, own_server
):
    office = office_at(new_context, own_server, ADMIN, "import")
    file_input = office.locator("input[type=file]")
    file_input.set_input_files(_file("bad.csv", BAD))
    office.get_by_role("button", name="Preview").click()
    problems = office.get_by_role("alert")
    expect(problems).to_contain_text("The file was not imported")
    expect(problems).to_contain_text("line 2")
    expect(problems).to_contain_text("line 3")
    screenshot(office, "office-import-problems")

    file_input.set_input_files(_file("customers.csv", GOOD))
    office.get_by_role("button", name="Preview").click()
    expect(office.get_by_role("status")).to_contain_text("1 would be added")
    headers = api_headers(own_server, ADMIN)
    found = httpx.get(f"{own_server}/api/admin/accounts", params={"q": "Brightside"}, headers=headers).json()["items"]
    assert found == []  # a preview writes nothing
    office.get_by_role("button", name="Import").click()
    expect(office.get_by_role("status")).to_contain_text("Imported: 1 added")
    found = httpx.get(f"{own_server}/api/admin/accounts", params={"q": "Brightside"}, headers=headers).json()["items"]
    assert [a["name"] for a in found] == ["Brightside Dental"]
    screenshot(office, "office-import-done")


def test_an_admin_creates_an_api_key_that_works_once_shown_and_stops_when_revoked(new_context, own_server):
    office = office_at(new_context, own_server, ADMIN, "integrations")
    office.get_by_label("Name").first.fill("Accounting sync")
    office.get_by_role("button", name="Create key").click()
    key = office.get_by_test_id("new-api-key").inner_text().strip()
    assert len(key) > 20
    screenshot(office, "office-integrations-key")
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{own_server}/api/admin/accounts", headers=auth).status_code == 200
    office.get_by_role("button", name="Done").click()
    expect(office.get_by_test_id("new-api-key")).to_have_count(0)  # shown once
    office.once("dialog", lambda dialog: dialog.accept())
    office.get_by_role("row", name="Accounting sync").get_by_role("button", name="Revoke").click()
    expect(office.get_by_role("row", name="Accounting sync")).to_contain_text("Revoked")
    assert httpx.get(f"{own_server}/api/admin/accounts", headers=auth).status_code == 401
