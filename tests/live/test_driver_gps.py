"""Driver GPS uploads: checks and codes, storage (idempotent, pruned), newest-only broadcast, ETA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.live.tracker import fix_id
from tests.live.conftest import live_socket, session_token
from tests.live.test_live_socket import T1, second_driver_on_t2
from tests.support.portal import ADMIN, AVA, DRIVER, IDS, OFFICE, login

HOME = (39.7990, -89.6440)  # Ava's home, the site of her en-route job


def at(seconds_from_now: float = 0) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def driver_headers(http) -> dict:
    return {"Authorization": f"Bearer {await session_token(http, DRIVER)}"}


async def stored_fixes(app, truck_id: str = T1) -> list[dict]:
    async with app.state.db.read() as conn:
        return await conn.fetch("SELECT * FROM gps_fix WHERE truck_id = ? ORDER BY at", truck_id)


async def test_bad_fixes_are_refused_with_a_code(server, http):
    headers = await driver_headers(http)
    cases = [
        ({"lat": 90.5, "lng": 0, "at": at()}, "bad_fix"),
        ({"lat": 0, "lng": -180.01, "at": at()}, "bad_fix"),
        ({"lat": 0, "lng": 0, "at": at(), "speed_mps": -1}, "bad_fix"),
        ({"lat": 0, "lng": 0, "at": at(), "heading": 400}, "bad_fix"),
        ({"lat": "north", "lng": 0, "at": at()}, "bad_fix"),
        ({"lng": 0, "at": at()}, "bad_fix"),
        ({"lat": 0, "lng": 0, "at": "yesterday"}, "bad_fix"),
        ({"lat": 0, "lng": 0, "at": "2026-01-01T08:00:00+02:00"}, "bad_fix"),  # must be UTC
        ({"lat": 0, "lng": 0, "at": "2026-01-01T08:00:00"}, "bad_fix"),  # naive: which zone?
        ({"lat": 0, "lng": 0, "at": at(120)}, "future_fix"),
        ({"lat": 0, "lng": 0, "at": at(-8 * 86400)}, "stale_fix"),
        ({"lat": 0, "lng": 0, "at": at(), "truck_id": IDS("truck:t2")}, "wrong_truck"),
        ("not a fix", "bad_fix"),
    ]
    for bad, code in cases:
        response = await http.post("/api/driver/gps", headers=headers, json={"fixes": [bad]})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == code, (bad, response.text)
    # 30 s ahead is clock drift, not a broken clock
    response = await http.post("/api/driver/gps", headers=headers, json={"fixes": [{"lat": 0, "lng": 0, "at": at(30)}]})
    assert response.status_code == 200, response.text
    # a batch keeps its good fixes and lists the bad ones
    response = await http.post(
        "/api/driver/gps",
        headers=headers,
        json={"fixes": [{"lat": 1, "lng": 1, "at": at(-5)}, {"lat": 100, "lng": 1, "at": at(-4)}]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stored"] == 1 and [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "bad_fix")]
    response = await http.post("/api/driver/gps", headers=headers, json={"points": []})
    assert response.status_code == 400


async def test_only_drivers_with_a_truck_send_fixes(server, http):
    body = {"fixes": [{"lat": 1, "lng": 1, "at": at()}]}
    for who in (AVA, OFFICE):
        response = await http.post("/api/driver/gps", headers=await login(http, who), json=body)
        assert response.status_code == 403, response.text
    response = await http.post("/api/driver/gps", json=body)
    assert response.status_code == 401
    admin = await login(http, ADMIN)  # staff are managed by admins
    response = await http.post(
        "/api/admin/staff",
        headers=admin,
        json={"name": "Spare Driver", "email": "spare@demo.example", "role": "driver"},
    )
    assert response.status_code == 201, response.text
    spare = await login(http, "spare@demo.example")
    response = await http.post("/api/driver/gps", headers=spare, json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "no_truck")
    async with live_socket(server[0], spare["Authorization"].removeprefix("Bearer ")) as live:
        await live.send({"type": "gps", "fixes": body["fixes"]})
        assert (await live.next(type="error"))["code"] == "no_truck"


async def test_buffered_fixes_are_all_stored_but_only_the_newest_is_broadcast(server, http):
    base, app = server
    headers = await driver_headers(http)
    buffered = [
        {
            "lat": 39.70 + i / 100,
            "lng": -89.65,
            "speed_mps": 10.0,
            "heading": 0.0,
            "accuracy_m": 8.0,
            "at": at(-60 + i * 10),
        }
        for i in range(5)
    ]
    async with live_socket(base, await session_token(http, AVA)) as ava:
        response = await http.post("/api/driver/gps", headers=headers, json={"fixes": buffered[::-1]})
        assert response.json() == {"stored": 5, "broadcast": True, "rejected": []}
        seen = await ava.next(type="gps")
        assert (seen["lat"], seen["at"]) == (buffered[-1]["lat"], buffered[-1]["at"])
        await ava.none(0.3, type="gps")
        assert [f["at"] for f in await stored_fixes(app)] == [f["at"] for f in buffered]

        # Sent again (the response was lost): nothing is stored twice, nothing older goes live.
        response = await http.post("/api/driver/gps", headers=headers, json={"fixes": buffered})
        assert response.json()["broadcast"] is False
        older = [{"lat": 10.0, "lng": 10.0, "at": at(-600)}]
        response = await http.post("/api/driver/gps", headers=headers, json={"fixes": older})
        assert response.json() == {"stored": 1, "broadcast": False, "rejected": []}
        await ava.none(0.3, type="gps")
        assert len(await stored_fixes(app)) == 6


async def test_the_eta_is_distance_over_recent_speed(server, http):
    base, _app = server
    headers = await driver_headers(http)
    # 2 km due north of Ava's home, having driven 10 m/s then 20 m/s: mean 15 m/s → ~133 s
    north = HOME[0] + 2000 / 111_195
    fixes = [
        {"lat": north + 0.01, "lng": HOME[1], "speed_mps": 10.0, "at": at(-10)},
        {"lat": north, "lng": HOME[1], "speed_mps": 20.0, "at": at(-1)},
    ]
    async with live_socket(base, await session_token(http, AVA)) as ava:
        await http.post("/api/driver/gps", headers=headers, json={"fixes": fixes})
        seen = await ava.next(type="gps")
        assert 125 <= seen["eta_s"] <= 140, seen
    # A new subscriber gets the same ETA, computed from the stored fixes
    async with live_socket(base, await session_token(http, AVA)) as ava:
        [position] = ava.initial
        assert position["job_id"] == IDS("job:ava-en-route") and position["eta_s"] == seen["eta_s"]
    # The Harbor job is in progress: the truck is there.
    async with live_socket(base, await session_token(http, "ops@harbor.example")) as ops:
        in_progress = [p for p in ops.initial if p["job_id"] == IDS("job:harbor-in-progress")]
        assert in_progress and in_progress[0]["eta_s"] == 0


async def test_old_fixes_are_pruned_after_seven_days(server, http):
    _base, app = server
    headers = await driver_headers(http)
    await http.post("/api/driver/gps", headers=headers, json={"fixes": [{"lat": 1, "lng": 1, "at": at(-60)}]})
    old = at(-8 * 86400)
    async with app.state.db.write() as conn:
        await conn.execute(
            "INSERT INTO gps_fix (id, tenant_id, truck_id, lat, lng, at) VALUES (?, ?, ?, 0, 0, ?)",
            fix_id(T1, old),
            IDS("tenant:demo"),
            T1,
            old,
        )
    assert len(await stored_fixes(app)) == 2
    await app.state.tracker.prune()
    assert [f["lat"] for f in await stored_fixes(app)] == [1.0]


async def test_a_second_driver_cannot_move_the_first_drivers_truck(server, http):
    base, _app = server
    driver2 = await second_driver_on_t2(http)
    async with live_socket(base, driver2) as truck2, live_socket(base, await session_token(http, AVA)) as ava:
        await truck2.send({"type": "gps", "fixes": [{"lat": 1, "lng": 1, "at": at(), "truck_id": T1}]})
        assert (await truck2.next(type="error"))["code"] == "wrong_truck"
        await ava.none(0.3, type="gps")
