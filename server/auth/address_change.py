"""A customer changes their own email or phone: only by a link sent to the new address.

``POST /api/auth/address-change`` (the contact's own session) sends a link to the new address;
``POST /api/auth/address-change/confirm`` (the link's token, no session needed: the link is the
proof) makes the change. Until then nothing changes. Another person's address, or a staff address,
is never taken (409 ``address_taken``), checked when asking and again when confirming. A link stops
working when the person's sessions are revoked (``token_version``) or when the address it would
replace has changed since. The office changes addresses directly (``PATCH /api/admin/contacts/{id}``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import jwt
import msgspec
from litestar import Request, post

from server.auth import guards
from server.auth.fields import Email, Phone
from server.db.store import Store
from server.errors import ApiError, error_responses

LINK_TTL_S = 24 * 3600
TYP = "address_change"


class AddressChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of ``email`` or ``phone``: the new address."""

    email: Email | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET


class AddressChangeSent(msgspec.Struct):
    sent_to: str
    expires_at: int  # epoch seconds


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=4000)]


class AddressChanged(msgspec.Struct, kw_only=True):
    email: str | None
    phone: str | None


async def _refuse_taken(store: Store, contact_id: str, field: str, value: str) -> None:
    where: dict[str, Any] = {field: value}
    others = [c for c in await store.find("contact", **where) if c["id"] != contact_id]
    if others:
        raise ApiError(409, "address_taken", "another person already signs in with that address")
    if field == "email" and await store.find("staff_user", email=value):
        raise ApiError(409, "address_taken", "that address belongs to a member of staff; use another one")


@post(
    "/api/auth/address-change",
    status_code=202,
    guards=[guards.anyone_signed_in],
    responses=error_responses(403, 409, 422, 429),
)
async def request_address_change(request: Request, data: AddressChangeIn) -> AddressChangeSent:
    """Send a link to a new email address or phone number of the signed-in customer; opening it
    makes the change. Only a customer's own session (not staff, not the read-only view)."""
    actor, state = request.user, request.app.state
    if actor.person_kind != "contact" or actor.read_only:
        raise ApiError(403, "forbidden", "only a customer changes their own address here; the office edits contacts")
    email = data.email.strip().lower() if data.email else None
    phone = data.phone or None
    if bool(email) == bool(phone):
        raise ApiError(422, "email_or_phone", "give exactly one of email or phone")
    field, value = ("email", email) if email else ("phone", phone or "")
    await state.rate_limiter.hit(
        f"addr:{guards.tenant_of(request)['slug']}:{value}", state.settings.magic_link_per_address
    )
    async with state.db.read() as conn:
        store = Store(conn, actor.tenant_id)
        contact = await store.must_get("contact", actor.person_id)
        if contact[field] == value:
            raise ApiError(422, "same_address", f"that is already your {'email address' if email else 'phone number'}")
        await _refuse_taken(store, contact["id"], field, value)
    now = int(time.time())
    claims = {
        "typ": TYP,
        "sub": contact["id"],
        "tid": actor.tenant_id,
        "ver": contact["token_version"],
        "field": field,
        "new": value,
        "old": contact[field],
        "iat": now,
        "exp": now + LINK_TTL_S,
    }
    token = jwt.encode(claims, state.settings.secret_key, algorithm="HS256")
    tenant = guards.tenant_of(request)
    name = tenant.get("display_name") or tenant["name"]
    link = f"{state.settings.public_url.rstrip('/')}/t/{tenant['slug']}/confirm-address?token={token}"
    what = "email address" if email else "phone number"
    text = (
        f"Hi {contact['name']}, to make this your {what} for the {name} portal, open this link: {link}\n"
        "The link works for 24 hours. If you did not ask for this, ignore this message: nothing changes."
    )
    await state.messenger.send(
        actor.tenant_id, "email" if email else "sms", value, f"Confirm your new {what}", text, link
    )
    return AddressChangeSent(sent_to=value, expires_at=now + LINK_TTL_S)


@post(
    "/api/auth/address-change/confirm",
    status_code=200,
    opt={"public": True},
    responses=error_responses(401, 409),
)
async def confirm_address_change(request: Request, data: ConfirmIn) -> AddressChanged:
    """Make the change a link sent to the new address asked for (the link's token is the proof)."""
    state = request.app.state
    try:
        claims = jwt.decode(data.token, state.settings.secret_key, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        raise ApiError(401, "invalid_token", "this confirmation link is not valid or has expired") from None
    if claims.get("typ") != TYP or claims.get("field") not in ("email", "phone"):
        raise ApiError(401, "invalid_token", "this is not a confirmation link")
    field, value = claims["field"], claims["new"]
    async with state.db.write() as conn:
        store = Store(conn, claims["tid"])
        await store.lock()
        contact = await store.get("contact", claims["sub"])
        if contact is None or contact["token_version"] != claims["ver"]:
            raise ApiError(401, "link_revoked", "this confirmation link no longer works")
        if contact[field] != value:
            if contact[field] != claims["old"]:
                raise ApiError(401, "link_revoked", "your address has changed since this link was sent")
            await _refuse_taken(store, contact["id"], field, value)
            contact = await store.update("contact", contact, **{field: value})
            for membership in await store.find("membership", contact_id=contact["id"]):
                await store.update("membership", membership, **{field: value})
        changed = list(store.changed)
    await state.effects.after_commit(claims["tid"], changed, [], [])  # the person's devices pull the change
    return AddressChanged(email=contact["email"], phone=contact["phone"])


ROUTES = [request_address_change, confirm_address_change]
