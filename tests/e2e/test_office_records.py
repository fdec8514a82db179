"""The office console's records: the home dashboard, approving a multi-line service request into its
jobs, an invoice written in the console reaching the customer's portal, and inviting staff."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    DESKTOP,
    PHONE,
    api_headers,
    eventually,
    new_context,
    own_server,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

AVA, OFFICE, ADMIN = "ava@example.com", "office@demo.example", "admin@demo.example"
SLOW = 30_000
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
RAW_WORDS = re.compile(r"\b(en_route|in_progress|needs_service|pickup_requested|residential|commercial)\b")


def office_at(new_context, base: str, email: str, path: str):
    page = sign_in(new_context(**DESKTOP), base, email, path)
    expect(page.locator(".office-nav")).to_be_visible()
    return page


def no_codes_on(page) -> None:
    """What the office reads has no ISO dates and no stored enum values."""
    text = page.locator("main").inner_text()
    assert not ISO_DATE.search(text), ISO_DATE.search(text)
    assert not RAW_WORDS.search(text), RAW_WORDS.search(text)


def test_home_shows_todays_work_waiting_requests_overdue_and_unread(new_context, own_server):
    page = office_at(new_context, own_server, OFFICE, "home")
    expect(page.get_by_role("heading", name=re.compile("^Today, "))).to_be_visible()
    overdue = page.locator(".figure", has_text="Overdue")
    expect(overdue).to_contain_text("invoice")
    dashboard = httpx.get(f"{own_server}/api/admin/dashboard", headers=api_headers(own_server, OFFICE)).json()
    assert dashboard["overdue_cents"] > 0
    expect(overdue).to_contain_text(f"${dashboard['overdue_cents'] / 100:,.2f}")
    expect(page.locator(".figure", has_text="Requests waiting")).to_contain_text(str(dashboard["waiting"]["total"]))
    screenshot(page, "office-home")
    no_codes_on(page)

    page.get_by_role("link", name="Customers").click()
    row = page.locator("tr[data-account='Harbor Property Group']")
    expect(row).to_contain_text("Commercial")
    expect(row.locator(".badge-bad")).to_be_visible()  # its overdue amount
    row.get_by_role("link", name="Harbor Property Group").click()
    expect(page.get_by_label("Balance")).to_contain_text("Overdue")
    expect(page.get_by_role("region", name="Invoices")).to_contain_text("Overdue")
    expect(page.get_by_role("region", name="Recurring services")).to_contain_text("Every week")
    screenshot(page, "office-customer")
    no_codes_on(page)


def test_approving_a_multi_line_request_creates_its_job_prefilled(new_context, own_server):
    office_api = api_headers(own_server, OFFICE)
    made = httpx.post(
        f"{own_server}/api/admin/service-requests",
        headers=office_api,
        json={
            "account_id": sid("account:harbor"),
            "site_id": sid("site:harbor-warehouse"),
            "system_id": sid("system:warehouse-septic"),
            "requested_date": "2031-05-06",
            "start_time": "08:00",
            "end_time": "11:00",
            "po_number": "PO-4411",
            "comments": "Crew must sign in at the gate",
            "lines": [
                {"product_id": sid("product:toilet"), "quantity": 3, "service_type_id": sid("service:toilet")},
                {"product_id": sid("product:toilet"), "quantity": 2, "service_type_id": sid("service:toilet")},
            ],
        },
    )
    assert made.status_code == 201, made.text

    page = office_at(new_context, own_server, OFFICE, "requests")
    item = page.locator(".service-request").filter(has_text="PO-4411")
    expect(item).to_contain_text("3 × Standard portable toilet — Portable toilet service")
    expect(item).to_contain_text("2 × Standard portable toilet — Portable toilet service")
    expect(item).to_contain_text("System: Warehouse septic tank")
    expect(item).to_contain_text("8:00 AM to 11:00 AM")
    expect(item).to_contain_text("Crew must sign in at the gate")
    expect(item).to_contain_text("Harbor Property Group · Harbor Warehouse")
    screenshot(page, "office-request-waiting")
    item.get_by_placeholder("Note to the customer").fill("Booked for the morning")
    item.get_by_role("button", name="Approve and create the job").click()
    expect(page.locator(".service-request").filter(has_text="PO-4411")).to_have_count(0, timeout=SLOW)

    page.get_by_role("button", name="Decided").click()
    decided = page.locator(".service-request.decided").filter(has_text="PO-4411")
    expect(decided).to_contain_text("Approved")
    expect(decided).to_contain_text("Note: Booked for the morning")
    expect(decided.get_by_role("link", name=re.compile(r"^Job J-"))).to_have_count(1)
    screenshot(page, "office-request-decided")
    no_codes_on(page)

    decided.get_by_role("link", name=re.compile(r"^Job J-")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Job J-"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Made from the customer's service request")
    expect(page.get_by_label("Line 1 quantity")).to_have_value("3")
    expect(page.get_by_label("Line 2 quantity")).to_have_value("2")
    expect(page.get_by_label("Date")).to_have_value("2031-05-06")
    expect(page.get_by_label("PO number")).to_have_value("PO-4411")
    # Dispatch it from the editor: the truck is saved and the board shows it, marked as a portal job.
    page.get_by_label("Truck").select_option(label="T-2")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    screenshot(page, "office-job-editor")
    jobs = httpx.get(
        f"{own_server}/api/admin/jobs", headers=office_api, params={"service_request_id": made.json()["id"]}
    ).json()["items"]
    assert len(jobs) == 1 and jobs[0]["truck_name"] == "T-2" and jobs[0]["status"] == "confirmed"
    assert [line["quantity"] for line in jobs[0]["lines"]] == [3, 2]

    page.goto(f"{own_server}/t/demo/dispatch")
    page.get_by_label("Day shown").fill("2031-05-06")
    tile = page.locator(f".tile[data-number='{jobs[0]['number']}']")
    expect(tile).to_contain_text("Portal booking")
    screenshot(page, "office-dispatch-portal-job")


def test_an_invoice_written_in_the_console_appears_in_the_customers_portal(new_context, own_server):
    page = office_at(new_context, own_server, OFFICE, f"customers/{sid('account:ava-reed')}")
    page.get_by_role("region", name="Invoices").get_by_role("link", name="New invoice").click()
    expect(page.get_by_role("heading", name="New invoice")).to_be_visible()
    page.get_by_label("Site").select_option(label="Home")
    page.get_by_label("Line 1 description").fill("Garage clean-out")
    page.get_by_label("Line 1 quantity").fill("2")
    page.get_by_label("Line 1 unit price").fill("125.50")
    page.get_by_role("button", name="Add a line").click()
    page.get_by_label("Line 2 description").fill("Mattress disposal")
    page.get_by_label("Line 2 unit price").fill("40")
    page.get_by_label("Tax", exact=True).fill("11.10")
    expect(page.locator(".lines-table tfoot")).to_contain_text("$291.00")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice INV-"))).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("status")).to_contain_text("Saved as a draft")
    number = page.get_by_role("heading", name=re.compile(r"^Invoice INV-")).inner_text().split()[1]
    expect(page.locator(".summary-line")).to_contain_text("$302.10")
    page.get_by_role("button", name="Post to the customer").click()
    expect(page.get_by_role("status")).to_contain_text("Posted")
    expect(page.locator("h1 .badge")).to_have_text("Open")
    expect(page.locator(".summary-line")).to_contain_text("Due ")
    screenshot(page, "office-invoice-posted")
    no_codes_on(page)

    ava = sign_in(new_context(**PHONE), own_server, AVA, "invoices")
    card = ava.locator(".card").filter(has_text=f"Invoice {number}")
    expect(card).to_be_visible(timeout=SLOW)
    expect(card).to_contain_text("$302.10")
    screenshot(ava, "customer-sees-office-invoice")


def test_an_admin_invites_staff_and_the_link_signs_them_in(new_context, own_server):
    office = office_at(new_context, own_server, OFFICE, "staff")
    expect(office.locator("main")).to_contain_text("Only an admin can invite staff")
    expect(office.get_by_role("link", name="Invite staff")).to_have_count(0)

    admin = office_at(new_context, own_server, ADMIN, "staff")
    expect(admin.locator("tr[data-staff='driver@demo.example']")).to_contain_text("Driver")
    admin.get_by_role("link", name="Invite staff").click()
    admin.get_by_label("Name").fill("Nora Newhire")
    admin.get_by_label("Email").fill("nora@demo.example")
    admin.get_by_label("Role").select_option(label="Driver")
    admin.get_by_label("Drives truck").select_option(label="T-2")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("Invitation sent to nora@demo.example", timeout=SLOW)
    screenshot(admin, "office-staff-invited")
    admin.get_by_role("link", name="← Staff").click()
    expect(admin.locator("tr[data-staff='nora@demo.example']")).to_contain_text("T-2")
    screenshot(admin, "office-staff-list")
    no_codes_on(admin)

    messages = eventually(
        lambda: httpx.get(f"{own_server}/api/dev/outbox", params={"to": "nora@demo.example"}).json()["messages"],
        what="invite",
    )
    assert "Dana Admin added you" in messages[0]["body"]
    token = parse_qs(urlparse(messages[0]["link"]).query)["token"][0]
    nora = new_context(**PHONE).new_page()
    nora.goto(f"{own_server}/t/demo/login?token={token}")
    expect(nora.locator(".sync-chip")).to_be_visible(timeout=SLOW)
    screenshot(nora, "invited-driver-signed-in")


def _review(base: str, email: str, job: str, rating: int, comment: str) -> None:
    import uuid

    body = {
        "client_id": uuid.uuid4().hex,
        "schema_version": 1,
        "mutations": [
            {
                "id": 1,
                "name": "review.submit",
                "created_at": "2026-01-01T00:00:00Z",
                "args": {"id": str(uuid.uuid4()), "job_id": job, "rating": rating, "comment": comment},
            }
        ],
    }
    result = httpx.post(f"{base}/api/sync/push", headers=api_headers(base, email), json=body).json()
    assert result["results"][0]["status"] == "applied", result


def test_reviews_show_the_average_and_the_catalog_and_rentals_are_edited_in_the_console(new_context, own_server):
    _review(own_server, AVA, sid("job:ava-completed"), 4, "Quick and tidy")
    _review(own_server, "ops@harbor.example", sid("job:harbor-completed"), 5, "Spotless septic service")
    page = office_at(new_context, own_server, OFFICE, "reviews")
    expect(page.get_by_label("Average rating")).to_contain_text("4.5 out of 5")
    expect(page.get_by_label("Average rating")).to_contain_text("from 2 reviews")
    expect(page.locator(".review").filter(has_text="Spotless septic service")).to_contain_text("Harbor Property Group")
    expect(
        page.locator(".review").filter(has_text="Quick and tidy").get_by_role("link", name="Job J-0880")
    ).to_be_visible()
    screenshot(page, "office-reviews")
    no_codes_on(page)

    page.get_by_role("link", name="Catalog").click()
    page.get_by_role("region", name="Time slots").get_by_role("link", name="Add a time slot").click()
    page.get_by_label("Name").fill("Evening 4–8")
    page.get_by_label("Starts").fill("16:00")
    page.get_by_label("Ends").fill("20:00")
    page.get_by_label("Jobs per day").fill("2")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text("Created.", timeout=SLOW)
    page.get_by_role("link", name="← Catalog").click()
    slots = page.get_by_role("region", name="Time slots")
    expect(slots.locator("tr").filter(has_text="Evening 4–8")).to_contain_text("4:00 PM to 8:00 PM")
    expect(page.get_by_role("region", name="Products")).to_contain_text("Portable toilet")
    screenshot(page, "office-catalog")
    no_codes_on(page)

    page.goto(f"{own_server}/t/demo/customers/{sid('account:reed-landscaping')}")
    page.get_by_role("region", name="Rentals").get_by_role("link", name="New rental").click()
    page.get_by_label("Site").select_option(label="Equipment yard")
    page.get_by_label("Product").select_option(label="20 yd dumpster")
    page.get_by_label("Container size").fill("20 yd")
    page.get_by_label("Delivered on").fill("2031-03-02")
    page.get_by_label("Extra day price").fill("15")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Rental R-"))).to_be_visible(timeout=SLOW)
    page.get_by_label("Status").select_option(label="On site")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    screenshot(page, "office-rental-editor")
    page.get_by_role("link", name="← Customer").click()
    expect(page.get_by_role("region", name="Rentals")).to_contain_text("20 yd at Equipment yard · On site")
