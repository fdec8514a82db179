"""Truck GPS, the pure part: checking a driver's fixes and shaping the ``gps`` message.

A fix reaches customers only through the jobs on its truck that are ``en_route`` or
``in_progress``: one ``gps`` message per such job (``tracker.py`` stores and publishes them).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from server.live.eta import eta_seconds

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
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    return {
        "lat": fix.lat,
        "lng": fix.lng,
        "heading": fix.heading,
        "speed_mps": fix.speed_mps,
        "accuracy_m": fix.accuracy_m,
        "at": iso_ms(at),
    }


def gps_message(truck_id: str, job: dict[str, Any], fix: dict[str, Any], speed_mps: float) -> dict:
    """The live ``gps`` message for one job (key order matters: sockets recognise ``{"type":"gps"``).

    ``speed_mps``: the truck's recent speed (``eta.recent_speed``), for the ETA."""
    return {
        "type": "gps",
        "truck_id": truck_id,
        "job_id": job["id"],
        "account_id": job["account_id"],
        "site_id": job["site_id"],
        "lat": fix["lat"],
        "lng": fix["lng"],
        "heading": fix["heading"],
        "speed_mps": fix["speed_mps"],
        "at": fix["at"],
        "eta_s": eta_seconds(fix["lat"], fix["lng"], job["site_lat"], job["site_lng"], speed_mps, job["status"]),
    }
