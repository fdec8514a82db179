"""Magic-link login as PROTOCOL.md "Auth" describes it."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest

from tests.support.portal import ADMIN, AVA, GATE, IDS, OFFICE, link_token, login
from tests.support.smtp import Inbox, apprise_mailto, smtp_server

SECRET = "test-secret-key-0123456789-abcdefghijkl"


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings_overrides(request, smtp):
    """Every test here mails through a real SMTP server; the dev outbox still records each message."""
    return {"notify_email_url": apprise_mailto(smtp[1]), **getattr(request, "param", {})}


async def _session(client, token):
    return await client.post("/api/auth/session", json={"token": token})


@pytest.mark.parametrize("settings_overrides", [{"dev_mode": False}], indirect=True)
async def test_link_by_email_reaches_a_real_smtp_server_and_logs_in(smtp, client):
    inbox, _port = smtp
    response = await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": "Ava@Example.com"})
    assert response.status_code == 202 and response.json() == {"sent": True}
    await client.app.state.messenger.drain()
    [mail] = inbox.wait_for(1)
    assert "ava@example.com" in mail["X-Envelope-To"]
    body = Inbox.text(mail)
    link = next(word for word in body.split() if word.startswith("http://testserver.local/t/demo/login?token="))
    token = parse_qs(urlparse(link).query)["token"][0]
    session = await _session(client, token)
    assert session.status_code == 200
    assert {a["name"] for a in session.json()["accounts"]} == {"Ava Reed", "Reed Landscaping"}
    assert "haulport_session" in session.headers.get("set-cookie", "")
    assert (await client.get("/api/dev/outbox")).status_code == 404  # not in dev mode


async def test_link_by_sms_lands_in_the_dev_outbox(client):
    response = await client.post("/api/auth/magic-link", json={"tenant": "demo", "phone": "+15550100001"})
    assert response.status_code == 202
    [message] = (await client.get("/api/dev/outbox", params={"to": "+15550100001"})).json()["messages"]
    assert message["channel"] == "sms" and "/t/demo/login?token=" in message["body"]


async def test_the_link_is_reusable_and_the_session_lasts_seven_days(client):
    token = await link_token(client, AVA)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 30 * 86400
    first, second = await _session(client, token), await _session(client, token)
    assert first.status_code == second.status_code == 200
    assert abs(first.json()["expires_at"] - time.time() - 7 * 86400) < 60


async def test_unknown_email_gets_the_same_answer_and_no_message(client):
    response = await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": "nobody@example.com"})
    assert response.status_code == 202 and response.json() == {"sent": True}
    assert (await client.get("/api/dev/outbox", params={"to": "nobody@example.com"})).json()["messages"] == []


def _forge(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_expired_tampered_and_wrong_algorithm_tokens_are_refused(client):
    token = await link_token(client, AVA)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    expired = _forge({**claims, "exp": int(time.time()) - 10})
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    unsigned = jwt.encode(claims, None, algorithm="none")
    other_key = _forge(claims, key="another-secret-key-that-is-long-enough!!")
    session_as_link = _forge({**claims, "typ": "session"})
    for bad in (expired, tampered, unsigned, other_key, session_as_link, "not-a-token-at-all"):
        response = await _session(client, bad)
        assert response.status_code == 401, bad
        assert response.json()["error"]["code"] == "invalid_token"


async def test_rs256_key_confusion_is_refused(client):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    token = await link_token(client, AVA)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    response = await _session(client, jwt.encode(claims, pem, algorithm="RS256"))
    assert response.status_code == 401


async def test_a_contact_who_loses_portal_access_loses_old_links_and_sessions(client):
    token = await link_token(client, GATE)
    headers = await login(client, GATE)
    office = await login(client, OFFICE)
    membership = IDS("membership:gate")
    response = await client.patch(f"/api/admin/memberships/{membership}", json={"portal_access": False}, headers=office)
    assert response.status_code == 200, response.text
    assert (await _session(client, token)).status_code == 401
    me = await client.get("/api/auth/me", headers=headers)
    assert me.status_code == 401 and me.json()["error"]["code"] == "session_revoked"


@pytest.mark.parametrize("settings_overrides", [{"magic_link_per_address": 3}], indirect=True)
async def test_too_many_links_for_one_address_are_rate_limited(client):
    for _ in range(3):
        assert (await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA})).status_code == 202
    response = await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"


@pytest.mark.parametrize("settings_overrides", [{"magic_link_per_ip": 4}], indirect=True)
async def test_too_many_links_from_one_client_ip_are_rate_limited(client):
    codes = [
        (await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": f"x{i}@example.com"})).status_code
        for i in range(5)
    ]
    assert codes == [202, 202, 202, 202, 429]


async def test_staff_log_in_the_same_way_and_carry_their_role(client):
    headers = await login(client, ADMIN)
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert me["role"] == "admin" and me["contact"]["email"] == ADMIN


async def test_bad_requests_get_clear_errors(client):
    both = await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA, "phone": "+15550100001"})
    assert both.status_code == 422 and both.json()["error"]["code"] == "email_or_phone"
    unknown_tenant = await client.post("/api/auth/magic-link", json={"tenant": "nope", "email": AVA})
    assert unknown_tenant.status_code == 404
    bad_phone = await client.post("/api/auth/magic-link", json={"tenant": "demo", "phone": "555"})
    assert bad_phone.status_code == 400 and bad_phone.json()["error"]["code"] == "validation_error"
    no_token = await client.get("/api/auth/me")
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "not_authenticated"


async def test_same_person_in_another_tenant_logs_in_separately(client):
    demo = await login(client, AVA, "demo")
    acme = await login(client, AVA, "acme")
    demo_accounts = {a["id"] for a in (await client.get("/api/auth/me", headers=demo)).json()["accounts"]}
    acme_accounts = {a["id"] for a in (await client.get("/api/auth/me", headers=acme)).json()["accounts"]}
    assert demo_accounts.isdisjoint(acme_accounts) and len(acme_accounts) == 1
