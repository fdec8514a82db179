"""Build the Litestar app from settings, and nothing else."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from litestar import Litestar, Request, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.response import File
from litestar.static_files import create_static_files_router
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from server.admin.routes import ROUTES as ADMIN_ROUTES
from server.auth.guards import middleware_factory
from server.auth.ratelimit import RateLimiter
from server.auth.routes import ROUTES as AUTH_ROUTES
from server.db.engine import Database
from server.errors import EXCEPTION_HANDLERS, ApiError
from server.live.hub import Hub
from server.notify.delivery import Messenger
from server.notify.events import EventMailer
from server.sync_api.routes import ROUTES as SYNC_ROUTES
from sync.mutators.registry import load_all as load_mutators
from server.settings import Settings

log = logging.getLogger("haulport")


def _spa_routes(static_dir: Path) -> list:
    index = static_dir / "index.html"

    @get(["/t/{tenant:str}", "/t/{tenant:str}/{rest:path}"], opt={"public": True}, include_in_schema=False)
    async def spa(tenant: str, rest: str = "") -> File:
        if not index.exists():
            raise ApiError(404, "pwa_not_built", "the portal app is not built: run ./scripts/dev.sh")
        return File(index, content_disposition_type="inline", media_type="text/html")

    routes: list = [spa]
    if static_dir.is_dir():
        routes.append(create_static_files_router(path="/", directories=[static_dir], html_mode=True,
                                                 opt={"public": True}, include_in_schema=False, name="pwa"))
    return routes


def _channels_backend(settings: Settings):
    if settings.redis_url:
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url))
    return MemoryChannelsBackend()


def create_app(settings: Settings) -> Litestar:
    """The Haulport server for ``settings``."""
    load_mutators()
    db = Database(settings.database_url)
    store = RedisStore.with_client(url=settings.redis_url) if settings.redis_url else MemoryStore()
    messenger = Messenger(settings, db)
    mailer = EventMailer(db, messenger, settings.public_url)
    channels = ChannelsPlugin(backend=_channels_backend(settings), arbitrary_channels_allowed=True,
                              subscriber_max_backlog=256, subscriber_backlog_strategy="dropleft")
    hub = Hub(channels, mailer)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start()
        try:
            yield
        finally:
            await mailer.drain(timeout=2)
            await db.close()

    state = State({"settings": settings, "db": db, "messenger": messenger, "hub": hub, "mailer": mailer,
                   "rate_limiter": RateLimiter(store, settings.magic_link_window_s)})
    return Litestar(
        route_handlers=[*AUTH_ROUTES, *SYNC_ROUTES, *ADMIN_ROUTES, *_spa_routes(Path(settings.static_dir))],
        plugins=[channels],
        state=state,
        lifespan=[lifespan],
        middleware=[middleware_factory],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=OpenAPIConfig(title="Haulport", version="0.1.0", path="/schema"),
        request_max_body_size=settings.upload_max_bytes + 65536,
        debug=False,
    )


def app_from_environment() -> Litestar:
    """Factory for ``uvicorn --factory`` (several worker processes)."""
    from server.settings import load_settings

    return create_app(load_settings())
