"""The rule: no statement on the pull path scans more than its result needs.

The demo tenant is grown by 2,000 accounts' worth of changelog entries (their rows, sites and each
account's contact's own entries), as a big business's would be; then every session kind pulls (initial,
at the head, across a scope change) while the statements it runs are recorded, and each statement on the
changelog or the job table is EXPLAINed: no full scan of a table, and no walk of an index range wider
than the scope's parts (the tenant's whole log, or every contact's own entries to find the tenant's).
PostgreSQL is ANALYZEd first (as autovacuum would); its EXPLAIN ANALYZE must also not drop more rows by
filter than it returns. SQLite is not ANALYZEd: the server does not run it, so the plans must follow from
the schema alone.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from server.db.engine import PgConn, SqliteConn
from server.seed.demo import sid
from tests.support.portal import AVA, DRIVER, GATE, OFFICE, OPS, login, new_client_id

DEMO = sid("tenant:demo")
WATCHED = ("changelog", "job")
# Indexes that are in themselves a scope part: the tenant-level entries, and (for office staff, whose
# scope it is) every entry no contact owns.
STAFF_ARM = "WHERE tenant_id = ? AND contact_id IS NULL AND seq"


def _whole_part(index: str, sql: str) -> bool:
    return index == "changelog_tenant_level" or (index == "changelog_shared_seq" and STAFF_ARM in sql)


async def _grow(db, accounts: int = 2000) -> None:
    rows = []
    seq = 10_000_000
    for _ in range(accounts):
        account, contact, site = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        entries = [("account", account, account, None, None), ("site", site, account, site, None)]
        entries += [("job", str(uuid.uuid4()), account, site, None) for _ in range(6)]
        entries += [
            ("invoice", str(uuid.uuid4()), account, None, None),
            ("message", str(uuid.uuid4()), account, None, None),
        ]
        entries += [("contact", contact, None, None, contact), ("notification", str(uuid.uuid4()), None, None, contact)]
        for entity, row_id, account_id, site_id, contact_id in entries:
            seq += 1
            data = json.dumps({"id": row_id, "tenant_id": DEMO, "version": 1, "status": "open"})
            rows.append((f"{entity}:{row_id}", seq, DEMO, entity, row_id, "put", account_id, site_id, contact_id, data))
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO changelog (id, seq, tenant_id, entity, row_id, op, account_id, site_id, contact_id, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        # The grown entries sit before the demo's own (their seq is below the head), as an old business's do.
        await conn.execute("UPDATE changelog SET seq = seq - 10000000 + 1000000 WHERE seq > 10000000")
        await conn.execute("UPDATE changelog SET seq = seq + 2000000 WHERE seq < 1000000")
        await conn.execute("UPDATE sync_counter SET seq = seq + 2000000")
    if db.dialect == "postgres":
        async with db._pg.acquire() as raw:
            await raw.execute("ANALYZE")


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[str, tuple]]:
    """Every SELECT the server runs while the test pulls, with its arguments."""
    seen: list[tuple[str, tuple]] = []
    for cls in (SqliteConn, PgConn):
        original = cls.fetch

        async def fetch(self, sql, *args, _original=original):
            if sql.lstrip().upper().startswith("SELECT") and any(re.search(rf"\bFROM {t}\b", sql) for t in WATCHED):
                seen.append((sql, args))
            return await _original(self, sql, *args)

        monkeypatch.setattr(cls, "fetch", fetch)
    return seen


def _sqlite_problems(raw, sql: str, args: tuple) -> list[str]:
    problems = []
    for row in raw.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall():
        detail = row[3]
        if re.match(r"SCAN (changelog|job)\b", detail):
            problems.append(f"full scan: {detail}")
        match = re.match(r"SEARCH (changelog|job) USING (?:COVERING )?INDEX (\w+) \((.*)\)", detail)
        if match and not _whole_part(match[2], sql):
            used = {c.split("=")[0].split(">")[0].split("<")[0] for c in match[3].split(" AND ")}
            if not used - {"tenant_id", "seq"}:
                problems.append(f"walks the tenant's whole index range: {detail}")
    return problems


def _pg_nodes(plan: dict[str, Any]):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _pg_nodes(child)


async def _pg_problems(raw, sql: str, args: tuple) -> list[str]:
    from server.db.engine import _to_pg

    problems = []
    sizes = {r["relname"]: r["reltuples"] for r in await raw.fetch("SELECT relname, reltuples FROM pg_class")}
    (row,) = await raw.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + _to_pg(sql), *args)
    plan = json.loads(row[0])[0]["Plan"]
    for node in _pg_nodes(plan):
        if node.get("Relation Name") not in WATCHED:
            continue
        where = f"{node['Node Type']} on {node['Relation Name']} {node.get('Index Name', '')}"
        if node["Node Type"] == "Seq Scan" and sizes[node["Relation Name"]] >= 1000:  # (a small table: fine)
            problems.append(f"full scan: {where}")
        cond = node.get("Index Cond", "") or node.get("Recheck Cond", "")
        if "Index" in node["Node Type"] and not _whole_part(node.get("Index Name", ""), sql):
            columns = set(re.findall(r"\((\w+)\)?::text|\b(\w+) IS NULL|\b(\w+) = ANY", cond)) if cond else set()
            names = {c for group in columns for c in group if c}
            if not names - {"tenant_id", "seq"} and "_pkey" not in node.get("Index Name", ""):
                problems.append(f"walks the tenant's whole index range: {where} {cond}")
        removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        if removed > max(50, 2 * node.get("Actual Rows", 0)):
            problems.append(f"filters out {removed} rows to return {node.get('Actual Rows')}: {where} {cond}")
    return problems


async def _pull_every_way(server, email: str) -> None:
    headers = await login(server.test_client, email)
    client_id = new_client_id()
    cursor = None
    for _ in range(3):  # initial (to the end), then at the head
        while True:
            params = {"client_id": client_id, "limit": 50} | ({"cursor": cursor} if cursor else {})
            page = (await server.test_client.get("/api/sync/pull", params=params, headers=headers)).json()
            cursor = page["cursor"]
            if not page["more"]:
                break
    return headers, client_id, cursor


async def test_no_pull_statement_scans_beyond_its_result(server, server_db, recorded):
    await _grow(server_db)
    office = await server.staff()
    sessions = {}
    for email in (AVA, OPS, GATE, DRIVER, OFFICE):
        sessions[email] = await _pull_every_way(server, email)
    # A scope change of each kind, then the pulls that send it.
    gate = f"/api/admin/memberships/{sid('membership:gate')}"
    await server.call("PATCH", gate, office, json={"site_ids": [sid("site:harbor-a"), sid("site:harbor-b")]})
    await server.call("PATCH", "/api/admin/settings", office, json={"show_pending_invoices": True})
    await server.call(
        "POST",
        "/api/admin/jobs",
        office,
        json={
            "account_id": sid("account:harbor"),
            "site_id": sid("site:harbor-b"),
            "status": "confirmed",
            "scheduled_date": __import__("datetime").date.today().isoformat(),
            "truck_id": sid("truck:t1"),
        },
    )
    for email, (headers, client_id, cursor) in sessions.items():
        while True:
            params = {"client_id": client_id, "limit": 50, "cursor": cursor}
            page = (await server.test_client.get("/api/sync/pull", params=params, headers=headers)).json()
            assert not page["reset"], email
            cursor = page["cursor"]
            if not page["more"]:
                break
    assert len({sql for sql, _ in recorded}) >= 10, "the pulls' statements were recorded"
    problems: list[str] = []
    if server_db.dialect == "sqlite":
        async with server_db.read() as conn:
            for sql, args in recorded:
                problems += [f"{p}\n  in {sql}" for p in _sqlite_problems(conn.raw, sql, args)]
    else:
        async with server_db.read() as conn:
            for sql, args in recorded:
                problems += [f"{p}\n  in {sql}" for p in await _pg_problems(conn.raw, sql, args)]
    assert problems == [], "\n".join(dict.fromkeys(problems))
