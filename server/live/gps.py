"""Truck GPS: checking drivers' fixes, keeping them for history/ETA, telling the right people.

A fix reaches customers only through the jobs on its truck that are ``en_route`` or
``in_progress``: one ``gps`` message per such job, published on that job's account channel
(``a:{account}``) and the office channel (``staff:{tenant}``). Customers therefore only ever
hear about trucks working for them; site contacts are narrowed to their sites by the socket
(the message carries ``site_id``). Everything here reads the shared database, so it works the
same whichever server process received the fix.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import msgspec

from server.db.engine import Database
from server.errors import ApiError
from server.live.eta import RECENT_WINDOW_S, eta_seconds
from server.live.hub import Hub
from sync.actor import Actor

log = logging.getLogger("haulport.live")
ACTIVE = ("en_route", "in_progress")
FUTURE_TOLERANCE_S = 60  # phones' clocks drift; more than this ahead is a broken clock, not drift
RETENTION = timedelta(days=7)
MAX_FIXES_PER_UPLOAD = 10_000  # ~3 h at 1 Hz; the driver app uploads longer gaps in chunks
POSITION_MAX_AGE = timedelta(minutes=30)  # older than this, a "current position" would mislead
MAX_SPEED_MPS = 90.0  # ~320 km/h: anything faster is a GPS glitch


class Fix(msgspec.Struct, kw_only=True):
    """One fix as a driver's phone sends it."""

    lat: float
    lng: float
    at: str
    heading: float | None = None
    speed_mps: float | None = None
    accuracy_m: float | None = None
    truck_id: str | None = None  # optional: lets the server catch a phone still set to another truck


class BadFix(Exception):
    def __init__(self, index: int, code: str, message: str):
        super().__init__(message)
        self.index, self.code, self.message = index, code, message

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "message": self.message}


def iso_ms(moment: datetime) -> str:
    """UTC instant as stored: millisecond precision, ``Z`` (sorts as text on SQLite and PostgreSQL)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finite(value: float | None) -> bool:
    return value is None or math.isfinite(value)


def check_fix(raw: Any, index: int, truck_id: str, now: datetime) -> dict[str, Any]:
    """The fix as a row to store, or ``BadFix`` saying what is wrong with it."""
    try:
        fix = msgspec.convert(raw, Fix)
    except msgspec.ValidationError as exc:
        raise BadFix(index, "bad_fix", f"fix {index}: {exc}") from None
    if not all(_finite(v) for v in (fix.lat, fix.lng, fix.heading, fix.speed_mps, fix.accuracy_m)):
        raise BadFix(index, "bad_fix", f"fix {index}: numbers must be finite")
    if not (-90 <= fix.lat <= 90 and -180 <= fix.lng <= 180):
        raise BadFix(index, "bad_fix", f"fix {index}: lat must be within ±90 and lng within ±180")
    if fix.heading is not None and not 0 <= fix.heading <= 360:
        raise BadFix(index, "bad_fix", f"fix {index}: heading must be 0–360 degrees")
    if fix.speed_mps is not None and not 0 <= fix.speed_mps <= MAX_SPEED_MPS:
        raise BadFix(index, "bad_fix", f"fix {index}: speed_mps must be 0–{MAX_SPEED_MPS:g}")
    if fix.accuracy_m is not None and fix.accuracy_m < 0:
        raise BadFix(index, "bad_fix", f"fix {index}: accuracy_m cannot be negative")
    if fix.truck_id is not None and fix.truck_id != truck_id:
        raise BadFix(index, "wrong_truck", f"fix {index}: you drive another truck")
    try:
        at = datetime.fromisoformat(fix.at.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.utcoffset() != timedelta(0):
        raise BadFix(index, "bad_fix", f"fix {index}: at must be an ISO-8601 UTC instant such as 2026-01-01T08:00:00Z")
    if at > now + timedelta(seconds=FUTURE_TOLERANCE_S):
        raise BadFix(index, "future_fix", f"fix {index}: at is more than {FUTURE_TOLERANCE_S} s in the future")
    if at < now - RETENTION:
        raise BadFix(index, "stale_fix", f"fix {index}: fixes older than {RETENTION.days} days are not kept")
    return {"lat": fix.lat, "lng": fix.lng, "heading": fix.heading, "speed_mps": fix.speed_mps,
            "accuracy_m": fix.accuracy_m, "at": iso_ms(at)}


def gps_message(truck_id: str, job: dict[str, Any], fix: dict[str, Any], speeds: Iterable[float | None]) -> dict:
    """The live ``gps`` message for one job (key order matters: sockets recognise ``{"type":"gps"``)."""
    return {"type": "gps", "truck_id": truck_id, "job_id": job["id"], "account_id": job["account_id"],
            "site_id": job["site_id"], "lat": fix["lat"], "lng": fix["lng"], "heading": fix["heading"],
            "speed_mps": fix["speed_mps"], "at": fix["at"],
            "eta_s": eta_seconds(fix["lat"], fix["lng"], job["site_lat"], job["site_lng"], speeds, job["status"])}


_JOBS_SQL = ("SELECT j.id, j.account_id, j.site_id, j.status, j.truck_id, s.lat AS site_lat, s.lng AS site_lng "
             "FROM job j LEFT JOIN site s ON s.id = j.site_id "
             "WHERE j.tenant_id = ? AND j.status IN ('en_route', 'in_progress') AND j.truck_id IS NOT NULL")
_FIX_COLUMNS = "lat, lng, heading, speed_mps, accuracy_m, at"
_encode = msgspec.json.Encoder().encode


class Tracker:
    """Records fixes and publishes positions; one per server process (``state.tracker``).

    ``redis`` (when the app's channels run on Redis) publishes a fix's messages in one pipelined
    round trip: the channels plugin sends one message per round trip, and a truck with many jobs
    at 1 Hz across many trucks otherwise saturates that single publisher queue.
    """

    def __init__(self, db: Database, hub: Hub, redis: Any = None):
        self.db, self.hub, self.redis = db, hub, redis

    async def publish(self, tenant_id: str, messages: list[dict[str, Any]]) -> None:
        """Each ``gps`` message on its job's account channel and on the office channel."""
        if not messages:
            return
        if self.redis is not None:
            try:
                pipe = self.redis.pipeline(transaction=False)
                for message in messages:
                    data = _encode(message)
                    # The same raw channel names the channels plugin subscribes to on Redis.
                    pipe.publish(f"a:{message['account_id']}", data)
                    pipe.publish(f"staff:{tenant_id}", data)
                await pipe.execute()
                return
            except Exception:  # a Redis hiccup: fall back to the plugin's own queue
                log.warning("pipelined GPS publish failed; using the channels queue", exc_info=True)
        for message in messages:
            self.hub.publish(message, [f"a:{message['account_id']}", f"staff:{tenant_id}"])

    async def record(self, actor: Actor, raw_fixes: list[Any]) -> dict[str, Any]:
        """Store a driver's fixes (idempotent per truck and instant); broadcast the newest if it is news."""
        if not actor.truck_id:
            raise ApiError(409, "no_truck", "you have no truck assigned; ask the office")
        if len(raw_fixes) > MAX_FIXES_PER_UPLOAD:
            raise ApiError(422, "too_many_fixes", f"send at most {MAX_FIXES_PER_UPLOAD} fixes at a time")
        now = datetime.now(timezone.utc)
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
            return out
        newest = max(good, key=lambda f: f["at"])
        tenant_id, truck_id = actor.tenant_id, actor.truck_id
        async with self.db.write() as conn:
            before = await conn.fetchval("SELECT MAX(at) AS at FROM gps_fix WHERE tenant_id = ? AND truck_id = ?",
                                         tenant_id, truck_id)
            # The id is the truck and instant, so an upload retried after a lost response stores nothing twice.
            await conn.executemany(
                f"INSERT INTO gps_fix (id, tenant_id, truck_id, {_FIX_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                [(f"{truck_id}:{f['at']}", tenant_id, truck_id, f["lat"], f["lng"], f["heading"], f["speed_mps"],
                  f["accuracy_m"], f["at"]) for f in good])
            if before is not None and newest["at"] <= before:
                return out  # a late upload of old fixes: history only, the map already shows newer
            jobs = await conn.fetch(_JOBS_SQL + " AND j.truck_id = ?", tenant_id, truck_id)
            speeds = await self._recent_speeds(conn, tenant_id, truck_id, newest["at"]) if jobs else []
        await self.publish(tenant_id, [gps_message(truck_id, job, newest, speeds) for job in jobs])
        out["broadcast"] = True
        return out

    @staticmethod
    async def _recent_speeds(conn, tenant_id: str, truck_id: str, newest_at: str) -> list[float | None]:
        since = iso_ms(datetime.fromisoformat(newest_at.replace("Z", "+00:00")) - timedelta(seconds=RECENT_WINDOW_S))
        rows = await conn.fetch("SELECT speed_mps FROM gps_fix WHERE tenant_id = ? AND truck_id = ? AND at >= ? "
                                "AND at <= ? ORDER BY at DESC LIMIT 30", tenant_id, truck_id, since, newest_at)
        return [r["speed_mps"] for r in rows]

    async def _positions(self, conn, tenant_id: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The latest recent position of each job's truck, as ``gps`` messages."""
        out = []
        oldest = iso_ms(datetime.now(timezone.utc) - POSITION_MAX_AGE)
        for truck_id in sorted({j["truck_id"] for j in jobs}):
            fix = await conn.fetchrow(f"SELECT {_FIX_COLUMNS} FROM gps_fix WHERE tenant_id = ? AND truck_id = ? "
                                      "AND at >= ? ORDER BY at DESC LIMIT 1", tenant_id, truck_id, oldest)
            if fix is None:
                continue
            speeds = await self._recent_speeds(conn, tenant_id, truck_id, fix["at"])
            out.extend(gps_message(truck_id, j, fix, speeds) for j in jobs if j["truck_id"] == truck_id)
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
                jobs = await conn.fetch(_JOBS_SQL + f" AND j.account_id IN ({', '.join('?' * len(accounts))})",
                                        actor.tenant_id, *accounts)
            jobs = [j for j in jobs if actor.may_see_site(j["account_id"], j["site_id"])]
            return await self._positions(conn, actor.tenant_id, jobs) if jobs else []

    async def on_commit(self, tenant_id: str, changed: list[tuple[str, dict[str, Any]]]) -> None:
        """A job that is (now) en route or in progress shows its truck at once, not at the next fix."""
        ids = sorted({row["id"] for entity, row in changed
                      if entity == "job" and row.get("status") in ACTIVE and row.get("truck_id")})
        if not ids:
            return
        try:
            async with self.db.read() as conn:
                jobs = await conn.fetch(_JOBS_SQL + f" AND j.id IN ({', '.join('?' * len(ids))})", tenant_id, *ids)
                messages = await self._positions(conn, tenant_id, jobs)
            await self.publish(tenant_id, messages)
        except Exception:  # runs after a commit the client already has: never fail its request
            log.exception("publishing positions after a commit failed")

    async def prune(self) -> None:
        """Forget fixes past the retention period (they only serve history and ETA)."""
        cutoff = iso_ms(datetime.now(timezone.utc) - RETENTION)
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM gps_fix WHERE at < ?", cutoff)

    async def ensure_index(self) -> None:
        """Latest-fix lookups need (tenant, truck, at); the base migration only indexes truck_id."""
        try:
            async with self.db.write() as conn:
                await conn.execute("CREATE INDEX IF NOT EXISTS gps_fix_truck_at ON gps_fix (tenant_id, truck_id, at)")
        except Exception:  # another process creating it at the same moment (PostgreSQL) is fine
            log.info("gps_fix index not created here", exc_info=True)
