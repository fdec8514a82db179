"""The console's integrations screen: API keys and webhook endpoints, their deliveries and attempts.
Admins only; an API key reaches none of this (keys only reach ``/api/admin/…``)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Literal, get_args

import msgspec
from litestar import Request, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from server.auth import guards
from server.db.store import now_iso
from server.errors import error_responses, not_found
from server.integrations import api_keys
from server.integrations.dispatcher import WebhookDispatcher, resend
from server.integrations.webhooks import EVENT_NAMES, EVENT_TYPES, new_secret

EventType = Literal[
    "job.booked",
    "request.submitted",
    "request.decided",
    "estimate.approved",
    "payment.succeeded",
    "payment.refunded",
    "rental.extended",
    "message.received",
    "review.submitted",
]
assert set(get_args(EventType)) == set(EVENT_TYPES)
KeyName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
WebhookUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s/?#]+[^\s]*$(?!\n)", max_length=2000)]
Events = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=len(EVENT_TYPES))]


class ApiKeyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: KeyName
    scope: Literal["read", "read_write"] = "read"


class ApiKeyOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    prefix: str
    scope: str
    created_by: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class ApiKeyCreated(msgspec.Struct, kw_only=True):
    key: ApiKeyOut
    token: Annotated[str, msgspec.Meta(description="the key itself: shown this once, never again")]


class ApiKeyList(msgspec.Struct, kw_only=True):
    items: list[ApiKeyOut]


class EndpointIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: WebhookUrl
    events: Events
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""


class EndpointUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: WebhookUrl | msgspec.UnsetType = msgspec.UNSET
    events: Events | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class EndpointOut(msgspec.Struct, kw_only=True):
    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: str
    pending: int = 0
    failed: int = 0


class EndpointCreated(msgspec.Struct, kw_only=True):
    endpoint: EndpointOut
    secret: Annotated[str, msgspec.Meta(description="the signing secret: shown this once, never again")]


class EndpointList(msgspec.Struct, kw_only=True):
    items: list[EndpointOut]
    event_types: dict[str, str]


class AttemptOut(msgspec.Struct, kw_only=True):
    at: str
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: str
    endpoint_id: str
    event_id: str
    type: str
    status: str
    attempts: int
    next_attempt_at: str
    last_status_code: int | None
    last_error: str
    created_at: str
    delivered_at: str | None
    body: str
    attempt_log: list[AttemptOut] = []


class DeliveryList(msgspec.Struct, kw_only=True):
    items: list[DeliveryOut]


_KEY_ID = re.compile(r"^[0-9a-f]{32}$")


def _endpoint_out(row: dict, counts: dict[tuple[str, str], int] | None = None) -> EndpointOut:
    counts = counts or {}
    return EndpointOut(
        id=row["id"],
        url=row["url"],
        events=json.loads(row["events"]),
        description=row["description"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        pending=counts.get((row["id"], "pending"), 0),
        failed=counts.get((row["id"], "failed"), 0),
    )


@get("/api/integrations/keys", guards=[guards.admin_only])
async def list_api_keys(request: Request) -> ApiKeyList:
    """The tenant's API keys (never their secrets), newest first."""
    async with request.app.state.db.read() as conn:
        rows = await api_keys.list_keys(conn, request.user.tenant_id)
    return ApiKeyList(items=[ApiKeyOut(**r) for r in rows])


@post("/api/integrations/keys", guards=[guards.admin_only], status_code=201)
async def create_api_key(request: Request, data: ApiKeyIn) -> ApiKeyCreated:
    """A new key for the office API: the answer's ``token`` is the only time it is shown."""
    async with request.app.state.db.write() as conn:
        row, token = await api_keys.create_key(
            conn, request.user.tenant_id, data.name.strip() or "API key", data.scope, request.user.name
        )
    return ApiKeyCreated(key=ApiKeyOut(**api_keys.public_view(row)), token=token)


@post(
    "/api/integrations/keys/{key_id:str}/revoke",
    guards=[guards.admin_only],
    status_code=200,
    responses=error_responses(404),
)
async def revoke_api_key(request: Request, key_id: FromPath[str]) -> ApiKeyOut:
    """Stop a key working, at once and for good (revoking twice changes nothing)."""
    if not _KEY_ID.match(key_id):
        raise not_found("API key")
    async with request.app.state.db.write() as conn:
        row = await api_keys.revoke_key(conn, request.user.tenant_id, key_id)
    if row is None:
        raise not_found("API key")
    return ApiKeyOut(**row)


@get("/api/integrations/webhooks", guards=[guards.admin_only])
async def list_webhooks(request: Request) -> EndpointList:
    """Webhook endpoints with how many deliveries wait or failed, and the event types there are."""
    tenant_id = request.user.tenant_id
    async with request.app.state.db.read() as conn:
        rows = await conn.fetch("SELECT * FROM webhook_endpoint WHERE tenant_id = ? ORDER BY created_at", tenant_id)
        counts = {
            (r["endpoint_id"], r["status"]): r["n"]
            for r in await conn.fetch(
                "SELECT endpoint_id, status, COUNT(*) AS n FROM webhook_delivery WHERE tenant_id = ? "
                "AND status IN ('pending', 'failed') GROUP BY endpoint_id, status",
                tenant_id,
            )
        }
    return EndpointList(items=[_endpoint_out(r, counts) for r in rows], event_types=EVENT_NAMES)


@post("/api/integrations/webhooks", guards=[guards.admin_only], status_code=201)
async def create_webhook(request: Request, data: EndpointIn) -> EndpointCreated:
    """Register a URL for some event types; the answer's ``secret`` signs every delivery (shown once)."""
    secret = new_secret()
    row = {
        "id": "whe_" + uuid.uuid4().hex,
        "tenant_id": request.user.tenant_id,
        "url": data.url,
        "events": json.dumps(sorted(set(data.events))),
        "secret": secret,
        "description": data.description,
        "active": True,
        "created_at": now_iso(),
    }
    async with request.app.state.db.write() as conn:
        await conn.execute(
            "INSERT INTO webhook_endpoint (id, tenant_id, url, events, secret, description, active, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            *row.values(),
        )
    return EndpointCreated(endpoint=_endpoint_out(row), secret=secret)


async def _endpoint(conn, tenant_id: str, endpoint_id: str) -> dict:
    row = await conn.fetchrow("SELECT * FROM webhook_endpoint WHERE id = ? AND tenant_id = ?", endpoint_id, tenant_id)
    if row is None:
        raise not_found("webhook endpoint")
    return row


@patch("/api/integrations/webhooks/{endpoint_id:str}", guards=[guards.admin_only], responses=error_responses(404))
async def update_webhook(request: Request, endpoint_id: FromPath[str], data: EndpointUpdate) -> EndpointOut:
    """Change an endpoint's URL, events or description, or turn it off (``active: false``) and on."""
    async with request.app.state.db.write() as conn:
        row = await _endpoint(conn, request.user.tenant_id, endpoint_id)
        if data.url is not msgspec.UNSET:
            row["url"] = data.url
        if data.events is not msgspec.UNSET:
            row["events"] = json.dumps(sorted(set(data.events)))
        if data.description is not msgspec.UNSET:
            row["description"] = data.description
        if data.active is not msgspec.UNSET:
            row["active"] = data.active
        await conn.execute(
            "UPDATE webhook_endpoint SET url = ?, events = ?, description = ?, active = ? WHERE id = ?",
            row["url"],
            row["events"],
            row["description"],
            row["active"],
            endpoint_id,
        )
    return _endpoint_out(row)


async def _attempts(conn, delivery_ids: list[str]) -> dict[str, list[AttemptOut]]:
    out: dict[str, list[AttemptOut]] = {}
    if not delivery_ids:
        return out
    rows = await conn.fetch(
        f"SELECT * FROM webhook_attempt WHERE delivery_id IN ({', '.join('?' * len(delivery_ids))}) ORDER BY at",
        *delivery_ids,
    )
    for r in rows:
        out.setdefault(r["delivery_id"], []).append(
            AttemptOut(at=r["at"], status_code=r["status_code"], error=r["error"], duration_ms=r["duration_ms"])
        )
    return out


def _delivery_out(row: dict, attempts: dict[str, list[AttemptOut]]) -> DeliveryOut:
    return DeliveryOut(
        **{
            k: row[k]
            for k in (
                "id",
                "endpoint_id",
                "event_id",
                "type",
                "status",
                "attempts",
                "next_attempt_at",
                "last_status_code",
                "last_error",
                "created_at",
                "delivered_at",
                "body",
            )
        },
        attempt_log=attempts.get(row["id"], []),
    )


@get(
    "/api/integrations/webhooks/{endpoint_id:str}/deliveries",
    guards=[guards.admin_only],
    responses=error_responses(404),
)
async def list_deliveries(
    request: Request, endpoint_id: FromPath[str], limit: Annotated[int, Parameter(ge=1, le=200)] = 50
) -> DeliveryList:
    """An endpoint's deliveries, newest first, each with every attempt and what the receiver answered."""
    async with request.app.state.db.read() as conn:
        await _endpoint(conn, request.user.tenant_id, endpoint_id)
        rows = await conn.fetch(
            "SELECT * FROM webhook_delivery WHERE endpoint_id = ? AND tenant_id = ? ORDER BY created_at DESC LIMIT ?",
            endpoint_id,
            request.user.tenant_id,
            limit,
        )
        attempts = await _attempts(conn, [r["id"] for r in rows])
    return DeliveryList(items=[_delivery_out(r, attempts) for r in rows])


@post(
    "/api/integrations/deliveries/{delivery_id:str}/resend",
    guards=[guards.admin_only],
    status_code=200,
    responses=error_responses(404),
)
async def resend_delivery(request: Request, delivery_id: FromPath[str]) -> DeliveryOut:
    """Send a delivery again now: the same id and body (receivers that saw it already ignore it)."""
    row = await resend(request.app.state.db, request.user.tenant_id, delivery_id)
    if row is None:
        raise not_found("delivery")
    request.app.state.webhooks.wake()
    return _delivery_out(row, {})


async def startup(state: State) -> None:
    state.webhooks = WebhookDispatcher(state.settings, state.db)
    state.hub.listeners.append(state.webhooks.on_commit)
    await state.webhooks.start()


async def shutdown(state: State) -> None:
    await state.webhooks.stop()


ROUTES = [
    list_api_keys,
    create_api_key,
    revoke_api_key,
    list_webhooks,
    create_webhook,
    update_webhook,
    list_deliveries,
    resend_delivery,
]
