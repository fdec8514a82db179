"""haulport import / export: all or nothing, idempotent by external_id, every bad line reported."""

from __future__ import annotations

import json

import pytest

from server.dataio.exporter import as_csv, as_jsonl, export_records
from server.dataio.importer import ImportRefused, import_rows
from server.db.engine import Database
from server.seed.demo import sid

DEMO = sid("tenant:demo")

ACCOUNTS = (
    "external_id,name,kind,email,net_terms_days,billing_address\n"
    'C-1,Bob\'s Bakery,commercial,bob@bakery.example,30,"{""line1"":""1 Main St"",""city"":""Denver""}"\n'
    "C-2,Jane Doe,residential,jane@example.com,0,\n"
)
SITES = "external_id,account_external_id,name,type\nS-1,C-1,Bakery,commercial\n"
INVOICES = (
    "external_id,account_external_id,site_external_id,issued_on,due_on,status,lines,tax\n"
    'I-1,C-1,S-1,2026-11-01,2026-12-01,open,"[{""description"":""Dumpster"",""quantity"":2,""unit_price"":45000}]",500\n'
)


@pytest.fixture
async def db(settings):
    database = Database(settings.database_url)
    await database.start()
    yield database
    await database.close()


async def _changelog_size(db: Database) -> tuple[int, int]:
    async with db.read() as conn:
        return (
            await conn.fetchval("SELECT COUNT(*) FROM changelog WHERE tenant_id = ?", DEMO),
            await conn.fetchval("SELECT seq FROM sync_counter WHERE tenant_id = ?", DEMO) or 0,
        )


async def test_accounts_sites_invoices_import_through_the_changelog(db):
    before = await _changelog_size(db)
    result = await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    await import_rows(db, DEMO, "sites", SITES.encode(), "sites.csv")
    await import_rows(db, DEMO, "invoices", INVOICES.encode(), "invoices.csv")
    async with db.read() as conn:
        invoice = await conn.fetchrow("SELECT * FROM invoice WHERE tenant_id = ? AND terms = '' AND tax = 500", DEMO)
        account = await conn.fetchrow("SELECT * FROM account WHERE id = ?", invoice["account_id"])
        logged = await conn.fetchval("SELECT COUNT(*) FROM changelog WHERE row_id = ?", invoice["id"])
    assert account["name"] == "Bob's Bakery" and json.loads(account["billing_address"])["city"] == "Denver"
    assert (invoice["subtotal"], invoice["total"], invoice["balance"]) == (90000, 90500, 90500)
    assert invoice["number"].startswith("INV-")
    assert logged == 1  # portals get it on their next pull
    assert (await _changelog_size(db))[1] > before[1]


async def test_the_same_file_twice_changes_nothing_and_a_changed_row_updates(db):
    await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    size = await _changelog_size(db)
    again = await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert await _changelog_size(db) == size
    changed = ACCOUNTS.replace("Jane Doe", "Jane Q. Doe")
    third = await import_rows(db, DEMO, "accounts", changed.encode(), "accounts.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    async with db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM account WHERE tenant_id = ? AND name LIKE 'Jane%'", DEMO) == 1


async def test_a_bad_file_is_refused_with_every_line_reported_and_nothing_written(db):
    await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    size = await _changelog_size(db)
    bad = (
        "external_id,account_external_id,site_external_id,issued_on,status,lines\n"
        'I-1,C-1,,2026-11-01,open,"[{""description"":""ok"",""unit_price"":100}]"\n'  # line 2: fine
        'I-2,C-404,,2026-11-01,open,"[]"\n'  # unknown reference
        'I-3,C-1,,2026-02-30,open,"[]"\n'  # bad date
        'I-1,C-2,,2026-11-02,open,"[]"\n'  # duplicate external_id
        'I-5,C-1,,2026-11-03,unpaid,"[]"\n'  # bad status
    )
    with pytest.raises(ImportRefused) as refused:
        await import_rows(db, DEMO, "invoices", bad.encode(), "invoices.csv")
    assert refused.value.errors == [
        "line 3: account_external_id: no account with external id 'C-404'",
        "line 4: issued_on: not a date (write it as YYYY-MM-DD)",
        "line 5: external_id: 'I-1' is also on line 2",
        "line 6: status: must be one of: draft, pending, open, paid, void",
    ]
    assert await _changelog_size(db) == size


async def test_a_missing_column_is_reported_on_line_one(db):
    with pytest.raises(ImportRefused) as refused:
        await import_rows(db, DEMO, "sites", b"external_id,name\nS-1,Yard\n", "sites.csv")
    assert refused.value.errors == ["line 1: account_external_id: missing column"]


async def test_a_site_of_another_account_is_refused(db):
    await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    await import_rows(db, DEMO, "sites", SITES.encode(), "sites.csv")
    with pytest.raises(ImportRefused) as refused:
        await import_rows(
            db,
            DEMO,
            "units",
            b"external_id,number,account_external_id,site_external_id\nU-1,T-9,C-2,S-1\n",
            "units.csv",
        )
    assert refused.value.errors == ["line 2: site_external_id: that site belongs to another account"]


async def test_dry_run_counts_but_writes_nothing(db):
    size = await _changelog_size(db)
    result = await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv", dry_run=True)
    assert (result.created, result.dry_run) == (2, True)
    assert await _changelog_size(db) == size
    async with db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM external_key") == 0


async def test_json_lines_import_and_contacts_get_a_portal_membership(db):
    await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    lines = (
        '{"external_id": "P-1", "name": "Bob Baker", "email": "Bob@Bakery.example", '
        '"account_external_id": "C-1", "primary": true}\n'
        '{"external_id": "P-2", "name": "Nobody", "account_external_id": "C-1"}\n'
    )
    with pytest.raises(ImportRefused) as refused:
        await import_rows(db, DEMO, "contacts", lines.encode(), "contacts.jsonl")
    assert refused.value.errors == ["line 2: email: a contact needs an email or a phone number"]
    await import_rows(db, DEMO, "contacts", lines.splitlines()[0].encode(), "contacts.jsonl")
    async with db.read() as conn:
        contact = await conn.fetchrow("SELECT * FROM contact WHERE email = 'bob@bakery.example'")
        membership = await conn.fetchrow("SELECT * FROM membership WHERE contact_id = ?", contact["id"])
    assert membership["portal_access"] and membership["primary"] and membership["role"] == "company"


async def test_an_export_imports_back_unchanged(db):
    await import_rows(db, DEMO, "accounts", ACCOUNTS.encode(), "accounts.csv")
    for kind in ("accounts", "sites", "invoices", "jobs", "rentals", "units", "contacts", "catalog"):
        records = await export_records(db, DEMO, kind)
        assert records, kind
        for text, name in (("".join(as_csv(kind, records)), f"{kind}.csv"), ("".join(as_jsonl(records)), "x.jsonl")):
            result = await import_rows(db, DEMO, kind, text.encode(), name)
            assert (result.created, result.updated, result.unchanged) == (0, 0, len(records)), (kind, name)
    exported = {r["external_id"]: r for r in await export_records(db, DEMO, "accounts")}
    assert exported["C-1"]["name"] == "Bob's Bakery"  # imported rows keep their external id
    assert await export_records(db, DEMO, "payments")
