"""Recurring services make their jobs: each active series books a job on every date of its pattern
(weekly, every other week, monthly) within the next ``HORIZON_DAYS``, and moves its ``next_run`` on.

Run when the office saves a series (in the same transaction) and by a periodic sweep (hourly) over
every tenant, so the horizon keeps rolling forward. A date that already has a job of the series is
never booked twice; pausing a series (``active`` off) stops new jobs and leaves the booked ones.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import time
from typing import Any

from server.admin.invites import tenant_today
from server.db.store import Store, now_iso
from server.effects.work import unit_of_work

log = logging.getLogger("haulport.recurring")
HORIZON_DAYS = 28
CHECK_EVERY_S = 3600.0
STEP_DAYS = {"weekly": 7, "biweekly": 14}


def _monthly(day: dt.date, day_of_month: int) -> dt.date:
    """``day_of_month`` in ``day``'s month, or its last day when the month is shorter (31 → 30 April)."""
    return day.replace(day=min(day_of_month, calendar.monthrange(day.year, day.month)[1]))


def first_date(series: dict[str, Any], start: dt.date) -> dt.date:
    """The series' first date on or after ``start``."""
    if series["pattern"] == "monthly":
        wanted = series.get("day_of_month") or start.day
        candidate = _monthly(start, wanted)
        if candidate < start:
            nxt = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            candidate = _monthly(nxt, wanted)
        return candidate
    weekday = series.get("weekday")
    if weekday is None:
        return start
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def following(series: dict[str, Any], day: dt.date) -> dt.date:
    """The series' date after ``day``."""
    if series["pattern"] == "monthly":
        nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        return _monthly(nxt, series.get("day_of_month") or day.day)
    return day + dt.timedelta(days=STEP_DAYS.get(series["pattern"], 7))


async def schedule_series(
    store: Store, series: dict[str, Any], today: str, by: str = "Recurring service"
) -> list[dict]:
    """Book the series' jobs due within the horizon; returns the jobs made."""
    if not series.get("active"):
        return []
    start = dt.date.fromisoformat(today)
    horizon = start + dt.timedelta(days=HORIZON_DAYS)
    run = dt.date.fromisoformat(series["next_run"]) if series.get("next_run") else first_date(series, start)
    while run < start:  # dates missed while nothing ran are not booked in the past; the cadence holds
        run = following(series, run)
    booked = {j["scheduled_date"] for j in await store.find("job", recurring_series_id=series["id"])}
    made = []
    stamp = now_iso()
    while run <= horizon:
        day = run.isoformat()
        if day not in booked:
            number = await store.next_number("job", "J")
            made.append(
                await store.insert(
                    "job",
                    {
                        "number": number,
                        "account_id": series["account_id"],
                        "site_id": series["site_id"],
                        "service_type_id": series.get("service_type_id"),
                        "status": "confirmed",
                        "scheduled_date": day,
                        "source": "recurring",
                        "recurring_series_id": series["id"],
                        "status_history": [{"status": "confirmed", "at": stamp, "by": by, "applied": True}],
                    },
                )
            )
        run = following(series, run)
    if series.get("next_run") != run.isoformat():
        await store.update("recurring_series", series, next_run=run.isoformat())
    return made


class RecurringSweep:
    """The periodic sweep: every tenant's active series, at most every ``CHECK_EVERY_S``."""

    def __init__(self, state: Any):
        self.state = state
        self._next = 0.0

    async def sweep(self, force: bool = False) -> int:
        if not force and time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + CHECK_EVERY_S
        async with self.state.db.read() as conn:
            tenants = await conn.fetch(
                "SELECT DISTINCT t.id, t.timezone FROM tenant t JOIN recurring_series r ON r.tenant_id = t.id "
                "WHERE r.active = ?",
                True,
            )
        made = 0
        for tenant in tenants:
            today = tenant_today(tenant)
            async with unit_of_work(self.state, tenant["id"]) as store:
                for series in await store.find("recurring_series", active=True):
                    made += len(await schedule_series(store, series, today))
        if made:
            log.info("recurring services booked %d job(s)", made)
        return made
