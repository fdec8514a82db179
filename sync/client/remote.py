"""Talking to the server over HTTP (httpx): log in, push the queue, pull changes, with retries.

Network errors, ``5xx`` and ``429`` answers are retried with exponential backoff and full jitter
(honouring ``Retry-After``). A push that timed out may still have been applied by the server;
that is safe, because the server skips mutation ids it has already consumed and the client only
forgets a queued mutation once the server's ``last_mutation_id`` covers it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import msgspec

from sync.actor import AccountAccess, Actor
from sync.client.replica import Replica, decode_page
from sync.entities import SCHEMA_VERSION

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PUSH_BATCH = 50


class SyncError(Exception):
    """The server refused, or could not be reached; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Offline(SyncError):
    """The server could not be reached (or kept failing) after every retry."""


@dataclass
class Backoff:
    """Exponential backoff with full jitter: attempt n waits up to ``base × 2ⁿ`` seconds (at most ``cap``)."""

    attempts: int = 6
    base: float = 0.25
    cap: float = 30.0
    rng: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        wait = self.rng() * min(self.cap, self.base * 2**attempt)
        return max(wait, min(retry_after, self.cap)) if retry_after is not None else wait


RECONNECT_BASE_S = 0.25
RECONNECT_CAP_S = 5.0  # while an outage is young (a restart, a deploy): back within seconds
RECONNECT_LONG_CAP_S = 30.0  # once it has lasted a minute: knock less often
RECONNECT_LONG_AFTER_S = 60.0


def reconnect_delay(attempt: int, down_for: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds a live socket waits before reconnect attempt ``attempt`` (0-based) after being down for
    ``down_for`` seconds: full jitter over ``0.25 s × 2ⁿ``, at most 5 s in an outage's first minute and
    30 s after. A restarted server's sockets (all dropped at the same instant) thus come back spread
    over a few seconds instead of all at once, and a long outage is not hammered. The PWA uses the same
    schedule (client_pwa/src/data/live.ts ``reconnectDelay``)."""
    cap = RECONNECT_CAP_S if down_for < RECONNECT_LONG_AFTER_S else RECONNECT_LONG_CAP_S
    return rng() * min(cap, RECONNECT_BASE_S * 2 ** min(attempt, 16))


@dataclass
class PushReport:
    sent: int = 0
    applied: int = 0
    skipped: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {id, name, code, message}
    last_mutation_id: int = 0


@dataclass
class PullReport:
    pages: int = 0
    changes: int = 0
    reset: bool = False
    last_mutation_id: int = 0


def actor_from_me(me: dict[str, Any]) -> Actor:
    """The session's ``Actor`` from ``GET /api/auth/me``, for the optimistic replay."""
    accounts = {
        a["id"]: AccountAccess(
            role=a["role"],
            site_ids=tuple(a.get("site_ids") or ()),
            primary=bool(a.get("primary")),
            name=a.get("name", ""),
            kind=a.get("kind", ""),
        )
        for a in me.get("accounts", [])
    }
    person = me["contact"]
    return Actor(
        tenant_id=me["tenant"]["id"],
        tenant_slug=me["tenant"]["slug"],
        person_kind=person["kind"],
        person_id=person["id"],
        name=person["name"],
        role=me["role"],
        accounts=accounts,
        read_only=bool(me.get("read_only")),
        truck_id=me.get("truck_id"),
    )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def _error_of(response: httpx.Response) -> SyncError:
    try:
        error = response.json()["error"]
        return SyncError(error["code"], error["message"], response.status_code)
    except (ValueError, KeyError, TypeError):
        return SyncError("http_error", f"the server answered {response.status_code}", response.status_code)


class SyncClient:
    """Keeps a ``Replica`` in sync with a Haulport server."""

    def __init__(
        self,
        replica: Replica,
        base_url: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        timeout: float = 30.0,
        batch_size: int = PUSH_BATCH,
        page_limit: int | None = None,
    ):
        self.replica = replica
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.batch_size = batch_size
        self.page_limit = page_limit
        url = base_url or replica.base_url or "http://127.0.0.1:8000"
        self.http = httpx.AsyncClient(base_url=url, transport=transport, timeout=timeout)
        self._lock = asyncio.Lock()  # one push or pull at a time per replica

    async def __aenter__(self) -> SyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _request(self, method: str, path: str, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """One request, retried on network errors and 5xx/429; raises ``Offline`` or ``SyncError``."""
        headers = kwargs.pop("headers", {})
        if auth and self.replica.session_token:
            headers["Authorization"] = f"Bearer {self.replica.session_token}"
        last_error = "no attempt made"
        for attempt in range(self.backoff.attempts):
            retry_after = None
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise _error_of(response)
                last_error = f"the server answered {response.status_code}"
                retry_after = _retry_after(response)
            if attempt + 1 < self.backoff.attempts:
                await self.sleep(self.backoff.delay(attempt, retry_after))
        raise Offline("offline", f"could not reach the server ({last_error}); everything queued is kept")

    # --- login ----------------------------------------------------------------------

    async def login_with_link_token(self, token: str) -> Actor:
        """Exchange a login link's token for a session and remember who it is."""
        response = await self._request("POST", "/api/auth/session", auth=False, json={"token": token})
        self.http.cookies.clear()  # the client authenticates by header, never by cookie
        return await self.use_session(response.json()["session_token"])

    async def use_session(self, session_token: str) -> Actor:
        """Adopt a session token obtained elsewhere (the office's read-only view, an integration)."""
        me = (
            await self._request("GET", "/api/auth/me", auth=False, headers={"Authorization": f"Bearer {session_token}"})
        ).json()
        actor = actor_from_me(me)
        self.replica.sign_in(str(self.http.base_url), session_token, actor)
        return actor

    async def login_with_email(self, email: str, tenant: str) -> Actor:
        """Dev mode: ask for a login link and pick it up from the server's dev outbox."""
        await self._request("POST", "/api/auth/magic-link", auth=False, json={"tenant": tenant, "email": email})
        outbox = (await self._request("GET", "/api/dev/outbox", auth=False, params={"to": email})).json()
        tokens = [parse_qs(urlparse(m.get("link") or "").query).get("token") for m in outbox.get("messages", [])]
        tokens = [t[0] for t in tokens if t]  # newest first; other messages (job updates) carry no token
        if not tokens:
            raise SyncError("no_link", f"no login link was sent to {email} (is the server in dev mode?)")
        return await self.login_with_link_token(tokens[0])

    async def refresh_actor(self) -> Actor:
        """Re-read who the session is (accounts, sites) for the optimistic replay."""
        actor = actor_from_me((await self._request("GET", "/api/auth/me")).json())
        self.replica.sign_in(str(self.http.base_url), self.replica.session_token or "", actor)
        return actor

    # --- sync -----------------------------------------------------------------------

    async def push(self) -> PushReport:
        """Send every queued mutation in batches; forget those the server's ``last_mutation_id`` covers."""
        report = PushReport(last_mutation_id=self.replica.last_mutation_id)
        async with self._lock:
            stalled = 0
            while batch := self.replica.pending(limit=self.batch_size):
                body = {
                    "client_id": self.replica.client_id,
                    "schema_version": SCHEMA_VERSION,
                    "mutations": [msgspec.to_builtins(m) for m in batch],
                }
                answer = (await self._request("POST", "/api/sync/push", json=body)).json()
                last = answer["last_mutation_id"]
                names = {m.id: m.name for m in batch}
                for result in answer["results"]:
                    if result["status"] == "applied":
                        report.applied += 1
                    elif result["status"] == "skipped":
                        report.skipped += 1
                    else:
                        report.rejected.append(
                            {"id": result["id"], "name": names.get(result["id"], ""), **result.get("error", {})}
                        )
                dropped = self.replica.drop_confirmed(last)
                report.sent += dropped
                report.last_mutation_id = max(report.last_mutation_id, last)
                waiting = self.replica.pending(limit=1)
                if answer.get("stopped_at_gap") and waiting and waiting[0].id > last + 1:
                    raise SyncError(
                        "mutation_gap",
                        f"the server has applied mutations up to #{last} only, but the "
                        f"next queued one is #{waiting[0].id}; they are kept, not sent",
                    )
                stalled = 0 if dropped else stalled + 1
                if stalled >= 3:
                    raise SyncError("push_stalled", "the server keeps refusing to advance; queued mutations are kept")
        return report

    async def pull(self) -> PullReport:
        """Fetch changes since the cursor, following ``more`` to the end."""
        report = PullReport()
        async with self._lock:
            restarts = 0
            while True:
                params: dict[str, Any] = {"client_id": self.replica.client_id}
                if self.replica.cursor:
                    params["cursor"] = self.replica.cursor
                if self.page_limit:
                    params["limit"] = self.page_limit
                page = decode_page((await self._request("GET", "/api/sync/pull", params=params)).content)
                if not self.replica.apply_pull(page):
                    restarts += 1  # a new schema: the replica was dropped, start again
                    if restarts > 2:
                        raise SyncError("schema_unstable", "the server's schema keeps changing; try again later")
                    continue
                report.pages += 1
                report.changes += len(page.changes)
                report.reset = report.reset or page.reset
                report.last_mutation_id = page.last_mutation_id
                if not page.more:
                    return report

    async def sync(self) -> tuple[PushReport, PullReport]:
        """Push the queue, then pull what changed (including the push's own effects)."""
        pushed = await self.push()
        pulled = await self.pull()
        return pushed, pulled

    async def listen(
        self,
        stop: asyncio.Event,
        on_event: Callable[[dict[str, Any]], Awaitable[Any] | None] | None = None,
        rng: Callable[[], float] = random.random,
    ) -> int:
        """Keep the live socket (``/api/live``) open until ``stop`` is set: pull when it opens (anything
        may have changed while it was closed) and on every ``poke``; hand every event to ``on_event``.
        A dropped socket is opened again after ``reconnect_delay``; a session the server ended (4401)
        stops listening. Returns how many times the socket opened."""
        import websockets

        url = str(self.http.base_url).rstrip("/").replace("http", "ws", 1) + "/api/live"
        opened, attempt, down_since = 0, 0, None
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            token = self.replica.session_token
            if not token:
                raise SyncError("not_logged_in", "log in before listening for live updates")
            try:
                async with websockets.connect(
                    f"{url}?token={token}", open_timeout=10, max_size=2**22, ping_interval=25
                ) as socket:
                    opened, attempt, down_since = opened + 1, 0, None
                    await self._listen_on(socket, stop, on_event)
            except websockets.exceptions.ConnectionClosed as closed:
                if closed.rcvd is not None and closed.rcvd.code == 4401:
                    raise SyncError("session_ended", "the session expired or was revoked; log in again") from None
            except (OSError, TimeoutError, websockets.exceptions.InvalidHandshake, Offline):
                pass  # the server is away: try again later
            if stop.is_set():
                break
            down_since = down_since if down_since is not None else loop.time()
            delay = reconnect_delay(attempt, loop.time() - down_since, rng)
            attempt += 1
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
        return opened

    async def _listen_on(self, socket: Any, stop: asyncio.Event, on_event: Any) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await self.pull()
            while True:
                receiving = asyncio.ensure_future(socket.recv())
                done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    receiving.cancel()
                    return
                event = msgspec.json.decode(receiving.result())
                if isinstance(event, dict) and event.get("type") == "poke":
                    await self.pull()
                if on_event is not None:
                    result = on_event(event)
                    if asyncio.iscoroutine(result):
                        await result
        finally:
            stopping.cancel()
