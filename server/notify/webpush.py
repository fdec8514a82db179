"""Web Push: a person's bell notifications shown on their phone or desktop, app open or not.

- Keys. Push services only deliver for the server whose VAPID key (RFC 8292, P-256) the browser
  subscribed with, so the key must outlive restarts and be the same in every server process. An
  operator may set ``vapid_private_key`` (PEM, or base64url of the 32-byte scalar as web-push tools
  print it); when it is empty the key is derived from ``secret_key`` (HKDF-SHA256 → a scalar mod the
  curve order), so a laptop install works with no setup. Changing either key orphans every
  subscription: browsers must turn notifications on again (their old subscriptions answer 403/410).
- Subscriptions (``push_subscription``, server-only, never synced): one row per browser, keyed by the
  sha256 of its endpoint, owned by the contact who turned notifications on there last (a shared
  device gets the last sign-in's notifications; signing out turns them off in the PWA). A contact
  keeps at most ``MAX_PER_CONTACT`` browsers; the least recently (re)subscribed go first.
- Delivery. ``on_commit`` is a ``Hub`` listener: every commit that created ``notification`` rows
  (version 1) sends one push per subscription of each row's ``contact_id`` in that row's tenant, in a
  background task, so the request that made the notification never waits for a push service nor
  fails because of one. Payloads are encrypted ``aes128gcm`` (RFC 8291) by pywebpush, with a
  24-hour TTL. A 404/410 answer means the browser dropped the subscription: the row is deleted.
  Network errors, 429 and 5xx are retried twice; other refusals (400/401/403/413) are logged.
- Where it connects. Endpoints go through the outbound guard (``server/outbound.py``) when a browser
  subscribes and again at every send, and the request connects to the address that was checked: a
  subscription naming loopback, a private network or a metadata service is refused (422) and never
  contacted, even if its name later resolves elsewhere.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import json
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from py_vapid import Vapid02, VapidException

from server.db.engine import Database, forbid_in_write_transaction
from server.db.store import now_iso
from server.documents.formatting import readable_dates
from server.outbound import OutboundRefused, Unresolvable, check_public_url, outbound_client
from server.settings import Settings, SettingsError

log = logging.getLogger("haulport.notify")

TTL_S = 24 * 3600  # a phone off for a day still gets it when it is back
RETRY_DELAYS_S = (2.0, 10.0)  # after the first attempt: two retries
SEND_TIMEOUT_S = 10.0
CONCURRENCY = 8  # pushes in flight per process
MAX_PER_CONTACT = 20
MAX_ENDPOINT = 2048
TITLE_MAX, BODY_MAX = 120, 400  # keeps the payload well under push services' 4 KB
DEFAULT_ICON = "/icons/icon-192.png"
GONE = frozenset({404, 410})
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
_CURVE_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


# --- keys -------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes | None:
    """Bytes of base64url text (padding optional), or None when it is not base64url."""
    if not _B64URL.match(text) or len(text.rstrip("=")) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except ValueError:
        return None


def derived_key(secret_key: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 key derived from ``secret_key``: the same secret always gives the same key."""
    material = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=b"haulport-vapid", info=b"haulport web push p-256 v1"
    ).derive(secret_key.encode())
    # 384 bits reduced mod the 256-bit order: the bias is ~2^-128. 1 ≤ scalar < order.
    return ec.derive_private_key(int.from_bytes(material, "big") % (_CURVE_ORDER - 1) + 1, ec.SECP256R1())


def vapid_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The configured VAPID key, or the derived one; ``SettingsError`` naming the key when malformed."""
    text = settings.vapid_private_key.strip()
    if not text:
        return derived_key(settings.secret_key)
    key: Any = None
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        elif (raw := _unb64url(text)) is not None and len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        elif raw is not None:
            key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SettingsError(
            "vapid_private_key: not a P-256 private key (PEM, or base64url of its 32 bytes); "
            "leave it empty to derive one from secret_key"
        )
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The browser's ``applicationServerKey``: the uncompressed public point, base64url."""
    return _b64url(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def default_subject(public_url: str) -> str:
    parts = urlsplit(public_url)
    if parts.scheme == "https" and parts.hostname:
        return f"https://{parts.hostname}"
    return "mailto:push@haulport.invalid"  # plain-http installs (a laptop): nobody to reach; set vapid_subject


# --- subscriptions ----------------------------------------------------------------------------------


class InvalidSubscription(ValueError):
    """A subscription we cannot push to; ``field`` names the part that is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _public_address(host: str) -> bool:
    """A first look at the literal host (the outbound guard resolves names and checks again)."""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global


def check_endpoint(endpoint: str, allow_local: bool) -> str:
    """The push endpoint, if it is one: an absolute https URL of a public host (http and loopback hosts too
    with ``allow_local``, i.e. dev mode), at most ``MAX_ENDPOINT`` characters, no credentials, no spaces."""
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise InvalidSubscription("endpoint", f"endpoint must be a URL of 1 to {MAX_ENDPOINT} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or ord(c) > 0x7E for c in endpoint):
        raise InvalidSubscription("endpoint", "endpoint must be a URL without spaces or control characters")
    try:
        parts = urlsplit(endpoint)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise InvalidSubscription("endpoint", "endpoint is not a valid URL") from None
    schemes = ("https", "http") if allow_local else ("https",)
    if parts.scheme not in schemes:
        raise InvalidSubscription("endpoint", f"endpoint must be an {' or '.join(schemes)} URL")
    if not host or parts.username is not None or parts.password is not None:
        raise InvalidSubscription("endpoint", "endpoint must name a host (and no user or password)")
    if not allow_local and not _public_address(host):
        raise InvalidSubscription("endpoint", "endpoint must be a public push service")
    return endpoint


def check_keys(p256dh: str, auth: str) -> tuple[str, str]:
    """The subscription's keys as unpadded base64url: ``p256dh`` a P-256 public point (65 bytes,
    uncompressed), ``auth`` 16 bytes."""
    raw = _unb64url(p256dh) if len(p256dh) <= 100 else None
    if raw is None or len(raw) != 65:
        raise InvalidSubscription("keys.p256dh", "keys.p256dh must be base64url of 65 bytes (a P-256 public key)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise InvalidSubscription("keys.p256dh", "keys.p256dh is not a point on P-256") from None
    secret = _unb64url(auth) if len(auth) <= 40 else None
    if secret is None or len(secret) != 16:
        raise InvalidSubscription("keys.auth", "keys.auth must be base64url of 16 bytes")
    return _b64url(raw), _b64url(secret)


def subscription_id(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


# --- the sender -------------------------------------------------------------------------------------


class WebPush:
    """Stores subscriptions and pushes new bell notifications to them."""

    def __init__(self, settings: Settings, db: Database):
        self.db = db
        self.settings = settings
        self.allow_local = settings.dev_mode
        self.key = vapid_key(settings)
        self.public_key = public_key_b64(self.key)
        self.subject = settings.vapid_subject or default_subject(settings.public_url)
        self.vapid = Vapid02(private_key=self.key)
        try:  # refuses a subject push services would refuse, at start rather than at the first push
            self.vapid.sign({"sub": self.subject, "aud": "https://push.example", "exp": 1})
        except VapidException as exc:
            raise SettingsError(f"vapid_subject: {exc}") from None
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)

    # subscriptions

    async def subscribe(self, tenant_id: str, contact_id: str, endpoint: str, p256dh: str, auth: str) -> bool:
        """Keep this browser's subscription for ``contact_id``; True when it was new to this contact."""
        allowed = bool(self.settings.outbound_allow)  # the guard decides about those (after resolving)
        endpoint = check_endpoint(endpoint, self.allow_local or allowed)
        if not self.allow_local and not endpoint.startswith("https://"):
            raise InvalidSubscription("endpoint", "endpoint must be an https URL")
        p256dh, auth = check_keys(p256dh, auth)
        try:
            await check_public_url(endpoint, dev_mode=self.allow_local, allow=self.settings.outbound_allow)
        except Unresolvable as exc:
            if not self.allow_local:  # dev mode: made-up push hosts are fine until a push is sent
                raise InvalidSubscription("endpoint", f"endpoint must be a public push service: {exc.reason}") from None
        except OutboundRefused as exc:
            raise InvalidSubscription("endpoint", f"endpoint must be a public push service: {exc.reason}") from None
        row_id, stamp = subscription_id(endpoint), now_iso()
        async with self.db.write() as conn:
            before = await conn.fetchrow("SELECT tenant_id, contact_id FROM push_subscription WHERE id = ?", row_id)
            await conn.execute(
                "INSERT INTO push_subscription (id, tenant_id, contact_id, endpoint, p256dh, auth, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "tenant_id = excluded.tenant_id, contact_id = excluded.contact_id, endpoint = excluded.endpoint, "
                "p256dh = excluded.p256dh, auth = excluded.auth, updated_at = excluded.updated_at",
                row_id,
                tenant_id,
                contact_id,
                endpoint,
                p256dh,
                auth,
                stamp,
                stamp,
            )
            await conn.execute(
                "DELETE FROM push_subscription WHERE tenant_id = ? AND contact_id = ? AND id NOT IN "
                "(SELECT id FROM push_subscription WHERE tenant_id = ? AND contact_id = ? "
                f"ORDER BY updated_at DESC, id LIMIT {MAX_PER_CONTACT})",
                tenant_id,
                contact_id,
                tenant_id,
                contact_id,
            )
        return before is None or (before["tenant_id"], before["contact_id"]) != (tenant_id, contact_id)

    async def unsubscribe(self, tenant_id: str, contact_id: str, endpoint: str) -> None:
        """Forget this browser's subscription if it is this contact's (anyone else's stays)."""
        async with self.db.write() as conn:
            await conn.execute(
                "DELETE FROM push_subscription WHERE id = ? AND tenant_id = ? AND contact_id = ?",
                subscription_id(endpoint),
                tenant_id,
                contact_id,
            )

    # delivery

    async def on_commit(self, tenant_id: str, changed: list[tuple[str, dict[str, Any]]]) -> None:
        """Hub listener: start pushing the notifications this commit created."""
        created = [
            row
            for entity, row in changed
            if entity == "notification"
            and row.get("version") == 1
            and not row.get("read_at")
            and row.get("tenant_id") == tenant_id
            and row.get("contact_id")
        ]
        if created:
            task = asyncio.create_task(self._push_all(tenant_id, created))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _push_all(self, tenant_id: str, notifications: list[dict[str, Any]]) -> None:
        try:
            async with self.db.read() as conn:
                tenant = await conn.fetchrow(
                    "SELECT slug, name, display_name, logo_url FROM tenant WHERE id = ?", tenant_id
                )
                contacts = sorted({n["contact_id"] for n in notifications})
                subscriptions = await conn.fetch(
                    "SELECT id, contact_id, endpoint, p256dh, auth FROM push_subscription WHERE tenant_id = ? AND "
                    f"contact_id IN ({', '.join('?' * len(contacts))})",
                    tenant_id,
                    *contacts,
                )
            if tenant is None or not subscriptions:
                return
            sends = [
                self._send(sub, payload(tenant, n))
                for n in notifications
                for sub in subscriptions
                if sub["contact_id"] == n["contact_id"]
            ]
            await asyncio.gather(*sends)
        except Exception:  # a push must never take the server down with it
            log.exception("web push for tenant %s failed", tenant_id)

    async def _send(self, sub: dict[str, Any], data: str) -> None:
        info = {"endpoint": sub["endpoint"], "keys": {"p256dh": sub["p256dh"], "auth": sub["auth"]}}
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S), start=1):
            if delay:
                await asyncio.sleep(delay)
            status, reason = await self._post(info, data)
            if status is not None and status < 300:
                return
            if status in GONE:
                log.info("push subscription %s is gone (%s): removed", sub["id"][:12], status)
                async with self.db.write() as conn:
                    await conn.execute(
                        "DELETE FROM push_subscription WHERE id = ? AND endpoint = ?", sub["id"], sub["endpoint"]
                    )
                return
            if status is not None and status not in RETRYABLE:
                log.warning("push service refused a notification for %s: %s %s", sub["id"][:12], status, reason)
                return
            log.warning("push to %s failed (attempt %d): %s", sub["id"][:12], attempt, reason)
        log.error("push to %s failed %d times; giving up on this notification", sub["id"][:12], len(RETRY_DELAYS_S) + 1)

    async def _post(self, info: dict[str, Any], data: str) -> tuple[int | None, str]:
        """One attempt: the push service's status (None when it could not be reached) and why.
        Encrypted and signed by pywebpush, sent through the outbound guard's client."""
        forbid_in_write_transaction("Web Push")
        parts = urlsplit(info["endpoint"])
        claims = {"sub": self.subject, "aud": f"{parts.scheme}://{parts.netloc}", "exp": int(time.time()) + 12 * 3600}
        headers = {"Urgency": "normal", **self.vapid.sign(claims)}
        from pywebpush import WebPusher  # here, not at import: it imports aiohttp, a second of a busy server's start

        request = WebPusher(info)._prepare_send_data(data.encode(), headers, ttl=TTL_S)
        async with self._slots:
            try:
                response = await self._http().post(
                    request["endpoint"], content=request["data"], headers=dict(request["headers"])
                )
            except OutboundRefused as exc:
                return 403, f"refused by the outbound guard: {exc.reason}"  # not retried: see RETRYABLE
            except (httpx.HTTPError, OSError) as exc:
                return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, "sent" if response.status_code < 300 else response.reason_phrase

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = outbound_client(self.settings, timeout=SEND_TIMEOUT_S)
        return self._client

    @property
    def in_flight(self) -> int:
        """Notifications whose pushes are still being sent."""
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for pushes in flight (shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()


def payload(tenant: dict[str, Any], notification: dict[str, Any]) -> str:
    """What the service worker shows (``{title, body, url, tag, icon}``), JSON, a few hundred bytes."""
    name = tenant.get("display_name") or tenant.get("name") or ""
    body = readable_dates(notification.get("body") or "", tenant) or name
    return json.dumps(
        {
            "title": _cut(readable_dates(notification.get("title") or "", tenant) or name, TITLE_MAX),
            "body": _cut(body, BODY_MAX),
            "url": portal_url(tenant["slug"], notification.get("link") or ""),
            "tag": f"notification:{notification['id']}",
            "icon": tenant.get("logo_url") or DEFAULT_ICON,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def portal_url(slug: str, link: str) -> str:
    """A notification's link as a path in the tenant's portal (the bell when it has none).
    Links are tenant-relative (``/jobs/…``, ``jobs/…``, ``#/jobs/…``), as the PWA reads them."""
    path = re.sub(r"^https?://[^/]+", "", link)
    if path.startswith(f"/t/{slug}/"):
        path = path[len(f"/t/{slug}") :]
    elif path.startswith("/t/"):
        path = ""  # another portal's link: never send a person elsewhere
    path = re.sub(r"^/?#?/?", "", path)
    return f"/t/{slug}/{path or 'notifications'}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
