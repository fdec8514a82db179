"""Estimated time of arrival from a truck's GPS fixes: pure arithmetic, no I/O.

ETA = great-circle distance to the job site / recent speed. The speed is the mean of the
speeds reported over the last couple of minutes, floored at ``SPEED_FLOOR_MPS`` so that a
truck waiting at a red light (or a phone that reports 0) does not show an ETA of hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
SPEED_FLOOR_MPS = 5.0  # ~18 km/h: slow city traffic, the least we assume a moving truck makes
RECENT_WINDOW_S = 120  # speeds older than this say little about the rest of the trip
ARRIVED_M = 50.0  # closer than this to the site counts as there


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def recent_speed(speeds: Iterable[float | None], floor: float = SPEED_FLOOR_MPS) -> float:
    """The mean of the known speeds (m/s), never below ``floor``."""
    known = [s for s in speeds if s is not None and math.isfinite(s) and s >= 0]
    mean = sum(known) / len(known) if known else 0.0
    return max(mean, floor)


def eta_seconds(
    lat: float, lng: float, site_lat: float | None, site_lng: float | None, speed_mps: float, status: str = "en_route"
) -> int | None:
    """Seconds until the truck at (lat, lng) reaches the site; None when the site has no coordinates.

    A job already ``in_progress`` has arrived (0). ``speed_mps`` is ``recent_speed(...)`` of the
    truck's recent fixes (computed once per fix, however many jobs the truck carries).
    """
    if status == "in_progress":
        return 0
    if site_lat is None or site_lng is None:
        return None
    distance = haversine_m(lat, lng, site_lat, site_lng)
    if distance <= ARRIVED_M:
        return 0
    return int(round(distance / max(speed_mps, SPEED_FLOOR_MPS)))
