"""Sessions end when they should: logout revokes the token on the server, and a revoked person's (or
membership's) open live sockets close within 5 s, with no periodic check shortened for the test."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import websockets

from server.seed.demo import sid
from tests.live.conftest import live_socket, session_token
from tests.support.portal import AVA, GATE, OFFICE, OPS, login, new_client_id, push

WITHIN_S = 5.0


async def _closed_within(live, seconds: float) -> tuple[int, float]:
    started = time.monotonic()
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        while time.monotonic() - started < seconds + 1:
            await live.next(timeout=seconds + 1)
    return closed.value.rcvd.code, time.monotonic() - started


async def test_logout_revokes_the_bearer_token_and_closes_its_sockets(server, http):
    base, _app = server
    token = await session_token(http, AVA)
    other = await session_token(http, AVA)  # the same person on another device
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/api/auth/me", headers=headers)).status_code == 200
    async with live_socket(base, token) as socket:
        response = await http.post("/api/auth/logout", headers=headers)
        assert response.status_code == 200
        code, took = await _closed_within(socket, WITHIN_S)
        assert code == 4401 and took < WITHIN_S
    me = await http.get("/api/auth/me", headers=headers)
    assert me.status_code == 401 and me.json()["error"]["code"] == "session_revoked"
    pushed = await http.post(
        "/api/sync/push", headers=headers, json={"client_id": new_client_id(), "schema_version": 1, "mutations": []}
    )
    assert pushed.status_code == 401
    assert (await http.get("/api/auth/me", headers={"Authorization": f"Bearer {other}"})).status_code == 200
    assert (await http.post("/api/auth/logout", headers=headers)).status_code == 200  # twice: still fine


async def test_a_removed_membership_closes_the_persons_sockets_within_five_seconds(server, http):
    base, _app = server
    office = await login(http, OFFICE)
    async with live_socket(base, await session_token(http, GATE)) as gate:
        response = await http.patch(
            f"/api/admin/memberships/{sid('membership:gate')}", headers=office, json={"portal_access": False}
        )
        assert response.status_code == 200, response.text
        code, took = await _closed_within(gate, WITHIN_S)
        assert code == 4401 and took < WITHIN_S


async def test_contact_remove_by_the_primary_contact_closes_the_removed_persons_sockets(server, http):
    base, _app = server
    ops = await login(http, OPS)
    helper = {"id": str(uuid.uuid4()), "name": "Hana", "email": "hana@harbor.example", "role": "company"}
    result = await push(http, ops, new_client_id(), (1, "contact.upsert", helper))
    assert result["results"][0]["status"] == "applied", result
    async with live_socket(base, await session_token(http, "hana@harbor.example")) as hana:
        result = await push(http, ops, new_client_id(), (1, "contact.remove", {"contact_id": helper["id"]}))
        assert result["results"][0]["status"] == "applied", result
        code, took = await _closed_within(hana, WITHIN_S)
        assert code == 4401 and took < WITHIN_S


async def test_an_unrelated_change_leaves_sockets_open(server, http):
    base, _app = server
    office = await login(http, OFFICE)
    async with live_socket(base, await session_token(http, AVA)) as ava:
        response = await http.patch(
            f"/api/admin/memberships/{sid('membership:gate')}", headers=office, json={"portal_access": False}
        )
        assert response.status_code == 200
        await asyncio.sleep(0.5)
        await ava.send({"type": "ping"})
        assert (await ava.next(type="pong"))["type"] == "pong"


@pytest.mark.parametrize(
    "person, collection, person_id",
    [(AVA, "contacts", sid("contact:ava")), ("driver@demo.example", "staff", sid("staff:driver"))],
)
async def test_revoking_a_person_closes_every_socket_of_theirs_within_five_seconds(
    server, http, person, collection, person_id
):
    """A person revoked (``token_version`` moved on: "sign out everywhere") loses every session at once."""
    base, _app = server
    admin = await login(http, "admin@demo.example")
    current = (await http.get(f"/api/admin/{collection}/{person_id}", headers=admin)).json()
    async with live_socket(base, await session_token(http, person)) as first:
        async with live_socket(base, await session_token(http, person)) as second:
            response = await http.patch(
                f"/api/admin/{collection}/{person_id}",
                headers=admin,
                json={"token_version": current["token_version"] + 1},
            )
            assert response.status_code == 200, response.text
            for socket in (first, second):
                code, took = await _closed_within(socket, WITHIN_S)
                assert code == 4401 and took < WITHIN_S
