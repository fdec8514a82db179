"""A restartable server reached through a transport that can misbehave, and Python clients logged in to it."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import httpx
import msgspec
from litestar.testing import AsyncTestClient
from litestar.testing.transport import TestClientTransport

from server.app import create_app
from server.settings import Settings
from sync.actor import Actor
from sync.client import Backoff, Replica, SyncClient

BASE_URL = "http://testserver.local"
USE_PG = os.environ.get("HAULPORT_TEST_DATABASE") == "postgres"


async def no_sleep(_seconds: float) -> None:
    """Backoff without waiting, so retries are instant in tests."""


class FaultyTransport(httpx.AsyncBaseTransport):
    """Sends requests to whichever app instance is current; ``faults`` misbehave on the next pushes.

    Faults: ``offline`` (never reaches the server), ``drop`` (the server applies, the reply is lost),
    ``duplicate`` (the request arrives twice), ``replay`` (an old push arrives late, before this one),
    ``truncate`` (the first mutation goes missing: a gap), ``shuffle`` (mutations out of order),
    ``busy`` (503 with Retry-After). ``offline = True`` fails every request.
    """

    def __init__(self, server: Server, seed: int = 0):
        self.server = server
        self.faults: list[str] = []
        self.sent_pushes: list[tuple[httpx.Headers, bytes]] = []
        self.random = random.Random(seed)
        self.requests = 0
        self.offline = False  # every request fails, as with no network at all

    async def _forward(self, request: httpx.Request, content: bytes | None = None) -> httpx.Response:
        if content is not None:
            request = httpx.Request(request.method, request.url, headers=request.headers, content=content)
        response = await self.server.transport.handle_async_request(request)
        await response.aread()
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.offline:
            raise httpx.ConnectError("no network", request=request)
        body = await request.aread()
        is_push = request.url.path == "/api/sync/push"
        fault = self.faults.pop(0) if is_push and self.faults else None
        if fault == "offline":
            raise httpx.ConnectError("no network", request=request)
        if fault == "busy":
            return httpx.Response(
                503, headers={"Retry-After": "2"}, json={"error": {"code": "busy", "message": "the database is busy"}}
            )
        if fault == "replay" and self.sent_pushes:
            headers, old = self.random.choice(self.sent_pushes)
            await self._forward(httpx.Request("POST", request.url, headers=headers), old)
        if is_push:
            self.sent_pushes.append((request.headers, body))
        if fault == "shuffle":
            payload = msgspec.json.decode(body)
            self.random.shuffle(payload["mutations"])
            body = msgspec.json.encode(payload)
        if fault == "truncate":
            payload = msgspec.json.decode(body)
            if len(payload["mutations"]) > 1:
                payload["mutations"] = payload["mutations"][1:]
                return await self._forward(request, msgspec.json.encode(payload))
        response = await self._forward(request, body)
        if fault == "duplicate":
            response = await self._forward(request, body)
        if fault == "drop":
            raise httpx.ReadTimeout("the reply was lost", request=request)
        return response


class Server:
    """The app on one database; ``restart`` replaces it with a new app instance on the same database."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.test_client: AsyncTestClient | None = None
        self.transport: TestClientTransport | None = None
        self.transports: dict[int, FaultyTransport] = {}
        self.starts = 0

    async def start(self) -> None:
        self.test_client = AsyncTestClient(app=create_app(self.settings), base_url=BASE_URL)
        await self.test_client.__aenter__()
        self.transport = TestClientTransport(client=self.test_client, raise_server_exceptions=False)
        self.starts += 1

    async def stop(self) -> None:
        if self.test_client is not None:
            await self.test_client.__aexit__(None, None, None)
            self.test_client = self.transport = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def connect(
        self,
        email: str,
        path: Path | str,
        tenant: str = "demo",
        attempts: int = 3,
        sessions: dict[str, tuple[str, Actor]] | None = None,
    ) -> SyncClient:
        """A Python client with its own replica file, logged in as ``email`` (link picked from the dev outbox).

        ``sessions`` caches sessions by email: a session stays valid on a copy of the same seeded database.
        """
        faulty = FaultyTransport(self, seed=len(self.transports))
        client = SyncClient(
            Replica(path), BASE_URL, transport=faulty, sleep=no_sleep, backoff=Backoff(attempts=attempts)
        )
        self.transports[id(client)] = faulty
        if sessions is not None and (tenant, email) in sessions:
            client.replica.sign_in(BASE_URL, *sessions[(tenant, email)])
            return client
        actor = await client.login_with_email(email, tenant)
        if sessions is not None:
            sessions[(tenant, email)] = (client.replica.session_token, actor)
        return client

    def network(self, client: SyncClient) -> FaultyTransport:
        """The transport of one client, to switch it offline or make its next pushes misbehave."""
        return self.transports[id(client)]

    async def staff(self, email: str = "office@demo.example") -> dict[str, str]:
        """Authorization headers of a staff session, for office API calls."""
        client = await self.connect(email, ":memory:")
        token = client.replica.session_token
        await client.aclose()
        return {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """A plain request to the current app (no faults); returns the decoded JSON."""
        response = await self.test_client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()
