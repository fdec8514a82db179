"""Authentication and authorisation in one place.

``SessionMiddleware`` turns a session token (Bearer header, cookie, or ``?token=`` on the
live socket) into an ``Actor`` on ``connection.user``. It also enforces what holds for every
route: read-only sessions never write, a disabled portal answers ``portal_disabled`` to
portal roles, cookie-authenticated writes must come from our own origin (CSRF).
Every route handler declares who may call it with one of the guards below, or ``opt={"public": True}``.
"""

from __future__ import annotations

import re
import time
from typing import Any, cast
from urllib.parse import parse_qsl, urlparse

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from server.auth.actor import Revoked
from server.auth.tokens import BadToken, Claims, verify
from server.errors import ApiError
from server.integrations import api_keys
from sync.actor import (
    ADMIN_ROLES,
    ALL_ROLES,
    COMPANY_VIEWER_ROLES,
    DRIVER_ROLES,
    PORTAL_ROLES,
    STAFF_ROLES,
    Actor,
)

SESSION_COOKIE = "haulport_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_KEY_PATHS = ("/api/admin/",)
# Within the office API, what a key may not reach: staff accounts (no key makes people who can sign in)
# and the read-only portal view (a session for a person, which a key is not).
API_KEY_DENIED = re.compile(r"^/api/admin/(staff(/.*)?|accounts/[^/]+/portal-view)$")


def query_token(connection: ASGIConnection) -> str | None:
    """``?token=`` of the connection's URL (read from the raw query string: ``connection.query_params``
    builds a new MultiDict on every access, a measurable cost when thousands of sockets connect at once)."""
    query = connection.scope.get("query_string", b"")
    if b"token=" not in query:
        return None
    for key, value in parse_qsl(query.decode("latin-1")):
        if key == "token":
            return value or None
    return None


def token_from(connection: ASGIConnection) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie."""
    # (from the raw headers: `connection.headers` builds a Headers object, a cost on every request)
    header = next((v for k, v in connection.scope["headers"] if k == b"authorization"), b"").decode("latin-1")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    if connection.scope["type"] == "websocket" and (token := query_token(connection)):
        return token, False
    cookie = connection.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


class SessionMiddleware(AbstractAuthenticationMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get("public"):
            await self.app(scope, receive, send)
            return
        plain = handler.opt.get("plain") if handler is not None and scope["type"] == "http" else None
        if plain is not None and scope.get("method") == "GET":
            # A route that answers its plainest requests itself (`server/sync_api/routes.py`
            # `serve_plain_pull`), once the session is checked; anything else goes the usual way.
            result = await self.authenticate_request(ASGIConnection(scope))
            scope["user"], scope["auth"] = result.user, result.auth
            if not await plain(scope, send):
                await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        state = connection.app.state
        token, from_cookie = token_from(connection)
        if not token:
            raise ApiError(401, "not_authenticated", "log in first: send a session token")
        if api_keys.is_api_key(token) and not from_cookie:
            return await _api_key_session(connection, token)
        try:
            claims = _verified_session(state.settings.secret_key, token)
        except BadToken as exc:
            raise ApiError(401, "invalid_token", f"session token refused: {exc}") from None
        kept = state.actors.kept(claims, state.db.generation_now())
        if kept is not None:
            actor, tenant = kept
        else:
            try:
                async with state.db.read() as conn:
                    actor, tenant = await state.actors.load(conn, claims)
            except Revoked as exc:
                raise ApiError(401, "session_revoked", str(exc)) from None
        method = connection.scope.get("method", "GET")
        if actor.role in PORTAL_ROLES and not tenant["portal_enabled"]:
            raise ApiError(403, "portal_disabled", "this portal is not available")
        if actor.read_only and method not in SAFE_METHODS:
            raise ApiError(403, "read_only", "this is a read-only view of the customer's portal")
        if from_cookie and method not in SAFE_METHODS and not _same_origin(connection):
            raise ApiError(403, "csrf_failed", "cookie-authenticated writes must come from the portal's own origin")
        _scope(connection)["tenant"] = tenant
        return AuthenticationResult(user=actor, auth=claims)


async def _api_key_session(connection: ASGIConnection, token: str) -> AuthenticationResult:
    """A tenant API key: the office API only (``server/integrations/api_keys.py``)."""
    path = connection.scope["path"]
    if not path.startswith(API_KEY_PATHS) or API_KEY_DENIED.match(path):
        raise ApiError(403, "api_key_not_allowed", "API keys reach the office API (/api/admin/…) only")
    try:
        actor, tenant = await api_keys.authenticate(connection.app.state.db, token)
    except api_keys.KeyRefused as exc:
        raise ApiError(401, "invalid_api_key", str(exc)) from None
    if actor.read_only and connection.scope.get("method", "GET") not in SAFE_METHODS:
        raise ApiError(403, "read_only", "this API key may only read (its scope is read)")
    _scope(connection)["tenant"] = tenant
    return AuthenticationResult(user=actor, auth=None)


_VERIFIED: dict[tuple[str, str], Claims] = {}
_VERIFIED_MAX = 10_000


def _verified_session(secret: str, token: str) -> Claims:
    """Verify a session token's signature once per token (a cache), its expiry every time.

    Revocation is not cached: the person and their token_version are loaded on every request."""
    key = (secret, token)
    claims = _VERIFIED.get(key)
    if claims is None:
        claims = verify(secret, token, "session")
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = claims
    if claims.exp <= time.time():
        _VERIFIED.pop(key, None)
        raise BadToken("session expired")
    return claims


def _same_origin(connection: ASGIConnection) -> bool:
    origin = connection.headers.get("origin") or connection.headers.get("referer")
    if not origin:
        return False
    return urlparse(origin).netloc == connection.headers.get("host", "")


async def _run_guards(self: BaseRouteHandler, connection: ASGIConnection) -> None:
    """``authorize_connection`` as Litestar's, but each guard gets the handler itself rather than a fresh
    copy of it. Litestar copies so that a guard cannot change the handler; none of the guards here looks
    at it, and the copy cost about a tenth of a small pull's time."""
    for guard in self.resolve_guards():
        await guard(connection, self)  # type: ignore[misc]


def guards_without_copies() -> None:
    """Run every route's guards with ``_run_guards`` (route handlers have fixed slots, so this is set
    on their class, once, when the app is made; only guards of this module are ever declared)."""
    BaseRouteHandler.authorize_connection = _run_guards  # type: ignore[method-assign]


def middleware_factory(app: ASGIApp) -> ASGIApp:
    return SessionMiddleware(app=app, exclude=["^/schema"])  # the OpenAPI schema is public


def _role_guard(*roles: str):
    allowed = frozenset(roles)

    # async: Litestar runs sync guards in a thread pool, which costs more than the check itself.
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor: Actor = connection.user
        if actor.role not in allowed:
            raise ApiError(403, "forbidden", f"this needs one of the roles: {', '.join(sorted(allowed))}")

    guard.__name__ = f"allow_{'_'.join(sorted(allowed))}"
    return guard


portal_user = _role_guard(*PORTAL_ROLES)
portal_or_staff = _role_guard(*PORTAL_ROLES, *STAFF_ROLES)
company_user = _role_guard(*COMPANY_VIEWER_ROLES)
staff = _role_guard(*STAFF_ROLES)
admin_only = _role_guard(*ADMIN_ROLES)
driver = _role_guard(*DRIVER_ROLES)
anyone_signed_in = _role_guard(*ALL_ROLES)


def actor_of(connection: ASGIConnection) -> Actor:
    return connection.user


def _scope(connection: ASGIConnection) -> dict[str, Any]:
    """The ASGI scope as the plain dict it is: the session puts the tenant's row under ``"tenant"``."""
    return cast("dict[str, Any]", connection.scope)


def tenant_of(connection: ASGIConnection) -> dict[str, Any]:
    """The tenant row of the authenticated request (set by the session middleware)."""
    return _scope(connection)["tenant"]
