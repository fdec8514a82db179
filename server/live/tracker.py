"""Where the trucks are: drivers' fixes in, ``gps`` messages out, history kept for a week.

A fix is published before it is stored: the latency a customer sees is validation, a cached
look-up of the truck's active jobs and one publish; the database write (which on SQLite waits
for the one writer, possibly in another process) only delays the driver's ``gps_ack``. Writes of
fixes arriving together are grouped into one transaction.

Each job's ``gps`` message reaches the sockets of its account (``a:{account}``) and of the office
(``staff:{tenant}``) through ``fanout.py``, so customers only ever hear about trucks working for
them; site contacts are narrowed to their sites by their socket (the message carries ``site_id``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from server.db.engine import Database
from server.errors import ApiError
from server.live.eta import RECENT_WINDOW_S, recent_speed
from server.live.fanout import GpsFanout
from server.live.gps import (
    ACTIVE,
    MAX_FIXES_PER_UPLOAD,
    POSITION_MAX_AGE,
    RETENTION,
    BadFix,
    check_fix,
    gps_message,
    iso_ms,
)
from sync.actor import Actor

log = logging.getLogger("haulport.live")
JOBS_TTL_S = 2.0  # a job changed by another server process stops/starts showing its truck within this
LIVE_WINDOW = timedelta(seconds=60)  # fixes younger than this come from a live stream, not a backlog
_ACTIVE_JOBS_SQL = (
    "SELECT j.id, j.account_id, j.site_id, j.status, j.truck_id, s.lat AS site_lat, s.lng AS site_lng "
    "FROM job j LEFT JOIN site s ON s.id = j.site_id "
    "WHERE j.tenant_id = ? AND j.status IN ('en_route', 'in_progress')"
)
_JOBS_SQL = _ACTIVE_JOBS_SQL + " AND j.truck_id IS NOT NULL"


def accounts_jobs_sql(count: int) -> str:
    """Active jobs of ``count`` accounts, through the (tenant, account, status) index: without a truck
    condition, which would make SQLite walk the tenant's jobs by truck instead (jobs without a truck are
    dropped by the caller)."""
    return _ACTIVE_JOBS_SQL + f" AND j.account_id IN ({', '.join('?' * count)})"


_FIX_COLUMNS = "lat, lng, heading, speed_mps, accuracy_m, at"
_INSERT_SQL = (
    f"INSERT INTO gps_fix (id, tenant_id, truck_id, {_FIX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO NOTHING"
)


def fix_id(truck_id: str, at: str) -> str:
    return hashlib.blake2b(f"{truck_id}|{at}".encode(), digest_size=16).hexdigest()


def _seconds_before(at: str, seconds: float) -> str:
    return iso_ms(datetime.fromisoformat(at.replace("Z", "+00:00")) - timedelta(seconds=seconds))


class GroupWriter:
    """Inserts fixes; callers arriving while a write runs share the next transaction (group commit)."""

    def __init__(self, db: Database):
        self.db = db
        self.pending: list[tuple[list[tuple], asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    def submit(self, rows: list[tuple]) -> asyncio.Future:
        """Queue rows for insertion; the future resolves once they are committed."""
        done = asyncio.get_running_loop().create_future()
        self.pending.append((rows, done))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        return done

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                async with self.db.write() as conn:
                    await conn.executemany(_INSERT_SQL, [row for rows, _ in batch for row in rows])
            except Exception as exc:  # each caller hears about it (the HTTP upload answers 503 busy)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)


class Tracker:
    """Records fixes and publishes positions; one per server process (``state.tracker``)."""

    def __init__(self, db: Database, fanout: GpsFanout):
        self.db, self.fanout = db, fanout
        self.writer = GroupWriter(db)
        self.newest: dict[str, str] = {}  # truck → newest fix instant known here (decides what is news)
        self.speeds: dict[str, deque[tuple[str, float | None]]] = {}  # truck → recent (at, speed), for ETAs
        self.jobs: dict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = {}  # (tenant, truck) → (expiry, jobs)

    # ---- fixes in ---------------------------------------------------------------------
    async def record(self, actor: Actor, raw_fixes: list[Any]) -> tuple[dict[str, Any], asyncio.Future | None]:
        """Check fixes, publish the newest if it is news, and start storing them (idempotently per truck
        and instant). Returns the outcome and a future that resolves once they are stored: the live
        socket acknowledges then, without holding up the driver's next fix meanwhile."""
        if not actor.truck_id:
            raise ApiError(409, "no_truck", "you have no truck assigned; ask the office")
        if len(raw_fixes) > MAX_FIXES_PER_UPLOAD:
            raise ApiError(422, "too_many_fixes", f"send at most {MAX_FIXES_PER_UPLOAD} fixes at a time")
        now = datetime.now(UTC)
        good: list[dict[str, Any]] = []
        rejected: list[BadFix] = []
        for index, raw in enumerate(raw_fixes):
            try:
                good.append(check_fix(raw, index, actor.truck_id, now))
            except BadFix as bad:
                rejected.append(bad)
        if rejected and not good:
            first = rejected[0]
            raise ApiError(422, first.code, first.message, {"rejected": [r.as_dict() for r in rejected]})
        out: dict[str, Any] = {"stored": len(good), "broadcast": False, "rejected": [r.as_dict() for r in rejected]}
        if not good:
            return out, None
        tenant_id, truck_id = actor.tenant_id, actor.truck_id
        good.sort(key=lambda f: f["at"])
        newest = good[-1]
        self._remember_speeds(truck_id, good)
        if await self._is_news(tenant_id, truck_id, newest["at"], iso_ms(now - LIVE_WINDOW)):
            speed = recent_speed(self.recent_speeds(truck_id, newest["at"]))
            jobs = await self.active_jobs(tenant_id, truck_id)
            self.fanout.publish(tenant_id, [gps_message(truck_id, job, newest, speed) for job in jobs])
            out["broadcast"] = True
        # The id derives from the truck and instant, so an upload retried after a lost response stores
        # nothing twice (hashed: truck ids may be up to 64 characters, like the id column).
        stored = self.writer.submit(
            [
                (
                    fix_id(truck_id, f["at"]),
                    tenant_id,
                    truck_id,
                    f["lat"],
                    f["lng"],
                    f["heading"],
                    f["speed_mps"],
                    f["accuracy_m"],
                    f["at"],
                )
                for f in good
            ]
        )
        return out, stored

    async def _is_news(self, tenant_id: str, truck_id: str, at: str, live_since: str) -> bool:
        """Newer than any fix of the truck known here (or, for a backlog, stored by any process)."""
        known = self.newest.get(truck_id)
        if known is None or at < live_since:
            async with self.db.read() as conn:
                stored = await conn.fetchval(
                    "SELECT MAX(at) AS at FROM gps_fix WHERE tenant_id = ? AND truck_id = ?", tenant_id, truck_id
                )
            known = max(known or "", stored or "")
        if known and at <= known:
            return False  # a late upload of old fixes: history only, the map already shows newer
        self.newest[truck_id] = at
        return True

    def _remember_speeds(self, truck_id: str, fixes: list[dict[str, Any]]) -> None:
        recent = self.speeds.setdefault(truck_id, deque(maxlen=120))
        recent.extend((f["at"], f["speed_mps"]) for f in fixes)

    def recent_speeds(self, truck_id: str, newest_at: str) -> list[float | None]:
        since = _seconds_before(newest_at, RECENT_WINDOW_S)
        return [speed for at, speed in self.speeds.get(truck_id, ()) if since <= at <= newest_at]

    async def active_jobs(self, tenant_id: str, truck_id: str) -> list[dict[str, Any]]:
        """The truck's en-route / in-progress jobs with their sites' coordinates (briefly cached)."""
        key = (tenant_id, truck_id)
        cached = self.jobs.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        async with self.db.read() as conn:
            jobs = await conn.fetch(_JOBS_SQL + " AND j.truck_id = ?", tenant_id, truck_id)
        self.jobs[key] = (time.monotonic() + JOBS_TTL_S, jobs)
        return jobs

    # ---- messages out -----------------------------------------------------------------
    async def _positions(self, conn, tenant_id: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The latest recent position of each job's truck, as ``gps`` messages (from the database)."""
        out = []
        oldest = iso_ms(datetime.now(UTC) - POSITION_MAX_AGE)
        for truck_id in sorted({j["truck_id"] for j in jobs}):
            fix = await conn.fetchrow(
                f"SELECT {_FIX_COLUMNS} FROM gps_fix WHERE tenant_id = ? AND truck_id = ? "
                "AND at >= ? ORDER BY at DESC LIMIT 1",
                tenant_id,
                truck_id,
                oldest,
            )
            if fix is None:
                continue
            rows = await conn.fetch(
                "SELECT speed_mps FROM gps_fix WHERE tenant_id = ? AND truck_id = ? AND at >= ? "
                "AND at <= ? ORDER BY at DESC LIMIT 30",
                tenant_id,
                truck_id,
                _seconds_before(fix["at"], RECENT_WINDOW_S),
                fix["at"],
            )
            speed = recent_speed(r["speed_mps"] for r in rows)
            out.extend(gps_message(truck_id, j, fix, speed) for j in jobs if j["truck_id"] == truck_id)
        return out

    async def positions_for(self, actor: Actor) -> list[dict[str, Any]]:
        """What a new subscriber should see at once: where the trucks on its active jobs are."""
        if actor.role == "driver":
            return []
        async with self.db.read() as conn:
            if actor.is_staff:
                jobs = await conn.fetch(_JOBS_SQL, actor.tenant_id)
            else:
                accounts = sorted(actor.accounts)
                if not accounts:
                    return []
                jobs = await conn.fetch(accounts_jobs_sql(len(accounts)), actor.tenant_id, *accounts)
            jobs = [j for j in jobs if j["truck_id"] and actor.may_see_site(j["account_id"], j["site_id"])]
            return await self._positions(conn, actor.tenant_id, jobs) if jobs else []

    async def on_commit(self, tenant_id: str, changed: list[tuple[str, dict[str, Any]]]) -> None:
        """After a commit here: forget cached jobs if jobs changed, and show at once the truck of a job
        that is (now) en route or in progress, not at its next fix."""
        if any(entity == "job" for entity, _row in changed):
            self.jobs.clear()
        ids = sorted(
            {
                row["id"]
                for entity, row in changed
                if entity == "job" and row.get("status") in ACTIVE and row.get("truck_id")
            }
        )
        if not ids:
            return
        try:
            async with self.db.read() as conn:
                jobs = await conn.fetch(_JOBS_SQL + f" AND j.id IN ({', '.join('?' * len(ids))})", tenant_id, *ids)
                messages = await self._positions(conn, tenant_id, jobs)
            self.fanout.publish(tenant_id, messages)
        except Exception:  # runs after a commit the client already has: never fail its request
            log.exception("publishing positions after a commit failed")

    # ---- upkeep -----------------------------------------------------------------------
    async def prune(self) -> None:
        """Forget fixes past the retention period (they only serve history and ETA)."""
        cutoff = iso_ms(datetime.now(UTC) - RETENTION)
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM gps_fix WHERE at < ?", cutoff)
