"""Web Push for portal sessions: the server's VAPID key and this browser's subscription.

``GET /api/push/key`` gives the ``applicationServerKey`` for ``pushManager.subscribe``;
``POST /api/push/subscriptions`` keeps the subscription for the session's contact, ``DELETE`` forgets
it. Bell notifications belong to contacts, so these are portal routes (customers, site contacts; a
staff read-only view may read the key but, like every write, is refused 403 ``read_only``). The
sending is ``webpush.WebPush``'s, wired here as a listener of every commit.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.datastructures import State

from server.auth import guards
from server.errors import ApiError, error_responses
from server.notify.webpush import MAX_ENDPOINT, InvalidSubscription


class PushKey(msgspec.Struct, kw_only=True):
    public_key: Annotated[
        str,
        msgspec.Meta(description="the server's VAPID public key: an uncompressed P-256 point, base64url (no padding)"),
    ]


class SubscriptionKeys(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    p256dh: Annotated[str, msgspec.Meta(description="base64url of the browser's 65-byte P-256 public key")]
    auth: Annotated[str, msgspec.Meta(description="base64url of the browser's 16-byte auth secret")]


class SubscriptionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``PushSubscription.toJSON()`` of the browser (``expirationTime`` is accepted and not used)."""

    endpoint: Annotated[
        str, msgspec.Meta(description=f"the push service URL (https; at most {MAX_ENDPOINT} characters)")
    ]
    keys: SubscriptionKeys
    expirationTime: int | None = None


class SubscriptionOut(msgspec.Struct, kw_only=True):
    endpoint: str
    created: bool  # false: this browser was already subscribed for this person


class EndpointIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    endpoint: str


@get("/api/push/key", guards=[guards.portal_user])
async def push_key(request: Request) -> PushKey:
    """The key to subscribe with (``applicationServerKey``)."""
    return PushKey(public_key=request.app.state.webpush.public_key)


@post("/api/push/subscriptions", status_code=201, guards=[guards.portal_user], responses=error_responses(422))
async def add_subscription(request: Request, data: SubscriptionIn) -> Response[SubscriptionOut]:
    """Push this browser the session's bell notifications (upsert by endpoint: a browser belongs to
    the last person who turned notifications on there). 422 ``invalid_subscription`` (``details.field``)
    when the endpoint is not an https URL or a key is not the size Web Push keys are."""
    actor = request.user
    try:
        created = await request.app.state.webpush.subscribe(
            actor.tenant_id, actor.person_id, data.endpoint, data.keys.p256dh, data.keys.auth
        )
    except InvalidSubscription as exc:
        raise ApiError(422, "invalid_subscription", str(exc), {"field": exc.field}) from None
    return Response(SubscriptionOut(endpoint=data.endpoint, created=created), status_code=201)


@delete("/api/push/subscriptions", status_code=204, guards=[guards.portal_user], responses=error_responses(413))
async def remove_subscription(request: Request, data: EndpointIn) -> None:
    """Stop pushing to this browser (nothing happens if it was not subscribed for this person)."""
    actor = request.user
    await request.app.state.webpush.unsubscribe(actor.tenant_id, actor.person_id, data.endpoint)


async def startup(state: State) -> None:
    state.hub.listeners.append(state.webpush.on_commit)


async def shutdown(state: State) -> None:
    await state.webpush.drain(timeout=2)
    await state.webpush.close()


ROUTES = [push_key, add_subscription, remove_subscription]
