"""Input that would break a reader later is refused when it is written: impossible dates and instants,
photo URLs that are not http(s), and driver taps from a driver who has no truck."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from server.seed.demo import sid
from tests.support.portal import ADMIN, AVA, DRIVER, OFFICE, login, new_client_id, push

HOME, MORNING, JUNK = sid("site:ava-home"), sid("slot:morning"), sid("service:junk")


async def _code(client, headers, name: str, args: dict) -> str:
    result = (await push(client, headers, new_client_id(), (1, name, args)))["results"][0]
    return result["error"]["code"] if result["status"] == "rejected" else result["status"]


@pytest.mark.parametrize(
    "at",
    [
        "2026-12-01T99:99:99.000Z",
        "2026-13-45T10:00:00Z",
        "2027-02-29T10:00:00Z",
        "2026-12-01T10:00:00+01:00",
        "2026-12-01 10:00:00Z",
        "yesterday",
        "2026-12-01T10:00:00.000Z\n",
    ],
)
async def test_an_impossible_tap_time_is_refused_and_the_receipt_still_renders(client, at):
    driver, office = await login(client, DRIVER), await login(client, OFFICE)
    job_id = sid("job:harbor-b-confirmed")
    assert await _code(client, driver, "job.advance", {"job_id": job_id, "status": "completed", "at": at}) == "bad_args"
    job = (await client.get(f"/api/admin/jobs/{job_id}", headers=office)).json()
    assert job["status"] == "confirmed" and all(h["at"] != at for h in job["status_history"])


async def test_a_good_tap_time_is_applied(client):
    driver = await login(client, DRIVER)
    args = {"job_id": sid("job:harbor-b-confirmed"), "status": "en_route", "at": "2028-02-29T23:59:59.999Z"}
    assert await _code(client, driver, "job.advance", args) == "applied"


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30", "2026-04-31", "0000-01-01", "2026-1-5", "99999-01-01"])
async def test_an_impossible_date_is_refused_by_booking_and_by_the_office(client, day):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    booking = {"id": str(uuid.uuid4()), "site_id": HOME, "service_type_id": JUNK, "date": day, "time_slot_id": MORNING}
    assert await _code(client, ava, "job.book", booking) == "bad_args"
    response = await client.patch(
        f"/api/admin/jobs/{sid('job:ava-confirmed')}", headers=office, json={"scheduled_date": day}
    )
    assert response.status_code in (400, 422), response.text
    assert "error" in response.json()


async def test_a_real_leap_day_is_a_date(client):
    ava = await login(client, AVA)
    leap = next(f"{y}-02-29" for y in range(date.today().year + 1, date.today().year + 9) if y % 4 == 0)
    booking = {"id": str(uuid.uuid4()), "site_id": HOME, "service_type_id": JUNK, "date": leap, "time_slot_id": MORNING}
    assert await _code(client, ava, "job.book", booking) in ("applied", "slot_full", "date_not_offered")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x",
        "//evil.example/x",
        "vbscript:x",
        " https://x.example/a.png",
    ],
)
async def test_the_office_cannot_store_a_photo_url_that_is_not_http(client, url):
    office = await login(client, OFFICE)
    photo = {"id": str(uuid.uuid4()), "url": url, "stage": "after", "taken_at": "2026-01-05T09:00:00Z"}
    response = await client.patch(
        f"/api/admin/jobs/{sid('job:ava-confirmed')}", headers=office, json={"photos": [photo]}
    )
    assert response.status_code in (400, 422), response.text
    job = (await client.get(f"/api/admin/jobs/{sid('job:ava-confirmed')}", headers=office)).json()
    assert all(p["url"] != url for p in job["photos"])


async def test_the_office_may_store_an_https_photo_or_an_upload(client):
    office = await login(client, OFFICE)
    photos = [
        {"id": "a", "url": "https://cdn.example.com/a.png", "stage": "after", "taken_at": "2026-01-05T09:00:00Z"},
        {"id": "b", "url": f"/api/uploads/{uuid.uuid4()}", "stage": "before", "taken_at": "2026-01-05T09:00:00Z"},
    ]
    response = await client.patch(
        f"/api/admin/jobs/{sid('job:ava-confirmed')}", headers=office, json={"photos": photos}
    )
    assert response.status_code == 200, response.text


async def test_a_driver_without_a_truck_cannot_move_or_photograph_any_job(client):
    admin = await login(client, ADMIN)
    response = await client.post(
        "/api/admin/staff",
        headers=admin,
        json={"id": str(uuid.uuid4()), "name": "Nora New", "email": "nora@demo.example", "role": "driver"},
    )
    assert response.status_code == 201, response.text
    nora = await login(client, "nora@demo.example")
    office = await login(client, OFFICE)
    unassigned = [
        j
        for j in (await client.get("/api/admin/jobs", headers=office, params={"limit": 1000})).json()["items"]
        if j["truck_id"] is None and j["status"] not in ("completed", "cancelled")
    ]
    assert unassigned, "the demo data has jobs on no truck"
    for job in unassigned:
        tap = {"job_id": job["id"], "status": "completed", "at": "2026-01-05T11:00:00.000Z"}
        assert await _code(client, nora, "job.advance", tap) == "no_truck"
        photo = {
            "job_id": job["id"],
            "photo_id": str(uuid.uuid4()),
            "stage": "after",
            "taken_at": "2026-01-05T11:00:00Z",
        }
        assert await _code(client, nora, "job.add_photo", photo) == "no_truck"
        after = (await client.get(f"/api/admin/jobs/{job['id']}", headers=office)).json()
        assert after["status"] == job["status"] and after["photos"] == job["photos"]
