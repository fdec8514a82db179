"""A customer changes their own email or phone only through a link sent to the new address; nobody
else's address and no staff address can be taken that way; the office changes it directly."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from server.seed.demo import sid
from tests.support.portal import ADMIN, AVA, DRIVER, OFFICE, OPS, login

NEW = "ava.reed@newmail.example"


@pytest.fixture
def settings_overrides():
    return {"magic_link_per_address": 5}


async def _messages(client, to: str) -> list[dict]:
    return (await client.get("/api/dev/outbox", params={"to": to})).json()["messages"]


async def _confirm_token(client, to: str) -> str:
    [message] = [m for m in await _messages(client, to) if "confirm-address" in m["link"]]
    url = urlparse(message["link"])
    assert url.path == "/t/demo/confirm-address"
    return parse_qs(url.query)["token"][0]


async def _me(client, headers) -> dict:
    return (await client.get("/api/auth/me", headers=headers)).json()["contact"]


async def test_a_new_email_takes_effect_only_once_the_link_sent_to_it_is_opened(client):
    ava = await login(client, AVA)
    sent = await client.post("/api/auth/address-change", json={"email": "  Ava.Reed@NewMail.example "}, headers=ava)
    assert sent.status_code == 202, sent.text
    assert sent.json()["sent_to"] == NEW
    assert (await _me(client, ava))["email"] == AVA  # nothing changes until the link is opened
    token = await _confirm_token(client, NEW)
    assert await _messages(client, AVA) and not [m for m in await _messages(client, AVA) if "confirm" in m["link"]]

    confirmed = await client.post("/api/auth/address-change/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == NEW
    assert (await _me(client, ava))["email"] == NEW  # her session goes on
    # From now on the new address signs her in (to her own accounts), the old one no one.
    again = await login(client, NEW)
    assert (await _me(client, again))["id"] == sid("contact:ava")
    before = len(await _messages(client, AVA))
    assert (await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA})).status_code == 202
    assert len(await _messages(client, AVA)) == before
    # Opening the link twice changes nothing more.
    assert (await client.post("/api/auth/address-change/confirm", json={"token": token})).status_code == 200


async def test_a_new_phone_gets_its_link_by_sms(client):
    ava = await login(client, AVA)
    assert (
        await client.post("/api/auth/address-change", json={"phone": "+15550109999"}, headers=ava)
    ).status_code == 202
    token = await _confirm_token(client, "+15550109999")
    assert (await client.post("/api/auth/address-change/confirm", json={"token": token})).json()[
        "phone"
    ] == "+15550109999"


@pytest.mark.parametrize("address", [OPS, ADMIN, DRIVER])  # another customer's; staff addresses
async def test_someone_elses_or_a_staff_address_cannot_be_taken(client, address):
    ava = await login(client, AVA)
    response = await client.post("/api/auth/address-change", json={"email": address}, headers=ava)
    assert response.status_code == 409 and response.json()["error"]["code"] == "address_taken"
    assert not [m for m in await _messages(client, address) if "confirm-address" in m["link"]]


async def test_an_address_taken_between_asking_and_confirming_is_refused(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    assert (await client.post("/api/auth/address-change", json={"email": NEW}, headers=ava)).status_code == 202
    token = await _confirm_token(client, NEW)
    ops = sid("contact:ops")
    patched = await client.patch(f"/api/admin/contacts/{ops}", json={"email": NEW}, headers=office)
    assert patched.status_code == 200, patched.text
    response = await client.post("/api/auth/address-change/confirm", json={"token": token})
    assert response.status_code == 409 and response.json()["error"]["code"] == "address_taken"
    assert (await _me(client, ava))["email"] == AVA


async def test_links_are_of_their_own_kind_and_die_with_a_revocation_or_a_later_change(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    assert (await client.post("/api/auth/address-change", json={"email": NEW}, headers=ava)).status_code == 202
    token = await _confirm_token(client, NEW)
    # Not a login link, and a login link is not a confirmation.
    assert (await client.post("/api/auth/session", json={"token": token})).status_code == 401
    login_token = parse_qs(urlparse((await _messages(client, AVA))[0]["link"]).query)["token"][0]
    assert (await client.post("/api/auth/address-change/confirm", json={"token": login_token})).status_code == 401
    assert (await client.post("/api/auth/address-change/confirm", json={"token": token + "x"})).status_code == 401
    # The office changed her address meanwhile: the older request no longer applies.
    ava_id = sid("contact:ava")
    assert (
        await client.patch(f"/api/admin/contacts/{ava_id}", json={"email": "ava@office-set.example"}, headers=office)
    ).status_code == 200
    late = await client.post("/api/auth/address-change/confirm", json={"token": token})
    assert late.status_code == 401 and late.json()["error"]["code"] == "link_revoked"


async def test_only_a_customers_own_session_asks_and_bad_input_is_a_4xx(client):
    office, ava = await login(client, OFFICE), await login(client, AVA)
    assert (await client.post("/api/auth/address-change", json={"email": NEW}, headers=office)).status_code == 403
    assert (await client.post("/api/auth/address-change", json={"email": NEW})).status_code == 401
    for body in ({}, {"email": NEW, "phone": "+15550109999"}, {"email": "not-an-address"}, {"email": AVA}):
        response = await client.post("/api/auth/address-change", json=body, headers=ava)
        assert 400 <= response.status_code < 500 and response.json()["error"]["code"], (body, response.text)


async def test_asking_again_and_again_is_rate_limited(client):
    ava = await login(client, AVA)
    codes = [
        (await client.post("/api/auth/address-change", json={"email": NEW}, headers=ava)).status_code for _ in range(8)
    ]
    assert codes.count(202) == 5 and codes[-1] == 429


async def test_the_office_changes_a_customers_email_directly(client):
    office = await login(client, OFFICE)
    ava_id = sid("contact:ava")
    patched = await client.patch(f"/api/admin/contacts/{ava_id}", json={"email": NEW}, headers=office)
    assert patched.status_code == 200, patched.text
    assert (await _me(client, await login(client, NEW)))["id"] == ava_id
