"""``GET /api/live`` (the live socket) and ``POST /api/driver/gps`` (fixes buffered offline).

See PROTOCOL.md "Live channel". The socket's behaviour lives in ``session.py``, GPS in
``gps.py`` (checks), ``tracker.py`` (storing, publishing) and ``fanout.py`` (delivery to this
process's sockets); this module wires them into the app and prunes old fixes hourly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import msgspec
from litestar import Request, WebSocket, post, websocket
from litestar.datastructures import State

from server.auth import guards
from server.errors import error_responses
from server.live.fanout import GpsFanout
from server.live.session import LiveSession, QuietRefusals, revocations
from server.live.tracker import Tracker

log = logging.getLogger("haulport.live")
PRUNE_EVERY_S = 3600.0


class FixUpload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fixes the driver's phone buffered while offline; each is checked on its own."""

    fixes: list[Any]


class FixUploadResult(msgspec.Struct, kw_only=True):
    stored: int  # fixes accepted (a re-sent fix is accepted again but stored once)
    broadcast: bool  # whether the newest became the truck's live position
    rejected: list[dict[str, Any]]  # [{"index", "code", "message"}] for fixes that were refused


@websocket("/api/live", guards=[guards.anyone_signed_in])
async def live(socket: WebSocket) -> None:
    """Live events of the session's scope: pokes, truck positions, typing, read receipts."""
    await LiveSession(socket).run()


@post("/api/driver/gps", guards=[guards.driver], status_code=200, responses=error_responses(409, 422))
async def upload_fixes(request: Request, data: FixUpload) -> FixUploadResult:
    """Store the driver's buffered fixes (history and ETA); only the newest, if newest, goes live.

    A batch with some bad fixes stores the good ones and lists the others under ``rejected``;
    a batch with only bad fixes answers 422 with the first one's code (``bad_fix``,
    ``future_fix``, ``stale_fix``, ``wrong_truck``). No truck assigned: 409 ``no_truck``.
    """
    result, stored = await request.app.state.tracker.record(request.user, data.fixes)
    if stored is not None:
        await stored  # answered once they are in the database: the phone may then forget them
    return FixUploadResult(**result)


async def _prune_forever(tracker: Tracker) -> None:
    while True:
        try:
            await tracker.prune()
        except Exception:  # a busy database now is fine: there is always the next hour
            log.warning("pruning old GPS fixes failed", exc_info=True)
        await asyncio.sleep(PRUNE_EVERY_S)


async def startup(state: State) -> None:
    # Open the Redis pub/sub connection before any socket subscribes: redis-py's PubSub.connect()
    # races when many first SUBSCRIBEs arrive at once (each may open its own connection, and the
    # subscriptions on the one it then forgets are never read). A process-wide channel keeps it open.
    state.live_anchor = await state.channels.subscribe([f"process:{uuid.uuid4()}"])
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietRefusals) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(QuietRefusals())
    state.gps_fanout = GpsFanout(state.channels, local_only=not state.settings.redis_url)
    state.tracker = tracker = Tracker(state.db, state.gps_fanout)
    state.hub.listeners.append(tracker.on_commit)
    hub = state.hub

    async def recheck_access(tenant_id: str, changed: list) -> None:
        revocations(hub, tenant_id, changed)

    state.hub.listeners.append(recheck_access)
    state.gps_pruner = asyncio.create_task(_prune_forever(tracker))


async def shutdown(state: State) -> None:
    task = state.get("gps_pruner")
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    fanout = state.get("gps_fanout")
    if fanout is not None:
        await fanout.close()


ROUTES = [live, upload_fixes]
