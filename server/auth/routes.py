"""Magic-link login, sessions, the staff read-only view and the dev outbox."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.openapi.spec import Schema
from litestar.params import Body, FromPath, Parameter

from server.auth import guards
from server.auth.actor import Revoked, load_actor, portal_accounts
from server.auth.fields import Email, Phone
from server.auth.tokens import BadToken, Claims, Kind, issue, verify
from server.db.store import Store, now_iso
from server.errors import ApiError, error_responses, not_found
from sync.actor import CUSTOMER_ROLES, Role
from sync.entities import Address, BusinessHours, Features

DAY = 86400


# Spaces around an email address are forgiven (the address is stripped); see sync/entities.py on patterns.


class MagicLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    """``tenant`` and exactly one of ``email`` or ``phone``."""

    tenant: Annotated[str, msgspec.Meta(min_length=1, max_length=63)]
    email: Email | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET


# msgspec cannot say "exactly one of"; the OpenAPI schema does (the handler checks it too).
MAGIC_LINK_BODY = Body(schema_extra={"one_of": [Schema(required=["email"]), Schema(required=["phone"])]})


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``as``: which identity to open when the link's address is both a customer's and a staff user's
    (the first exchange answers 409 ``choose_identity`` listing both)."""

    token: Annotated[str, msgspec.Meta(min_length=10, max_length=4000)]
    as_: Literal["customer", "staff"] | None = msgspec.field(default=None, name="as")


class AccountOut(msgspec.Struct):
    id: str
    name: str
    kind: str
    role: Literal["company", "site"]


class PersonOut(msgspec.Struct, kw_only=True):
    """The signed-in contact or staff member."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    kind: Literal["contact", "staff"]


class SessionOut(msgspec.Struct):
    session_token: str
    expires_at: int  # epoch seconds
    contact: PersonOut
    accounts: list[AccountOut]
    role: Role
    read_only: bool = False


class MeAccountOut(AccountOut, kw_only=True):
    # site_ids and primary let a client replay mutations with the same rules the server applies
    site_ids: list[str]
    primary: bool


class TenantBrief(msgspec.Struct, kw_only=True):
    id: str
    slug: str
    name: str
    display_name: str


class MeOut(msgspec.Struct, kw_only=True):
    contact: PersonOut
    role: Role
    read_only: bool
    accounts: list[MeAccountOut]
    truck_id: str | None  # drivers: the truck whose jobs they see
    tenant: TenantBrief


class PublicTenant(msgspec.Struct, kw_only=True):
    """What a portal's login screen shows: branding, features, contact details and hours."""

    slug: str
    name: str
    display_name: str
    logo_url: str
    primary_color: str
    portal_enabled: bool
    phone: str
    email: str
    address: Address
    business_hours: BusinessHours
    features: Features
    timezone: str
    currency: str
    locale: str
    country: str


def _accounts_out(actor) -> list[AccountOut]:
    return [AccountOut(id=i, name=a.name, kind=a.kind, role=a.role) for i, a in actor.accounts.items()]


def _person_out(actor, person: dict) -> PersonOut:
    return PersonOut(
        id=person["id"],
        name=person["name"],
        email=person.get("email"),
        phone=person.get("phone"),
        kind=actor.person_kind,
    )


@post("/api/auth/magic-link", status_code=202, opt={"public": True}, responses=error_responses(404, 422, 429))
async def request_magic_link(request: Request, data: Annotated[MagicLinkIn, MAGIC_LINK_BODY]) -> dict[str, bool]:
    """Send a login link by email or SMS; answers the same whether or not the address is known."""
    state = request.app.state
    email = data.email or None
    phone = data.phone or None
    if bool(email) == bool(phone):
        raise ApiError(422, "email_or_phone", "give exactly one of email or phone")
    address = (email or "").strip().lower() or phone or ""
    if email is not None and "@" not in address:
        raise ApiError(422, "bad_email", "that is not an email address")
    client_ip = request.client.host if request.client else "unknown"
    await state.rate_limiter.hit(f"ip:{client_ip}", state.settings.magic_link_per_ip)
    await state.rate_limiter.hit(f"addr:{data.tenant}:{address}", state.settings.magic_link_per_address)
    async with state.db.read() as conn:
        tenant_row = await conn.fetchrow(
            "SELECT id, name, display_name, portal_enabled FROM tenant WHERE slug = ?", data.tenant
        )
        if tenant_row is None:
            raise ApiError(404, "tenant_not_found", f"no portal called {data.tenant!r}")
        person = await _find_person(Store(conn, tenant_row["id"]), email and address, phone)
    if person is not None:
        kind, row, staff = person
        alt = (staff["id"], staff["token_version"]) if staff is not None else None
        token, _ = issue(
            state.settings.secret_key,
            "link",
            row["id"],
            kind,
            tenant_row["id"],
            row["token_version"],
            state.settings.link_ttl_days * DAY,
            alt=alt,
        )
        link = f"{state.settings.public_url.rstrip('/')}/t/{data.tenant}/login?token={token}"
        name = tenant_row["display_name"] or tenant_row["name"]
        text = f"Hi {row['name']}, open this link to log in to the {name} portal: {link}\nThe link works for 30 days."
        await state.messenger.send(
            tenant_row["id"], "email" if email else "sms", address, f"Your {name} portal login link", text, link
        )
    return {"sent": True}


async def _find_person(store: Store, email: str | None, phone: str | None) -> tuple[Kind, dict, dict | None] | None:
    """Who this address signs in as: ``(kind, row, staff)``. An address that is both a customer's (a
    contact with portal access) and a staff user's is the contact's, with the staff user as ``staff``:
    the link then lets the person choose (neither identity shadows the other)."""
    where: dict[str, Any] = {"email": email} if email else {"phone": phone}
    contacts = await store.find("contact", **where)
    contact = None
    for row in sorted(contacts, key=lambda c: c["created_at"] or ""):
        if await portal_accounts(store, row["id"]):
            contact = row
            break
    staff_rows = await store.find("staff_user", email=email) if email else []
    staff = staff_rows[0] if staff_rows else None
    if contact is not None:
        return "contact", contact, staff
    if staff is not None:
        return "staff", staff, None
    return None


def _session_response(request: Request, token: str, expires_at: int, payload: SessionOut) -> Response[SessionOut]:
    secure = request.app.state.settings.public_url.startswith("https")
    cookie = Cookie(
        key=guards.SESSION_COOKIE,
        value=token,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
        max_age=max(0, expires_at - int(time.time())),
    )
    return Response(payload, cookies=[cookie])


async def _record_sign_in(db, claims: Claims) -> None:
    """Remember that this person has signed in (their address is theirs from now on)."""
    stamp = now_iso()
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO sign_in (id, tenant_id, person_kind, person_id, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET last_at = excluded.last_at",
            f"{claims.kind}:{claims.sub}",
            claims.tid,
            claims.kind,
            claims.sub,
            stamp,
            stamp,
        )


@post("/api/auth/session", status_code=200, opt={"public": True}, responses=error_responses(401, 403, 409, 422))
async def create_session(request: Request, data: SessionIn) -> Response[SessionOut]:
    """Exchange a login link's token for a 7-day session."""
    state = request.app.state
    try:
        claims = verify(state.settings.secret_key, data.token, "link")
    except BadToken as exc:
        raise ApiError(401, "invalid_token", f"this login link is not valid: {exc}") from None
    if claims.alt and data.as_ is None:
        raise ApiError(
            409,
            "choose_identity",
            "this address is both a customer's and a staff member's: choose one",
            {"choices": ["customer", "staff"]},
        )
    if data.as_ == "staff" and claims.alt and claims.alt_ver is not None:
        claims = Claims(
            typ="link", sub=claims.alt, kind="staff", tid=claims.tid, ver=claims.alt_ver, exp=claims.exp, iat=claims.iat
        )
    elif data.as_ is not None and data.as_ != ("staff" if claims.kind == "staff" else "customer"):
        raise ApiError(422, "not_this_identity", f"this login link does not sign in as {data.as_}")
    try:
        async with state.db.read() as conn:
            actor, tenant = await load_actor(conn, claims)
            person = await Store(conn, claims.tid).must_get(
                "contact" if claims.kind == "contact" else "staff_user", claims.sub
            )
    except Revoked as exc:
        raise ApiError(401, "link_revoked", f"this login link no longer works: {exc}") from None
    if actor.role in CUSTOMER_ROLES and not tenant["portal_enabled"]:
        raise ApiError(403, "portal_disabled", "this portal is not available")
    await _record_sign_in(state.db, claims)
    token, expires_at = issue(
        state.settings.secret_key,
        "session",
        claims.sub,
        claims.kind,
        claims.tid,
        claims.ver,
        state.settings.session_ttl_days * DAY,
    )
    payload = SessionOut(
        session_token=token,
        expires_at=expires_at,
        contact=_person_out(actor, person),
        accounts=_accounts_out(actor),
        role=actor.role,
    )
    return _session_response(request, token, expires_at, payload)


@get("/api/auth/me", guards=[guards.anyone_signed_in])
async def me(request: Request) -> MeOut:
    """The signed-in person, their role, the accounts in scope and whether the session is read-only."""
    actor = request.user
    tenant = guards.tenant_of(request)
    async with request.app.state.db.read() as conn:
        person = await Store(conn, actor.tenant_id).must_get(
            "contact" if actor.person_kind == "contact" else "staff_user", actor.person_id
        )
    accounts = [
        MeAccountOut(id=i, name=a.name, kind=a.kind, role=a.role, site_ids=list(a.site_ids), primary=a.primary)
        for i, a in actor.accounts.items()
    ]
    return MeOut(
        contact=_person_out(actor, person),
        role=actor.role,
        read_only=actor.read_only,
        accounts=accounts,
        truck_id=actor.truck_id,
        tenant=TenantBrief(
            id=tenant["id"],
            slug=tenant["slug"],
            name=tenant["name"],
            display_name=tenant["display_name"] or tenant["name"],
        ),
    )


@post("/api/auth/logout", status_code=200, opt={"public": True})
async def logout(request: Request) -> Response[dict[str, bool]]:
    """End this session on the server (its token stops working everywhere, its live sockets close) and
    drop the cookie. Without a valid session there is nothing to end: still ``ok``."""
    state = request.app.state
    token, _ = guards.token_from(request)
    claims = None
    if token:
        try:
            claims = verify(state.settings.secret_key, token, "session")
        except BadToken:
            claims = None
    if claims is not None and claims.sid:
        async with state.db.write() as conn:
            await conn.execute("DELETE FROM revoked_session WHERE expires_at < ?", int(time.time()))
            await conn.execute(
                "INSERT INTO revoked_session (id, tenant_id, person_id, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                claims.sid,
                claims.tid,
                claims.sub,
                claims.exp,
            )
        state.hub.publish({"type": "recheck"}, [f"c:{claims.sub}"])  # its live sockets look again, and close
    return Response({"ok": True}, cookies=[Cookie(key=guards.SESSION_COOKIE, value="", max_age=0, path="/")])


@post(
    "/api/admin/accounts/{account_id:str}/portal-view",
    status_code=200,
    guards=[guards.staff],
    responses=error_responses(404),
)
async def portal_view(request: Request, account_id: FromPath[str]) -> dict[str, Any]:
    """A read-only session showing one customer's portal, for staff helping on the phone."""
    actor = request.user
    async with request.app.state.db.read() as conn:
        store = Store(conn, actor.tenant_id)
        account = await store.get("account", account_id)
        staff = await store.must_get("staff_user", actor.person_id)
    if account is None:
        raise not_found("account")
    settings = request.app.state.settings
    token, expires_at = issue(
        settings.secret_key,
        "session",
        actor.person_id,
        "staff",
        actor.tenant_id,
        staff["token_version"],
        8 * 3600,
        read_only_account=account_id,
    )
    slug = guards.tenant_of(request)["slug"]
    return {
        "session_token": token,
        "expires_at": expires_at,
        "role": "staff_readonly",
        "account_id": account_id,
        "url": f"{settings.public_url.rstrip('/')}/t/{slug}/view#session={token}",
    }


@get("/api/dev/outbox", opt={"public": True}, responses=error_responses(404))
async def dev_outbox(
    request: Request, to: str | None = None, limit: Annotated[int, Parameter(ge=1, le=500)] = 50
) -> dict[str, Any]:
    """Messages recorded in dev mode (404 otherwise): how a newcomer gets a login link."""
    state = request.app.state
    if not state.settings.dev_mode:
        raise not_found("outbox")
    async with state.db.read() as conn:
        if to:
            rows = await conn.fetch(
                "SELECT * FROM outbox WHERE recipient = ? ORDER BY created_at DESC LIMIT ?",
                to.strip().lower() if "@" in to else to,
                limit,
            )
        else:
            rows = await conn.fetch("SELECT * FROM outbox ORDER BY created_at DESC LIMIT ?", limit)
    return {
        "messages": [
            {k: r[k] for k in ("id", "channel", "recipient", "subject", "body", "link", "status", "created_at")}
            | {"to": r["recipient"]}
            for r in rows
        ]
    }


@get("/api/public/tenants/{slug:str}", opt={"public": True}, responses=error_responses(404))
async def public_tenant(request: Request, slug: FromPath[str]) -> PublicTenant:
    """Branding, features, contact details and hours of a portal: what the login screen shows."""
    async with request.app.state.db.read() as conn:
        raw = await conn.fetchrow("SELECT id FROM tenant WHERE slug = ?", slug)
        tenant = raw and await Store(conn, raw["id"]).get("tenant", raw["id"])
    if not tenant:
        raise ApiError(404, "tenant_not_found", f"no portal called {slug!r}")
    fields = {k: tenant[k] for k in PublicTenant.__struct_fields__}
    return msgspec.convert(fields | {"display_name": tenant["display_name"] or tenant["name"]}, PublicTenant)


ROUTES = [request_magic_link, create_session, me, logout, portal_view, dev_outbox, public_tenant]

from server.auth.address_change import ROUTES as ADDRESS_CHANGE_ROUTES  # noqa: E402 - the rest of /api/auth

ROUTES += ADDRESS_CHANGE_ROUTES
