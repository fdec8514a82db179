"""``/api/sync/push``, ``/api/sync/pull`` and ``/api/uploads`` (photos for ``job.add_photo``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import FromPath
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter

from server.auth import guards
from server.db.store import new_id, now_iso
from server.errors import ApiError, not_found
from server.sync_api.pull import serve_pull
from server.sync_api.push import apply_push
from sync.messages import PullResponse, PushRequest, PushResponse

ClientIdParam = Annotated[str, Parameter(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
IMAGE_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


@post("/api/sync/push", status_code=200, guards=[guards.anyone_signed_in])
async def push(request: Request, data: PushRequest) -> PushResponse:
    """Apply queued mutations in id order; each result is applied, rejected (consumed) or skipped."""
    state = request.app.state
    response, outcome = await apply_push(state.db, request.user, request.scope["tenant"], data,
                                         getattr(state, "charger", None))
    await state.hub.after_push(request.user, request.scope["tenant"], outcome)
    return response


@get("/api/sync/pull", guards=[guards.anyone_signed_in])
async def pull(request: Request, client_id: ClientIdParam, cursor: str | None = None,
               limit: Annotated[int | None, Parameter(ge=1, le=50000)] = None) -> PullResponse:
    """Changes in the session's scope since ``cursor``; follow ``more`` to the end."""
    state = request.app.state
    page = min(limit or state.settings.pull_page_limit, state.settings.pull_page_limit)
    return await serve_pull(state.db, request.user, request.scope["tenant"], client_id, cursor, page,
                            now_iso()[:10])


def _sniff(content: bytes, declared: str) -> bool:
    return any(content.startswith(sig) for sig in IMAGE_SIGNATURES.get(declared, ()))


@post("/api/uploads", status_code=201, guards=[guards.anyone_signed_in])
async def upload(request: Request) -> dict[str, Any]:
    """Store an image (JPEG, PNG, WebP, GIF; size-limited) sent as multipart field ``data`` (or any
    single file field); its id goes into ``job.add_photo``."""
    limit = request.app.state.settings.upload_max_bytes
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "not_multipart", "send the image as multipart/form-data")
    try:
        form = await request.form()
    except Exception:  # Litestar's parser fails on some malformed bodies (e.g. a field without a name)
        raise ApiError(400, "bad_multipart", "the multipart body could not be read") from None
    files = [v for v in form.values() if isinstance(v, UploadFile)]
    data = form.get("data") if isinstance(form.get("data"), UploadFile) else (files[0] if files else None)
    if data is None:
        raise ApiError(400, "no_file", "send the image as a multipart file field named 'data'")
    content_type = (data.content_type or "").split(";")[0].strip().lower()
    if content_type not in IMAGE_SIGNATURES:
        raise ApiError(415, "not_an_image", "only JPEG, PNG, WebP or GIF images can be uploaded")
    content = await data.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, "too_large", f"images may be at most {limit // (1024 * 1024)} MB")
    if not _sniff(content, content_type):
        raise ApiError(415, "not_an_image", "the file's content is not the image type it claims to be")
    upload_id = request.query_params.get("id") or new_id()
    actor = request.user
    async with request.app.state.db.write() as conn:
        existing = await conn.fetchrow("SELECT owner_id FROM upload WHERE id = ?", upload_id)
        if existing is not None:
            if existing["owner_id"] != actor.person_id:
                raise ApiError(409, "id_taken", "that upload id is already used")
        else:
            await conn.execute(
                "INSERT INTO upload (id, tenant_id, owner_id, content_type, size, content, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", upload_id, actor.tenant_id, actor.person_id, content_type,
                len(content), content, now_iso())
    return {"id": upload_id, "url": f"/api/uploads/{upload_id}", "size": len(content), "content_type": content_type}


@get("/api/uploads/{upload_id:str}", guards=[guards.anyone_signed_in])
async def read_upload(request: Request, upload_id: FromPath[str]) -> Response:
    """An uploaded image, for whoever may see the job it belongs to."""
    actor = request.user
    async with request.app.state.db.read() as conn:
        row = await conn.fetchrow("SELECT * FROM upload WHERE id = ? AND tenant_id = ?", upload_id, actor.tenant_id)
        visible = row is not None and (row["owner_id"] == actor.person_id or actor.is_staff)
        if row is not None and not visible:
            jobs = await conn.fetch("SELECT account_id, site_id, truck_id FROM job WHERE tenant_id = ? "
                                    "AND photos LIKE ?", actor.tenant_id, f'%"{upload_id}"%')
            visible = any(actor.may_see_site(j["account_id"], j["site_id"]) or
                          (actor.truck_id and j["truck_id"] == actor.truck_id) for j in jobs)
    if not visible:
        raise not_found("upload")
    return Response(content=bytes(row["content"]), media_type=row["content_type"],
                    headers={"Cache-Control": "private, max-age=31536000, immutable",
                             "X-Content-Type-Options": "nosniff"})


ROUTES = [push, pull, upload, read_upload]
