"""Outbound webhooks: signed, delivered after commit, retried with backoff, logged, resent by hand."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from server.integrations.webhooks import verify_signature
from tests.support.portal import ADMIN, AVA, IDS, OFFICE, login, new_client_id, push
from tests.support.webhook_receiver import loopback_allowed, webhook_receiver


@pytest.fixture
def settings_overrides():
    return loopback_allowed()


async def _endpoint(client, admin, url: str, events: list[str]) -> tuple[dict, str]:
    response = await client.post("/api/integrations/webhooks", json={"url": url, "events": events}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["endpoint"], response.json()["secret"]


async def _until(predicate, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_customers_message_is_delivered_once_signed_with_the_endpoints_secret(client):
    admin = await login(client, ADMIN)
    with webhook_receiver() as (received, url):
        endpoint, secret = await _endpoint(client, admin, url, ["message.received"])
        ava = await login(client, AVA)
        message_id = str(uuid.uuid4())
        await push(
            client,
            ava,
            new_client_id(),
            (1, "message.send", {"id": message_id, "body": "Gate code is 4411", "account_id": IDS("account:ava-reed")}),
        )
        office = await login(client, OFFICE)  # the office's reply is not a customer's message
        await push(
            client,
            office,
            new_client_id(),
            (1, "message.send", {"id": str(uuid.uuid4()), "body": "Thanks!", "account_id": IDS("account:ava-reed")}),
        )
        await _until(lambda: len(received.requests) >= 1)
        await asyncio.sleep(0.5)
    assert len(received.requests) == 1
    hit = received.requests[0]
    payload = json.loads(hit["body"])
    assert set(payload) == {"id", "type", "created_at", "tenant", "data"}
    assert payload["type"] == "message.received" and payload["tenant"] == "demo"
    assert payload["data"]["id"] == message_id and payload["data"]["body"] == "Gate code is 4411"
    assert verify_signature(secret, hit["body"], hit["headers"]["Haulport-Signature"])
    assert not verify_signature("whsec_other", hit["body"], hit["headers"]["Haulport-Signature"])
    deliveries = (await client.get(f"/api/integrations/webhooks/{endpoint['id']}/deliveries", headers=admin)).json()
    [delivery] = deliveries["items"]
    assert delivery["status"] == "delivered" and delivery["event_id"] == payload["id"]
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200]


async def test_a_failing_receiver_is_retried_with_backoff_and_each_attempt_is_logged(client):
    client.app.state.webhooks.retry_base_s = 0.2  # 0.2 s, 0.8 s … instead of 30 s, 2 min …
    admin = await login(client, ADMIN)
    with webhook_receiver() as (received, url):
        received.answers = [500, 503]
        endpoint, _ = await _endpoint(client, admin, url, ["request.submitted"])
        ava = await login(client, AVA)
        result = await push(
            client,
            ava,
            new_client_id(),
            (
                1,
                "service_request.submit",
                {
                    "id": str(uuid.uuid4()),
                    "site_id": IDS("site:ava-home"),
                    "requested_date": "2030-01-10",
                    "lines": [{"quantity": 2, "service_type_id": IDS("service:junk")}],
                },
            ),
        )
        assert result["results"][0]["status"] == "applied", result
        await _until(lambda: [r["answered"] for r in received.requests] == [500, 503, 200])
    ids = {json.loads(r["body"])["id"] for r in received.requests}
    assert len(ids) == 1  # the same event every time
    assert len({r["headers"]["Haulport-Delivery"] for r in received.requests}) == 1
    [delivery] = (await client.get(f"/api/integrations/webhooks/{endpoint['id']}/deliveries", headers=admin)).json()[
        "items"
    ]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]


async def test_retries_stop_after_24_hours_and_resend_delivers_the_same_event(client, db):
    from server.integrations import dispatcher

    admin = await login(client, ADMIN)
    with webhook_receiver() as (received, url):
        received.answers = [500]
        endpoint, _ = await _endpoint(client, admin, url, ["review.submitted", "request.decided"])
        # an event of 24 hours ago: its first failure is its last
        async with db.write() as conn:
            from server.db.store import Store
            from server.integrations.webhooks import record_webhook_event

            store = Store(conn, IDS("tenant:demo"))
            assert await record_webhook_event(store, "review.submitted", {"rating": 5}) == 1
            await conn.execute("UPDATE webhook_delivery SET created_at = '2020-01-01T00:00:00.000Z'")
        client.app.state.webhooks.wake()
        await _until(lambda: len(received.requests) == 1)
        deliveries_url = f"/api/integrations/webhooks/{endpoint['id']}/deliveries"
        for _ in range(100):
            [delivery] = (await client.get(deliveries_url, headers=admin)).json()["items"]
            if delivery["status"] != "pending":
                break
            await asyncio.sleep(0.05)
        assert delivery["status"] == "failed" and delivery["last_status_code"] == 500
        resent = await client.post(f"/api/integrations/deliveries/{delivery['id']}/resend", headers=admin)
        assert resent.status_code == 200 and resent.json()["status"] == "pending"
        await _until(lambda: len(received.requests) == 2)
    assert received.requests[0]["body"] == received.requests[1]["body"]
    assert dispatcher.RETRY_FOR.total_seconds() == 24 * 3600


async def test_approving_a_request_in_the_office_sends_request_decided(client):
    admin = await login(client, ADMIN)
    with webhook_receiver() as (received, url):
        await _endpoint(client, admin, url, ["request.decided"])
        ava = await login(client, AVA)
        request_id = str(uuid.uuid4())
        await push(
            client,
            ava,
            new_client_id(),
            (
                1,
                "service_request.submit",
                {
                    "id": request_id,
                    "site_id": IDS("site:ava-home"),
                    "requested_date": "2030-01-10",
                    "lines": [{"quantity": 1, "service_type_id": IDS("service:junk")}],
                },
            ),
        )
        response = await client.patch(
            f"/api/admin/service-requests/{request_id}", json={"status": "approved"}, headers=admin
        )
        assert response.status_code == 200, response.text
        await _until(lambda: len(received.requests) == 1)
    payload = json.loads(received.requests[0]["body"])
    assert payload["type"] == "request.decided" and payload["data"]["status"] == "approved"


async def test_endpoints_are_admin_only_and_of_their_own_tenant(client):
    admin = await login(client, ADMIN)
    endpoint, _ = await _endpoint(client, admin, "https://hooks.example.com/x", ["job.booked"])
    office = await login(client, OFFICE)
    assert (await client.get("/api/integrations/webhooks", headers=office)).status_code == 403
    acme = await login(client, "admin@acme.example", tenant="acme")
    assert (await client.get("/api/integrations/webhooks", headers=acme)).json()["items"] == []
    other = await client.get(f"/api/integrations/webhooks/{endpoint['id']}/deliveries", headers=acme)
    assert other.status_code == 404
    bad = await client.post(
        "/api/integrations/webhooks", json={"url": "ftp://x", "events": ["job.booked"]}, headers=admin
    )
    assert bad.status_code == 400
    unknown = await client.post(
        "/api/integrations/webhooks", json={"url": "https://x.example", "events": ["job.eaten"]}, headers=admin
    )
    assert unknown.status_code == 400


async def test_a_portal_booking_sends_job_booked_and_a_rejected_one_sends_nothing(client):
    admin = await login(client, ADMIN)
    with webhook_receiver() as (received, url):
        await _endpoint(client, admin, url, ["job.booked"])
        ava = await login(client, AVA)
        job_id = str(uuid.uuid4())
        booking = {
            "id": job_id,
            "site_id": IDS("site:ava-home"),
            "service_type_id": IDS("service:junk"),
            "date": "2030-03-04",
            "time_slot_id": IDS("slot:morning"),
        }
        bad = {**booking, "id": str(uuid.uuid4()), "time_slot_id": str(uuid.uuid4())}
        result = await push(client, ava, new_client_id(), (1, "job.book", booking), (2, "job.book", bad))
        assert [r["status"] for r in result["results"]] == ["applied", "rejected"], result
        await _until(lambda: len(received.requests) >= 1)
        await asyncio.sleep(0.5)
    assert len(received.requests) == 1
    payload = json.loads(received.requests[0]["body"])
    assert payload["type"] == "job.booked" and payload["data"]["id"] == job_id
