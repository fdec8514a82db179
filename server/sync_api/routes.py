"""``/api/sync/push``, ``/api/sync/pull`` and ``/api/uploads`` (photos for ``job.add_photo``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, Parameter, QueryParameter

from server.auth import guards
from server.db.engine import Conn
from server.db.store import new_id, now_iso
from server.errors import ApiError, error_responses, not_found
from server.sync_api.pull import serve_pull
from server.sync_api.push import apply_push
from sync.entities import END
from sync.messages import PullResponse, PushRequest, PushResponse

ID_PATTERN = r"^[A-Za-z0-9_-]+" + END
ClientIdParam = Annotated[str, Parameter(min_length=8, max_length=64, pattern=ID_PATTERN)]
UploadIdParam = Annotated[str, Parameter(min_length=8, max_length=64, pattern=ID_PATTERN)]
UPLOAD_ID_QUERY = QueryParameter(
    name="id",
    min_length=8,
    max_length=64,
    pattern=ID_PATTERN,
    description="a client-made id (a UUID): retrying with it is the same upload",
)
IMAGE_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8 (see _sniff): RIFF alone is also WAV or AVI
    "image/gif": (b"GIF87a", b"GIF89a"),
}


@post("/api/sync/push", status_code=200, guards=[guards.anyone_signed_in], responses=error_responses(409))
async def push(request: Request, data: PushRequest) -> PushResponse:
    """Apply queued mutations in id order; each result is applied, rejected (consumed) or skipped."""
    state = request.app.state
    response, outcome = await apply_push(state.db, request.user, guards.tenant_of(request), data)
    await state.effects.after_commit(
        request.user.tenant_id, outcome.changed, outcome.effects, outcome.effect_ids, outcome.left
    )
    return response


# A pull's query as clients send it: the three parameters, each at most once, in plain characters (nothing
# percent-encoded). Such a query is served by `serve_plain_pull`; any other goes through the declared
# handler below, which validates it and answers what is wrong.
_PLAIN_QUERY = re.compile(rb"[A-Za-z0-9._~=&-]{0,400}")
_PLAIN_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_PLAIN_LIMIT = re.compile(r"[1-9][0-9]{0,4}")
_JSON_HEADERS = ((b"content-type", b"application/json"),)
_encode = msgspec.json.Encoder().encode


def _plain_query(raw: bytes) -> tuple[str, str | None, int | None] | None:
    """(client_id, cursor, limit) of a plain pull query that the declared handler would accept as is."""
    if not _PLAIN_QUERY.fullmatch(raw):
        return None
    found: dict[str, str] = {}
    for pair in raw.decode("ascii").split("&"):
        key, eq, value = pair.partition("=")
        if not eq or key in found or key not in ("client_id", "cursor", "limit") or not value:
            return None
        found[key] = value
    client_id, cursor, limit = found.get("client_id"), found.get("cursor"), found.get("limit")
    if client_id is None or not _PLAIN_CLIENT_ID.fullmatch(client_id):
        return None
    if limit is not None and not (_PLAIN_LIMIT.fullmatch(limit) and int(limit) <= 50000):
        return None
    return client_id, cursor, None if limit is None else int(limit)


async def serve_plain_pull(scope: Any, send: Any) -> bool:
    """Answer a pull whose query is plain (see `_PLAIN_QUERY`) without Litestar's request, parameter and
    response machinery, which cost more than the pull itself when many arrive at once (200 pulls after
    one change: scripts/bench/sync.py). The session is already checked (``SessionMiddleware``), the
    route's guards run as usual, and errors are raised as in the handler; the answer is the same bytes.
    False: not plain, the declared handler answers instead."""
    query = _plain_query(scope["query_string"])
    if query is None:
        return False
    handler = scope["route_handler"]
    connection = ASGIConnection(scope)
    await handler.authorize_connection(connection)
    state = scope["litestar_app"].state
    client_id, cursor, limit = query
    page = min(limit or state.settings.pull_page_limit, state.settings.pull_page_limit)
    actor = scope["user"]
    answer = await serve_pull(state.db, actor, scope["tenant"], client_id, cursor, page, now_iso()[:10])
    body = _encode(answer)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
    return True


@get("/api/sync/pull", guards=[guards.anyone_signed_in], opt={"plain": serve_plain_pull})
async def pull(
    request: Request,
    client_id: ClientIdParam,
    cursor: str | None = None,
    limit: Annotated[int | None, Parameter(ge=1, le=50000)] = None,
) -> PullResponse:
    """Changes in the session's scope since ``cursor``; follow ``more`` to the end."""
    state = request.app.state
    page = min(limit or state.settings.pull_page_limit, state.settings.pull_page_limit)
    return await serve_pull(state.db, request.user, guards.tenant_of(request), client_id, cursor, page, now_iso()[:10])


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}"


def _sniff(content: bytes, declared: str) -> bool:
    """Whether ``content`` starts as the ``declared`` image type does (its magic bytes)."""
    if declared == "image/webp":  # RIFF....WEBP
        return content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    return any(content.startswith(sig) for sig in IMAGE_SIGNATURES.get(declared, ()))


@dataclass
class UploadForm:
    """``multipart/form-data`` with the image in the file field ``data`` (other fields are ignored)."""

    data: UploadFile


class UploadOut(msgspec.Struct, kw_only=True):
    id: str
    url: str
    size: int
    content_type: str


async def _read_multipart(request: Request) -> None:
    """``before_request``: read the multipart body (the ``data`` argument then uses what was read),
    saying what is wrong with one that is not multipart or cannot be read."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
        raise ApiError(415, "not_multipart", "send the image as multipart/form-data (file field 'data')")
    try:
        await request.form()
    except HTTPException:  # 413 too large, 400 no boundary
        raise
    except Exception:  # Litestar's parser fails on some malformed bodies (e.g. binary in a non-file field)
        raise ApiError(400, "bad_multipart", "the multipart body could not be read") from None


QUOTA_WINDOW = dt.timedelta(hours=24)


async def _check_quota(conn: Conn, settings: Any, actor: Any, size: int) -> None:
    """Refuse an upload past what one person may store in any 24 hours (``upload_quota_count`` files,
    ``upload_quota_bytes`` bytes). Counted inside the write transaction, under a per-person lock on
    PostgreSQL (SQLite has one writer), so uploads sent all at once cannot slip past it together."""
    if conn.dialect == "postgres":
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", f"upload:{actor.person_id}")
    since = (dt.datetime.now(dt.UTC) - QUOTA_WINDOW).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    used = await conn.fetchrow(
        "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM upload "
        "WHERE tenant_id = ? AND owner_id = ? AND created_at > ?",
        actor.tenant_id,
        actor.person_id,
        since,
    )
    assert used is not None  # an aggregate always has its one row
    hours = int(QUOTA_WINDOW.total_seconds() // 3600)
    if used["n"] >= settings.upload_quota_count:
        raise ApiError(
            429,
            "upload_quota",
            f"you have sent the most photos allowed in 24 hours ({settings.upload_quota_count}); try again later",
            {"max_uploads": settings.upload_quota_count, "window_hours": hours},
            headers={"Retry-After": "3600"},
        )
    if int(used["bytes"]) + size > settings.upload_quota_bytes:
        raise ApiError(
            413,
            "upload_quota_bytes",
            f"this photo would pass the {_megabytes(settings.upload_quota_bytes)} MB allowed in 24 hours; "
            "try again later",
            {"max_bytes": settings.upload_quota_bytes, "used_bytes": int(used["bytes"]), "window_hours": hours},
            headers={"Retry-After": "3600"},
        )


UPLOAD_BODY = Body(
    media_type=RequestEncodingType.MULTI_PART,
    description=(
        "The image in the file field `data`: JPEG, PNG, WebP or GIF, at most `upload_max_bytes` (5 MB by default). "
        "The part's Content-Type must name the type and the content must be that type; the file name is ignored."
    ),
)


@post(
    "/api/uploads",
    status_code=201,
    guards=[guards.anyone_signed_in],
    before_request=_read_multipart,
    responses=error_responses(409, 413, 415, 429),
)
async def upload(
    request: Request, data: Annotated[UploadForm, UPLOAD_BODY], upload_id: Annotated[str | None, UPLOAD_ID_QUERY] = None
) -> UploadOut:
    """Store an image sent as multipart file field ``data``; its id goes into ``job.add_photo``.

    ``id`` (client-made, e.g. a UUID) makes a retried upload the same upload: the same person sending
    the same id again gets the stored upload back, anyone else 409 ``id_taken``. The stored name is
    the id, never the client's file name; the type is checked against the content's magic bytes."""
    limit = request.app.state.settings.upload_max_bytes
    file = data.data
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in IMAGE_SIGNATURES:
        raise ApiError(415, "not_an_image", "only JPEG, PNG, WebP or GIF images can be uploaded")
    content = await file.read(limit + 1)
    if not content:
        raise ApiError(400, "empty_file", "the file is empty")
    if len(content) > limit:
        raise ApiError(413, "too_large", f"images may be at most {_megabytes(limit)} MB", {"max_bytes": limit})
    if not _sniff(content, content_type):
        raise ApiError(415, "not_an_image", "the file's content is not the image type it claims to be")
    upload_id = upload_id or new_id()
    actor = request.user
    async with request.app.state.db.write() as conn:
        existing = await conn.fetchrow("SELECT owner_id, content_type, size FROM upload WHERE id = ?", upload_id)
        if existing is not None:
            if existing["owner_id"] != actor.person_id:
                raise ApiError(409, "id_taken", "that upload id is already used")
            content_type, size = existing["content_type"], existing["size"]
        else:
            size = len(content)
            await _check_quota(conn, request.app.state.settings, actor, size)
            await conn.execute(
                "INSERT INTO upload (id, tenant_id, owner_id, content_type, size, content, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                upload_id,
                actor.tenant_id,
                actor.person_id,
                content_type,
                size,
                content,
                now_iso(),
            )
    return UploadOut(id=upload_id, url=f"/api/uploads/{upload_id}", size=size, content_type=content_type)


def _has_photo(photos: Any, upload_id: str) -> bool:
    if isinstance(photos, str):
        photos = msgspec.json.decode(photos)
    return any(isinstance(p, dict) and p.get("id") == upload_id for p in photos or ())


@get(
    "/api/uploads/{upload_id:str}",
    guards=[guards.anyone_signed_in],
    media_type="image/*",
    response_description="The image (JPEG, PNG, WebP or GIF), served as an image and never as a page",
    responses=error_responses(404),
)
async def read_upload(request: Request, upload_id: UploadIdParam) -> Response[bytes]:
    """An uploaded image, for whoever may see the job it belongs to."""
    actor = request.user
    async with request.app.state.db.read() as conn:
        row = await conn.fetchrow("SELECT * FROM upload WHERE id = ? AND tenant_id = ?", upload_id, actor.tenant_id)
        visible = row is not None and (row["owner_id"] == actor.person_id or actor.is_staff)
        if row is not None and not visible:
            # LIKE narrows the jobs down (photos is json on PostgreSQL: LIKE needs its text); the photo
            # list decides (an id may hold LIKE's "_").
            jobs = await conn.fetch(
                "SELECT account_id, site_id, truck_id, photos FROM job WHERE tenant_id = ? "
                "AND CAST(photos AS TEXT) LIKE ?",
                actor.tenant_id,
                f'%"{upload_id}"%',
            )
            visible = any(
                _has_photo(j["photos"], upload_id)
                and (
                    actor.may_see_site(j["account_id"], j["site_id"])
                    or (actor.truck_id and j["truck_id"] == actor.truck_id)
                )
                for j in jobs
            )
    if row is None or not visible:
        raise not_found("upload")
    content = bytes(row["content"])
    content_type = row["content_type"]
    if not _sniff(content, content_type):  # never the case for what upload() stored; be safe anyway
        content_type = "application/octet-stream"
    extension = content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg").replace("octet-stream", "bin")
    return Response(
        content=content,
        media_type=content_type,
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            # Opened directly, it is shown as an image (inline) and can run nothing, even if a browser sniffed it.
            "Content-Disposition": f'inline; filename="{upload_id}.{extension}"',
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        },
    )


ROUTES = [push, pull, upload, read_upload]
