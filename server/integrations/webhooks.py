"""Outbound webhooks: the events, their outbox and their signature.

``record_webhook_event(store, type, data)`` runs inside the caller's write transaction and inserts
one ``webhook_delivery`` row per active endpoint subscribed to ``type`` (no network call there);
``dispatcher.WebhookDispatcher`` POSTs them after commit. Each delivery's body is fixed when the
event happens, so every attempt (and a resend) sends the same bytes and the same ``id``:

    {"id": "<event id>", "type": "payment.succeeded", "created_at": "…Z", "tenant": "<slug>", "data": {…}}

signed with ``Haulport-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under the
endpoint's secret. See docs/INTEGRATIONS.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

from server.db.store import Store, now_iso

EVENT_TYPES = (
    "job.booked",
    "request.submitted",
    "request.decided",
    "estimate.approved",
    "payment.succeeded",
    "payment.refunded",
    "rental.extended",
    "message.received",
    "review.submitted",
)
EVENT_NAMES = {
    "job.booked": "A customer booked a job",
    "request.submitted": "A customer sent a service request",
    "request.decided": "The office approved or declined a service request",
    "estimate.approved": "A customer approved an estimate",
    "payment.succeeded": "A payment went through",
    "payment.refunded": "A payment was refunded",
    "rental.extended": "A customer extended a rental",
    "message.received": "A customer sent a message",
    "review.submitted": "A customer left a review",
}
# Mutation → (event, entity whose changed row is the event's data). message.send is a customer's
# message only when a contact wrote it (staff reply through the same mutation).
MUTATION_EVENTS = {
    "job.book": ("job.booked", "job"),
    "service_request.submit": ("request.submitted", "service_request"),
    "estimate.approve": ("estimate.approved", "estimate"),
    "rental.extend": ("rental.extended", "rental"),
    "message.send": ("message.received", "message"),
    "review.submit": ("review.submitted", "review"),
}


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Haulport-Signature`` header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """What a receiver does (docs/INTEGRATIONS.md): the HMAC matches and the time is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


async def _subscribed(store: Store, event_type: str) -> list[dict[str, Any]]:
    # Read once per transaction: no mutator or office edit changes endpoints in the transaction it writes in.
    rows = store.memo.get("webhook_endpoint")
    if rows is None:
        rows = store.memo["webhook_endpoint"] = await store.conn.fetch(
            "SELECT id, events, active FROM webhook_endpoint WHERE tenant_id = ?", store.tenant_id
        )
    return [r for r in rows if r["active"] and event_type in json.loads(r["events"] or "[]")]


async def record_webhook_event(store: Store, event_type: str, data: dict[str, Any]) -> int:
    """Queue ``event_type`` for every endpoint that wants it, in the caller's open write transaction.
    Returns how many deliveries were queued."""
    assert event_type in EVENT_TYPES, event_type
    endpoints = await _subscribed(store, event_type)
    if not endpoints:
        return 0
    tenant = await store.must_get("tenant", store.tenant_id)
    stamp = now_iso()
    event_id = "evt_" + uuid.uuid4().hex
    body = json.dumps(
        {"id": event_id, "type": event_type, "created_at": stamp, "tenant": tenant["slug"], "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    for endpoint in endpoints:
        await store.conn.execute(
            "INSERT INTO webhook_delivery (id, tenant_id, endpoint_id, event_id, type, body, status, attempts, "
            "next_attempt_at, last_status_code, last_error, created_at, delivered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, '', ?, NULL)",
            "whd_" + uuid.uuid4().hex,
            store.tenant_id,
            endpoint["id"],
            event_id,
            event_type,
            body,
            stamp,
            stamp,
        )
    return len(endpoints)


async def record_mutation_events(
    store: Store, name: str, args: dict[str, Any], changed: list[tuple[str, dict[str, Any]]]
) -> None:
    """The webhook event an applied mutation makes, if any (called in its transaction)."""
    spec = MUTATION_EVENTS.get(name)
    if spec is None:
        return
    event_type, entity = spec
    row = next((r for e, r in reversed(changed) if e == entity), None)
    if row is None or (entity == "message" and row.get("author_kind") != "contact"):
        return
    await record_webhook_event(store, event_type, row)


async def record_office_events(store: Store, entity: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """Events an office edit makes: a service request approved or declined is ``request.decided``."""
    if (
        entity == "service_request"
        and after.get("status") in ("approved", "declined", "scheduled")
        and (before or {}).get("status") == "submitted"
    ):
        await record_webhook_event(store, "request.decided", after)
