"""The demo data set of PROTOCOL.md "Demo data": what a newcomer's first run and every test rely on.

Ids are derived from names, and rows that exist are left alone, so running it twice changes nothing.
Dates are relative to the day of the first run, in the demo tenant's own time zone (the portal reads
"today" there too, so a run between midnight UTC and midnight in Chicago makes the same data as any other).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.db.engine import Database
from server.db.store import Store, now_iso
from server.settings import Settings
from sync.rules import invoice_totals

NAMESPACE = uuid.UUID("6f1c2a4e-9d0b-4d8e-a0c7-6b2f1e3d4c5a")


def sid(name: str) -> str:
    """The fixed id of a demo row."""
    return str(uuid.uuid5(NAMESPACE, name))


TIMEZONE = "America/Chicago"


def _today() -> date:
    """Today where the demo business is."""
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def _day(offset: int) -> str:
    return (_today() + timedelta(days=offset)).isoformat()


HOURS = {d: {"open": "07:00", "close": "18:00"} for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": {"open": "08:00", "close": "12:00"},
    "sun": {"open": None, "close": None},
}


def _address(line1: str, city: str = "Springfield", postal: str = "62701") -> dict[str, str]:
    return {"line1": line1, "line2": "", "city": city, "region": "IL", "postal_code": postal, "country": "US"}


def _invoice(
    key: str,
    account: str,
    number: str,
    issued: int,
    due: int,
    lines: list[tuple[str, float, int]],
    status: str,
    paid: int = 0,
    site: str | None = None,
    po: str = "",
) -> dict[str, Any]:
    totals = invoice_totals([{"description": d, "quantity": q, "unit_price": p} for d, q, p in lines], 0)
    return {
        "id": sid(key),
        "number": number,
        "account_id": account,
        "site_id": site,
        "issued_on": _day(issued),
        "due_on": _day(due),
        "terms": "Net 30" if due - issued >= 30 else "Due on receipt",
        "status": status,
        "lines": totals["lines"],
        "subtotal": totals["subtotal"],
        "tax": 0,
        "total": totals["total"],
        "balance": totals["total"] - paid,
        "po_number": po,
        "allow_online_payment": True,
    }


def _job(
    key: str,
    number: str,
    account: str,
    site: str,
    service: str,
    status: str,
    day: int,
    slot: str,
    truck: tuple[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    flow = ["requested", "confirmed", "en_route", "in_progress", "completed"]
    history = []
    if status == "cancelled":
        history = [
            {"status": "requested", "at": now_iso(), "by": "office", "applied": True},
            {"status": "cancelled", "at": now_iso(), "by": "office", "applied": True},
        ]
    else:
        history = [
            {"status": s, "at": now_iso(), "by": "office", "applied": True} for s in flow[: flow.index(status) + 1]
        ]
    row = {
        "id": sid(key),
        "number": number,
        "account_id": account,
        "site_id": site,
        "service_type_id": service,
        "status": status,
        "scheduled_date": _day(day),
        "time_slot_id": slot,
        "source": "office",
        "status_history": history,
        "price": 25000,
        "description": extra.pop("description", ""),
    }
    if truck:
        row.update(truck_id=truck[0], truck_name=truck[1], crew=[{"name": "Drew Driver"}, {"name": "Sam Helper"}])
    if status == "completed":
        row["completed_at"] = now_iso()
    return row | extra


def demo_rows() -> list[tuple[str, str, dict[str, Any]]]:
    """(tenant id, entity, row) for every demo row, parents first."""
    demo, acme = sid("tenant:demo"), sid("tenant:acme")
    ava_res, ava_biz, harbor = sid("account:ava-reed"), sid("account:reed-landscaping"), sid("account:harbor")
    ava = sid("contact:ava")
    home, yard = sid("site:ava-home"), sid("site:reed-yard")
    tower_a, tower_b, warehouse = sid("site:harbor-a"), sid("site:harbor-b"), sid("site:harbor-warehouse")
    t1, t2 = sid("truck:t1"), sid("truck:t2")
    junk, dumpster, toilet, septic = (
        sid("service:junk"),
        sid("service:dumpster"),
        sid("service:toilet"),
        sid("service:septic"),
    )
    morning, afternoon = sid("slot:morning"), sid("slot:afternoon")
    p20, ptoilet = sid("product:20yd"), sid("product:toilet")
    rows: list[tuple[str, str, dict[str, Any]]] = []

    def add(tenant: str, entity: str, row: dict[str, Any]) -> None:
        rows.append((tenant, entity, row))

    add(
        demo,
        "tenant",
        {
            "id": demo,
            "slug": "demo",
            "name": "Demo Junk & Dumpster",
            "display_name": "Demo Junk & Dumpster",
            "primary_color": "#0E7C66",
            "timezone": TIMEZONE,
            "phone": "+15550100000",
            "email": "office@demo.example",
            "address": _address("1 Depot Rd"),
            "business_hours": HOURS,
        },
    )
    add(
        acme,
        "tenant",
        {
            "id": acme,
            "slug": "acme",
            "name": "Acme Portable Toilets",
            "display_name": "Acme",
            "primary_color": "#1F4E9E",
            "phone": "+15550200000",
            "email": "office@acme.example",
            "business_hours": HOURS,
        },
    )
    # catalog
    add(demo, "product", {"id": p20, "name": "20 yd dumpster", "kind": "dumpster", "size": "20 yd"})
    add(demo, "product", {"id": ptoilet, "name": "Standard portable toilet", "kind": "toilet"})
    add(
        demo,
        "service_type",
        {
            "id": junk,
            "name": "Junk removal",
            "online_bookable": True,
            "base_price": 25000,
            # a truck's worth: the price follows how much of it the load fills
            "load_prices": {"min": 12500, "quarter": 17500, "half": 25000, "three_quarter": 32500, "full": 40000},
            "duration_min": 90,
        },
    )
    add(
        demo,
        "service_type",
        {
            "id": dumpster,
            "name": "Dumpster delivery (20 yd)",
            "product_id": p20,
            "online_bookable": True,
            "base_price": 45000,
            "duration_min": 30,
        },
    )
    add(
        demo,
        "service_type",
        {
            "id": toilet,
            "name": "Portable toilet service",
            "product_id": ptoilet,
            "online_bookable": True,
            "base_price": 9500,
            "duration_min": 20,
        },
    )
    add(
        demo,
        "service_type",
        {"id": septic, "name": "Septic pumping", "online_bookable": False, "base_price": 37500, "duration_min": 120},
    )
    add(demo, "time_slot", {"id": morning, "label": "Morning 8–12", "start": "08:00", "end": "12:00", "capacity": 4})
    add(
        demo, "time_slot", {"id": afternoon, "label": "Afternoon 12–4", "start": "12:00", "end": "16:00", "capacity": 4}
    )
    for key, name, unit in (
        ("tp", "Toilet paper", "case"),
        ("sanitizer", "Hand sanitizer", "bottle"),
        ("deodorizer", "Deodorizer", "pack"),
    ):
        add(demo, "supply_item", {"id": sid(f"supply:{key}"), "name": name, "unit": unit})
    add(demo, "promo_code", {"id": sid("promo:welcome10"), "code": "WELCOME10", "percent_off": 10, "public": True})
    # a code given to a partner's customers: not in the replica, checked when the booking reaches the server
    add(demo, "promo_code", {"id": sid("promo:partner"), "code": "PARTNER20", "amount_off": 2000})
    add(demo, "truck", {"id": t1, "name": "T-1", "plate": "HAUL-001"})
    add(demo, "truck", {"id": t2, "name": "T-2", "plate": "HAUL-002"})
    for key, name, role, truck in (
        ("admin", "Dana Admin", "admin", None),
        ("office", "Oscar Office", "office", None),
        ("driver", "Drew Driver", "driver", t1),
    ):
        add(
            demo,
            "staff_user",
            {"id": sid(f"staff:{key}"), "name": name, "email": f"{key}@demo.example", "role": role, "truck_id": truck},
        )
    # accounts, sites, people
    add(
        demo,
        "account",
        {
            "id": ava_res,
            "number": "A-1001",
            "name": "Ava Reed",
            "kind": "residential",
            "billing_address": _address("12 Elm St"),
            "email": "ava@example.com",
            "phone": "+15550100001",
        },
    )
    add(
        demo,
        "account",
        {
            "id": ava_biz,
            "number": "A-1002",
            "name": "Reed Landscaping",
            "kind": "commercial",
            "billing_address": _address("400 Mill Rd"),
            "net_terms_days": 15,
            "email": "ava@example.com",
            "phone": "+15550100001",
        },
    )
    add(
        demo,
        "account",
        {
            "id": harbor,
            "number": "A-1003",
            "name": "Harbor Property Group",
            "kind": "commercial",
            "billing_address": _address("1 Harbor Way"),
            "net_terms_days": 30,
            "po_required": True,
            "email": "ops@harbor.example",
            "phone": "+15550100010",
        },
    )
    add(
        demo,
        "site",
        {
            "id": home,
            "account_id": ava_res,
            "number": "S-1001",
            "name": "Home",
            "address": _address("12 Elm St"),
            "access_code": "",
            "lat": 39.7990,
            "lng": -89.6440,
            "notes": "Driveway on the left side.",
        },
    )
    add(
        demo,
        "site",
        {
            "id": yard,
            "account_id": ava_biz,
            "number": "S-1002",
            "name": "Equipment yard",
            "type": "commercial",
            "address": _address("400 Mill Rd"),
            "lat": 39.8120,
            "lng": -89.6300,
        },
    )
    for key, site_id, name, building, unit, code, lat in (
        ("a", tower_a, "Harbor Tower A", "Tower A", "Loading dock", "4821#", 39.7810),
        ("b", tower_b, "Harbor Tower B", "Tower B", "Garage level P1", "7730#", 39.7815),
        ("w", warehouse, "Harbor Warehouse", "Warehouse 3", "", "gate 1912", 39.7700),
    ):
        add(
            demo,
            "site",
            {
                "id": site_id,
                "account_id": harbor,
                "number": f"S-20{key}",
                "name": name,
                "type": "commercial",
                "address": _address(f"{ord(key)} Harbor Way"),
                "building": building,
                "unit": unit,
                "access_code": code,
                "lat": lat,
                "lng": -89.6500,
            },
        )
    add(
        demo,
        "system",
        {
            "id": sid("system:warehouse-septic"),
            "account_id": harbor,
            "site_id": warehouse,
            "name": "Warehouse septic tank",
            "kind": "septic",
        },
    )
    people = (
        (ava, "Ava Reed", "ava@example.com", "+15550100001"),
        (sid("contact:ops"), "Olivia Ops", "ops@harbor.example", "+15550100011"),
        (sid("contact:gate"), "Gus Gate", "gate@harbor.example", "+15550100012"),
    )
    for contact_id, name, email, phone in people:
        add(demo, "contact", {"id": contact_id, "name": name, "email": email, "phone": phone})
    for key, contact_id, account, role, sites, primary in (
        ("ava-res", ava, ava_res, "company", [], True),
        ("ava-biz", ava, ava_biz, "company", [], True),
        ("ops", sid("contact:ops"), harbor, "company", [], True),
        ("gate", sid("contact:gate"), harbor, "site", [tower_a], False),
    ):
        person = next(p for p in people if p[0] == contact_id)
        add(
            demo,
            "membership",
            {
                "id": sid(f"membership:{key}"),
                "contact_id": contact_id,
                "account_id": account,
                "role": role,
                "site_ids": sites,
                "primary": primary,
                "name": person[1],
                "email": person[2],
                "phone": person[3],
            },
        )
    # work
    t1n = (t1, "T-1")
    for job in (
        _job(
            "job:ava-requested",
            "J-0901",
            ava_res,
            home,
            junk,
            "requested",
            5,
            morning,
            description="Old sofa and two mattresses",
            load_estimate="quarter",
        ),
        _job("job:ava-confirmed", "J-0902", ava_res, home, dumpster, "confirmed", 2, afternoon, (t2, "T-2")),
        _job(
            "job:ava-en-route",
            "J-0903",
            ava_res,
            home,
            junk,
            "en_route",
            0,
            morning,
            t1n,
            description="Garage clean-out",
            load_estimate="half",
        ),
        _job(
            "job:harbor-in-progress",
            "J-0904",
            harbor,
            tower_a,
            toilet,
            "in_progress",
            0,
            morning,
            t1n,
            po_number="PO-7781",
        ),
        _job(
            "job:harbor-b-confirmed",
            "J-0905",
            harbor,
            tower_b,
            toilet,
            "confirmed",
            0,
            afternoon,
            t1n,
            po_number="PO-7782",
        ),
        _job(
            "job:ava-completed", "J-0880", ava_res, home, junk, "completed", -20, morning, t1n, description="Yard waste"
        ),
        _job(
            "job:harbor-completed",
            "J-0881",
            harbor,
            warehouse,
            septic,
            "completed",
            -10,
            morning,
            (t2, "T-2"),
            po_number="PO-7700",
        ),
        _job("job:biz-cancelled", "J-0890", ava_biz, yard, dumpster, "cancelled", 3, morning),
    ):
        add(demo, "job", job)
    add(
        demo,
        "recurring_series",
        {
            "id": sid("series:harbor-weekly"),
            "account_id": harbor,
            "site_id": tower_a,
            "service_type_id": toilet,
            "pattern": "weekly",
            "weekday": 0,
            "next_run": _day(7 - _today().weekday()),
            "active": True,
        },
    )
    for n, site_id, condition in (
        ("101", tower_a, "good"),
        ("102", tower_a, "needs_service"),
        ("201", tower_b, "good"),
    ):
        add(
            demo,
            "unit",
            {
                "id": sid(f"unit:{n}"),
                "account_id": harbor,
                "site_id": site_id,
                "number": f"PT-{n}",
                "product_id": ptoilet,
                "condition": condition,
                "last_serviced_at": now_iso(),
            },
        )
    add(
        demo,
        "rental",
        {
            "id": sid("rental:ava-20yd"),
            "rental_number": "R-1001",
            "account_id": ava_res,
            "site_id": home,
            "product_id": p20,
            "container_size": "20 yd",
            "delivered_on": _day(-3),
            "included_days": 7,
            "ends_on": _day(4),
            "daily_rate": 1500,
            "swap_fee": 25000,
            "status": "active",
        },
    )
    add(
        demo,
        "estimate",
        {
            "id": sid("estimate:harbor"),
            "number": "EST-1001",
            "account_id": harbor,
            "site_id": warehouse,
            "status": "sent",
            "valid_until": _day(14),
            "total": 120000,
            "lines": [
                {
                    "description": "Septic tank inspection and pump-out",
                    "quantity": 1,
                    "unit_price": 120000,
                    "amount": 120000,
                }
            ],
        },
    )
    # money
    add(
        demo,
        "invoice",
        _invoice(
            "invoice:ava-open", ava_res, "INV-1001", -5, 10, [("Junk removal, half truck", 1, 32500)], "open", site=home
        ),
    )
    add(
        demo,
        "invoice",
        _invoice(
            "invoice:ava-paid",
            ava_res,
            "INV-0990",
            -25,
            -15,
            [("Yard waste removal", 1, 18000)],
            "paid",
            paid=18000,
            site=home,
        ),
    )
    add(
        demo,
        "invoice",
        _invoice(
            "invoice:harbor-overdue",
            harbor,
            "INV-1002",
            -45,
            -15,
            [("Portable toilet service", 8, 9500), ("Deodorizer packs", 4, 1200)],
            "open",
            site=tower_a,
            po="PO-7700",
        ),
    )
    add(
        demo,
        "invoice",
        _invoice(
            "invoice:harbor-partial",
            harbor,
            "INV-1003",
            -20,
            10,
            [("Septic pumping", 1, 37500), ("Disposal fee", 1, 6500)],
            "open",
            paid=20000,
            site=warehouse,
            po="PO-7701",
        ),
    )
    add(
        demo,
        "invoice",
        _invoice(
            "invoice:harbor-pending",
            harbor,
            "INV-1004",
            0,
            30,
            [("Portable toilet rental, monthly", 3, 14500)],
            "pending",
            site=tower_b,
            po="PO-7782",
        ),
    )
    add(
        demo,
        "invoice",
        _invoice(
            "invoice:biz-open", ava_biz, "INV-1005", -2, 13, [("Dumpster rental, 10 yd", 1, 39500)], "open", site=yard
        ),
    )
    add(
        demo,
        "payment",
        {
            "id": sid("payment:ava-paid"),
            "number": "PAY-1001",
            "account_id": ava_res,
            "amount": 18000,
            "method": "card",
            "status": "succeeded",
            "reference": "Visa •••• 4242",
            "allocations": [{"invoice_id": sid("invoice:ava-paid"), "amount": 18000}],
            "paid_at": now_iso(),
        },
    )
    add(
        demo,
        "payment",
        {
            "id": sid("payment:harbor-partial"),
            "number": "PAY-1002",
            "account_id": harbor,
            "amount": 20000,
            "method": "bank",
            "status": "succeeded",
            "reference": "ACH",
            "allocations": [{"invoice_id": sid("invoice:harbor-partial"), "amount": 20000}],
            "paid_at": now_iso(),
        },
    )
    # conversation
    for key, account, kind, author, name, body in (
        ("m1", ava_res, "contact", ava, "Ava Reed", "Hi! Can the crew also take an old fridge?"),
        ("m2", ava_res, "staff", sid("staff:office"), "Oscar Office", "Sure, we'll add it to today's job."),
        ("m3", harbor, "contact", sid("contact:ops"), "Olivia Ops", "Please service Tower B units on Friday."),
    ):
        add(
            demo,
            "message",
            {
                "id": sid(f"message:{key}"),
                "account_id": account,
                "author_kind": kind,
                "author_id": author,
                "author_name": name,
                "body": body,
                "read_by_staff_at": now_iso(),
                "read_by_customer_at": now_iso() if kind == "contact" else None,
            },
        )
    for key, contact_id, account, kind, title in (
        ("n1", ava, ava_res, "en_route", "Your truck is on the way: job J-0903"),
        ("n2", ava, ava_res, "invoice_sent", "Invoice INV-1001 is ready"),
        ("n3", sid("contact:ops"), harbor, "invoice_sent", "Invoice INV-1002 is overdue"),
    ):
        add(
            demo,
            "notification",
            {
                "id": sid(f"notification:{key}"),
                "contact_id": contact_id,
                "account_id": account,
                "kind": kind,
                "title": title,
                "body": "",
                "link": "",
            },
        )
    # the second business: same person, other account
    acme_ava, acme_site = sid("acme:account:ava"), sid("acme:site:ava")
    add(
        acme,
        "account",
        {
            "id": acme_ava,
            "number": "A-5001",
            "name": "Ava Reed",
            "kind": "residential",
            "billing_address": _address("12 Elm St"),
            "email": "ava@example.com",
        },
    )
    add(
        acme,
        "site",
        {"id": acme_site, "account_id": acme_ava, "number": "S-5001", "name": "Home", "address": _address("12 Elm St")},
    )
    add(
        acme,
        "contact",
        {"id": sid("acme:contact:ava"), "name": "Ava Reed", "email": "ava@example.com", "phone": "+15550100001"},
    )
    add(
        acme,
        "membership",
        {
            "id": sid("acme:membership:ava"),
            "contact_id": sid("acme:contact:ava"),
            "account_id": acme_ava,
            "role": "company",
            "primary": True,
            "name": "Ava Reed",
            "email": "ava@example.com",
            "phone": "+15550100001",
        },
    )
    add(
        acme,
        "staff_user",
        {"id": sid("acme:staff:admin"), "name": "Acme Admin", "email": "admin@acme.example", "role": "admin"},
    )
    add(
        acme,
        "invoice",
        _invoice(
            "acme:invoice:open",
            acme_ava,
            "INV-5001",
            -3,
            27,
            [("Portable toilet, event weekend", 2, 17500)],
            "open",
            site=acme_site,
        ),
    )
    add(
        acme,
        "invoice",
        _invoice(
            "acme:invoice:paid",
            acme_ava,
            "INV-5000",
            -40,
            -10,
            [("Portable toilet, monthly", 1, 14500)],
            "paid",
            paid=14500,
            site=acme_site,
        ),
    )
    return rows


NUMBER_FIELDS = {
    "account": "number",
    "site": "number",
    "job": "number",
    "invoice": "number",
    "estimate": "number",
    "payment": "number",
    "rental": "rental_number",
}


async def _advance_number_counters(conn) -> None:
    """Make the next generated numbers follow the demo's own (INV-1005 ⇒ INV-1006 next)."""
    highest: dict[str, int] = {}
    for tenant_id, entity, row in demo_rows():
        number = str(row.get(NUMBER_FIELDS.get(entity, ""), "") or "")
        tail = number.rsplit("-", 1)[-1]
        if tail.isdigit():
            key = f"{tenant_id}:{entity}"
            highest[key] = max(highest.get(key, 1000), int(tail))
    for key, value in highest.items():
        await conn.execute(
            "INSERT INTO number_counter (id, value) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
            "SET value = CASE WHEN number_counter.value < excluded.value THEN excluded.value "
            "ELSE number_counter.value END",
            key,
            value,
        )


async def seed_demo(settings: Settings, db: Database | None = None) -> str:
    """Insert the demo rows that are missing; returns a one-line summary."""
    own = db is None
    db = db or Database(settings.database_url)
    if own:
        await db.start()
    created = 0
    try:
        async with db.write() as conn:
            for tenant_id, entity, row in demo_rows():
                store = Store(conn, tenant_id)
                if await store.get(entity, row["id"]) is None:
                    await store.lock()
                    await store.insert(entity, row)
                    created += 1
            await _advance_number_counters(conn)
    finally:
        if own:
            await db.close()
    return f"demo data: {created} rows created" if created else "demo data: already present, nothing changed"
