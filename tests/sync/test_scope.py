"""Scope: a pull holds exactly the rows the session may see, redacted for its role, and nothing of
another tenant; mutations naming another tenant's rows are rejected."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from server.db.store import decode_row
from server.seed.demo import sid
from sync.entities import ENTITIES
from tests.support.portal import AVA, DRIVER, GATE, OPS, login, new_client_id, pull_all, push

DEMO, ACME = sid("tenant:demo"), sid("tenant:acme")
AVA_RES, AVA_BIZ, HARBOR = sid("account:ava-reed"), sid("account:reed-landscaping"), sid("account:harbor")
TOWER_A, TOWER_B = sid("site:harbor-a"), sid("site:harbor-b")
TENANT_WIDE = {"tenant", "product", "service_type", "time_slot", "supply_item", "truck"}
PERSONAL = {"notification", "mutation_rejection"}
# What a site contact may see of its account (PROTOCOL.md: only its sites; no invoices, payments, billing).
SITE_WORK = {
    "site",
    "system",
    "unit",
    "job",
    "recurring_series",
    "service_request",
    "supply_request",
    "unit_issue",
    "review",
    "rental",
}
SECRETS = {"stripe_customer_id", "stripe_payment_intent_id", "stripe_payment_method_id"}
PEOPLE = {AVA: sid("contact:ava"), OPS: sid("contact:ops"), GATE: sid("contact:gate"), DRIVER: sid("staff:driver")}


async def _all_rows(db) -> dict[tuple[str, str], dict[str, Any]]:
    rows = {}
    async with db.read() as conn:
        for entity in ENTITIES:
            for raw in await conn.fetch(f"SELECT * FROM {entity}"):
                rows[(entity, raw["id"])] = decode_row(entity, raw)
    return rows


def _visible(email: str, entity: str, row: dict[str, Any], tenant: dict[str, Any]) -> bool:
    """The scope rules written out independently of sync/scope.py: the oracle the pulls are checked against."""
    me = PEOPLE[email]
    if row["tenant_id"] != DEMO or entity == "staff_user":
        return False
    if entity == "promo_code":  # customers see the public codes (to price a booking), drivers none
        return bool(row["public"]) and email != DRIVER
    if entity in TENANT_WIDE:
        return True
    if entity == "contact":
        return row["id"] == me
    if entity in PERSONAL:
        return row["contact_id"] == me
    if entity == "invoice" and (
        row["status"] == "draft" or (row["status"] == "pending" and not tenant["show_pending_invoices"])
    ):
        return False
    account = row["id"] if entity == "account" else row.get("account_id")
    if email == DRIVER:  # the jobs on truck T-1 from yesterday to a week ahead, their sites and accounts
        return entity in ("job", "site", "account") and row["id"] in DRIVER_ROUTE
    if email == GATE:
        if account != HARBOR:
            return False
        if entity in ("account", "message"):
            return True
        site = row["id"] if entity == "site" else row.get("site_id")
        return entity in SITE_WORK and site == TOWER_A
    company = {AVA: {AVA_RES, AVA_BIZ}, OPS: {HARBOR}}[email]
    return account in company


DRIVER_ROUTE: set[str] = set()


async def _driver_route(db) -> set[str]:
    today = date.today()
    start, end = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=7)).isoformat()
    async with db.read() as conn:
        jobs = await conn.fetch(
            "SELECT id, site_id, account_id FROM job WHERE tenant_id = ? AND truck_id = ? AND "
            "scheduled_date >= ? AND scheduled_date <= ?",
            DEMO,
            sid("truck:t1"),
            start,
            end,
        )
    return {j[k] for j in jobs for k in ("id", "site_id", "account_id")}


async def _check_pull(server_db, email: str, rows: dict) -> None:
    DRIVER_ROUTE.clear()
    DRIVER_ROUTE.update(await _driver_route(server_db))
    everything = await _all_rows(server_db)
    tenant = everything[("tenant", DEMO)]
    expected = {key for key, row in everything.items() if _visible(email, key[0], row, tenant)}
    assert set(rows) - expected == set(), f"{email} pulled rows outside its scope"
    assert expected - set(rows) == set(), f"{email} is missing rows of its scope"
    for (entity, _), data in rows.items():
        assert not SECRETS & set(data), f"{email} got a secret field of {entity}"
        assert data["tenant_id"] == DEMO
        if entity == "promo_code":
            assert not {"uses", "max_uses"} & set(data), f"{email} got a promo code's bookkeeping"


async def test_every_pull_is_exactly_the_sessions_scope(client, server_db):
    for email in (AVA, OPS, GATE, DRIVER):
        headers = await login(client, email)
        _, rows = await pull_all(client, headers, new_client_id())
        await _check_pull(server_db, email, rows)


async def test_site_contact_sees_only_harbor_tower_a_without_billing(client):
    headers = await login(client, GATE)
    _, rows = await pull_all(client, headers, new_client_id())
    entities = {e for e, _ in rows}
    assert not entities & {"invoice", "payment", "estimate", "membership", "payment_method"}
    assert {i for e, i in rows if e == "site"} == {TOWER_A}
    assert rows[("account", HARBOR)].keys() == {
        "id",
        "tenant_id",
        "created_at",
        "updated_at",
        "version",
        "number",
        "name",
        "kind",
    }
    assert all("price" not in r for (e, _), r in rows.items() if e == "job")
    assert {r["site_id"] for (e, _), r in rows.items() if e in ("job", "unit")} == {TOWER_A}


async def test_driver_sees_only_jobs_on_truck_t1_without_prices(client):
    headers = await login(client, DRIVER)
    _, rows = await pull_all(client, headers, new_client_id())
    jobs = [r for (e, _), r in rows.items() if e == "job"]
    assert jobs and all(j["truck_id"] == sid("truck:t1") for j in jobs)
    assert all("price" not in j and "po_number" not in j for j in jobs)
    assert not {e for e, _ in rows} & {"invoice", "payment", "message", "rental", "unit", "estimate", "membership"}


async def test_incremental_pulls_stay_in_scope_as_the_office_changes_things(server, server_db):
    office = await server.staff()
    sessions = {email: await login(server.test_client, email) for email in (AVA, OPS, GATE, DRIVER)}
    cursors = {}
    for email, headers in sessions.items():
        page, _ = await pull_all(server.test_client, headers, "scope-" + email.split("@")[0])
        cursors[email] = page["cursor"]
    draft = await server.call(
        "POST",
        "/api/admin/invoices",
        office,
        json={"account_id": AVA_RES, "status": "draft", "lines": [{"description": "Haul", "unit_price": 1000}]},
    )
    await server.call(
        "POST",
        "/api/admin/jobs",
        office,
        json={
            "account_id": HARBOR,
            "site_id": TOWER_B,
            "status": "confirmed",
            "scheduled_date": date.today().isoformat(),
            "truck_id": sid("truck:t2"),
        },
    )
    await server.call("POST", "/api/admin/messages", office, json={"account_id": HARBOR, "body": "Gate is open"})
    await server.call(
        "POST", "/api/admin/units", office, json={"account_id": HARBOR, "site_id": TOWER_A, "number": "PT-103"}
    )
    for email, headers in sessions.items():
        page, changed = await pull_all(server.test_client, headers, "scope-" + email.split("@")[0], cursors[email])
        assert not page["reset"]
        everything = await _all_rows(server_db)
        tenant = everything[("tenant", DEMO)]
        DRIVER_ROUTE.clear()
        DRIVER_ROUTE.update(await _driver_route(server_db))
        outside = {k for k in changed if not _visible(email, k[0], everything[k], tenant)}
        assert outside == set(), f"{email} got rows outside its scope: {outside}"
        assert ("invoice", draft["id"]) not in changed, "draft invoices are never shown"
    # Posting the draft shows it to Ava; pending invoices appear only once the tenant shows them.
    await server.call("PATCH", f"/api/admin/invoices/{draft['id']}", office, json={"status": "open"})
    _, changed = await pull_all(server.test_client, sessions[AVA], "scope-ava", cursors[AVA])
    assert ("invoice", draft["id"]) in changed
    pending = sid("invoice:harbor-pending")
    _, before = await pull_all(server.test_client, sessions[OPS], new_client_id())
    assert ("invoice", pending) not in before
    await server.call("PATCH", "/api/admin/settings", office, json={"show_pending_invoices": True})
    page, after = await pull_all(server.test_client, sessions[OPS], "scope-ops", cursors[OPS])
    assert not page["reset"], "a wider scope sends what entered it (tests/sync/test_scope_changes.py)"
    assert ("invoice", pending) in after
    _, fresh = await pull_all(server.test_client, sessions[OPS], new_client_id())
    await _check_pull(server_db, OPS, fresh)


ACME_ARGS = [
    (
        "job.book",
        {
            "id": str(uuid.uuid4()),
            "site_id": sid("acme:site:ava"),
            "service_type_id": sid("service:junk"),
            "date": (date.today() + timedelta(days=9)).isoformat(),
            "time_slot_id": sid("slot:morning"),
        },
    ),
    ("message.send", {"id": str(uuid.uuid4()), "body": "hello", "account_id": sid("acme:account:ava")}),
    ("site.upsert", {"id": sid("acme:site:ava"), "name": "Taken over", "account_id": AVA_RES}),
    ("site.upsert", {"id": str(uuid.uuid4()), "name": "New", "account_id": sid("acme:account:ava")}),
    ("invoice.set_po", {"invoice_id": sid("acme:invoice:open"), "po_number": "PO-1"}),
    (
        "contact.upsert",
        {"id": str(uuid.uuid4()), "name": "X", "email": "x@example.com", "account_id": sid("acme:account:ava")},
    ),
    ("message.mark_read", {"all": True, "account_id": sid("acme:account:ava")}),
]


@pytest.mark.parametrize("name,args", ACME_ARGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACME_ARGS)])
async def test_another_tenants_ids_are_rejected(client, server_db, name, args):
    before = await _all_rows(server_db)
    headers = await login(client, AVA)
    result = await push(client, headers, new_client_id(), (1, name, args))
    assert [r["status"] for r in result["results"]] == ["rejected"], result
    after = await _all_rows(server_db)
    acme = {k: v for k, v in after.items() if v.get("tenant_id") == ACME}
    assert acme == {k: v for k, v in before.items() if v.get("tenant_id") == ACME}, "acme's rows are untouched"


async def test_a_pull_in_acme_holds_only_acme_rows(client):
    headers = await login(client, AVA, tenant="acme")
    _, rows = await pull_all(client, headers, new_client_id())
    assert rows and all(r["tenant_id"] == ACME for r in rows.values())
    assert {i for e, i in rows if e == "account"} == {sid("acme:account:ava")}


async def test_a_row_moved_to_another_site_leaves_the_site_contacts_replica(server, tmp_path):
    office = await server.staff()
    gate, ops = await server.connect(GATE, tmp_path / "gate.db"), await server.connect(OPS, tmp_path / "ops.db")
    await gate.pull()
    await ops.pull()
    unit = sid("unit:101")
    assert gate.replica.get("unit", unit) is not None
    await server.call("PATCH", f"/api/admin/units/{unit}", office, json={"site_id": TOWER_B})
    await gate.pull()
    await ops.pull()
    assert gate.replica.get("unit", unit) is None, "the unit left Tower A, so it leaves the site contact's replica"
    assert ops.replica.get("unit", unit)["site_id"] == TOWER_B, "the company contact sees it at its new site"
    await server.call("PATCH", f"/api/admin/units/{unit}", office, json={"site_id": TOWER_A})
    await gate.pull()
    await ops.pull()
    assert gate.replica.get("unit", unit)["site_id"] == TOWER_A, "moved back, it comes back"
    assert ops.replica.get("unit", unit)["site_id"] == TOWER_A
    for client in (gate, ops):
        await client.aclose()
