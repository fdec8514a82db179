"""A real server (uvicorn, in the test's event loop) for tests that need the live socket."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import websockets

from server.app import create_app
from tests.support.portal import login


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server(settings) -> AsyncIterator[tuple[str, Any]]:
    """(base URL, app) of a uvicorn server on a free loopback port."""
    app = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    srv.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # leave pytest's handlers alone
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def http(server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server[0], timeout=10) as client:
        yield client


class Live:
    """A live socket as a client sees it: JSON messages in, JSON messages out."""

    def __init__(self, ws):
        self.ws = ws

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def next(self, timeout: float = 5.0, type: str | None = None, **match: Any) -> dict:
        """The next message (of ``type``, with fields equal to ``match``), skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {type or 'message'} {match or ''} within {timeout} s")
            try:
                message = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            except TimeoutError:
                continue
            if (type is None or message.get("type") == type) and all(message.get(k) == v for k, v in match.items()):
                return message

    async def none(self, within: float = 0.5, type: str | None = None, **match: Any) -> None:
        """Assert that no such message arrives within ``within`` seconds."""
        try:
            message = await self.next(within, type, **match)
        except AssertionError:
            return
        raise AssertionError(f"unexpected message: {message}")


@asynccontextmanager
async def live_socket(base_url: str, token: str, wait_ready: bool = True) -> AsyncIterator[Live]:
    url = base_url.replace("http://", "ws://") + f"/api/live?token={token}"
    async with websockets.connect(url, open_timeout=5) as ws:
        live = Live(ws)
        if wait_ready:
            live.initial = []  # type: ignore[attr-defined]
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if message["type"] == "ready":
                    break
                live.initial.append(message)  # type: ignore[attr-defined]
        yield live


async def session_token(http: httpx.AsyncClient, email: str, tenant: str = "demo") -> str:
    headers = await login(http, email, tenant)
    return headers["Authorization"].removeprefix("Bearer ")
