"""A recurring service makes its jobs: saved in the console, a series books a confirmed job on each of
its dates in the next four weeks (linked to it, seen by the customer), the server's sweep keeps the
horizon rolling without booking a date twice, and a paused series books nothing new."""

from __future__ import annotations

import asyncio
import datetime as dt

from server.admin.recurring import HORIZON_DAYS, first_date, following
from server.seed.demo import sid
from tests.support.asgi import concurrent_client
from tests.support.portal import OFFICE, OPS, login, new_client_id, pull_all

HARBOR, TOWER_A, TOILET = sid("account:harbor"), sid("site:harbor-a"), sid("service:toilet")


def test_dates_follow_the_pattern():
    monday = dt.date(2027, 3, 1)
    weekly = {"pattern": "weekly", "weekday": 2}
    assert first_date(weekly, monday) == dt.date(2027, 3, 3)
    assert following(weekly, dt.date(2027, 3, 3)) == dt.date(2027, 3, 10)
    assert following({"pattern": "biweekly", "weekday": 2}, dt.date(2027, 3, 3)) == dt.date(2027, 3, 17)
    monthly = {"pattern": "monthly", "day_of_month": 31}
    assert first_date(monthly, dt.date(2027, 4, 2)) == dt.date(2027, 4, 30)  # April has 30 days
    assert following(monthly, dt.date(2027, 4, 30)) == dt.date(2027, 5, 31)
    assert following(monthly, dt.date(2027, 1, 31)) == dt.date(2027, 2, 28)
    assert first_date({"pattern": "monthly", "day_of_month": 5}, dt.date(2027, 4, 6)) == dt.date(2027, 5, 5)


async def _series_jobs(client, headers, series_id: str) -> list[dict]:
    page = await client.get("/api/admin/jobs", params={"recurring_series_id": series_id, "limit": 500}, headers=headers)
    assert page.status_code == 200, page.text
    return sorted(page.json()["items"], key=lambda j: j["scheduled_date"])


async def test_a_series_saved_in_the_console_books_its_next_four_weeks(client):
    office = await login(client, OFFICE)
    today = dt.date.today()
    weekday = (today.weekday() + 1) % 7
    created = await client.post(
        "/api/admin/recurring-series",
        json={
            "account_id": HARBOR,
            "site_id": TOWER_A,
            "service_type_id": TOILET,
            "pattern": "weekly",
            "weekday": weekday,
        },
        headers=office,
    )
    assert created.status_code == 201, created.text
    series = created.json()
    jobs = await _series_jobs(client, office, series["id"])
    expected = []
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    while day <= today + dt.timedelta(days=HORIZON_DAYS):
        expected.append(day.isoformat())
        day += dt.timedelta(days=7)
    assert [j["scheduled_date"] for j in jobs] == expected
    for job in jobs:
        assert (job["status"], job["source"], job["account_id"], job["site_id"], job["service_type_id"]) == (
            "confirmed",
            "recurring",
            HARBOR,
            TOWER_A,
            TOILET,
        )
        assert job["number"].startswith("J-")
    assert series["next_run"] == (dt.date.fromisoformat(expected[-1]) + dt.timedelta(days=7)).isoformat()
    # The customer sees them in their portal.
    ops = await login(client, OPS)
    _, rows = await pull_all(client, ops, new_client_id())
    assert {j["id"] for j in jobs} <= {key[1] for key in rows if key[0] == "job"}

    # Saving it again books nothing twice; pausing it books nothing new.
    again = await client.patch(f"/api/admin/recurring-series/{series['id']}", json={"weekday": weekday}, headers=office)
    assert again.status_code == 200
    paused = await client.patch(f"/api/admin/recurring-series/{series['id']}", json={"active": False}, headers=office)
    assert paused.status_code == 200 and not paused.json()["active"]
    assert len(await _series_jobs(client, office, series["id"])) == len(expected)


async def test_the_servers_sweep_books_the_demo_series_once(settings):
    async with concurrent_client(settings) as client:  # the app in this test's loop: its sweep is called here
        office = await login(client, OFFICE)
        series_id = sid("series:harbor-weekly")
        for _ in range(100):  # the sweep runs as the server starts
            jobs = await _series_jobs(client, office, series_id)
            if jobs:
                break
            await asyncio.sleep(0.1)
        assert jobs and all(dt.date.fromisoformat(j["scheduled_date"]).weekday() == 0 for j in jobs)
        dates = [j["scheduled_date"] for j in jobs]
        assert len(dates) == len(set(dates))
        await client.app.state.recurring.sweep(force=True)
        assert [j["scheduled_date"] for j in await _series_jobs(client, office, series_id)] == dates
