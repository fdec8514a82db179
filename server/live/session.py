"""One live socket: its channels, what it forwards, and what its client may send.

A socket subscribes to the channels of its session's scope (see ``channels_of``), forwards
what arrives there (pokes, gps, typing, read receipts) and answers the client's own messages.
Everything that goes wrong with a client message is answered ``{"type": "error", "code"}``;
the socket stays open. Closing codes: 4401 session expired or revoked, 4409 scope changed
(reconnect to get the new channels), 4403 portal disabled (or, before accepting, a cross-site
cookie), 1013 ``live_unavailable``: Redis is unreachable, so nothing would arrive here — poll
``/api/sync/pull`` and reconnect with backoff. While that lasts, new sockets are refused before the
handshake with ``503`` ``{"error": {"code": "live_unavailable"}}`` and ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlparse

import msgspec
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from server.auth.actor import Revoked, load_actor
from server.auth.guards import query_token
from server.db.engine import DatabaseBusy
from server.db.store import now_iso
from server.errors import ApiError
from server.live.fanout import local_keys
from sync.actor import PORTAL_ROLES, Actor

log = logging.getLogger("haulport.live")
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.decode
# Messages are recognised by their first bytes: every publisher puts "type" first.
GPS, TYPING, PROBE = b'{"type":"gps"', b'{"type":"typing"', b'{"type":"probe"'
RECHECK = b'{"type":"recheck"'  # someone's access may have changed: sockets re-read their session now
MAX_CLIENT_MESSAGE = 1024 * 1024
MAX_SOCKET_FIXES = 600  # a socket carries live fixes; bigger backlogs go to POST /api/driver/gps
RECHECK_S = 300.0  # how often an open socket re-reads its session unless told to sooner (``recheck``)
RECHECK_DEBOUNCE_S = 0.2  # several recheck messages in a row: one read
TYPING_EVERY_S = 1.0  # at most one typing event per socket per second reaches others
RATE_PER_S, RATE_BURST = 20.0, 40.0  # client messages per socket
UNAVAILABLE_RETRY_S = 5  # Retry-After of a socket refused while live updates are unavailable
UNAVAILABLE = "live updates are unavailable right now; poll /api/sync/pull and reconnect later"


# Rows whose change may end or change someone's access, and whose sockets must therefore look again.
_ACCESS_ROWS = {"membership": "contact_id", "contact": "id", "staff_user": "id"}


def revocations(hub: Any, tenant_id: str, changed: list[tuple[str, dict[str, Any]]]) -> None:
    """``Hub`` listener: a ``recheck`` to the person of every changed membership, contact or staff user
    (and to the whole tenant when its portal settings changed), so a revoked person's sockets close
    within a second instead of at the next periodic check."""
    people = {row.get(key) for entity, row in changed if (key := _ACCESS_ROWS.get(entity))}
    channels = sorted(f"c:{p}" for p in people if p)
    if any(entity == "tenant" for entity, _ in changed):
        channels.append(f"t:{tenant_id}")
    if channels:
        hub.publish({"type": "recheck"}, channels)


def channels_of(actor: Actor) -> list[str]:
    """The channels a session listens on (names as in ``server/live/hub.py``)."""
    out = [f"t:{actor.tenant_id}", f"c:{actor.person_id}"]
    if actor.is_staff:
        out.append(f"staff:{actor.tenant_id}")
    elif actor.role == "driver":
        if actor.truck_id:
            out.append(f"truck:{actor.truck_id}")
    else:
        out.extend(f"a:{account_id}" for account_id in sorted(actor.accounts))
    return out


_REFUSING: ContextVar[bool] = ContextVar("haulport_refusing_socket", default=False)


class QuietRefusals(logging.Filter):
    """uvicorn logs "ASGI callable returned without completing handshake" at ERROR when an app turns a
    socket down with an HTTP response (the ASGI ``websocket.http.response`` extension); for the
    refusals below that is intended, not an error (installed on ``uvicorn.error`` by ``routes.startup``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_REFUSING.get() and "without completing handshake" in record.getMessage())


async def refuse_unavailable(socket: WebSocket) -> None:
    """Turn the socket down before the handshake: ``503`` + ``Retry-After`` (browsers then back off).
    An ASGI server without the denial-response extension gets a close instead (uvicorn answers 403)."""
    if "websocket.http.response" not in (socket.scope.get("extensions") or {}):
        await socket.close(code=1013, reason="live_unavailable")
        return
    _REFUSING.set(True)
    body = _encode({"error": {"code": "live_unavailable", "message": UNAVAILABLE, "details": {}}})
    await socket.receive()  # websocket.connect
    await socket.send(
        {
            "type": "websocket.http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(UNAVAILABLE_RETRY_S).encode()),
            ],
        }
    )
    await socket.send({"type": "websocket.http.response.body", "body": body, "more_body": False})


def cross_site_cookie(socket: WebSocket) -> bool:
    """A browser opened this socket from another site, riding on our session cookie."""
    uses_cookie = not query_token(socket) and not socket.headers.get("authorization")
    origin = socket.headers.get("origin")
    return uses_cookie and bool(origin) and urlparse(origin).netloc != socket.headers.get("host", "")


class LiveSession:
    def __init__(self, socket: WebSocket):
        self.socket = socket
        self.state = socket.app.state
        self.actor: Actor = socket.user
        self.claims = socket.auth
        self.probe_id = secrets.token_hex(8)
        self.probed = asyncio.Event()
        self.recheck = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.site_only = {a for a, acc in self.actor.accounts.items() if acc.role == "site"}
        self.last_typing = 0.0
        self.acks: set[asyncio.Task] = set()  # fixes being stored, acknowledged when done
        self.allowance, self.checked_at = RATE_BURST, time.monotonic()

    async def send(self, data: bytes | dict[str, Any]) -> None:
        payload = data if isinstance(data, bytes) else _encode(data)
        async with self.send_lock:
            await self.socket.send_data(payload, mode="text")

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send({"type": "error", "code": code, "message": message, **extra})

    # ---- server → client -------------------------------------------------------------
    def wanted(self, data: bytes) -> bool:
        """Whether a published message is for this socket (channels are coarser than scope)."""
        if data.startswith(GPS):
            if not self.site_only:
                return True
            message = _decode(data)
            return self.actor.may_see_site(message.get("account_id"), message.get("site_id"))
        if data.startswith(TYPING):
            return _decode(data).get("person_id") != self.actor.person_id  # no echo of one's own typing
        if data.startswith(RECHECK):
            self.recheck.set()
            return False
        if data.startswith(PROBE):
            if _decode(data).get("id") == self.probe_id:
                self.probed.set()
            return False
        return True

    async def forward(self, data: bytes) -> None:
        try:
            if self.wanted(data):
                await self.send(data)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the receive loop sees the disconnect and cleans up
        except Exception:
            log.exception("forwarding a live message failed")

    async def wait_subscribed(self, names: list[str]) -> None:
        """Redis SUBSCRIBE completes asynchronously: wait for Redis to confirm this socket's channels (or,
        on a backend without confirmations, for a probe to come back)."""
        confirmed = getattr(self.state.get("live_backend"), "wait_subscribed", None)
        if confirmed is not None:
            if not await confirmed(names, 1.5):
                log.warning("live subscription not confirmed for %s", self.actor.person_id)
            return
        for _ in range(3):
            self.state.hub.publish({"type": "probe", "id": self.probe_id}, [f"c:{self.actor.person_id}"])
            try:
                await asyncio.wait_for(self.probed.wait(), 0.5)
                return
            except TimeoutError:
                continue
        log.warning("live subscription not confirmed for %s", self.actor.person_id)

    # ---- the socket's life -------------------------------------------------------------
    async def run(self) -> None:
        if cross_site_cookie(self.socket):
            await self.socket.close(code=4403, reason="cross-site use of the session cookie")
            return
        backend = self.state.get("live_backend")
        if not getattr(backend, "available", True):  # Redis is unreachable: nothing would reach this socket
            return await refuse_unavailable(self.socket)
        await self.socket.accept()
        channels = self.state.channels
        names = channels_of(self.actor)
        subscriber = await channels.subscribe(names)
        fanout, keys = self.state.gps_fanout, local_keys(names)
        watchdog = asyncio.create_task(self.watch_session())
        outage = asyncio.create_task(self.watch_live(backend))
        try:
            await fanout.join(self.actor.tenant_id, keys, subscriber)  # truck positions come this way
            async with subscriber.run_in_background(self.forward, join=False):
                await self.wait_subscribed(names)
                # Listening first, then reading the latest positions: a fix may arrive twice (clients keep
                # the newest ``at``); one published just before we listened shows with the next fix.
                for message in await self.state.tracker.positions_for(self.actor):
                    await self.send(message)
                await self.send({"type": "ready", "server_time": now_iso(), "role": self.actor.role})
                await self.receive_loop()
        except (WebSocketDisconnect, OSError):  # the client went away (uvicorn's ClientDisconnected is an OSError)
            pass
        finally:
            watchdog.cancel()
            outage.cancel()
            fanout.leave(keys, subscriber)
            await channels.unsubscribe(subscriber, names)

    async def receive_loop(self) -> None:
        while True:
            event = await self.socket.receive()
            if event["type"] == "websocket.disconnect":
                return
            if event["type"] != "websocket.receive":
                continue
            text = event.get("text")
            if text is None:
                await self.error("bad_message", "send JSON text frames")
                continue
            await self.handle_text(text)

    async def handle_text(self, text: str) -> None:
        if len(text) > MAX_CLIENT_MESSAGE:
            return await self.error("too_large", f"messages may be at most {MAX_CLIENT_MESSAGE} bytes")
        if not self.within_rate():
            return await self.error("rate_limited", "too many messages; slow down")
        try:
            message = _decode(text)
        except msgspec.DecodeError:
            return await self.error("bad_json", "that was not JSON")
        kind = message.get("type") if isinstance(message, dict) else None
        handlers = {"ping": self.on_ping, "typing": self.on_typing, "gps": self.on_gps}
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return await self.error("unknown_type", "type must be one of ping, typing, gps")
        try:
            await handler(message)
        except ApiError as exc:
            await self.error(exc.code, exc.message, **({"details": exc.details} if exc.details else {}))
        except DatabaseBusy:
            await self.error("busy", "the database is busy; retry shortly")
        except (WebSocketDisconnect, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("live message %r failed", kind)
            await self.error("internal_error", "something went wrong on our side")

    def within_rate(self) -> bool:
        now = time.monotonic()
        self.allowance = min(RATE_BURST, self.allowance + (now - self.checked_at) * RATE_PER_S)
        self.checked_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True

    # ---- client → server ---------------------------------------------------------------
    async def on_ping(self, _message: dict[str, Any]) -> None:
        await self.send({"type": "pong", "server_time": now_iso()})

    async def on_typing(self, message: dict[str, Any]) -> None:
        actor = self.actor
        if actor.read_only:
            raise ApiError(403, "read_only", "a read-only view cannot type in the customer's chat")
        if actor.role == "driver":
            raise ApiError(403, "forbidden", "drivers have no account chat")
        account_id = message.get("account_id")
        if account_id is None and not actor.is_staff and len(actor.accounts) == 1:
            account_id = next(iter(actor.accounts))
        if not isinstance(account_id, str) or actor.access(account_id) is None:
            raise ApiError(422, "bad_account", "say which of your accounts' chat you are typing in (account_id)")
        now = time.monotonic()
        if now - self.last_typing < TYPING_EVERY_S:
            return  # typing indicators are refreshed every few seconds; extra ones say nothing new
        self.last_typing = now
        who = actor.name if not actor.is_staff else actor.name.split(" ")[0]
        self.state.hub.publish(
            {
                "type": "typing",
                "account_id": account_id,
                "who": who,
                "person_id": actor.person_id,
                "staff": actor.is_staff,
            },
            [f"a:{account_id}", f"staff:{actor.tenant_id}"],
        )

    async def on_gps(self, message: dict[str, Any]) -> None:
        if self.actor.role != "driver":
            raise ApiError(403, "forbidden", "only drivers send positions")
        fixes = message.get("fixes")
        if not isinstance(fixes, list) or not fixes:
            raise ApiError(422, "bad_fix", "fixes must be a non-empty list")
        if len(fixes) > MAX_SOCKET_FIXES:
            raise ApiError(
                422, "too_many_fixes", f"send backlogs over {MAX_SOCKET_FIXES} fixes to POST /api/driver/gps"
            )
        result, stored = await self.state.tracker.record(self.actor, fixes)
        if result["rejected"]:
            first = result["rejected"][0]
            await self.error(first["code"], first["message"], details={"rejected": result["rejected"]})
        # The ack (once stored) lets the phone drop the fixes from its offline buffer. It is sent from
        # a task so that a slow database write never holds up the next fix's broadcast.
        task = asyncio.create_task(self.ack_when_stored(stored, result, message.get("ref")))
        self.acks.add(task)
        task.add_done_callback(self.acks.discard)

    async def ack_when_stored(self, stored: asyncio.Future | None, result: dict[str, Any], ref: Any) -> None:
        try:
            try:
                if stored is not None:
                    await stored
            except DatabaseBusy:
                return await self.error("busy", "the fixes were not stored; send them again", ref=ref)
            except Exception:
                log.exception("storing live fixes failed")
                return await self.error("internal_error", "the fixes were not stored; send them again", ref=ref)
            await self.send(
                {"type": "gps_ack", "stored": result["stored"], "broadcast": result["broadcast"], "ref": ref}
            )
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass  # gone: the phone keeps the fixes and sends them again

    async def watch_live(self, backend: Any) -> None:
        """When live delivery stops (Redis unreachable), close with 1013: the client polls meanwhile."""
        wait_lost = getattr(backend, "wait_lost", None)
        if wait_lost is None:
            return  # in-process channels: always available
        await wait_lost()
        try:
            await self.error("live_unavailable", UNAVAILABLE)
            await self.socket.close(code=1013, reason="live_unavailable")
        except Exception:  # already gone: the receive loop ends the session
            log.debug("closing a socket after losing Redis failed", exc_info=True)

    async def watch_session(self) -> None:
        """Close the socket when its session expires or its access changes; the client logs in / reconnects.
        Re-read every ``RECHECK_S`` and at once on a ``recheck`` message (``revocations`` sends those)."""
        try:
            while True:
                left = self.claims.exp - time.time()
                if left <= 0:
                    return await self.socket.close(code=4401, reason="session expired")
                try:
                    await asyncio.wait_for(self.recheck.wait(), min(RECHECK_S, left))
                    await asyncio.sleep(RECHECK_DEBOUNCE_S)
                except TimeoutError:
                    pass
                self.recheck.clear()
                if self.claims.exp - time.time() <= 0:
                    continue
                try:
                    async with self.state.db.read() as conn:
                        actor, tenant = await load_actor(conn, self.claims)
                except Revoked:
                    return await self.socket.close(code=4401, reason="session revoked")
                except DatabaseBusy:
                    continue
                if actor.role in PORTAL_ROLES and not tenant["portal_enabled"]:
                    return await self.socket.close(code=4403, reason="portal_disabled")
                if channels_of(actor) != channels_of(self.actor) or actor.accounts != self.actor.accounts:
                    return await self.socket.close(code=4409, reason="scope changed; reconnect")
        except asyncio.CancelledError:
            raise
        except Exception:  # a closed socket or a failed read: the receive loop ends the session
            log.debug("session watch ended", exc_info=True)
