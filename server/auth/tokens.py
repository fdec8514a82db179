"""Magic-link and session tokens: HS256 JWTs carrying the person's ``token_version``."""

from __future__ import annotations

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


class BadToken(Exception):
    """The token is malformed, tampered with, of the wrong type or expired."""


def issue(secret: str, typ: str, sub: str, kind: Kind, tenant_id: str, version: int, ttl_s: int,
          read_only_account: str | None = None) -> tuple[str, int]:
    """A signed token and its expiry (unix seconds)."""
    now = int(time.time())
    claims = {"typ": typ, "sub": sub, "kind": kind, "tid": tenant_id, "ver": version, "iat": now, "exp": now + ttl_s}
    if read_only_account:
        claims["ro"] = read_only_account
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
