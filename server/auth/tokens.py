"""Magic-link and session tokens: HS256 JWTs carrying the person's ``token_version``."""

from __future__ import annotations

import secrets
import time
from typing import Literal

import jwt
import msgspec

Kind = Literal["contact", "staff"]


class Claims(msgspec.Struct, kw_only=True, frozen=True):
    typ: Literal["link", "session"]
    sub: str  # contact or staff user id
    kind: Kind
    tid: str  # tenant id
    ver: int  # token_version at issue time
    exp: int
    iat: int
    ro: str | None = None  # staff read-only view: the one account it may see
    sid: str | None = None  # a session's own id: logging out revokes just this session
    # A link for an address that is both a customer's and a staff user's: the staff identity it may
    # open instead (the person chooses at login); its token_version.
    alt: str | None = None
    alt_ver: int | None = None


class BadToken(Exception):
    """The token is malformed, tampered with, of the wrong type or expired."""


def issue(
    secret: str,
    typ: str,
    sub: str,
    kind: Kind,
    tenant_id: str,
    version: int,
    ttl_s: int,
    read_only_account: str | None = None,
    alt: tuple[str, int] | None = None,
) -> tuple[str, int]:
    """A signed token and its expiry (unix seconds). Sessions get a fresh ``sid``."""
    now = int(time.time())
    claims = {"typ": typ, "sub": sub, "kind": kind, "tid": tenant_id, "ver": version, "iat": now, "exp": now + ttl_s}
    if read_only_account:
        claims["ro"] = read_only_account
    if typ == "session":
        claims["sid"] = secrets.token_hex(16)
    if alt is not None:
        claims["alt"], claims["alt_ver"] = alt
    return jwt.encode(claims, secret, algorithm="HS256"), now + ttl_s


def verify(secret: str, token: str, typ: str) -> Claims:
    """Decode and check a token; only HS256 is accepted (no ``none``, no RS256 confusion)."""
    try:
        raw = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "iat", "sub"]})
        claims = msgspec.convert(raw, Claims)
    except (jwt.PyJWTError, msgspec.ValidationError) as exc:
        raise BadToken(str(exc)) from None
    if claims.typ != typ:
        raise BadToken(f"expected a {typ} token")
    return claims
