"""What an office decision sets in motion: approving a service request creates its jobs, posting an
invoice dates it and voiding one clears it, and staff are managed by admins only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.db.store import Store
from server.errors import ApiError
from sync.actor import Actor

DECIDED = ("approved", "declined", "scheduled")
# Invoice statuses and where the office may move each one (paid comes from payments, not from here).
INVOICE_MOVES = {
    "draft": {"pending", "open", "void"},
    "pending": {"draft", "open", "void"},
    "open": {"void"},
    "paid": set(),
    "void": set(),
}


def check_staff_write(actor: Actor, entity: str) -> None:
    """Inviting staff and changing their roles is for admins (office staff may only read the list)."""
    if entity == "staff_user" and actor.role != "admin":
        raise ApiError(403, "admin_only", "only an admin can invite or change staff")


async def check_staff_change(store: Store, current: dict[str, Any] | None, changes: dict[str, Any]) -> None:
    """One staff user per email, a tenant always keeps an admin, and only drivers have a truck."""
    row = {**(current or {}), **changes}
    email = changes.get("email")
    if email and (current is None or email != current.get("email")) and await store.find("staff_user", email=email):
        raise ApiError(409, "email_taken", f"{email} is already on the staff", {"field": "email"})
    if current and current["role"] == "admin" and row["role"] != "admin":
        if len(await store.find("staff_user", role="admin")) <= 1:
            raise ApiError(409, "last_admin", "this is the only admin: make someone else an admin first")
    if row["role"] != "driver" and row.get("truck_id"):
        changes["truck_id"] = None  # only drivers drive a truck


def _terms(net_days: int) -> str:
    return f"Net {net_days}" if net_days else "Due on receipt"


async def prepare_invoice(store: Store, current: dict[str, Any] | None, changes: dict[str, Any], today: str) -> None:
    """Status moves an office may make (post: draft → open, void), with the dates and terms posting
    fills in from the account's net terms; a paid or void invoice's lines no longer change."""
    before = current["status"] if current else "draft"
    after = changes.get("status", before)
    if current and after != before and after not in INVOICE_MOVES[before]:
        raise ApiError(409, "invoice_status", f"a {before} invoice cannot become {after}")
    if current and before in ("paid", "void") and ({"lines", "tax"} & set(changes)):
        raise ApiError(409, "invoice_closed", f"a {before} invoice cannot be changed")
    if after == "void" and before != "void" and current and current["balance"] != current["total"]:
        raise ApiError(409, "invoice_has_payments", "payments were made on this invoice: refund them before voiding it")
    if after == "void":
        changes["balance"] = 0
    if after == "open" and before != "open":
        row = {**(current or {}), **changes}
        account = await store.get("account", row["account_id"])
        net_days = (account or {}).get("net_terms_days") or 0
        issued = row.get("issued_on") or today
        changes["issued_on"] = issued
        if not row.get("due_on"):
            changes["due_on"] = (dt.date.fromisoformat(issued) + dt.timedelta(days=net_days)).isoformat()
        if not row.get("terms"):
            changes["terms"] = _terms(net_days)


def check_request_move(current: dict[str, Any], changes: dict[str, Any]) -> None:
    """A decided request stays decided (it is answered once)."""
    if "status" in changes and changes["status"] != current["status"] and current["status"] in DECIDED:
        raise ApiError(409, "request_decided", f"this request was already {current['status']}")


def _line_text(line: dict[str, Any], products: dict[str, dict], services: dict[str, dict]) -> str:
    product = products.get(line.get("product_id") or "", {}).get("name")
    service = services.get(line.get("service_type_id") or "", {}).get("name")
    return " — ".join(filter(None, [f"{line.get('quantity', 1)} × {product}" if product else "", service])) or ""


async def jobs_for_request(store: Store, request: dict[str, Any], by: str, at: str) -> list[dict[str, Any]]:
    """The jobs an approved request becomes: one per service it asks for, each prefilled with the
    request's site, system, date, times, PO, comments and its lines, confirmed and linked to it."""
    lines = request.get("lines") or []
    products = {
        p["id"]: p
        for p in await store.find("product", id=[ln["product_id"] for ln in lines if ln.get("product_id")] or [""])
    }
    services = {
        s["id"]: s
        for s in await store.find(
            "service_type", id=[ln["service_type_id"] for ln in lines if ln.get("service_type_id")] or [""]
        )
    }
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for line in lines:
        groups.setdefault(line.get("service_type_id"), []).append(line)
    if not groups:
        groups[None] = []
    system = await store.get("system", request["system_id"]) if request.get("system_id") else None
    jobs = []
    for service_type_id, group in groups.items():
        described = [_line_text(ln, products, services) for ln in group]
        notes = [request.get("comments") or "", f"System: {system['name']}" if system else ""]
        job = {
            "number": await store.next_number("job", "J"),
            "account_id": request["account_id"],
            "site_id": request["site_id"],
            "service_type_id": service_type_id,
            "status": "confirmed",
            "scheduled_date": request["requested_date"],
            "window_start": request.get("start_time"),
            "window_end": request.get("end_time"),
            "lines": group,
            "items": "; ".join(filter(None, described)),
            "description": "\n".join(filter(None, notes)),
            "po_number": request.get("po_number") or "",
            "source": "portal",
            "service_request_id": request["id"],
            "price": sum(
                (services.get(ln.get("service_type_id") or "", {}).get("base_price") or 0) * (ln.get("quantity") or 1)
                for ln in group
            ),
            "status_history": [{"status": "confirmed", "at": at, "by": by, "applied": True}],
        }
        jobs.append(await store.insert("job", job))
    return jobs
