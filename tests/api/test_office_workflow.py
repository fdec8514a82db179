"""The office's decisions and what they set in motion: approving a request makes its jobs, posting and
voiding invoices, estimates reaching the customer, staff invited by admins only, the dashboard."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.portal import ADMIN, AVA, IDS, OFFICE, OPS, login, new_client_id, pull_all


@pytest.fixture
async def office(client):
    return await login(client, OFFICE)


@pytest.fixture
async def admin(client):
    return await login(client, ADMIN)


def _request(**extra):
    return {
        "account_id": IDS("account:harbor"),
        "site_id": IDS("site:harbor-warehouse"),
        "system_id": IDS("system:warehouse-septic"),
        "requested_date": "2031-05-06",
        "start_time": "08:00",
        "end_time": "11:00",
        "po_number": "PO-77",
        "comments": "Gate code changed, call first",
        "lines": [
            {"product_id": IDS("product:toilet"), "quantity": 3, "service_type_id": IDS("service:toilet")},
            {"product_id": IDS("product:20yd"), "quantity": 1, "service_type_id": IDS("service:dumpster")},
            {"product_id": IDS("product:toilet"), "quantity": 1, "service_type_id": IDS("service:toilet")},
        ],
        **extra,
    }


async def test_approving_a_request_creates_its_jobs_prefilled_and_linked(client, office):
    made = await client.post("/api/admin/service-requests", headers=office, json=_request())
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    approved = await client.patch(
        f"/api/admin/service-requests/{request_id}",
        headers=office,
        json={"status": "approved", "decision_note": "See you Tuesday"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["job_id"]

    jobs = (await client.get("/api/admin/jobs", headers=office, params={"service_request_id": request_id})).json()
    by_service = {j["service_type_id"]: j for j in jobs["items"]}
    assert set(by_service) == {IDS("service:toilet"), IDS("service:dumpster")}
    toilets = by_service[IDS("service:toilet")]
    assert [(ln["quantity"], ln["product_id"]) for ln in toilets["lines"]] == [
        (3, IDS("product:toilet")),
        (1, IDS("product:toilet")),
    ]
    assert toilets["items"] == (
        "3 × Standard portable toilet — Portable toilet service; 1 × Standard portable toilet — Portable toilet service"
    )
    assert toilets["price"] == 4 * 9500
    for job in by_service.values():
        assert job["status"] == "confirmed" and job["source"] == "portal"
        assert job["scheduled_date"] == "2031-05-06"
        assert (job["window_start"], job["window_end"]) == ("08:00", "11:00")
        assert job["po_number"] == "PO-77" and job["site_id"] == IDS("site:harbor-warehouse")
        assert "Gate code changed" in job["description"] and "Warehouse septic tank" in job["description"]
        assert job["number"].startswith("J-")
    assert approved.json()["job_id"] in {j["id"] for j in jobs["items"]}

    # The customer's portal gets the jobs and the answered request on its next pull.
    _, rows = await pull_all(client, await login(client, OPS), new_client_id())
    assert rows[("service_request", request_id)]["status"] == "approved"
    assert all(("job", j["id"]) in rows for j in jobs["items"])

    # Decided is decided: approving again or reopening is refused, and makes no second set of jobs.
    again = await client.patch(f"/api/admin/service-requests/{request_id}", headers=office, json={"status": "declined"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "request_decided"
    jobs_after = await client.get("/api/admin/jobs", headers=office, params={"service_request_id": request_id})
    assert len(jobs_after.json()["items"]) == 2


async def test_declining_a_request_creates_no_job(client, office):
    request_id = (await client.post("/api/admin/service-requests", headers=office, json=_request())).json()["id"]
    declined = await client.patch(
        f"/api/admin/service-requests/{request_id}",
        headers=office,
        json={"status": "declined", "decision_note": "We do not serve that area"},
    )
    assert declined.status_code == 200 and declined.json()["job_id"] is None
    jobs = (await client.get("/api/admin/jobs", headers=office, params={"service_request_id": request_id})).json()
    assert jobs["items"] == []


async def test_posting_an_invoice_dates_it_from_the_accounts_terms_and_tells_the_customer(client, office):
    draft = await client.post(
        "/api/admin/invoices",
        headers=office,
        json={
            "account_id": IDS("account:harbor"),
            "site_id": IDS("site:harbor-a"),
            "tax": 500,
            "lines": [{"description": "Haul-away", "quantity": 2, "unit_price": 12500}],
        },
    )
    assert draft.status_code == 201, draft.text
    invoice = draft.json()
    assert (invoice["status"], invoice["subtotal"], invoice["total"]) == ("draft", 25000, 25500)
    posted = await client.patch(f"/api/admin/invoices/{invoice['id']}", headers=office, json={"status": "open"})
    assert posted.status_code == 200, posted.text
    posted = posted.json()
    assert posted["issued_on"] and posted["terms"] == "Net 30"
    from datetime import date, timedelta

    assert posted["due_on"] == (date.fromisoformat(posted["issued_on"]) + timedelta(days=30)).isoformat()
    _, rows = await pull_all(client, await login(client, OPS), new_client_id())
    assert rows[("invoice", invoice["id"])]["balance"] == 25500
    assert any(
        r.get("title") == f"Invoice {invoice['number']} is ready" for (e, _), r in rows.items() if e == "notification"
    )

    back = await client.patch(f"/api/admin/invoices/{invoice['id']}", headers=office, json={"status": "draft"})
    assert back.status_code == 409 and back.json()["error"]["code"] == "invoice_status"
    void = await client.patch(f"/api/admin/invoices/{invoice['id']}", headers=office, json={"status": "void"})
    assert void.status_code == 200 and (void.json()["status"], void.json()["balance"]) == ("void", 0)
    edit = await client.patch(
        f"/api/admin/invoices/{invoice['id']}",
        headers=office,
        json={"lines": [{"description": "More", "unit_price": 100}]},
    )
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "invoice_closed"


async def test_an_invoice_with_payments_cannot_be_voided(client, office):
    response = await client.patch(
        f"/api/admin/invoices/{IDS('invoice:harbor-partial')}", headers=office, json={"status": "void"}
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "invoice_has_payments"


async def test_a_new_estimate_reaches_the_customer_with_a_notification(client, office):
    made = await client.post(
        "/api/admin/estimates",
        headers=office,
        json={
            "account_id": IDS("account:ava-reed"),
            "site_id": IDS("site:ava-home"),
            "valid_until": "2031-01-31",
            "lines": [{"description": "Garage clean-out", "quantity": 1, "unit_price": 48000}],
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["total"] == 48000 and made.json()["status"] == "sent"
    _, rows = await pull_all(client, await login(client, AVA), new_client_id())
    assert rows[("estimate", made.json()["id"])]["total"] == 48000
    notes = [r for (e, _), r in rows.items() if e == "notification" and r["kind"] == "estimate_sent"]
    assert (
        notes
        and notes[0]["body"] == "Total $480.00, valid until January 31, 2031. Approve or decline it in your portal."
    )


async def test_only_admins_invite_staff_and_the_invite_is_a_working_login_link(client, office, admin):
    body = {"name": "Nina New", "email": "Nina@Demo.example", "role": "office"}
    refused = await client.post("/api/admin/staff", headers=office, json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_only"
    made = await client.post("/api/admin/staff", headers=admin, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["email"] == "nina@demo.example"
    outbox = (await client.get("/api/dev/outbox", params={"to": "nina@demo.example"})).json()["messages"]
    assert len(outbox) == 1 and "Dana Admin added you" in outbox[0]["body"]
    token = parse_qs(urlparse(outbox[0]["link"]).query)["token"][0]
    session = await client.post("/api/auth/session", json={"token": token})
    assert session.status_code == 200 and session.json()["role"] == "office"

    duplicate = await client.post("/api/admin/staff", headers=admin, json={**body, "role": "driver"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "email_taken"
    demote = await client.patch(f"/api/admin/staff/{made.json()['id']}", headers=office, json={"role": "driver"})
    assert demote.status_code == 403


async def test_the_last_admin_cannot_be_demoted(client, admin):
    response = await client.patch(f"/api/admin/staff/{IDS('staff:admin')}", headers=admin, json={"role": "office"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "last_admin"


async def test_dashboard_and_balances_add_up_the_open_invoices(client, office):
    invoices = (await client.get("/api/admin/invoices", headers=office, params={"status": "open"})).json()["items"]
    dashboard = (await client.get("/api/admin/dashboard", headers=office)).json()
    today = dashboard["today"]
    owed = [i for i in invoices if i["balance"] > 0]
    assert dashboard["open_cents"] == sum(i["balance"] for i in owed)
    overdue = [i for i in owed if i["due_on"] and i["due_on"] < today]
    assert overdue and dashboard["overdue_cents"] == sum(i["balance"] for i in overdue)
    assert dashboard["overdue_invoices"] == len(overdue)
    assert dashboard["waiting"]["bookings"] >= 1 and dashboard["waiting"]["total"] >= dashboard["waiting"]["bookings"]
    jobs_today = (await client.get("/api/admin/jobs", headers=office, params={"scheduled_date": today})).json()
    assert sum(dashboard["jobs_today"].values()) == len(jobs_today["items"])

    balances = {b["account_id"]: b for b in (await client.get("/api/admin/balances", headers=office)).json()["items"]}
    harbor = balances[IDS("account:harbor")]
    assert harbor["open_cents"] == sum(i["balance"] for i in owed if i["account_id"] == IDS("account:harbor"))
    assert harbor["overdue_invoices"] >= 1


async def test_customers_cannot_read_the_dashboard_or_balances(client):
    headers = await login(client, AVA)
    for path in ("/api/admin/dashboard", "/api/admin/balances"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
