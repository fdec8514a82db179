"""The live socket: who hears which truck, pokes, typing, read receipts, and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import websockets

from server.auth.guards import SESSION_COOKIE
from tests.live.conftest import live_socket, session_token
from tests.support.portal import ADMIN, AVA, DRIVER, GATE, IDS, OFFICE, OPS, login, new_client_id, push

T1, T2 = IDS("truck:t1"), IDS("truck:t2")
AVA_EN_ROUTE, HARBOR_IN_PROGRESS = IDS("job:ava-en-route"), IDS("job:harbor-in-progress")
HARBOR_B = IDS("job:harbor-b-confirmed")  # Tower B, which the site contact (gate) may not see


def fix(lat: float, lng: float = -89.65, speed: float = 12.0) -> dict:
    return {
        "lat": lat,
        "lng": lng,
        "heading": 90.0,
        "speed_mps": speed,
        "accuracy_m": 5.0,
        "at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


async def second_driver_on_t2(http) -> str:
    """A driver for truck T-2 (the demo has one driver, on T-1), logged in; returns the session token."""
    admin = await login(http, ADMIN)  # staff are managed by admins
    response = await http.post(
        "/api/admin/staff",
        headers=admin,
        json={"name": "Tia Two", "email": "driver2@demo.example", "role": "driver", "truck_id": T2},
    )
    assert response.status_code == 201, response.text
    return await session_token(http, "driver2@demo.example")


async def test_a_customer_sees_the_truck_of_their_en_route_job_and_never_another_customers_truck(server, http):
    base, _app = server
    office = await login(http, OFFICE)
    # Harbor's Tower B job goes out on T-2, so T-2 works only for Harbor (and only at Tower B).
    response = await http.patch(
        f"/api/admin/jobs/{HARBOR_B}", headers=office, json={"truck_id": T2, "status": "en_route"}
    )
    assert response.status_code == 200, response.text
    driver1, driver2 = await session_token(http, DRIVER), await second_driver_on_t2(http)
    tokens = {who: await session_token(http, who) for who in (AVA, OPS, GATE, ADMIN)}
    async with (
        live_socket(base, tokens[AVA]) as ava,
        live_socket(base, tokens[OPS]) as ops,
        live_socket(base, tokens[GATE]) as gate,
        live_socket(base, tokens[ADMIN]) as admin,
        live_socket(base, driver1) as truck1,
        live_socket(base, driver2) as truck2,
    ):
        await truck2.send({"type": "gps", "fixes": [fix(39.70)]})
        assert (await truck2.next(type="gps_ack"))["stored"] == 1
        await truck1.send({"type": "gps", "fixes": [fix(39.75)]})
        await truck1.next(type="gps_ack")

        # Ava: only her own job on T-1. Her next gps is T-1's, so T-2's fix never reached her.
        seen = await ava.next(type="gps")
        assert (seen["truck_id"], seen["job_id"], seen["lat"]) == (T1, AVA_EN_ROUTE, 39.75)
        assert seen["eta_s"] > 0 and seen["at"].endswith("Z")
        await ava.none(0.3, type="gps")
        # Harbor's company contact: both Harbor jobs, on both trucks, never Ava's.
        got = {(m["truck_id"], m["job_id"]) for m in [await ops.next(type="gps"), await ops.next(type="gps")]}
        assert got == {(T2, HARBOR_B), (T1, HARBOR_IN_PROGRESS)}
        await ops.none(0.3, type="gps")
        # Harbor's site contact (Tower A only): the Tower A job, not Tower B's truck.
        seen = await gate.next(type="gps")
        assert (seen["truck_id"], seen["job_id"]) == (T1, HARBOR_IN_PROGRESS)
        await gate.none(0.3, type="gps")
        # The office sees every active job.
        got = {m["job_id"] for m in [await admin.next(type="gps") for _ in range(3)]}
        assert got == {HARBOR_B, AVA_EN_ROUTE, HARBOR_IN_PROGRESS}

        # A finished job stops showing its truck.
        response = await http.patch(f"/api/admin/jobs/{AVA_EN_ROUTE}", headers=office, json={"status": "completed"})
        assert response.status_code == 200, response.text
        await truck1.send({"type": "gps", "fixes": [fix(39.76)]})
        assert (await ops.next(type="gps", truck_id=T1))["lat"] == 39.76
        await ava.none(0.3, type="gps")


async def test_a_new_subscriber_gets_the_latest_position_at_once(server, http):
    base, _app = server
    driver = {"Authorization": f"Bearer {await session_token(http, DRIVER)}"}
    response = await http.post("/api/driver/gps", headers=driver, json={"fixes": [fix(39.80, -89.60)]})
    assert response.json()["broadcast"] is True
    async with live_socket(base, await session_token(http, AVA)) as ava:
        [position] = ava.initial
        assert (position["type"], position["job_id"], position["lat"]) == ("gps", AVA_EN_ROUTE, 39.80)


async def test_a_job_going_en_route_shows_its_truck_without_waiting_for_the_next_fix(server, http):
    base, _app = server
    driver2 = await second_driver_on_t2(http)
    office = await login(http, OFFICE)
    async with live_socket(base, await session_token(http, AVA)) as ava, live_socket(base, driver2) as truck2:
        await truck2.send({"type": "gps", "fixes": [fix(39.71)]})
        await truck2.next(type="gps_ack")
        await ava.none(0.3, type="gps", truck_id=T2)  # her T-2 job is only confirmed
        response = await http.patch(
            f"/api/admin/jobs/{IDS('job:ava-confirmed')}", headers=office, json={"status": "en_route"}
        )
        assert response.status_code == 200, response.text
        seen = await ava.next(type="gps", truck_id=T2)
        assert (seen["job_id"], seen["lat"]) == (IDS("job:ava-confirmed"), 39.71)


async def test_a_booking_pokes_its_account_and_the_office_but_not_other_customers(server, http):
    base, _app = server
    ava_headers = await login(http, AVA)
    async with (
        live_socket(base, await session_token(http, AVA)) as ava,
        live_socket(base, await session_token(http, OPS)) as ops,
        live_socket(base, await session_token(http, OFFICE)) as office,
    ):
        result = await push(
            http,
            ava_headers,
            new_client_id(),
            (
                1,
                "job.book",
                {
                    "id": "5b0f8f0e-7d1c-4a53-9a55-3c3f3d6b2a11",
                    "site_id": IDS("site:ava-home"),
                    "service_type_id": IDS("service:junk"),
                    "date": "2030-06-03",
                    "time_slot_id": IDS("slot:morning"),
                    "description": "Old piano",
                    "items": "piano",
                    "load_estimate": "quarter",
                },
            ),
        )
        assert result["results"][0]["status"] == "applied", result
        assert (await ava.next(type="poke"))["type"] == "poke"
        await office.next(type="poke")
        await ops.none(0.5, type="poke")


async def test_typing_reaches_the_other_side_and_is_not_echoed(server, http):
    base, _app = server
    ava_res, harbor = IDS("account:ava-reed"), IDS("account:harbor")
    async with (
        live_socket(base, await session_token(http, AVA)) as ava,
        live_socket(base, await session_token(http, OFFICE)) as office,
        live_socket(base, await session_token(http, OPS)) as ops,
        live_socket(base, await session_token(http, GATE)) as gate,
    ):
        await ava.send({"type": "typing", "account_id": ava_res})
        seen = await office.next(type="typing")
        assert (seen["account_id"], seen["who"]) == (ava_res, "Ava Reed")
        await ava.none(0.3, type="typing")
        await ava.send({"type": "typing"})  # Ava has two accounts: she must say which chat
        assert (await ava.next(type="error"))["code"] == "bad_account"
        await ava.send({"type": "typing", "account_id": harbor})  # not hers
        assert (await ava.next(type="error"))["code"] == "bad_account"

        await office.send({"type": "typing"})
        assert (await office.next(type="error"))["code"] == "bad_account"
        await office.send({"type": "typing", "account_id": ava_res})
        assert (await ava.next(type="typing"))["who"] == "Oscar"
        await ops.none(0.2, type="typing")  # Harbor does not see Ava's chat

        await gate.send({"type": "typing"})  # one account: no account_id needed
        seen = await ops.next(type="typing")
        assert (seen["account_id"], seen["who"]) == (harbor, "Gus Gate")


async def test_read_receipts_reach_the_office(server, http):
    base, _app = server
    ava_res = IDS("account:ava-reed")
    office_headers, ava_headers = await login(http, OFFICE), await login(http, AVA)
    response = await http.post(
        "/api/admin/messages", headers=office_headers, json={"account_id": ava_res, "body": "We will be there at 9."}
    )
    assert response.status_code == 201, response.text
    message_id = response.json()["id"]
    async with live_socket(base, await session_token(http, OFFICE)) as office:
        result = await push(http, ava_headers, new_client_id(), (1, "message.mark_read", {"ids": [message_id]}))
        assert result["results"][0]["status"] == "applied", result
        seen = await office.next(type="read")
        assert (seen["account_id"], seen["message_id"], seen["by"]) == (ava_res, message_id, "customer")


async def test_bad_client_messages_get_errors_and_the_socket_stays_open(server, http):
    base, _app = server
    async with live_socket(base, await session_token(http, AVA)) as ava:
        await ava.ws.send("not json")
        assert (await ava.next(type="error"))["code"] == "bad_json"
        await ava.ws.send(b"\x00\x01")
        assert (await ava.next(type="error"))["code"] == "bad_message"
        for message, code in (
            ([1, 2], "unknown_type"),
            ({"type": "launch"}, "unknown_type"),
            ({"type": "gps", "fixes": [fix(39.7)]}, "forbidden"),
        ):
            await ava.ws.send(json.dumps(message))
            assert (await ava.next(type="error"))["code"] == code
        await ava.send({"type": "ping"})
        assert (await ava.next(type="pong"))["type"] == "pong"
    async with live_socket(base, await session_token(http, DRIVER)) as driver:
        for message, code in (
            ({"type": "typing"}, "forbidden"),
            ({"type": "gps", "fixes": "x"}, "bad_fix"),
            ({"type": "gps", "fixes": [{"lat": 91, "lng": 0, "at": fix(0)["at"]}]}, "bad_fix"),
        ):
            await driver.send(message)
            assert (await driver.next(type="error"))["code"] == code
        await driver.send({"type": "ping"})
        await driver.next(type="pong")


async def test_the_socket_needs_a_valid_session(server, http):
    base, _app = server
    ws_url = base.replace("http://", "ws://") + "/api/live"
    for url in (ws_url, ws_url + "?token=nonsense"):
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(url, open_timeout=5):
                pass
    token = await session_token(http, AVA)
    # The session cookie works too (what the PWA sends), but not from another site's page.
    async with websockets.connect(ws_url, additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"}) as ws:
        assert json.loads(await ws.recv())["type"] in ("gps", "ready")
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(
            ws_url, origin="https://evil.example", additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"}
        ):
            pass


async def test_a_socket_closes_when_its_session_loses_portal_access(server, http, monkeypatch):
    import server.live.session as session_module

    monkeypatch.setattr(session_module, "RECHECK_S", 0.2)
    base, _app = server
    office = await login(http, OFFICE)
    async with live_socket(base, await session_token(http, GATE)) as gate:
        response = await http.patch(
            f"/api/admin/memberships/{IDS('membership:gate')}", headers=office, json={"portal_access": False}
        )
        assert response.status_code == 200, response.text
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            for _ in range(50):
                await gate.next(timeout=5)
        assert closed.value.rcvd.code == 4401


async def test_a_job_moved_to_another_truck_pokes_the_truck_it_left(server, http):
    """The driver of the truck a job leaves must pull at once (the job leaves their route), not at the next
    periodic pull: the poke goes to the old truck as well as the new one."""
    base, _app = server
    office = await login(http, OFFICE)
    on_t1 = await http.patch(f"/api/admin/jobs/{HARBOR_B}", headers=office, json={"truck_id": T1})
    assert on_t1.status_code == 200, on_t1.text
    driver1, driver2 = await session_token(http, DRIVER), await second_driver_on_t2(http)
    async with live_socket(base, driver1) as truck1, live_socket(base, driver2) as truck2:
        moved = await http.patch(f"/api/admin/jobs/{HARBOR_B}", headers=office, json={"truck_id": T2})
        assert moved.status_code == 200, moved.text
        await truck2.next(type="poke")
        await truck1.next(type="poke")
        # Taken off every truck: the one it was on hears it too.
        unassigned = await http.patch(f"/api/admin/jobs/{HARBOR_B}", headers=office, json={"truck_id": None})
        assert unassigned.status_code == 200, unassigned.text
        await truck2.next(type="poke")
        await truck1.none(0.5, type="poke")


async def test_a_job_moved_to_another_account_pokes_the_account_it_left(server, http):
    base, _app = server
    office = await login(http, OFFICE)
    async with (
        live_socket(base, await session_token(http, OPS)) as ops,
        live_socket(base, await session_token(http, AVA)) as ava,
    ):
        moved = await http.patch(
            f"/api/admin/jobs/{HARBOR_B}",
            headers=office,
            json={"account_id": IDS("account:ava-reed"), "site_id": IDS("site:ava-home")},
        )
        assert moved.status_code == 200, moved.text
        await ava.next(type="poke")
        await ops.next(type="poke")  # Harbor's contacts drop the job at once
