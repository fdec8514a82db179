"""What the office may create and change, entity by entity, and the checks each write gets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.store import Store
from server.documents.formatting import tenant_money
from server.errors import ApiError
from sync.mutators.common import notify
from sync.mutators.context import Context
from sync.mutators.driver import STATUS_EVENTS
from sync.rules import Rejected, advance_job, invoice_totals

# URL collection → entity. Payments are read-only here: they come from Stripe or the portal.
COLLECTIONS: dict[str, str] = {
    "accounts": "account",
    "contacts": "contact",
    "memberships": "membership",
    "sites": "site",
    "systems": "system",
    "products": "product",
    "service-types": "service_type",
    "time-slots": "time_slot",
    "supply-items": "supply_item",
    "promo-codes": "promo_code",
    "trucks": "truck",
    "staff": "staff_user",
    "jobs": "job",
    "recurring-series": "recurring_series",
    "invoices": "invoice",
    "rentals": "rental",
    "units": "unit",
    "estimates": "estimate",
    "service-requests": "service_request",
    "supply-requests": "supply_request",
    "unit-issues": "unit_issue",
    "payments": "payment",
    "messages": "message",
    "reviews": "review",
}
READ_ONLY = frozenset({"payment", "review"})
SERVER_FIELDS = frozenset({"tenant_id", "created_at", "updated_at", "version"})
NUMBERED = {
    "account": ("number", "A"),
    "job": ("number", "J"),
    "invoice": ("number", "INV"),
    "estimate": ("number", "EST"),
    "rental": ("rental_number", "R"),
    "site": ("number", "S"),
}
REFERENCES = {
    "account_id": "account",
    "site_id": "site",
    "contact_id": "contact",
    "product_id": "product",
    "service_type_id": "service_type",
    "time_slot_id": "time_slot",
    "truck_id": "truck",
    "job_id": "job",
    "unit_id": "unit",
    "estimate_id": "estimate",
    "recurring_series_id": "recurring_series",
    "system_id": "system",
}
LIST_REFERENCES = {"site_ids": "site", "job_ids": "job"}


async def check_references(store: Store, row: dict[str, Any]) -> None:
    """Every id a row points at exists in this tenant, and its site belongs to its account."""
    for field, entity in REFERENCES.items():
        value = row.get(field)
        if value is None or (entity == "contact" and "contact_id" not in row):
            continue
        target = await store.get(entity, value)
        if target is None:
            raise ApiError(422, "unknown_reference", f"{field} {value!r} does not exist", {"field": field})
        if field == "site_id" and row.get("account_id") and target["account_id"] != row["account_id"]:
            raise ApiError(422, "site_not_in_account", "that site belongs to another account", {"field": field})
    for field, entity in LIST_REFERENCES.items():
        for value in row.get(field) or []:
            if await store.get(entity, value) is None:
                raise ApiError(422, "unknown_reference", f"{field} has unknown id {value!r}", {"field": field})


def normalise(entity: str, row: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Derived fields: lower-case emails, invoice totals and balance."""
    if entity in ("contact", "staff_user") and row.get("email"):
        row["email"] = row["email"].strip().lower()
    if entity == "contact" and not (row.get("email") or row.get("phone")):
        raise ApiError(422, "email_or_phone", "a contact needs an email or a phone number")
    if entity in ("invoice", "estimate") and "lines" in row:
        totals = invoice_totals(row.get("lines") or [], row.get("tax", 0) if entity == "invoice" else 0)
        row["lines"] = totals["lines"]
        if entity == "invoice":
            paid = (current["total"] - current["balance"]) if current else 0
            row.update(subtotal=totals["subtotal"], total=totals["total"], balance=max(0, totals["total"] - paid))
        else:
            row["total"] = totals["total"]
    return row


async def apply_status(entity: str, current: dict[str, Any], changes: dict[str, Any], by: str, at: str) -> None:
    """Job status moves only forward through its flow (the same rule drivers and sync follow)."""
    if entity == "job" and "status" in changes and changes["status"] != current["status"]:
        try:
            moved = advance_job(current, changes.pop("status"), at, by)
        except Rejected as exc:
            raise ApiError(409, exc.code, exc.message) from None
        changes.update(moved)


async def after_write(store: Store, entity: str, row: dict[str, Any]) -> dict[str, Any]:
    """Keep denormalised copies current (a contact's name on its memberships, truck names on jobs);
    returns the row as finally written."""
    if entity == "contact":
        for membership in await store.find("membership", contact_id=row["id"]):
            await store.update(
                "membership", membership, name=row["name"], email=row.get("email"), phone=row.get("phone")
            )
    if entity == "membership":
        contact = await store.get("contact", row["contact_id"])
        if contact and (row["name"], row["email"], row["phone"]) != (
            contact["name"],
            contact["email"],
            contact["phone"],
        ):
            row = await store.update(
                "membership", row, name=contact["name"], email=contact["email"], phone=contact["phone"]
            )
    if entity == "job" and row.get("truck_id"):
        truck = await store.get("truck", row["truck_id"])
        if truck and row.get("truck_name") != truck["name"]:
            row = await store.update("job", row, truck_name=truck["name"])
    return row


async def notify_milestones(ctx: Context, entity: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """Tell the account's people about what an office edit reached, as a driver's tap or a booking would:
    a bell notification each (in this transaction) and an SMS/email `Notify` effect (sent after
    commit if the tenant's ``notify_events`` say so)."""
    before = before or {}
    if entity == "job" and after.get("account_id"):
        link, number = f"/jobs/{after['id']}", after.get("number") or ""
        open_job = after["status"] not in ("completed", "cancelled")
        if after.get("truck_id") and after["truck_id"] != before.get("truck_id") and open_job:
            truck = await ctx.tx.get("truck", after["truck_id"])
            when = f" on {after['scheduled_date']}" if after.get("scheduled_date") else ""
            await notify(
                ctx,
                "technician_dispatched",
                after["account_id"],
                f"Technician dispatched: job {number}",
                f"Truck {truck['name'] if truck else ''} is assigned to your job{when}.",
                link,
                after.get("site_id"),
            )
        if after["status"] != before.get("status") and after["status"] in STATUS_EVENTS:
            kind, title = STATUS_EVENTS[after["status"]]
            await notify(
                ctx, kind, after["account_id"], f"{title}: job {number}", f"Job {number}.", link, after.get("site_id")
            )
    if entity == "estimate" and after["status"] == "sent" and not before:
        amount = tenant_money(after.get("total"), ctx.tenant)
        until = dt.date.fromisoformat(after["valid_until"]) if after.get("valid_until") else None
        valid = f", valid until {until:%B} {until.day}, {until.year}" if until else ""
        await notify(
            ctx,
            "estimate_sent",
            after["account_id"],
            f"Estimate {after.get('number') or ''} is ready",
            f"Total {amount}{valid}. Approve or decline it in your portal.",
            "/estimates",
        )
    if entity == "invoice" and after["status"] == "open" and before.get("status") != "open":
        amount = tenant_money(after.get("balance"), ctx.tenant)
        due = f", due {after['due_on']}" if after.get("due_on") else ""
        # site_id None: site contacts never see invoices
        await notify(
            ctx,
            "invoice_sent",
            after["account_id"],
            f"Invoice {after.get('number') or ''} is ready",
            f"Amount due {amount}{due}.",
            f"/invoices/{after['id']}",
        )
