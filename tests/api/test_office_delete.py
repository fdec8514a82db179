"""The office deletes what was made by mistake or is no longer offered, and nothing the books or a
customer's history depend on: each refusal is a 409 saying why; each deletion reaches the portals."""

from __future__ import annotations

import datetime as dt

import pytest

from server.seed.demo import sid
from tests.support.portal import AVA, OFFICE, OPS, login, new_client_id, pull_all

HARBOR, TOWER_A, TOILET = sid("account:harbor"), sid("site:harbor-a"), sid("service:toilet")


@pytest.fixture
async def office(client):
    return await login(client, OFFICE)


async def _create(client, office, collection: str, body: dict) -> dict:
    response = await client.post(f"/api/admin/{collection}", json=body, headers=office)
    assert response.status_code == 201, response.text
    return response.json()


async def _delete(client, office, collection: str, record_id: str):
    return await client.delete(f"/api/admin/{collection}/{record_id}", headers=office)


async def test_a_draft_invoice_is_deleted_a_posted_one_is_not(client, office):
    draft = await _create(
        client,
        office,
        "invoices",
        {
            "account_id": HARBOR,
            "site_id": TOWER_A,
            "lines": [{"description": "Pickup", "quantity": 1, "unit_price": 5000}],
        },
    )
    assert draft["status"] == "draft"
    assert (await _delete(client, office, "invoices", draft["id"])).status_code == 200
    assert (await client.get(f"/api/admin/invoices/{draft['id']}", headers=office)).status_code == 404
    posted = await _delete(client, office, "invoices", sid("invoice:harbor-overdue"))
    assert posted.status_code == 409 and posted.json()["error"]["code"] == "invoice_posted"


async def test_catalog_in_use_is_refused_and_unused_goes(client, office):
    used = await _delete(client, office, "service-types", TOILET)
    assert used.status_code == 409 and used.json()["error"]["code"] == "in_use"
    assert "jobs" in used.json()["error"]["message"]
    promo = await _create(client, office, "promo-codes", {"code": "SPRING10", "percent_off": 10})
    assert (await _delete(client, office, "promo-codes", promo["id"])).status_code == 200
    site_in_use = await _delete(client, office, "sites", TOWER_A)
    assert site_in_use.status_code == 409 and site_in_use.json()["error"]["code"] == "in_use"


async def test_a_job_goes_before_work_starts_and_its_portal_row_goes_with_it(client, office):
    job = await _create(
        client,
        office,
        "jobs",
        {
            "account_id": HARBOR,
            "site_id": TOWER_A,
            "service_type_id": TOILET,
            "status": "confirmed",
            "scheduled_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
        },
    )
    ops = await login(client, OPS)
    page, rows = await pull_all(client, ops, client_id := new_client_id())
    assert ("job", job["id"]) in rows
    assert (await _delete(client, office, "jobs", job["id"])).status_code == 200
    _, after = await pull_all(client, ops, client_id, page["cursor"])
    assert ("job", job["id"]) not in after
    started = await _delete(client, office, "jobs", sid("job:harbor-in-progress"))
    assert started.status_code == 409 and started.json()["error"]["code"] == "job_started"


async def test_ending_a_recurring_series_takes_its_jobs_not_yet_started(client, office):
    series = await _create(
        client,
        office,
        "recurring-series",
        {"account_id": HARBOR, "site_id": TOWER_A, "service_type_id": TOILET, "pattern": "weekly", "weekday": 3},
    )
    jobs = (await client.get("/api/admin/jobs", params={"recurring_series_id": series["id"]}, headers=office)).json()[
        "items"
    ]
    assert jobs
    deleted = await _delete(client, office, "recurring-series", series["id"])
    assert deleted.status_code == 200, deleted.text
    assert sorted(deleted.json()["also_deleted"]) == sorted(j["id"] for j in jobs)
    assert not (
        await client.get("/api/admin/jobs", params={"recurring_series_id": series["id"]}, headers=office)
    ).json()["items"]


async def test_removing_a_contact_from_an_account_ends_only_that_access(client, office):
    ava_reed_membership = sid("membership:ava-res")
    response = await _delete(client, office, "memberships", ava_reed_membership)
    assert response.status_code == 200, response.text
    ava = await login(client, AVA)  # still a contact of her other account
    me = (await client.get("/api/auth/me", headers=ava)).json()
    assert sid("account:ava-reed") not in [a["id"] for a in me["accounts"]] and me["accounts"]


async def test_what_is_never_deleted_here(client, office):
    for collection, record_id in (
        ("payments", sid("payment:harbor-partial")),
        ("messages", "x" * 12),
        ("reviews", "x" * 12),
    ):
        response = await _delete(client, office, collection, record_id)
        assert response.status_code in (404, 405), (collection, response.text)
        assert response.json()["error"]["code"]
    assert (await _delete(client, office, "jobs", "no-such-job")).status_code == 404
    ava = await login(client, AVA)
    assert (await client.delete(f"/api/admin/jobs/{sid('job:ava-requested')}", headers=ava)).status_code == 403
