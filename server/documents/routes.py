"""PDF documents (PROTOCOL.md "Documents"): invoices, job receipts, payment receipts, statements.

Only within the session's scope, and 404 otherwise (never "forbidden": that would confirm the
document exists). Billing documents (invoices, payment receipts, statements) are for company
contacts, the staff read-only view and the office; site contacts get job receipts of their sites
only. A customer never gets a draft invoice, nor a pending one unless the tenant shows them.

borb is CPU-bound, so rendering runs in worker threads, at most one per CPU at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

from server.auth import guards
from server.db.store import Store
from server.documents import (
    build_statement,
    ensure_ready,
    render_invoice,
    render_order_receipt,
    render_payment_receipt,
    render_service_report,
    render_statement,
)
from server.documents.formatting import tenant_zone
from server.errors import ApiError, error_responses, not_found
from sync.scope import invoice_visible

log = logging.getLogger("haulport.documents")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
DEFAULT_STATEMENT_DAYS = 90
# Every document route: a PDF, or 404 when it is out of the session's scope.
PDF = {"media_type": "application/pdf", "response_description": "The PDF", "responses": error_responses(404, 429, 503)}


def _today(tenant: dict[str, Any]) -> str:
    return dt.datetime.now(tenant_zone(tenant)).date().isoformat()


RENDER_WAIT_S = 10.0  # how long a request waits for a free render slot before answering 503 busy
RENDER_TIMEOUT_S = 20.0  # how long a render may take before the request answers 503 busy


async def _render(request: Request, render: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
    """Render in a worker thread, bounded: one document at a time per person (another while theirs is
    rendering: 429 ``render_busy``), so one customer can never hold every render slot; a slot waited
    for at most ``RENDER_WAIT_S`` and a render at most ``RENDER_TIMEOUT_S`` (then 503 ``busy``). A
    thread cannot be stopped, so one past its time keeps its slot and its person's turn until it ends."""
    state = request.app.state
    person = f"{request.user.tenant_id}:{request.user.person_id}"
    if person in state.rendering:
        raise ApiError(
            429,
            "render_busy",
            "a document of yours is still being prepared; try again shortly",
            {},
            headers={"Retry-After": "2"},
        )
    slots: asyncio.Semaphore = state.render_slots
    state.rendering.add(person)
    try:
        await asyncio.wait_for(slots.acquire(), RENDER_WAIT_S)
    except TimeoutError:
        state.rendering.discard(person)
        raise ApiError(503, "busy", "documents are busy; retry shortly", {}, headers={"Retry-After": "5"}) from None
    work = asyncio.ensure_future(asyncio.to_thread(render, *args, **kwargs))

    def finished(_: asyncio.Future) -> None:
        slots.release()
        state.rendering.discard(person)

    work.add_done_callback(finished)
    try:
        return await asyncio.wait_for(asyncio.shield(work), state.render_timeout_s)
    except TimeoutError:
        log.warning("render of %s took over %.0f s", request.url.path, state.render_timeout_s)
        raise ApiError(
            503, "busy", "the document took too long; retry shortly", {}, headers={"Retry-After": "10"}
        ) from None


async def _pdf(request: Request, name: str, render: Callable[..., bytes], *args: Any, **kwargs: Any) -> Response[bytes]:
    content = await _render(request, render, *args, **kwargs)
    filename = _SAFE_NAME.sub("-", name).strip("-") or "document"
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private",
            "Content-Disposition": f'inline; filename="{filename}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _customer_sees_invoice(request: Request, tenant: dict[str, Any], invoice: dict[str, Any] | None) -> bool:
    actor = request.user
    if invoice is None or not actor.sees_billing(invoice["account_id"]):
        return False
    return actor.is_staff or invoice_visible(tenant, invoice["status"])


@get("/api/documents/invoices/{filename:str}", guards=[guards.portal_or_staff], **PDF)
async def invoice_pdf(request: Request, filename: FromPath[str]) -> Response[bytes]:
    """``/api/documents/invoices/{id}.pdf``"""
    if not filename.endswith(".pdf"):
        raise not_found("invoice")
    invoice_id = filename.removesuffix(".pdf")
    tenant = guards.tenant_of(request)
    async with request.app.state.db.read() as conn:
        store = Store(conn, request.user.tenant_id)
        invoice = await store.get("invoice", invoice_id)
        if invoice is None or not _customer_sees_invoice(request, tenant, invoice):
            raise not_found("invoice")
        account = await store.must_get("account", invoice["account_id"])
        site_id = invoice.get("site_id") or next(iter(invoice.get("site_ids") or []), None)
        site = await store.get("site", site_id) if site_id else None
    return await _pdf(
        request, invoice["number"] or "invoice", render_invoice, tenant, account, invoice, site, today=_today(tenant)
    )


async def _job_documents_rows(
    request: Request, job_id: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """The job and what its documents print about it, if the signed-in person may see the job."""
    async with request.app.state.db.read() as conn:
        store = Store(conn, request.user.tenant_id)
        job = await store.get("job", job_id)
        if job is None or not request.user.may_see_site(job["account_id"], job["site_id"]):
            raise not_found("job")
        account = await store.must_get("account", job["account_id"])
        site = await store.get("site", job["site_id"]) if job.get("site_id") else None
        service_type = await store.get("service_type", job["service_type_id"]) if job.get("service_type_id") else None
        truck = await store.get("truck", job["truck_id"]) if job.get("truck_id") else None
    if not request.user.sees_billing(job["account_id"]):  # what a site contact's sync view hides
        job = {k: v for k, v in job.items() if k not in ("price", "discount", "promo_code")}
    return job, account, site, service_type, truck


@get("/api/documents/jobs/{job_id:str}/receipt.pdf", guards=[guards.portal_or_staff], **PDF)
async def job_receipt_pdf(request: Request, job_id: FromPath[str]) -> Response[bytes]:
    """The order receipt of a job: what was ordered and what it costs."""
    job, account, site, service_type, truck = await _job_documents_rows(request, job_id)
    return await _pdf(
        request,
        f"{job['number'] or 'job'}-receipt",
        render_order_receipt,
        guards.tenant_of(request),
        account,
        job,
        site,
        service_type,
        truck=truck,
    )


_UPLOAD_URL = re.compile(r"^/api/uploads/([A-Za-z0-9_-]+)$")
MAX_REPORT_PHOTOS = 24


@get("/api/documents/jobs/{job_id:str}/report.pdf", guards=[guards.portal_or_staff], **PDF)
async def service_report_pdf(request: Request, job_id: FromPath[str]) -> Response[bytes]:
    """The service report of a job: crew, times, before/after photos, notes."""
    job, account, site, service_type, truck = await _job_documents_rows(request, job_id)
    wanted = {}
    for photo in (job.get("photos") or [])[:MAX_REPORT_PHOTOS]:
        match = _UPLOAD_URL.match(photo.get("url") or "")
        if match:
            wanted[match.group(1)] = photo["url"]
    photos: dict[str, bytes] = {}
    if wanted:
        async with request.app.state.db.read() as conn:
            for upload_id, url in wanted.items():
                row = await conn.fetchrow(
                    "SELECT content FROM upload WHERE id = ? AND tenant_id = ?", upload_id, request.user.tenant_id
                )
                if row is not None:
                    photos[url] = bytes(row["content"])
    return await _pdf(
        request,
        f"{job['number'] or 'job'}-service-report",
        render_service_report,
        guards.tenant_of(request),
        account,
        job,
        site,
        service_type,
        truck=truck,
        photos=photos,
    )


@get("/api/documents/payments/{payment_id:str}/receipt.pdf", guards=[guards.portal_or_staff], **PDF)
async def payment_receipt_pdf(request: Request, payment_id: FromPath[str]) -> Response[bytes]:
    tenant = guards.tenant_of(request)
    async with request.app.state.db.read() as conn:
        store = Store(conn, request.user.tenant_id)
        payment = await store.get("payment", payment_id)
        if payment is None or not request.user.sees_billing(payment["account_id"]):
            raise not_found("payment")
        account = await store.get("account", payment["account_id"])
        ids = [a["invoice_id"] for a in payment["allocations"]]
        invoices = await store.find("invoice", id=ids) if ids else []
    return await _pdf(
        request, f"{payment['number'] or 'payment'}-receipt", render_payment_receipt, tenant, account, payment, invoices
    )


def _site_share(payment: dict[str, Any], invoice_ids: set[str]) -> dict[str, Any] | None:
    """The part of a payment applied to one site's invoices (None when none of it was)."""
    allocations = [a for a in payment["allocations"] if a["invoice_id"] in invoice_ids]
    if not allocations:
        return None
    return {**payment, "allocations": allocations, "amount": sum(a["amount"] for a in allocations)}


@get("/api/documents/statement.pdf", guards=[guards.portal_or_staff], **PDF)
async def statement_pdf(
    request: Request,
    account_id: str,
    site_id: str | None = None,
    start: Annotated[
        dt.date | None, QueryParameter(name="from", description="first day (default: to - 90 days)")
    ] = None,
    end: Annotated[dt.date | None, QueryParameter(name="to", description="last day (default: today)")] = None,
) -> Response[bytes]:
    """Statement of an account, or of one of its sites, for ``from``..``to`` (default: the last 90 days).

    A site statement lists the invoices of that site and the parts of payments applied to them;
    payments applied to nothing (account credit) appear only on the account's statement.
    """
    tenant = guards.tenant_of(request)
    if not request.user.sees_billing(account_id):
        raise not_found("account")
    today = _today(tenant)
    async with request.app.state.db.read() as conn:
        store = Store(conn, request.user.tenant_id)
        account = await store.get("account", account_id)
        site = await store.get("site", site_id) if site_id else None
        if account is None or (site_id and (site is None or site["account_id"] != account_id)):
            raise not_found("site" if account is not None else "account")
        end = end or dt.date.fromisoformat(today)
        start = start or end - min(dt.timedelta(days=DEFAULT_STATEMENT_DAYS), end - dt.date.min)
        if start > end:
            raise ApiError(400, "bad_period", "from must not be after to")
        invoices = [
            i for i in await store.find("invoice", account_id=account_id) if invoice_visible(tenant, i["status"])
        ]
        payments = await store.find("payment", account_id=account_id)
    if site is not None:
        invoices = [i for i in invoices if i.get("site_id") == site["id"] or site["id"] in (i.get("site_ids") or [])]
        ids = {i["id"] for i in invoices}
        payments = [share for p in payments if (share := _site_share(p, ids)) is not None]
    numbers = build_statement(
        invoices, payments, start.isoformat(), end.isoformat(), today, timezone=tenant.get("timezone") or "UTC"
    )
    name = f"{account['number'] or 'account'}-statement-{end.isoformat()}"
    return await _pdf(request, name, render_statement, tenant, account, site, **numbers)


async def startup(state: Any) -> None:
    ensure_ready()  # borb's usage reporting off before anything renders (it would take over SIGTERM)
    state.render_slots = asyncio.Semaphore(os.cpu_count() or 2)
    state.rendering = set()  # the people with a render in flight (tenant:person)
    state.render_timeout_s = RENDER_TIMEOUT_S


ROUTES = [invoice_pdf, job_receipt_pdf, service_report_pdf, payment_receipt_pdf, statement_pdf]
