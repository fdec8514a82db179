"""Service and supply requests, unit issues and estimate decisions."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from sync.entities import Clock, Date, RequestLine, SupplyLine
from sync.mutators.common import notify, row_in_scope
from sync.mutators.context import Context
from sync.mutators.registry import COMPANY, mutator
from sync.rules import Rejected, request_price

Text = Annotated[str, msgspec.Meta(max_length=5000)]


class ServiceRequestArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    site_id: str
    system_id: str | None = None
    requested_date: Date
    start_time: Clock | None = None
    end_time: Clock | None = None
    lines: Annotated[list[RequestLine], msgspec.Meta(min_length=1, max_length=100)]
    urgency: Literal["normal", "urgent", "emergency"] = "normal"
    po_number: Annotated[str, msgspec.Meta(max_length=100)] = ""
    comments: Text = ""


@mutator("service_request.submit", ServiceRequestArgs)
async def submit_service_request(ctx: Context, a: ServiceRequestArgs) -> None:
    """A multi-line request for a site; the office approves or declines it."""
    site = await row_in_scope(ctx, "site", a.site_id)
    if a.system_id is not None:
        system = await ctx.tx.get("system", a.system_id)
        if system is None or system["site_id"] != site["id"]:
            raise Rejected("not_found", "that system is not at this site")
    if a.start_time and a.end_time and a.end_time <= a.start_time:
        raise Rejected("bad_time_window", "the end time must be after the start time")
    services = {}
    for line in a.lines:
        if line.service_type_id is not None:
            service = await ctx.tx.get("service_type", line.service_type_id)
            if service is None or not service["online_bookable"]:
                raise Rejected("service_not_requestable", "one of the services cannot be requested online")
            services[service["id"]] = service
        if line.product_id is not None and await ctx.tx.get("product", line.product_id) is None:
            raise Rejected("not_found", "one of the products does not exist")
    if a.requested_date < ctx.today:
        raise Rejected("date_in_past", "pick today or a later date")
    await ctx.insert(
        "service_request",
        {
            "id": a.id,
            "account_id": site["account_id"],
            "site_id": site["id"],
            "system_id": a.system_id,
            "requested_date": a.requested_date,
            "start_time": a.start_time,
            "end_time": a.end_time,
            "lines": msgspec.to_builtins(a.lines),
            "urgency": a.urgency,
            "po_number": a.po_number.strip(),
            "comments": a.comments,
            "quoted_price": request_price(msgspec.to_builtins(a.lines), services),
            "status": "submitted",
        },
    )


class SupplyRequestArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    site_id: str
    lines: Annotated[list[SupplyLine], msgspec.Meta(min_length=1, max_length=100)]
    priority: Literal["normal", "urgent"] = "normal"
    notes: Text = ""


@mutator("supply_request.submit", SupplyRequestArgs)
async def submit_supply_request(ctx: Context, a: SupplyRequestArgs) -> None:
    ctx.feature("supplies")
    site = await row_in_scope(ctx, "site", a.site_id)
    for line in a.lines:
        if await ctx.tx.get("supply_item", line.supply_item_id) is None:
            raise Rejected("not_found", "one of the supply items does not exist")
    await ctx.insert(
        "supply_request",
        {
            "id": a.id,
            "account_id": site["account_id"],
            "site_id": site["id"],
            "lines": msgspec.to_builtins(a.lines),
            "priority": a.priority,
            "notes": a.notes,
            "status": "submitted",
        },
    )


class UnitIssueArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    unit_id: str
    kind: Literal["damage", "needs_service", "missing", "other"]
    description: Text = ""


CONDITION_FOR_ISSUE = {"damage": "damaged", "needs_service": "needs_service", "missing": "missing"}


@mutator("unit.report_issue", UnitIssueArgs)
async def report_unit_issue(ctx: Context, a: UnitIssueArgs) -> None:
    """Report a problem from a unit card; the unit's condition badge follows."""
    unit = await row_in_scope(ctx, "unit", a.unit_id)
    await ctx.insert(
        "unit_issue",
        {
            "id": a.id,
            "account_id": unit["account_id"],
            "site_id": unit["site_id"],
            "unit_id": unit["id"],
            "kind": a.kind,
            "description": a.description,
        },
    )
    condition = CONDITION_FOR_ISSUE.get(a.kind)
    if condition and unit["condition"] != condition:
        await ctx.tx.update("unit", unit, condition=condition)


class ApproveArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    estimate_id: str
    signer_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class DeclineArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    estimate_id: str
    reason: Text = ""


async def _open_estimate(ctx: Context, estimate_id: str) -> dict:
    ctx.feature("estimate_approval")
    estimate = await row_in_scope(ctx, "estimate", estimate_id, billing=True)
    if estimate["status"] != "sent":
        raise Rejected("estimate_decided", f"this estimate is already {estimate['status']}")
    if estimate.get("valid_until") and estimate["valid_until"] < ctx.today:
        raise Rejected("estimate_expired", "this estimate has expired; ask for a new one")
    return estimate


@mutator("estimate.approve", ApproveArgs, COMPANY)
async def approve_estimate(ctx: Context, a: ApproveArgs) -> None:
    estimate = await _open_estimate(ctx, a.estimate_id)
    await ctx.tx.update("estimate", estimate, status="approved", signer_name=a.signer_name.strip(), decided_at=ctx.now)
    await notify(
        ctx,
        "estimate_approved",
        estimate["account_id"],
        f"Estimate {estimate['number']} approved",
        f"Approved by {a.signer_name.strip()}.",
        f"/estimates/{estimate['id']}",
    )


@mutator("estimate.decline", DeclineArgs, COMPANY)
async def decline_estimate(ctx: Context, a: DeclineArgs) -> None:
    estimate = await _open_estimate(ctx, a.estimate_id)
    await ctx.tx.update("estimate", estimate, status="declined", decline_reason=a.reason, decided_at=ctx.now)
