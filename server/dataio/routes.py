"""Import and export from the office console: upload a file, preview it as a dry run, apply it;
download any kind as CSV or JSON lines. The same work as ``haulport import`` / ``haulport export``."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter

from server.auth import guards
from server.dataio.exporter import as_csv, as_jsonl, export_records
from server.dataio.importer import ImportRefused, import_rows
from server.dataio.kinds import EXPORT_KINDS, IMPORT_KINDS, KINDS
from server.errors import ApiError, error_responses

ImportKind = Annotated[str, Parameter(description=f"one of: {', '.join(IMPORT_KINDS)}")]
ExportKind = Annotated[str, Parameter(description=f"one of: {', '.join(EXPORT_KINDS)}")]


def _kind(kind: str, allowed: tuple[str, ...]) -> str:
    if kind not in allowed:
        raise ApiError(
            404,
            "unknown_kind",
            f"there is no {kind!r} to {'import' if allowed is IMPORT_KINDS else 'export'}"
            f" (one of: {', '.join(allowed)})",
        )
    return kind


class ImportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    filename: Annotated[str, msgspec.Meta(max_length=255, description="its name (.csv or .jsonl says the format)")]
    content: Annotated[str, msgspec.Meta(description="the file's text (UTF-8)")]
    dry_run: bool = True


class ImportOut(msgspec.Struct, kw_only=True):
    kind: str
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    summary: str


class KindOut(msgspec.Struct, kw_only=True):
    name: str
    columns: list[str]
    required: list[str]
    importable: bool


class KindList(msgspec.Struct, kw_only=True):
    items: list[KindOut]


@get("/api/data/kinds", guards=[guards.staff])
async def list_kinds() -> KindList:
    """What can be imported and exported, with each file's columns."""
    return KindList(
        items=[
            KindOut(
                name=k.name, columns=k.header, required=["external_id", *sorted(k.required)], importable=k.importable
            )
            for k in KINDS.values()
        ]
    )


# 422 ``import_refused``: ``details.errors`` lists every problem as "line N: field: reason"; nothing was written.
@post("/api/data/import/{kind:str}", guards=[guards.staff], status_code=200, responses=error_responses(404, 422))
async def import_file(request: Request, kind: ImportKind, data: ImportIn) -> ImportOut:
    """Import a CSV or JSON-lines file, all or nothing; ``dry_run`` (the default) only checks and counts."""
    actor = request.user
    _kind(kind, IMPORT_KINDS)
    try:
        result = await import_rows(
            request.app.state.db, actor.tenant_id, kind, data.content.encode(), data.filename, dry_run=data.dry_run
        )
    except ImportRefused as exc:
        raise ApiError(
            422,
            "import_refused",
            f"the file was refused ({len(exc.errors)} problem(s)); nothing was written",
            {"errors": exc.errors[:1000]},
        ) from None
    await request.app.state.hub.poke(actor.tenant_id, result.changed, result.left)
    return ImportOut(
        kind=kind,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        dry_run=result.dry_run,
        summary=result.sentence(),
    )


@get("/api/data/export/{kind:str}", guards=[guards.staff], media_type="text/csv", responses=error_responses(404))
async def export_file(request: Request, kind: ExportKind, format: Literal["csv", "jsonl"] = "csv") -> Response[str]:
    """Every record of a kind, in the import format (CSV or JSON lines), as a download."""
    _kind(kind, EXPORT_KINDS)
    records = await export_records(request.app.state.db, request.user.tenant_id, kind)
    text = "".join(as_csv(kind, records) if format == "csv" else as_jsonl(records))
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(
        text,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{guards.tenant_of(request)["slug"]}-{kind}.{format}"'},
    )


ROUTES = [list_kinds, import_file, export_file]
