"""Build the Litestar app from settings, and nothing else.

Each area of the server (``server/<area>/routes.py``) exposes ``ROUTES`` and may expose
``async def startup(state)`` / ``async def shutdown(state)``, run in the app's lifespan.
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.response import File
from litestar.static_files import create_static_files_router
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from server.auth.actor import ActorCache
from server.auth.guards import guards_without_copies, middleware_factory
from server.auth.ratelimit import RateLimiter
from server.db.engine import Database
from server.effects.dispatcher import EffectDispatcher
from server.errors import EXCEPTION_HANDLERS, ApiError
from server.headers import security_headers_factory
from server.live.hub import Hub
from server.live.redis_channels import ResilientRedisChannels, redis_client
from server.notify.delivery import Messenger
from server.notify.events import EventMailer
from server.notify.webpush import WebPush
from server.openapi import DocumentedAsPlugin, StrictStructSchemaPlugin, document_errors, strict_json_body
from server.settings import Settings, check_for_serving
from sync.mutators.registry import load_all as load_mutators

log = logging.getLogger("haulport")
AREAS = ("auth", "sync_api", "admin", "live", "billing", "documents", "notify", "integrations", "dataio")


def _spa_routes(static_dir: Path) -> list:
    index = static_dir / "index.html"

    def page() -> File:
        if not index.exists():
            raise ApiError(404, "pwa_not_built", "the portal app is not built: run ./scripts/dev.sh")
        return File(index, content_disposition_type="inline", media_type="text/html")

    @get("/t/{tenant:str}", opt={"public": True}, include_in_schema=False)
    async def spa_root(tenant: FromPath[str]) -> File:
        return page()

    @get("/t/{tenant:str}/{rest:path}", opt={"public": True}, include_in_schema=False)
    async def spa(tenant: FromPath[str], rest: FromPath[str]) -> File:
        return page()

    routes: list = [spa_root, spa]
    if static_dir.is_dir():
        routes.append(
            create_static_files_router(
                path="/",
                directories=[static_dir],
                html_mode=True,
                opt={"public": True},
                include_in_schema=False,
                name="pwa",
            )
        )
    return routes


def _channels_backend(settings: Settings):
    if settings.redis_url:
        # Not Litestar's RedisChannelsPubSubBackend: one Redis error would stop live updates for good.
        return ResilientRedisChannels.from_url(settings.redis_url, prefix=settings.redis_prefix)
    return MemoryChannelsBackend()


def _settle_collector() -> None:
    """What startup built (modules, routes, schemas) lives as long as the process: move it out of the
    garbage collector's view, and collect the young generation less often. Otherwise every full pass
    walks all of it while no request runs: 150-600 ms pauses under 200 pullers in a closed loop
    (scripts/bench/sustained.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def create_app(settings: Settings) -> Litestar:
    """The Haulport server for ``settings``."""
    check_for_serving(settings)
    load_mutators()
    areas = [importlib.import_module(f"server.{name}.routes") for name in AREAS]
    db = Database(settings.database_url)
    store = (
        RedisStore(redis_client(settings.redis_url), namespace=settings.redis_prefix, handle_client_shutdown=True)
        if settings.redis_url
        else MemoryStore()
    )
    messenger = Messenger(settings, db)
    mailer = EventMailer(db, messenger, settings.public_url)
    live_backend = _channels_backend(settings)
    channels = ChannelsPlugin(
        backend=live_backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=256,
        subscriber_backlog_strategy="dropleft",
    )
    state = State(
        {
            "settings": settings,
            "db": db,
            "messenger": messenger,
            "mailer": mailer,
            "hub": Hub(channels),
            "webpush": WebPush(settings, db),
            "channels": channels,
            "live_backend": live_backend,
            "rate_limiter": RateLimiter(store, settings.magic_link_window_s),
            "actors": ActorCache(),
        }
    )
    effects = state.effects = EffectDispatcher(state, lease_s=settings.effect_lease_s)
    effects.handle("notify", mailer.deliver)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start()
        started = []
        try:
            for area in areas:
                if hasattr(area, "startup"):
                    await area.startup(app.state)
                started.append(area)
            effects.start()
            _settle_collector()
            yield
        finally:
            await effects.stop()
            for area in reversed(started):
                if hasattr(area, "shutdown"):
                    await area.shutdown(app.state)
            await mailer.drain(timeout=2)
            await db.close()

    guards_without_copies()
    return Litestar(
        route_handlers=[
            *document_errors(r for area in areas for r in area.ROUTES),
            *_spa_routes(Path(settings.static_dir)),
        ],
        state=state,
        plugins=[channels, DocumentedAsPlugin(), StrictStructSchemaPlugin()],
        lifespan=[lifespan],
        middleware=[security_headers_factory(settings), middleware_factory],
        before_request=strict_json_body,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Haulport", version="0.1.0", path="/schema"),
        request_max_body_size=settings.upload_max_bytes + 65536,
        debug=False,
    )


def app_from_environment() -> Litestar:
    """Factory for ``uvicorn --factory`` (several worker processes)."""
    from server.settings import load_settings

    return create_app(load_settings())


def served_app():
    """Factory for ``haulport serve`` (granian): the app behind uvicorn's proxy-headers middleware, so a
    reverse proxy on the same host (127.0.0.1) passes the client's address through ``X-Forwarded-For``
    as uvicorn itself does (per-IP rate limits count the client, not the proxy)."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    # (Litestar's and uvicorn's ASGI type declarations differ in detail; both are plain ASGI 3 apps)
    app: Any = app_from_environment()
    return ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")
