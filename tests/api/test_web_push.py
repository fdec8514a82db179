"""Web Push: subscriptions (validation, roles, scoping) and real delivery to a loopback push service.

The push service here is an HTTP server on 127.0.0.1 (dev mode allows http endpoints). The test plays
the browser: it makes the subscription's P-256 key pair and auth secret, checks the VAPID JWT against
``/api/push/key`` and decrypts the body (RFC 8291, aes128gcm) with its private key.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.db.engine import Database
from server.notify import webpush
from server.settings import SettingsError, load_settings
from tests.support.portal import AVA, DRIVER, GATE, IDS, OFFICE, OPS, login, new_client_id, push


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


class PushService:
    """A loopback push service: records each POST and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["path"] == path]


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    service.thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()


async def subscriptions(client) -> list[dict[str, Any]]:
    """The stored subscriptions, read on a connection of the test's own (the app runs in another thread)."""
    db = Database(client.app.state.settings.database_url)
    await db.start()
    try:
        async with db.read() as conn:
            return await conn.fetch("SELECT * FROM push_subscription ORDER BY created_at")
    finally:
        await db.close()


async def settle(client, timeout_s: float = 20) -> None:
    """Wait for the pushes started by the last request (the app runs in the test client's own thread)."""
    deadline = time.monotonic() + timeout_s
    while client.app.state.webpush.in_flight:
        assert time.monotonic() < deadline, "pushes still in flight"
        await asyncio.sleep(0.02)


async def dispatch_ava_job(client, **changes: Any) -> None:
    office = await login(client, OFFICE)
    response = await client.patch(
        f"/api/admin/jobs/{IDS('job:ava-requested')}",
        headers=office,
        json=changes or {"truck_id": IDS("truck:t2"), "status": "confirmed"},
    )
    assert response.status_code == 200, response.text


# --- subscriptions ----------------------------------------------------------------------------------


async def test_a_good_subscription_is_kept_once_per_browser(client):
    ava = await login(client, AVA)
    browser = Browser()
    body = browser.subscription("https://push.example.net/send/abc123")
    response = await client.post("/api/push/subscriptions", headers=ava, json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {"endpoint": body["endpoint"], "created": True}
    # The browser's own toJSON() shape, sent again: the same row, updated.
    again = await client.post("/api/push/subscriptions", headers=ava, json={**body, "expirationTime": None})
    assert again.status_code == 201 and again.json()["created"] is False
    [row] = await subscriptions(client)
    assert row["contact_id"] == IDS("contact:ava") and row["endpoint"] == body["endpoint"]
    assert row["p256dh"] == browser.p256dh


@pytest.mark.parametrize(
    "endpoint, why",
    [
        ("ftp://push.example.net/x", "https"),
        ("push.example.net/x", "https"),
        ("https:///nohost", "host"),
        ("https://user:pw@push.example.net/x", "host"),
        ("https://push.example.net/a b", "spaces"),
        ("https://push.example.net/\u00e9", "spaces"),
        ("https://push.example.net:99999/x", "valid URL"),
        ("https://[::1/x", "valid URL"),
        ("https://push.example.net/" + "a" * 2100, "2048"),
        ("", "2048"),
    ],
)
async def test_a_bad_endpoint_is_refused(client, endpoint, why):
    ava = await login(client, AVA)
    response = await client.post("/api/push/subscriptions", headers=ava, json=Browser().subscription(endpoint))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_subscription" and error["details"] == {"field": "endpoint"}
    assert why in error["message"]
    assert await subscriptions(client) == []


def _keys(p256dh: str | None = None, auth: str | None = None) -> dict[str, str]:
    browser = Browser()
    return {"p256dh": p256dh or browser.p256dh, "auth": auth or b64(browser.auth)}


@pytest.mark.parametrize(
    "keys, field",
    [
        (_keys(p256dh=b64(b"\x04" + os.urandom(63))), "keys.p256dh"),  # 64 bytes
        (_keys(p256dh=b64(b"\x04" + b"\x01" * 64)), "keys.p256dh"),  # 65 bytes, not a point on the curve
        (_keys(p256dh="B" + "*" * 86), "keys.p256dh"),  # not base64url
        (_keys(p256dh=base64.b64encode(b"\x04" + os.urandom(64)).decode().replace("_", "/") + "+"), "keys.p256dh"),
        (_keys(p256dh="A" * 5000), "keys.p256dh"),
        (_keys(auth=b64(os.urandom(15))), "keys.auth"),
        (_keys(auth=b64(os.urandom(17))), "keys.auth"),
        (_keys(auth="!!!!!!!!!!!!!!!!!!!!!!"), "keys.auth"),
    ],
)
async def test_bad_keys_are_refused(client, keys, field):
    ava = await login(client, AVA)
    response = await client.post(
        "/api/push/subscriptions", headers=ava, json={"endpoint": "https://push.example.net/x", "keys": keys}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == {"field": field}


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "https://push.example.net/x"},
        {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "x"}},
        {"endpoint": 5, "keys": _keys()},
        {"endpoint": "https://push.example.net/x", "keys": _keys(), "extra": 1},
    ],
)
async def test_a_malformed_body_is_400(client, body):
    response = await client.post("/api/push/subscriptions", headers=await login(client, AVA), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_production_takes_only_https_endpoints_of_public_hosts():
    webpush.check_endpoint("https://fcm.googleapis.com/fcm/send/abc", allow_local=False)
    for endpoint in (
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest",
    ):
        with pytest.raises(webpush.InvalidSubscription):
            webpush.check_endpoint(endpoint, allow_local=False)


async def test_read_only_views_staff_and_drivers_cannot_subscribe(client):
    office = await login(client, OFFICE)
    view = await client.post(f"/api/admin/accounts/{IDS('account:ava-reed')}/portal-view", headers=office)
    read_only = {"Authorization": f"Bearer {view.json()['session_token']}"}
    body = Browser().subscription("https://push.example.net/x")
    response = await client.post("/api/push/subscriptions", headers=read_only, json=body)
    assert response.status_code == 403 and response.json()["error"]["code"] == "read_only"
    response = await client.request(
        "DELETE", "/api/push/subscriptions", headers=read_only, json={"endpoint": body["endpoint"]}
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "read_only"
    assert (await client.get("/api/push/key", headers=read_only)).status_code == 200  # reading is fine
    for email in (OFFICE, DRIVER):
        response = await client.post("/api/push/subscriptions", headers=await login(client, email), json=body)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert (await client.get("/api/push/key")).status_code == 401
    assert await subscriptions(client) == []


async def test_delete_forgets_only_the_callers_own_subscription(client):
    ava, ops = await login(client, AVA), await login(client, OPS)
    body = Browser().subscription("https://push.example.net/ava-phone")
    assert (await client.post("/api/push/subscriptions", headers=ava, json=body)).status_code == 201
    response = await client.request(
        "DELETE", "/api/push/subscriptions", headers=ops, json={"endpoint": body["endpoint"]}
    )
    assert response.status_code == 204
    assert len(await subscriptions(client)) == 1  # not Olivia's to remove
    response = await client.request(
        "DELETE", "/api/push/subscriptions", headers=ava, json={"endpoint": body["endpoint"]}
    )
    assert response.status_code == 204 and response.content == b""
    assert await subscriptions(client) == []
    response = await client.request(
        "DELETE", "/api/push/subscriptions", headers=ava, json={"endpoint": body["endpoint"]}
    )
    assert response.status_code == 204  # already gone: still done


async def test_a_shared_browser_belongs_to_whoever_turned_it_on_last(client):
    body = Browser().subscription("https://push.example.net/shared-tablet")
    await client.post("/api/push/subscriptions", headers=await login(client, AVA), json=body)
    response = await client.post("/api/push/subscriptions", headers=await login(client, OPS), json=body)
    assert response.status_code == 201 and response.json()["created"] is True
    [row] = await subscriptions(client)
    assert row["contact_id"] == IDS("contact:ops")


async def test_a_person_keeps_at_most_twenty_browsers(client):
    ava = await login(client, AVA)
    for n in range(webpush.MAX_PER_CONTACT + 3):
        response = await client.post(
            "/api/push/subscriptions", headers=ava, json=Browser().subscription(f"https://push.example.net/{n}")
        )
        assert response.status_code == 201
    rows = await subscriptions(client)
    assert len(rows) == webpush.MAX_PER_CONTACT
    assert "https://push.example.net/0" not in {r["endpoint"] for r in rows}  # the oldest went


# --- keys -------------------------------------------------------------------------------------------


async def test_the_key_is_derived_from_the_secret_and_survives_restarts(client, settings):
    response = await client.get("/api/push/key", headers=await login(client, AVA))
    assert response.status_code == 200
    key = response.json()["public_key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key
    assert webpush.public_key_b64(webpush.vapid_key(settings)) == key  # a new process: the same key
    other = load_settings(path="missing.toml", env={}, secret_key="another-secret-0123456789-abcdefghijkl")
    assert webpush.public_key_b64(webpush.vapid_key(other)) != key


def test_an_operators_key_is_used_as_pem_or_base64url():
    key = ec.generate_private_key(ec.SECP256R1())
    public = webpush.public_key_b64(key)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    raw = b64(key.private_numbers().private_value.to_bytes(32, "big"))
    for value in (pem, raw):
        settings = load_settings(path="missing.toml", env={"HAULPORT_VAPID_PRIVATE_KEY": value})
        assert webpush.public_key_b64(webpush.vapid_key(settings)) == public
    for bad in (
        "not a key",
        b64(os.urandom(20)),
        ec.generate_private_key(ec.SECP384R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode(),
    ):
        with pytest.raises(SettingsError, match="vapid_private_key"):
            webpush.vapid_key(load_settings(path="missing.toml", env={}, vapid_private_key=bad))


def test_the_vapid_subject_defaults_from_the_public_url():
    assert webpush.default_subject("https://portal.example.com:8443/x") == "https://portal.example.com"
    assert webpush.default_subject("http://127.0.0.1:8000").startswith("mailto:")
    with pytest.raises(SettingsError, match="vapid_subject"):
        load_settings(path="missing.toml", env={}, vapid_subject="someone")


# --- delivery ---------------------------------------------------------------------------------------


async def test_a_new_notification_is_pushed_encrypted_and_signed(client, push_service):
    ava = await login(client, AVA)
    public_key = (await client.get("/api/push/key", headers=ava)).json()["public_key"]
    phone = Browser()
    endpoint = f"{push_service.base}/push/ava-phone"
    assert (
        await client.post("/api/push/subscriptions", headers=ava, json=phone.subscription(endpoint))
    ).status_code == 201

    await dispatch_ava_job(client)
    await settle(client)
    [request] = push_service.to("/push/ava-phone")
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(24 * 3600)
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == public_key
    point = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    claims = jwt.decode(fields["t"], key=verifier, algorithms=["ES256"], audience=push_service.base)
    assert claims["sub"] == "mailto:push@haulport.invalid"  # public_url is http here

    message = phone.decrypt(request["body"])
    assert message["title"].startswith("Technician dispatched") and "T-2" in message["body"]
    assert message["url"] == f"/t/demo/jobs/{IDS('job:ava-requested')}"
    assert message["tag"].startswith("notification:") and message["icon"] == "/icons/icon-192.png"
    assert len(request["body"]) < 3072

    # Marking it read changes the row, but pushes nothing new.
    office = await login(client, OFFICE)
    await client.patch(f"/api/admin/jobs/{IDS('job:ava-requested')}", headers=office, json={"notes": "gate code 42"})
    await settle(client)
    assert len(push_service.to("/push/ava-phone")) == 1


async def test_pushes_reach_only_the_notifications_owner(client, push_service):
    ava_demo, ops = await login(client, AVA), await login(client, OPS)
    ava_acme = await login(client, AVA, tenant="acme")  # the same person, at another business
    for headers, name in ((ava_demo, "ava-demo"), (ops, "ops"), (ava_acme, "ava-acme")):
        body = Browser().subscription(f"{push_service.base}/push/{name}")
        assert (await client.post("/api/push/subscriptions", headers=headers, json=body)).status_code == 201
    await dispatch_ava_job(client)
    await settle(client)
    assert len(push_service.to("/push/ava-demo")) == 1
    assert push_service.to("/push/ops") == [] and push_service.to("/push/ava-acme") == []


async def test_a_gone_subscription_is_removed_and_failures_are_retried(client, push_service, monkeypatch):
    monkeypatch.setattr(webpush, "RETRY_DELAYS_S", (0.05, 0.05))
    ava = await login(client, AVA)
    endpoint = f"{push_service.base}/push/old-phone"
    await client.post("/api/push/subscriptions", headers=ava, json=Browser().subscription(endpoint))

    push_service.status = 503  # the push service is down: retried, then given up; the office's edit went through
    await dispatch_ava_job(client)
    await settle(client)
    assert len(push_service.to("/push/old-phone")) == 3
    assert len(await subscriptions(client)) == 1

    push_service.status = 410  # the browser dropped the subscription
    await dispatch_ava_job(client, status="en_route")
    await settle(client)
    assert len(push_service.to("/push/old-phone")) == 4  # a 410 is not retried
    assert await subscriptions(client) == []

    push_service.status = 201
    await dispatch_ava_job(client, status="completed")
    await settle(client)
    assert len(push_service.to("/push/old-phone")) == 4  # nothing more is sent there


async def test_an_unreachable_push_service_never_fails_the_request(client, monkeypatch):
    monkeypatch.setattr(webpush, "RETRY_DELAYS_S", (0.05,))
    from tests.support.smtp import free_port

    ava = await login(client, AVA)
    body = Browser().subscription(f"http://127.0.0.1:{free_port()}/nobody-listens")
    await client.post("/api/push/subscriptions", headers=ava, json=body)
    await dispatch_ava_job(client)
    await settle(client)
    assert len(await subscriptions(client)) == 1  # kept: the service may be back for the next one


async def test_a_drivers_tap_synced_from_the_truck_is_pushed_to_the_site_contact(client, push_service):
    """Every path that makes a bell notification pushes it: here a driver's mutation through sync push."""
    gate = await login(client, GATE)
    phone = Browser()
    await client.post("/api/push/subscriptions", headers=gate, json=phone.subscription(f"{push_service.base}/g"))
    driver = await login(client, DRIVER)
    result = await push(
        client,
        driver,
        new_client_id(),
        (
            1,
            "job.advance",
            {"job_id": IDS("job:harbor-in-progress"), "status": "completed", "at": "2030-01-05T11:00:00.000Z"},
        ),
    )
    assert result["results"][0]["status"] == "applied", result
    await settle(client)
    [request] = push_service.to("/g")
    message = phone.decrypt(request["body"])
    assert message["title"].startswith("Work complete") and message["url"].startswith("/t/demo/jobs/")
