"""Booking, cancelling and PO numbers of jobs; reviews after a job."""

from __future__ import annotations

from typing import Annotated

import msgspec

from sync.entities import Address, Cents, Date, LoadEstimate
from sync.mutators.accounts import SiteArgs, write_site
from sync.mutators.common import account_in_scope, notify, row_in_scope
from sync.mutators.context import Context
from sync.mutators.registry import CUSTOMER, mutator
from sync.rules import Rejected, advance_job, promo_discount, service_price

Text = Annotated[str, msgspec.Meta(max_length=5000)]
Po = Annotated[str, msgspec.Meta(max_length=100)]


class NewSite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    type: str = "residential"
    address: Address = msgspec.field(default_factory=Address)
    building: str = ""
    unit: str = ""
    access_code: str = ""
    lat: float | None = None
    lng: float | None = None
    notes: str = ""


class BookArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    account_id: str | None = None
    site_id: str | None = None
    new_site: NewSite | None = None
    service_type_id: str
    date: Date
    time_slot_id: str
    description: Text = ""
    items: Text = ""
    load_estimate: LoadEstimate | None = None
    po_number: Po = ""
    promo_code: Annotated[str, msgspec.Meta(max_length=40)] = ""
    # The total the booking form showed (after a promo it could check): the booking never costs more.
    quoted_price: Cents | None = None


@mutator("job.book", BookArgs)
async def book_job(ctx: Context, a: BookArgs) -> None:
    """A portal booking: lands in dispatch as ``requested`` (or ``confirmed`` with auto-confirm)."""
    ctx.feature("booking")
    if a.date < ctx.today:
        raise Rejected("date_in_past", "pick today or a later date")
    if (a.site_id is None) == (a.new_site is None):
        raise Rejected("bad_args", "give either site_id or new_site")
    if a.site_id is not None:
        site = await row_in_scope(ctx, "site", a.site_id)
    else:
        assert a.new_site is not None  # exactly one of the two, checked above
        site = await write_site(ctx, SiteArgs(**msgspec.structs.asdict(a.new_site), account_id=a.account_id))
    account = await account_in_scope(ctx, site["account_id"])
    service = await ctx.tx.get("service_type", a.service_type_id)
    if service is None or not service["online_bookable"]:
        raise Rejected("service_not_bookable", "that service cannot be booked online")
    slot = await ctx.tx.get("time_slot", a.time_slot_id)
    if slot is None:
        raise Rejected("not_found", "that time slot does not exist")
    if ctx.tx.authoritative:
        taken = [
            j
            for j in await ctx.tx.find("job", scheduled_date=a.date, time_slot_id=a.time_slot_id)
            if j["status"] != "cancelled"
        ]
        if len(taken) >= slot["capacity"]:
            raise Rejected("slot_full", f"{slot['label']} on {a.date} is fully booked; pick another slot")
    if account.get("po_required") and not a.po_number.strip():
        raise Rejected("po_required", "this account needs a PO number on every booking")
    price, discount = service_price(service, a.load_estimate), 0
    if a.promo_code and ctx.tx.authoritative:
        promos = await ctx.tx.find("promo_code", code=a.promo_code.strip().upper())
        promo = promos[0] if promos else None
        discount = promo_discount(promo, price, a.date)
        assert promo is not None  # promo_discount rejects a code that does not exist
        await ctx.tx.update("promo_code", promo, uses=promo["uses"] + 1)
    if a.quoted_price is not None and price - discount > a.quoted_price and ctx.tx.authoritative:
        raise Rejected("price_changed", "the price has changed since the booking form showed it")
    status = "confirmed" if ctx.tenant.get("auto_confirm_bookings") else "requested"
    number = await ctx.tx.next_number("job", "J")
    job = await ctx.insert(
        "job",
        {
            "id": a.id,
            "number": number,
            "account_id": site["account_id"],
            "site_id": site["id"],
            "service_type_id": service["id"],
            "status": status,
            "scheduled_date": a.date,
            "time_slot_id": slot["id"],
            "description": a.description,
            "items": a.items,
            "load_estimate": a.load_estimate,
            "po_number": a.po_number.strip(),
            "promo_code": a.promo_code.strip().upper(),
            "discount": discount,
            "price": price - discount,
            "quoted_price": price - discount,
            "source": "portal",
            "status_history": [{"status": status, "at": ctx.now, "by": ctx.actor.name, "applied": True}],
        },
    )
    await notify(
        ctx,
        "job_booked",
        job["account_id"],
        f"Booking {number} received",
        f"{service['name']} on {a.date}, {slot['label']}.",
        f"/jobs/{job['id']}",
        site["id"],
    )


class CancelArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    job_id: str
    reason: Text = ""


@mutator("job.cancel", CancelArgs)
async def cancel_job(ctx: Context, a: CancelArgs) -> None:
    job = await row_in_scope(ctx, "job", a.job_id)
    changes = advance_job(job, "cancelled", ctx.now, ctx.actor.name)
    await ctx.tx.update("job", job, cancel_reason=a.reason, **changes)


class JobPoArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    job_id: str
    po_number: Po


@mutator("job.set_po", JobPoArgs)
async def set_job_po(ctx: Context, a: JobPoArgs) -> None:
    job = await row_in_scope(ctx, "job", a.job_id)
    await ctx.tx.update("job", job, po_number=a.po_number.strip())


class InvoicePoArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    invoice_id: str
    po_number: Po


@mutator("invoice.set_po", InvoicePoArgs)
async def set_invoice_po(ctx: Context, a: InvoicePoArgs) -> None:
    invoice = await row_in_scope(ctx, "invoice", a.invoice_id, billing=True)
    await ctx.tx.update("invoice", invoice, po_number=a.po_number.strip())


class ReviewArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    job_id: str
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Text = ""


@mutator("review.submit", ReviewArgs, CUSTOMER)
async def submit_review(ctx: Context, a: ReviewArgs) -> None:
    ctx.feature("review_collection")
    job = await row_in_scope(ctx, "job", a.job_id)
    if job["status"] != "completed":
        raise Rejected("job_not_completed", "you can review a job once it is completed")
    if await ctx.tx.find("review", job_id=job["id"]):
        raise Rejected("already_reviewed", "this job already has a review")
    await ctx.insert(
        "review",
        {
            "id": a.id,
            "account_id": job["account_id"],
            "site_id": job["site_id"],
            "job_id": job["id"],
            "rating": a.rating,
            "comment": a.comment,
        },
    )
