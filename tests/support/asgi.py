"""An app served in the test's own event loop through httpx's ASGI transport, so requests gathered
together really run at the same time (Litestar's test client hands each one to its portal thread
in turn)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from server.app import create_app


@asynccontextmanager
async def concurrent_client(settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local", timeout=60) as http:
            http.app = app  # type: ignore[attr-defined]  # for tests that look at the app's state
            yield http
