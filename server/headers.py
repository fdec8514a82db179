"""Security headers on every answer, and a Content-Security-Policy on the portal's HTML.

Login tokens travel in URLs (``/t/{slug}/login?token=…``), so no page may leak its address:
``Referrer-Policy: no-referrer``. No other site may frame the portal (``frame-ancestors 'none'``,
``X-Frame-Options: DENY``), and nothing is sniffed into another type (``nosniff``).

The CSP allows what the PWA needs and no more: its own scripts plus the one inline boot script of
``index.html`` (by its sha256, read from the built file), Stripe.js and its frames, same-origin API and
live-socket connections, images from this server and any https host (logos, photos), inline styles
(Preact sets style attributes). In dev mode, local Stripe (localstripe on a loopback port) is allowed too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import Settings

STRIPE = ("https://js.stripe.com", "https://*.stripe.com")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
ALWAYS = [(b"referrer-policy", b"no-referrer"), (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]


def inline_script_hashes(index: Path) -> list[str]:
    """``'sha256-…'`` of each inline ``<script>`` in the built ``index.html`` (none if it is not built)."""
    try:
        html = index.read_bytes()
    except OSError:
        return []
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'" for body in _INLINE_SCRIPT.findall(html)
    ]


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def content_security_policy(settings: Settings, script_hashes: list[str]) -> str:
    scripts = ["'self'", *script_hashes, *STRIPE]
    frames = [*STRIPE]
    connect = ["'self'", "https://*.stripe.com"]
    for url in (settings.stripe_js_url, settings.stripe_api_base):
        if url and (origin := _origin(url)):
            scripts.append(origin)
            frames.append(origin)
            connect.append(origin)
    if settings.dev_mode:  # localstripe serves its Stripe.js and API on a loopback port
        for local in ("http://127.0.0.1:*", "http://localhost:*"):
            scripts.append(local)
            frames.append(local)
            connect.append(local)
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "frame-src": frames,
        "worker-src": ["'self'"],
        "manifest-src": ["'self'", "blob:", "data:"],  # the tenant's manifest is made in the page
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items())


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer (CSP on HTML answers)."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.index = Path(settings.static_dir) / "index.html"
        self._csp: tuple[float, bytes] | None = None

    def csp(self) -> bytes:
        try:
            stamp = self.index.stat().st_mtime
        except OSError:
            stamp = 0.0
        if self._csp is None or self._csp[0] != stamp:  # the PWA was rebuilt: its inline script may differ
            self._csp = (stamp, content_security_policy(self.settings, inline_script_hashes(self.index)).encode())
        return self._csp[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in ALWAYS if name not in present)
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", self.csp()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def security_headers_factory(settings: Settings):
    def factory(app: ASGIApp) -> ASGIApp:
        return SecurityHeaders(app, settings)

    return factory
