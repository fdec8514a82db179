"""Generate the mutator conformance fixtures: what every Python mutator does to a client's replica.

Each fixture is a seeded replica state (the rows one session holds, as the server presents them), one
mutation, and what the server's mutator makes of it when a client replays it optimistically
(``sync.client.optimistic``: the same mutators over the replica, ``authoritative = False``): either the
row changes the session would see, or the rejection code. The PWA's optimistic layer
(client_pwa/src/data/overlay.ts) must do the same: client_pwa/tests/conformance.test.ts runs it over
these fixtures and fails on any difference.

Writes client_pwa/tests/conformance/fixtures.json.
Run: .venv/bin/python scripts/gen_conformance.py   (``--check``: fail when the committed file is stale;
the test suite runs it).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, cast

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.actor import AccountAccess, Actor, Role  # noqa: E402
from sync.client.optimistic import ReplicaTx, replay  # noqa: E402
from sync.entities import ENTITIES, NOT_SYNCED, OWNER_LEVEL, TENANT_LEVEL  # noqa: E402
from sync.messages import Mutation  # noqa: E402
from sync.mutators.registry import MUTATORS, load_all  # noqa: E402
from sync.scope import SITE_CONTACT_ENTITIES, present  # noqa: E402

OUT = ROOT / "client_pwa" / "tests" / "conformance" / "fixtures.json"
NOW = "2030-06-01T10:00:00.000Z"
TENANT_ID = "tenant-1"


def uid(n: int) -> str:
    """A stable UUID for the n-th seeded or client-made row."""
    return f"00000000-0000-4000-8000-{n:012d}"


# --- the seeded world ---------------------------------------------------------------------------

A1, A2 = uid(1), uid(2)  # A1: the customer's main account; A2: another account, needs PO numbers
S1, S2, S3 = uid(11), uid(12), uid(13)  # S1, S2 at A1; S3 at A2
C1, C2, C3 = uid(21), uid(22), uid(23)  # C1: primary company contact of A1 and A2; C2: site contact (S1)
ST_BOOKABLE, ST_OFFICE_ONLY, SLOT, PRODUCT, SUPPLY, TRUCK = uid(31), uid(32), uid(33), uid(34), uid(35), uid(36)
J_REQUESTED, J_CONFIRMED, J_EN_ROUTE, J_COMPLETED, J_CANCELLED, J_REVIEWED, J_S2 = (uid(n) for n in range(41, 48))
UNIT, SYSTEM, OTHER_SYSTEM = uid(51), uid(52), uid(53)
R_ACTIVE, R_SCHEDULED, R_CLOSED, R_FREE = uid(61), uid(62), uid(63), uid(64)
E_SENT, E_APPROVED, E_EXPIRED = uid(71), uid(72), uid(73)
INVOICE = uid(81)
M_STAFF, M_CONTACT, M_OTHER_ACCOUNT = uid(91), uid(92), uid(93)
N_UNREAD, N_READ, N_OTHER = uid(101), uid(102), uid(103)
REVIEW = uid(111)
DRIVER, STAFF = uid(121), uid(122)


def _rows() -> dict[str, list[dict[str, Any]]]:
    def job(id_, status, site=S1, account=A1, truck=None, history=None):
        return {
            "id": id_,
            "number": f"J-{id_[-3:]}",
            "account_id": account,
            "site_id": site,
            "service_type_id": ST_BOOKABLE,
            "status": status,
            "scheduled_date": "2030-06-03",
            "time_slot_id": SLOT,
            "truck_id": truck,
            "price": 12000,
            "po_number": "PO-1",
            "status_history": history or [{"status": status, "at": "2030-05-30T08:00:00.000Z", "by": "Office"}],
        }

    def rental(id_, status, **extra):
        return {
            "id": id_,
            "rental_number": f"R-{id_[-3:]}",
            "account_id": A1,
            "site_id": S1,
            "status": status,
            "daily_rate": 1500,
            "swap_fee": 5000,
            **extra,
        }

    return {
        "tenant": [{"id": TENANT_ID, "slug": "demo", "name": "Demo Hauling"}],
        "account": [
            {"id": A1, "number": "A-1", "name": "Ava's Renovations", "kind": "commercial"},
            {"id": A2, "number": "A-2", "name": "Harbour Builders", "kind": "commercial", "po_required": True},
        ],
        "site": [
            {"id": S1, "account_id": A1, "number": "S-1", "name": "Main St", "address": {"line1": "1 Main St"}},
            {"id": S2, "account_id": A1, "number": "S-2", "name": "Yard"},
            {"id": S3, "account_id": A2, "number": "S-3", "name": "Harbour"},
        ],
        "membership": [
            {
                "id": uid(201),
                "contact_id": C1,
                "account_id": A1,
                "primary": True,
                "name": "Ava",
                "email": "ava@x.example",
            },
            {"id": uid(202), "contact_id": C2, "account_id": A1, "role": "site", "site_ids": [S1], "name": "Sam"},
            {"id": uid(203), "contact_id": C1, "account_id": A2, "name": "Ava", "email": "ava@x.example"},
            {"id": uid(204), "contact_id": C3, "account_id": A1, "name": "Carl", "phone": "+15550100"},
        ],
        "contact": [
            {"id": C1, "name": "Ava", "email": "ava@x.example"},
            {"id": C2, "name": "Sam", "email": "sam@x.example"},
            {"id": C3, "name": "Carl", "phone": "+15550100"},
        ],
        "service_type": [
            {"id": ST_BOOKABLE, "name": "Dumpster drop-off", "base_price": 12000, "load_prices": {"half": 9000}},
            {"id": ST_OFFICE_ONLY, "name": "Demolition", "online_bookable": False, "base_price": 90000},
        ],
        "time_slot": [{"id": SLOT, "label": "Morning", "start": "08:00", "end": "12:00", "capacity": 4}],
        "product": [{"id": PRODUCT, "name": "20 yd dumpster", "kind": "dumpster"}],
        "supply_item": [{"id": SUPPLY, "name": "Toilet paper"}],
        "truck": [{"id": TRUCK, "name": "Truck 7"}],
        "job": [
            job(J_REQUESTED, "requested"),
            job(J_CONFIRMED, "confirmed", truck=TRUCK),
            job(
                J_EN_ROUTE,
                "en_route",
                truck=TRUCK,
                history=[
                    {"status": "confirmed", "at": "2030-06-01T07:00:00.000Z", "by": "Office"},
                    {"status": "en_route", "at": "2030-06-01T09:00:00.000Z", "by": "Dee"},
                ],
            ),
            job(J_COMPLETED, "completed", truck=TRUCK),
            job(J_CANCELLED, "cancelled", truck=TRUCK),
            job(J_REVIEWED, "completed"),
            job(J_S2, "requested", site=S2),
        ],
        "review": [{"id": REVIEW, "account_id": A1, "site_id": S1, "job_id": J_REVIEWED, "rating": 5}],
        "unit": [{"id": UNIT, "account_id": A1, "site_id": S1, "number": "U-1", "product_id": PRODUCT}],
        "system": [
            {"id": SYSTEM, "account_id": A1, "site_id": S1, "name": "Septic tank"},
            {"id": OTHER_SYSTEM, "account_id": A1, "site_id": S2, "name": "Grease trap"},
        ],
        "rental": [
            rental(R_ACTIVE, "active", delivered_on="2030-05-25", ends_on="2030-06-05"),
            rental(R_SCHEDULED, "scheduled", included_days=10),
            rental(R_CLOSED, "closed", delivered_on="2030-04-01", ends_on="2030-04-08"),
            rental(R_FREE, "active", delivered_on="2030-05-28", ends_on="2030-06-04", daily_rate=0, swap_fee=0),
        ],
        "estimate": [
            {"id": E_SENT, "number": "E-1", "account_id": A1, "site_id": S1, "status": "sent", "total": 50000},
            {"id": E_APPROVED, "number": "E-2", "account_id": A1, "status": "approved", "signer_name": "Ava"},
            {"id": E_EXPIRED, "number": "E-3", "account_id": A1, "status": "sent", "valid_until": "2030-05-01"},
        ],
        "invoice": [
            {"id": INVOICE, "number": "I-1", "account_id": A1, "status": "open", "total": 12000, "balance": 12000}
        ],
        "message": [
            {"id": M_STAFF, "account_id": A1, "author_kind": "staff", "author_name": "Office", "body": "Hello"},
            {
                "id": M_CONTACT,
                "account_id": A1,
                "author_kind": "contact",
                "author_id": C1,
                "body": "Hi",
                "read_by_customer_at": "2030-05-31T12:00:00.000Z",
            },
            {"id": M_OTHER_ACCOUNT, "account_id": A2, "author_kind": "staff", "body": "About the harbour job"},
        ],
        "notification": [
            {"id": N_UNREAD, "contact_id": C1, "account_id": A1, "kind": "job_booked", "title": "Booked"},
            {
                "id": N_READ,
                "contact_id": C1,
                "account_id": A1,
                "kind": "job_booked",
                "title": "Booked",
                "read_at": "2030-05-31T12:00:00.000Z",
            },
            {"id": N_OTHER, "contact_id": C2, "account_id": A1, "kind": "job_booked", "title": "Booked"},
        ],
        "payment_method": [
            {"id": uid(131), "account_id": A1, "stripe_payment_method_id": "pm_1", "default": True, "last4": "4242"}
        ],
    }


def world() -> dict[str, dict[str, dict[str, Any]]]:
    """Every seeded row, complete (defaults filled in as the server stores them)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for entity, rows in _rows().items():
        for row in rows:
            full = {"tenant_id": TENANT_ID, "created_at": "2030-05-01T00:00:00.000Z", "version": 1, **row}
            full.setdefault("updated_at", full["created_at"])
            out.setdefault(entity, {})[row["id"]] = msgspec.to_builtins(msgspec.convert(full, ENTITIES[entity]))
    return out


TENANT: dict[str, Any] = next(iter(world()["tenant"].values()))


def _actor(role: str, person: str, name: str, accounts: dict[str, AccountAccess], **extra: Any) -> Actor:
    kind = "staff" if role in ("admin", "office", "driver") else "contact"
    return Actor(
        tenant_id=TENANT_ID,
        tenant_slug="demo",
        person_kind=kind,
        person_id=person,
        name=name,
        role=cast(Role, role),
        accounts=accounts,
        **extra,
    )


ACTORS = {
    "customer": _actor(
        "customer",
        C1,
        "Ava",
        {A1: AccountAccess(role="company", primary=True), A2: AccountAccess(role="company")},
    ),
    "site_contact": _actor("site_contact", C2, "Sam", {A1: AccountAccess(role="site", site_ids=(S1,))}),
    "staff_readonly": _actor(
        "staff_readonly", STAFF, "Olive (viewing)", {A1: AccountAccess(role="company", primary=True)}, read_only=True
    ),
    "driver": _actor("driver", DRIVER, "Dee", {}, truck_id=TRUCK),
    "office": _actor("office", STAFF, "Olive", {}),
}


def visible(actor: Actor, tenant: dict[str, Any], entity: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """The row as this session's replica holds it (sync/scope.py and the pull's scope), or None."""
    if entity in NOT_SYNCED:
        return None
    if entity in OWNER_LEVEL:
        owner = row["id"] if entity == "contact" else row.get("contact_id")
        return present(actor, tenant, entity, row) if owner == actor.person_id else None
    if entity not in TENANT_LEVEL and not actor.is_staff and actor.role != "driver":  # a driver's: see replica()
        account_id = row["id"] if entity == "account" else row.get("account_id")
        access = actor.access(account_id)
        if access is None:
            return None
        if access.role == "site":
            if entity not in SITE_CONTACT_ENTITIES:
                return None
            site_id = row["id"] if entity == "site" else row.get("site_id")
            if entity not in ("account", "message") and site_id not in access.site_ids:
                return None
    return present(actor, tenant, entity, row)


def replica(actor: Actor, tenant: dict[str, Any], rows: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """What this session's replica holds of ``rows``: entity → id → row."""
    keep: dict[str, set[str]] = {}
    if actor.role == "driver":
        jobs = {i for i, j in rows.get("job", {}).items() if j.get("truck_id") == actor.truck_id}
        keep = {
            "job": jobs,
            "site": {rows["job"][i]["site_id"] for i in jobs},
            "account": {rows["job"][i]["account_id"] for i in jobs},
        }
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for entity, by_id in rows.items():
        for row_id, row in by_id.items():
            if actor.role == "driver" and entity not in TENANT_LEVEL and row_id not in keep.get(entity, ()):
                if not (entity in OWNER_LEVEL and row.get("contact_id") == actor.person_id):
                    continue
            view = visible(actor, tenant, entity, row)
            if view is not None:
                out.setdefault(entity, {})[row_id] = view
    return out


# --- the cases ---------------------------------------------------------------------------------------

TODAY = NOW[:10]
NEW = [uid(1000 + n) for n in range(40)]  # ids clients make for new rows

# (label, actor, mutation name, args[, tenant overrides])
CASES: list[tuple] = [
    # job.book
    (
        "books a job at a site",
        "customer",
        "job.book",
        {
            "id": NEW[0],
            "site_id": S1,
            "service_type_id": ST_BOOKABLE,
            "date": "2030-06-03",
            "time_slot_id": SLOT,
            "description": "Old kitchen",
            "load_estimate": "half",
            "po_number": " PO-7 ",
            "promo_code": "spring",
        },
    ),
    (
        "books with a new site (the only account is picked)",
        "customer",
        "job.book",
        {
            "id": NEW[1],
            "account_id": A1,
            "new_site": {"id": NEW[2], "name": "Cabin", "address": {"line1": "9 Lake Rd", "city": "Elk"}},
            "service_type_id": ST_BOOKABLE,
            "date": TODAY,
            "time_slot_id": SLOT,
        },
    ),
    (
        "auto-confirmed bookings land confirmed",
        "customer",
        "job.book",
        {"id": NEW[3], "site_id": S2, "service_type_id": ST_BOOKABLE, "date": "2030-06-02", "time_slot_id": SLOT},
        {"auto_confirm_bookings": True},
    ),
    (
        "a site contact books at their site",
        "site_contact",
        "job.book",
        {"id": NEW[4], "site_id": S1, "service_type_id": ST_BOOKABLE, "date": "2030-06-02", "time_slot_id": SLOT},
    ),
    (
        "a site contact cannot book at another site",
        "site_contact",
        "job.book",
        {"id": NEW[5], "site_id": S2, "service_type_id": ST_BOOKABLE, "date": "2030-06-02", "time_slot_id": SLOT},
    ),
    (
        "not in the past",
        "customer",
        "job.book",
        {"id": NEW[6], "site_id": S1, "service_type_id": ST_BOOKABLE, "date": "2030-05-31", "time_slot_id": SLOT},
    ),
    (
        "site or new site, not both",
        "customer",
        "job.book",
        {
            "id": NEW[7],
            "site_id": S1,
            "new_site": {"id": NEW[8], "name": "Twice"},
            "service_type_id": ST_BOOKABLE,
            "date": TODAY,
            "time_slot_id": SLOT,
        },
    ),
    (
        "a service the office books only",
        "customer",
        "job.book",
        {"id": NEW[9], "site_id": S1, "service_type_id": ST_OFFICE_ONLY, "date": TODAY, "time_slot_id": SLOT},
    ),
    (
        "an unknown slot",
        "customer",
        "job.book",
        {"id": NEW[10], "site_id": S1, "service_type_id": ST_BOOKABLE, "date": TODAY, "time_slot_id": uid(999)},
    ),
    (
        "an account that needs a PO number",
        "customer",
        "job.book",
        {"id": NEW[11], "site_id": S3, "service_type_id": ST_BOOKABLE, "date": TODAY, "time_slot_id": SLOT},
    ),
    (
        "booking switched off",
        "customer",
        "job.book",
        {"id": NEW[12], "site_id": S1, "service_type_id": ST_BOOKABLE, "date": TODAY, "time_slot_id": SLOT},
        {"features": {"booking": False}},
    ),
    (
        "an id already used",
        "customer",
        "job.book",
        {"id": J_REQUESTED, "site_id": S1, "service_type_id": ST_BOOKABLE, "date": TODAY, "time_slot_id": SLOT},
    ),
    (
        "a read-only session",
        "staff_readonly",
        "job.book",
        {"id": NEW[13], "site_id": S1, "service_type_id": ST_BOOKABLE, "date": TODAY, "time_slot_id": SLOT},
    ),
    # job.cancel
    ("cancels a requested job", "customer", "job.cancel", {"job_id": J_REQUESTED, "reason": "Not needed"}),
    ("cancels a confirmed job", "customer", "job.cancel", {"job_id": J_CONFIRMED}),
    ("not once the truck is on its way", "customer", "job.cancel", {"job_id": J_EN_ROUTE}),
    ("not a completed job", "customer", "job.cancel", {"job_id": J_COMPLETED}),
    ("not twice", "customer", "job.cancel", {"job_id": J_CANCELLED}),
    ("not a job at another site", "site_contact", "job.cancel", {"job_id": J_S2}),
    ("not an unknown job", "customer", "job.cancel", {"job_id": uid(998)}),
    # job.set_po / invoice.set_po
    ("sets a job's PO number", "customer", "job.set_po", {"job_id": J_REQUESTED, "po_number": "  PO-9 "}),
    ("a site contact sets a PO at their site", "site_contact", "job.set_po", {"job_id": J_REQUESTED, "po_number": "X"}),
    ("sets an invoice's PO number", "customer", "invoice.set_po", {"invoice_id": INVOICE, "po_number": " PO-3"}),
    ("site contacts have no invoices", "site_contact", "invoice.set_po", {"invoice_id": INVOICE, "po_number": "X"}),
    # review.submit
    ("reviews a completed job", "customer", "review.submit", {"id": NEW[14], "job_id": J_COMPLETED, "rating": 4}),
    ("not a job still to do", "customer", "review.submit", {"id": NEW[15], "job_id": J_REQUESTED, "rating": 4}),
    ("once per job", "customer", "review.submit", {"id": NEW[16], "job_id": J_REVIEWED, "rating": 2}),
    (
        "reviews switched off",
        "customer",
        "review.submit",
        {"id": NEW[17], "job_id": J_COMPLETED, "rating": 4},
        {"features": {"review_collection": False}},
    ),
    # job.advance / job.add_photo (drivers)
    ("moves a job on", "driver", "job.advance", {"job_id": J_CONFIRMED, "status": "en_route", "at": NOW}),
    (
        "completes a job at the tap's time",
        "driver",
        "job.advance",
        {"job_id": J_EN_ROUTE, "status": "completed", "at": "2030-06-01T09:45:00.000Z"},
    ),
    (
        "a late tap is recorded, never moves the job back",
        "driver",
        "job.advance",
        {"job_id": J_EN_ROUTE, "status": "confirmed", "at": "2030-06-01T06:00:00.000Z"},
    ),
    (
        "the same tap twice is recorded once",
        "driver",
        "job.advance",
        {"job_id": J_EN_ROUTE, "status": "en_route", "at": "2030-06-01T09:00:00.000Z"},
    ),
    ("not a cancelled job", "driver", "job.advance", {"job_id": J_CANCELLED, "status": "en_route", "at": NOW}),
    ("not a job of another truck", "driver", "job.advance", {"job_id": J_REQUESTED, "status": "en_route", "at": NOW}),
    ("customers do not drive", "customer", "job.advance", {"job_id": J_CONFIRMED, "status": "en_route", "at": NOW}),
    (
        "adds a photo",
        "driver",
        "job.add_photo",
        {"job_id": J_EN_ROUTE, "photo_id": "ph_1", "stage": "before", "taken_at": NOW},
    ),
    # site.upsert
    (
        "adds a site",
        "customer",
        "site.upsert",
        {"id": NEW[18], "account_id": A1, "name": "Warehouse", "type": "commercial", "address": {"line1": "5 Dock"}},
    ),
    ("edits a site", "customer", "site.upsert", {"id": S2, "name": "Back yard", "access_code": "1234"}),
    ("a site contact cannot add sites", "site_contact", "site.upsert", {"id": NEW[19], "account_id": A1, "name": "X"}),
    ("which account, when there are two", "customer", "site.upsert", {"id": NEW[20], "name": "Nowhere"}),
    # requests
    (
        "submits a service request",
        "customer",
        "service_request.submit",
        {
            "id": NEW[21],
            "site_id": S1,
            "system_id": SYSTEM,
            "requested_date": "2030-06-04",
            "start_time": "08:00",
            "end_time": "10:00",
            "lines": [{"service_type_id": ST_BOOKABLE, "quantity": 2}, {"product_id": PRODUCT}],
            "urgency": "urgent",
            "po_number": " PO-5 ",
        },
    ),
    (
        "a system of another site",
        "customer",
        "service_request.submit",
        {"id": NEW[22], "site_id": S1, "system_id": OTHER_SYSTEM, "requested_date": TODAY, "lines": [{"quantity": 1}]},
    ),
    (
        "a window that ends before it starts",
        "customer",
        "service_request.submit",
        {
            "id": NEW[23],
            "site_id": S1,
            "requested_date": TODAY,
            "start_time": "10:00",
            "end_time": "09:00",
            "lines": [{"quantity": 1}],
        },
    ),
    (
        "a service that cannot be requested",
        "customer",
        "service_request.submit",
        {"id": NEW[24], "site_id": S1, "requested_date": TODAY, "lines": [{"service_type_id": ST_OFFICE_ONLY}]},
    ),
    (
        "a request in the past",
        "customer",
        "service_request.submit",
        {"id": NEW[25], "site_id": S1, "requested_date": "2030-05-01", "lines": [{"quantity": 1}]},
    ),
    (
        "submits a supply request",
        "site_contact",
        "supply_request.submit",
        {"id": NEW[26], "site_id": S1, "lines": [{"supply_item_id": SUPPLY, "quantity": 3}], "priority": "urgent"},
    ),
    (
        "an unknown supply item",
        "customer",
        "supply_request.submit",
        {"id": NEW[27], "site_id": S1, "lines": [{"supply_item_id": uid(997), "quantity": 1}]},
    ),
    (
        "reports a damaged unit",
        "customer",
        "unit.report_issue",
        {"id": NEW[28], "unit_id": UNIT, "kind": "damage", "description": "Dented"},
    ),
    ("reports something else", "site_contact", "unit.report_issue", {"id": NEW[29], "unit_id": UNIT, "kind": "other"}),
    # estimates
    ("approves an estimate", "customer", "estimate.approve", {"estimate_id": E_SENT, "signer_name": " Ava Lee "}),
    ("declines an estimate", "customer", "estimate.decline", {"estimate_id": E_SENT, "reason": "Too dear"}),
    (
        "not an estimate already decided",
        "customer",
        "estimate.approve",
        {"estimate_id": E_APPROVED, "signer_name": "A"},
    ),
    ("not an expired estimate", "customer", "estimate.decline", {"estimate_id": E_EXPIRED}),
    ("site contacts do not decide estimates", "site_contact", "estimate.decline", {"estimate_id": E_SENT}),
    # rentals
    ("extends an active rental", "customer", "rental.extend", {"rental_id": R_ACTIVE, "days": 3}),
    (
        "extends a scheduled rental from its included days",
        "customer",
        "rental.extend",
        {"rental_id": R_SCHEDULED, "days": 2},
    ),
    ("a free extension is paid at once", "customer", "rental.extend", {"rental_id": R_FREE, "days": 1}),
    ("not a closed rental", "customer", "rental.extend", {"rental_id": R_CLOSED, "days": 1}),
    ("site contacts do not extend", "site_contact", "rental.extend", {"rental_id": R_ACTIVE, "days": 1}),
    (
        "rentals switched off",
        "customer",
        "rental.extend",
        {"rental_id": R_ACTIVE, "days": 1},
        {"features": {"rentals": False}},
    ),
    (
        "requests a pickup",
        "site_contact",
        "rental.request_pickup",
        {"rental_id": R_ACTIVE, "date": "2030-06-05", "notes": "Gate code 4"},
    ),
    ("a pickup in the past", "customer", "rental.request_pickup", {"rental_id": R_ACTIVE, "date": "2030-05-30"}),
    ("no pickup of a closed rental", "customer", "rental.request_pickup", {"rental_id": R_CLOSED, "date": TODAY}),
    ("requests a swap", "customer", "rental.request_swap", {"rental_id": R_ACTIVE, "date": "2030-06-02"}),
    ("a site contact requests a swap", "site_contact", "rental.request_swap", {"rental_id": R_ACTIVE, "date": TODAY}),
    ("only an active rental is swapped", "customer", "rental.request_swap", {"rental_id": R_SCHEDULED, "date": TODAY}),
    # messages and notifications
    ("sends a message", "customer", "message.send", {"id": NEW[30], "account_id": A1, "body": "  See you at 8  "}),
    ("the only account is the thread", "site_contact", "message.send", {"id": NEW[31], "body": "Gate is open"}),
    ("the office answers", "office", "message.send", {"id": NEW[32], "account_id": A1, "body": "On our way"}),
    ("not an empty message", "customer", "message.send", {"id": NEW[33], "account_id": A1, "body": "   "}),
    (
        "messaging switched off",
        "customer",
        "message.send",
        {"id": NEW[34], "account_id": A1, "body": "Hi"},
        {"features": {"messaging": False}},
    ),
    ("marks one message read", "customer", "message.mark_read", {"ids": [M_STAFF]}),
    ("marks a thread read", "customer", "message.mark_read", {"all": True, "account_id": A1}),
    ("the office reads the customer's messages", "office", "message.mark_read", {"all": True, "account_id": A1}),
    ("marks a notification read", "customer", "notification.mark_read", {"ids": [N_UNREAD, N_READ]}),
    ("marks every notification read", "customer", "notification.mark_read", {"all": True}),
    # contacts
    (
        "adds a contact",
        "customer",
        "contact.upsert",
        {"id": NEW[35], "account_id": A1, "name": " Bo ", "email": "Bo@X.example", "role": "site", "site_ids": [S1]},
    ),
    (
        "edits a contact's access",
        "customer",
        "contact.upsert",
        {"id": C3, "account_id": A1, "name": "Carl", "phone": "+15550100", "primary": True},
    ),
    ("a contact needs an address", "customer", "contact.upsert", {"id": NEW[36], "account_id": A1, "name": "No Way"}),
    (
        "a site contact needs a site",
        "customer",
        "contact.upsert",
        {"id": NEW[37], "account_id": A1, "name": "Di", "email": "di@x.example", "role": "site"},
    ),
    (
        "only primary contacts manage contacts",
        "customer",
        "contact.upsert",
        {"id": NEW[38], "account_id": A2, "name": "Ed", "email": "ed@x.example"},
    ),
    ("removes a contact", "customer", "contact.remove", {"contact_id": C3, "account_id": A1}),
    ("not oneself", "customer", "contact.remove", {"contact_id": C1, "account_id": A1}),
    ("not someone not on the account", "customer", "contact.remove", {"contact_id": C2, "account_id": A2}),
    ("an unknown mutation", "customer", "job.teleport", {"job_id": J_REQUESTED}),
]


def _tenant(overrides: dict[str, Any]) -> dict[str, Any]:
    tenant = copy.deepcopy(TENANT)
    for key, value in overrides.items():
        tenant[key] = {**tenant[key], **value} if isinstance(value, dict) else value
    return tenant


def run_case(label: str, role: str, name: str, args: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    actor = ACTORS[role]
    tenant = _tenant(overrides)
    rows = world()
    rows["tenant"][TENANT_ID] = tenant
    before = replica(actor, tenant, rows)
    tx = ReplicaTx(
        lambda entity: copy.deepcopy(before.get(entity, {})),
        lambda entity, row_id: copy.deepcopy(before.get(entity, {}).get(row_id)),
        TENANT_ID,
        NOW,
    )
    mutation = Mutation(id=1, name=name, args=args, created_at=NOW)
    [outcome] = replay(tx, actor, tenant, [mutation])
    fixture: dict[str, Any] = {
        "name": f"{name}: {label}",
        "session": role,
        "tenant": tenant,
        "mutation": msgspec.to_builtins(mutation),
    }
    if outcome.error is not None:
        fixture["rejected"] = outcome.error.code
        return fixture
    changes = []
    for (entity, row_id), row in sorted(tx.overlay.items(), key=lambda kv: kv[0]):
        old = before.get(entity, {}).get(row_id)
        new = visible(actor, tenant, entity, row) if row is not None else None
        if new == old:
            continue
        if new is None:
            if old is not None:
                changes.append({"entity": entity, "id": row_id, "op": "del"})
            continue
        changes.append({"entity": entity, "id": row_id, "op": "put", "row": new})
    fixture["changes"] = changes
    return fixture


def session(role: str) -> dict[str, Any]:
    """A session of ``role`` as the PWA knows it (/api/auth/me) and its replica (without the tenant row)."""
    actor = ACTORS[role]
    state = replica(actor, TENANT, world())
    state.pop("tenant", None)
    return {
        "role": actor.role,
        "person_id": actor.person_id,
        "name": actor.name,
        "read_only": actor.read_only,
        "truck_id": actor.truck_id,
        "accounts": {
            a: {"role": acc.role, "site_ids": list(acc.site_ids), "primary": acc.primary}
            for a, acc in actor.accounts.items()
        },
        "state": {e: sorted(by_id.values(), key=lambda r: r["id"]) for e, by_id in sorted(state.items())},
    }


def generate() -> str:
    load_all()
    fixtures = [run_case(c[0], c[1], c[2], c[3], c[4] if len(c) > 4 else {}) for c in CASES]
    missing = sorted(set(MUTATORS) - {c[2] for c in CASES})
    if missing:
        raise SystemExit(f"no conformance case runs these mutators: {', '.join(missing)}")
    for name in MUTATORS:
        if not any(f["mutation"]["name"] == name and "changes" in f for f in fixtures):
            raise SystemExit(f"no conformance case of {name} is applied (every mutator needs one that changes rows)")
    header = {
        "generated_by": "scripts/gen_conformance.py (do not edit)",
        # Set by the server when it applies the mutation; a client cannot know them.
        "server_assigned": ["tenant_id", "version", "updated_at", "number"],
        "now": NOW,
        "today": NOW[:10],
    }
    sessions = {role: session(role) for role in ACTORS}
    lines = [json.dumps({**header, "sessions": sessions}, sort_keys=False)[:-1] + ', "fixtures": [']
    lines += [json.dumps(f, sort_keys=False) + ("," if i < len(fixtures) - 1 else "") for i, f in enumerate(fixtures)]
    return "\n".join([*lines, "]}"]) + "\n"


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run scripts/gen_conformance.py and commit it", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not OUT.exists() or OUT.read_text() != text:
        OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(CASES)} fixtures)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
