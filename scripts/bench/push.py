"""Benchmark: mutations applied per second through ``POST /api/sync/push``, in batches of 50.

    .venv/bin/python scripts/bench/push.py [--mutations 5000] [--clients 4] [--pg URL | --no-pg]

For SQLite (a fresh database under /tmp) and, when it answers, PostgreSQL (a scratch database
created next to ``postgresql://postgres@127.0.0.1:5432/postgres`` and dropped afterwards): loads the
demo data, serves it with a uvicorn process, and has ``--clients`` clients (each its own client_id,
all logged in as Ava) push ``message.send`` mutations 50 at a time, concurrently; then a mixed
workload (bookings that fill slots and get rejected, site edits, messages, unit issues) by Harbor's
office. The server applies each batch in one transaction with a savepoint per mutation where needed
(server/sync_api/push.py). The anchor, measured in the same run on the same database: the same message
rows and changelog entries written with plain SQL, a transaction per 50. Targets: ≥ 4,500 mutations/s
on SQLite, ≥ 3,000/s on PostgreSQL. Prints the machine it ran on and its load average.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where scripts/bench/http.py would hide the stdlib's http.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import date, timedelta

import httpx

from scripts.bench.local_server import machine, migrate, running_server, session_token

BATCH = 50
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


async def prepare(database_url: str) -> None:
    from server.seed.demo import seed_demo
    from server.settings import load_settings

    await migrate(database_url)
    await seed_demo(load_settings(env={}, database_url=database_url))


def messages(count: int) -> list[tuple[str, dict]]:
    from server.seed.demo import sid

    return [
        (
            "message.send",
            {"id": str(uuid.uuid4()), "body": f"Benchmark message {i}", "account_id": sid("account:ava-reed")},
        )
        for i in range(count)
    ]


def mixed(count: int) -> list[tuple[str, dict]]:
    """Harbor's office: bookings (some rejected when slots fill), site edits, messages, unit issues."""
    from server.seed.demo import sid

    out = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            out.append(
                (
                    "job.book",
                    {
                        "id": str(uuid.uuid4()),
                        "site_id": sid("site:harbor-a"),
                        "service_type_id": sid("service:toilet"),
                        "po_number": f"PO-{i}",
                        "date": (date.today() + timedelta(days=10 + i % 40)).isoformat(),
                        "time_slot_id": sid("slot:morning" if i % 8 else "slot:afternoon"),
                    },
                )
            )
        elif kind == 1:
            out.append(
                (
                    "site.upsert",
                    {"id": sid("site:harbor-b"), "name": "Harbor Tower B", "type": "commercial", "notes": f"edit {i}"},
                )
            )
        elif kind == 2:
            out.append(
                ("message.send", {"id": str(uuid.uuid4()), "body": f"note {i}", "account_id": sid("account:harbor")})
            )
        else:
            out.append(
                (
                    "unit.report_issue",
                    {
                        "id": str(uuid.uuid4()),
                        "unit_id": sid("unit:201"),
                        "kind": "needs_service",
                        "description": f"issue {i}",
                    },
                )
            )
    return out


async def push_all(base: str, token: str, workload: list[tuple[str, dict]], clients: int) -> dict:
    """Split the workload over ``clients`` concurrent clients; each pushes its share in batches of 50."""
    shares = [workload[i::clients] for i in range(clients)]
    applied = rejected = 0

    async def one(share: list[tuple[str, dict]]) -> None:
        nonlocal applied, rejected
        client_id = uuid.uuid4().hex
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            for start in range(0, len(share), BATCH):
                batch = [
                    {"id": start + n + 1, "name": name, "args": args, "created_at": "2026-01-01T00:00:00Z"}
                    for n, (name, args) in enumerate(share[start : start + BATCH])
                ]
                response = await http.post(
                    "/api/sync/push", json={"client_id": client_id, "schema_version": 1, "mutations": batch}
                )
                response.raise_for_status()
                for result in response.json()["results"]:
                    applied += result["status"] == "applied"
                    rejected += result["status"] == "rejected"

    started = time.perf_counter()
    await asyncio.gather(*(one(share) for share in shares))
    elapsed = time.perf_counter() - started
    return {
        "mutations": len(workload),
        "seconds": elapsed,
        "rate": len(workload) / elapsed,
        "applied": applied,
        "rejected": rejected,
    }


async def anchor(database_url: str, count: int, clients: int) -> float:
    """The anchor: the same message rows and their changelog entries written with plain SQL, no HTTP, no
    mutator, no checks, by ``clients`` concurrent connections, one transaction per batch of 50 (two
    INSERTs per message). What the database itself does with this work; mutations/s."""
    from server.db.engine import Database
    from server.db.store import _column_values, now_iso, validate_row
    from server.db.tables import KINDS
    from server.seed.demo import sid

    tenant, account = sid("tenant:demo"), sid("account:ava-reed")
    cols = list(KINDS["message"])
    insert_row = (
        f"INSERT INTO message ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)}) "
        f"VALUES ({', '.join('?' * len(cols))})"
    )
    insert_log = (
        "INSERT INTO changelog (id, seq, tenant_id, entity, row_id, op, account_id, site_id, contact_id, data) "
        "VALUES (?, ?, ?, 'message', ?, 'put', ?, NULL, NULL, ?)"
    )
    seqs = iter(range(10**12, 10**13))
    db = Database(database_url)
    await db.start()

    async def one(share: int) -> None:
        for start in range(0, share, BATCH):
            async with db.write() as conn:
                for i in range(min(BATCH, share - start)):
                    stamp = now_iso()
                    row = validate_row(
                        "message",
                        {
                            "id": str(uuid.uuid4()),
                            "tenant_id": tenant,
                            "account_id": account,
                            "author_kind": "contact",
                            "author_id": sid("contact:ava"),
                            "author_name": "Ava",
                            "body": f"anchor {start + i}",
                            "created_at": stamp,
                            "updated_at": stamp,
                            "version": 1,
                        },
                    )
                    await conn.execute(insert_row, *_column_values("message", row))
                    await conn.execute(insert_log, f"message:{row['id']}", next(seqs), tenant, row["id"], account, "{}")

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(count // clients) for _ in range(clients)))
        return (count // clients * clients) / (time.perf_counter() - started)
    finally:
        await db.close()


async def bench(label: str, database_url: str, count: int, clients: int) -> None:
    from server.seed.demo import sid

    await prepare(database_url)
    ava = session_token(sid("contact:ava"), "contact", sid("tenant:demo"))
    ops = session_token(sid("contact:ops"), "contact", sid("tenant:demo"))
    with running_server(database_url) as server:
        await push_all(server.url, ava, messages(200), 1)  # warm up
        figures = []
        for name, token, workload in (("message.send", ava, messages(count)), ("mixed", ops, mixed(count // 2))):
            cpu, load = server.cpu_seconds(), os.getloadavg()[0]
            f = await push_all(server.url, token, workload, clients)
            f["per"] = (server.cpu_seconds() - cpu) / f["mutations"]
            f["load"] = (load + os.getloadavg()[0]) / 2
            figures.append((name, f))
    load = os.getloadavg()[0]
    base = await anchor(database_url, count, clients)
    print(
        f"{label}, anchor: {base:,.0f} messages/s written with plain SQL (row + changelog entry, a transaction "
        f"per 50, {clients} connections, no HTTP) (load {(load + os.getloadavg()[0]) / 2:.1f})"
    )
    target = {"SQLite": 4500, "PostgreSQL": 3000}[label]
    for name, f in figures:
        print(
            f"{label}, {name}: {f['mutations']:,} mutations by {clients} clients in {f['seconds']:.2f} s = "
            f"{f['rate']:,.0f} mutations/s ({f['applied']:,} applied, {f['rejected']:,} rejected; "
            f"{f['rate'] / base:.2f}x the anchor); server CPU {f['per'] * 1e6:.0f} µs per mutation = "
            f"{1 / f['per']:,.0f}/s per core (load {f['load']:.1f})"
            + (f"  [target ≥ {target:,}/s]" if name == "message.send" else "")
        )


async def pg_scratch(admin_url: str) -> str | None:
    """A new empty database next to ``admin_url``, or None when PostgreSQL does not answer."""
    import asyncpg

    try:
        conn = await asyncpg.connect(admin_url, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return None
    name = f"haulport_bench_push_{uuid.uuid4().hex[:8]}"
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def pg_drop(admin_url: str, url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-push-"))
    if not args.no_sqlite:
        await bench("SQLite", f"sqlite:///{tmp / 'haulport.db'}", args.mutations, args.clients)
    if not args.no_pg:
        url = await pg_scratch(args.pg)
        if url is None:
            print(f"PostgreSQL: not reachable at {args.pg}; skipped")
        else:
            try:
                await bench("PostgreSQL", url, args.mutations, args.clients)
            finally:
                await pg_drop(args.pg, url)
    print(f"machine: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutations", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pg", default=PG_DEFAULT, help="an admin URL of a PostgreSQL server")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
