"""What the office may delete, and when: a record made by mistake or no longer offered, never one the
books or a customer's history depend on.

- catalog (products, services, promo codes, time slots, supply items), trucks, systems, sites and
  units: only while nothing points at them (409 ``in_use`` naming what does; retire a product with
  ``active`` off instead);
- jobs: only before work starts (requested, confirmed) or once cancelled, and not once invoiced;
- invoices: only drafts (a posted one is voided instead); estimates: unless approved;
- recurring series: the series and its jobs that have not started yet (done ones stay);
- memberships: a contact leaves that account (their access to it ends; other accounts stay theirs).
"""

from __future__ import annotations

from typing import Any

from server.admin.records import LIST_REFERENCES, REFERENCES
from server.db.store import Store
from server.db.tables import KINDS
from server.errors import ApiError

DELETABLE = frozenset(
    {
        "product",
        "service_type",
        "promo_code",
        "time_slot",
        "supply_item",
        "truck",
        "system",
        "site",
        "unit",
        "job",
        "invoice",
        "estimate",
        "recurring_series",
        "membership",
    }
)
# Rows that point at a record without depending on it: they go with it (or are checked by its own rule).
_GOES_WITH = {"recurring_series": {"job"}}
_WORDS = {
    "membership": "contacts",
    "recurring_series": "recurring services",
    "service_type": "services",
    "staff_user": "staff",
    "unit_issue": "unit issues",
}


async def _pointing_at(store: Store, entity: str, row_id: str) -> list[str]:
    """The kinds of record that point at ``entity`` ``row_id`` (by an ``…_id`` field or an id list)."""
    found = []
    fields = [f for f, target in REFERENCES.items() if target == entity]
    lists = [f for f, target in LIST_REFERENCES.items() if target == entity]
    for other, columns in KINDS.items():
        if other in _GOES_WITH.get(entity, ()):
            continue
        for field in fields:
            if field in columns and other != entity and await store.find(other, limit=1, **{field: row_id}):
                found.append(other)
                break
        else:
            for field in lists:
                if field in columns and await store.conn.fetchrow(
                    f'SELECT id FROM {other} WHERE tenant_id = ? AND CAST("{field}" AS TEXT) LIKE ? LIMIT 1',
                    store.tenant_id,
                    f'%"{row_id}"%',
                ):
                    found.append(other)
                    break
    return found


def _refuse(code: str, message: str, details: dict[str, Any] | None = None) -> ApiError:
    return ApiError(409, code, message, details or {})


async def delete_record(store: Store, entity: str, row: dict[str, Any], today: str) -> list[str]:
    """Delete ``row`` if the rules above allow; returns the ids deleted with it (a series' jobs)."""
    if entity not in DELETABLE:
        raise ApiError(405, "not_deletable", f"{entity.replace('_', ' ')} records cannot be deleted")
    if entity == "job" and row["status"] not in ("requested", "confirmed", "cancelled"):
        raise _refuse("job_started", "a job that is under way or done cannot be deleted; cancel it instead")
    if entity == "invoice" and row["status"] != "draft":
        raise _refuse("invoice_posted", "only a draft invoice can be deleted; void a posted one instead")
    if entity == "estimate" and row.get("status") == "approved":
        raise _refuse("estimate_approved", "an approved estimate is part of the job it made; it cannot be deleted")
    if entity != "membership":
        users = await _pointing_at(store, entity, row["id"])
        if users:
            named = ", ".join(_WORDS.get(u, u.replace("_", " ") + "s") for u in users)
            raise _refuse("in_use", f"this is still used by {named}; change those first", {"used_by": users})
    gone = []
    if entity == "recurring_series":
        for job in await store.find("job", recurring_series_id=row["id"]):
            not_started = job["status"] in ("requested", "confirmed") and (job.get("scheduled_date") or "") >= today
            if not_started and not await _pointing_at(store, "job", job["id"]):
                await store.delete("job", job)
                gone.append(job["id"])
            elif job.get("recurring_series_id"):
                await store.update("job", job, recurring_series_id=None)
    await store.delete(entity, row)
    return gone
