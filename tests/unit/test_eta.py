"""ETA from GPS: distance / recent speed, with a floor so a stopped truck does not show hours."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.live.eta import SPEED_FLOOR_MPS, eta_seconds, haversine_m, recent_speed

lat = st.floats(-90, 90)
lng = st.floats(-180, 180)


def test_haversine_matches_known_distances():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)  # one degree on the equator
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)  # one degree of latitude
    # Springfield IL → Chicago (Willis Tower) is about 283 km as the crow flies
    assert haversine_m(39.7990, -89.6440, 41.8789, -87.6359) == pytest.approx(283_000, rel=0.02)
    assert haversine_m(10, 179.9, 10, -179.9) < 25_000  # across the antimeridian, not around the world


@given(lat, lng, lat, lng)
def test_haversine_is_a_symmetric_non_negative_distance(a, b, c, d):
    forward = haversine_m(a, b, c, d)
    assert forward >= 0 and forward <= math.pi * 6_371_008.8 + 1
    assert forward == pytest.approx(haversine_m(c, d, a, b), abs=1e-6)


def test_recent_speed_is_the_mean_of_known_speeds_with_a_floor():
    assert recent_speed([10.0, 14.0, None]) == 12.0
    assert recent_speed([0.0, 0.0]) == SPEED_FLOOR_MPS  # waiting at a light
    assert recent_speed([]) == SPEED_FLOOR_MPS
    assert recent_speed([float("nan"), -3.0, 20.0]) == 20.0  # nonsense is ignored


def test_eta_is_distance_over_recent_speed():
    # 1 degree of latitude north of the site at 20 m/s: 111.2 km / 20 m/s ≈ 5560 s
    assert eta_seconds(40.0, -89.0, 39.0, -89.0, recent_speed([20.0, 20.0])) == pytest.approx(5560, abs=5)
    # a stopped truck 1 km away: the floor (5 m/s) gives 200 s, not infinity
    one_km_north = 39.0 + 1000 / 111_195
    assert eta_seconds(one_km_north, -89.0, 39.0, -89.0, recent_speed([0.0])) == pytest.approx(200, abs=1)
    assert eta_seconds(one_km_north, -89.0, 39.0, -89.0, 0.0) == pytest.approx(200, abs=1)


def test_eta_edge_cases():
    assert eta_seconds(39.0, -89.0, None, None, 10.0) is None  # site without coordinates
    assert eta_seconds(39.0, -89.0, 39.0001, -89.0, 10.0) == 0  # at the site
    assert eta_seconds(40.0, -89.0, 39.0, -89.0, 10.0, status="in_progress") == 0  # already working there


@given(lat, lng, lat, lng, st.lists(st.one_of(st.none(), st.floats(0, 90)), max_size=10))
def test_eta_is_never_negative_and_never_slower_than_the_floor(a, b, c, d, speeds):
    eta = eta_seconds(a, b, c, d, recent_speed(speeds))
    assert eta is not None and eta >= 0
    assert eta <= haversine_m(a, b, c, d) / SPEED_FLOOR_MPS + 1
