"""Benchmark: is a pull flat as a business grows? One tenant of N accounts × 50 rows, N = 100 and 20,000.

    .venv/bin/python scripts/bench/scale.py [--small 100] [--big 20000] [--pg URL | --no-pg] [--repeat 21] [--rounds 3]

For SQLite (a fresh database under /tmp) and, when it answers, PostgreSQL (a scratch database created next
to ``postgresql://postgres@127.0.0.1:5432/postgres`` and dropped afterwards), migrates an empty database and
loads one tenant of N accounts, each with 50 changelog entries (the account, sites, units, jobs, invoices,
payments, messages, a membership, and its contact's own contact and notification entries), plus the
tenant-level rows. The entries are written straight into the changelog (1 M rows through the Store would
take many minutes); the pull reads nothing else. Then, in process (``server.sync_api.pull.serve_pull``,
server time only, median and fastest of ``--repeat`` after a warm-up call; ``--rounds`` times, the two sizes
in turn, and the median of those medians), for a company contact of one account in the middle of the log:

- initial pull: no cursor, every row of the account;
- scope change: the contact gets a second 50-row account; a pull with the cursor of the first scope;
- reset: a cursor the server cannot continue from (another schema version) — a full snapshot;
- incremental pull at the head: nothing changed;
- a burst: 200 pulls started at the same instant (190 at the head, 10 initial pulls of other accounts),
  p50/p99 of their latencies in one process (SQLite statements run on the event loop, so one slow
  statement delays every pull queued behind it).

Prints each figure for both sizes, the ratio big ÷ small (goal: each ≤ 1.5×), the machine and its load.
PostgreSQL is VACUUMed and ANALYZEd after the bulk load (what autovacuum does on its own, and would
otherwise do on one of the cores while the pulls are timed); SQLite is not (the server
does not run ANALYZE), so its planner works from the schema alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid

from scripts.bench.local_server import machine, migrate

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
TENANT = "scale-tenant"
# 50 entries per account: (entity, count, has a site, owner-level)
PER_ACCOUNT = [
    ("account", 1, False),
    ("site", 2, True),
    ("unit", 10, True),
    ("job", 20, True),
    ("invoice", 6, False),
    ("payment", 3, False),
    ("message", 4, False),
    ("membership", 1, False),
    ("contact", 1, False),
    ("notification", 2, False),
]
TENANT_LEVEL = [("product", 6), ("service_type", 4), ("time_slot", 3), ("truck", 3)]


def _entries(accounts: int) -> tuple[list[tuple], list[str]]:
    """The changelog rows (in seq order) and the account ids, in the order they were written."""
    rows: list[tuple] = []
    seq = 0

    def add(entity, row_id, account_id, site_id, contact_id, extra=None):
        nonlocal seq
        seq += 1
        data = {"id": row_id, "tenant_id": TENANT, "version": 1, "created_at": "2026-12-01T00:00:00.000Z"}
        if account_id:
            data["account_id"] = account_id
        if site_id:
            data["site_id"] = site_id
        data.update(extra or {})
        rows.append(
            (
                f"{entity}:{row_id}",
                seq,
                TENANT,
                entity,
                row_id,
                "put",
                account_id,
                site_id,
                contact_id,
                json.dumps(data),
            )
        )

    tenant_rows = [(e, str(uuid.uuid4())) for e, n in TENANT_LEVEL for _ in range(n)]
    for e, rid in tenant_rows[: len(tenant_rows) // 2]:
        add(e, rid, None, None, None, {"name": e})
    ids = []
    for _ in range(accounts):
        account, contact = str(uuid.uuid4()), str(uuid.uuid4())
        ids.append(account)
        sites = [str(uuid.uuid4()) for _ in range(2)]
        for entity, count, at_site, *_ in PER_ACCOUNT:
            for i in range(count):
                if entity == "account":
                    add("account", account, account, None, None, {"name": "Account", "kind": "commercial"})
                elif entity == "site":
                    add("site", sites[i], account, sites[i], None, {"name": f"Site {i}"})
                elif entity == "contact":
                    add("contact", contact, None, None, contact, {"name": "Someone"})
                elif entity == "notification":
                    add("notification", str(uuid.uuid4()), None, None, contact, {"contact_id": contact, "kind": "x"})
                elif entity == "invoice":
                    add("invoice", str(uuid.uuid4()), account, None, None, {"status": "open", "total": 1000})
                else:
                    add(entity, str(uuid.uuid4()), account, sites[i % 2] if at_site else None, None)
    for e, rid in tenant_rows[len(tenant_rows) // 2 :]:
        add(e, rid, None, None, None, {"name": e})
    return rows, ids


COLUMNS = ["id", "seq", "tenant_id", "entity", "row_id", "op", "account_id", "site_id", "contact_id", "data"]


async def load(database_url: str, accounts: int) -> list[str]:
    await migrate(database_url)
    rows, ids = _entries(accounts)
    head = rows[-1][1]
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        with conn:
            conn.executemany(f"INSERT INTO changelog ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 10)})", rows)
            conn.execute("INSERT INTO sync_counter (tenant_id, seq, floor) VALUES (?, ?, 0)", (TENANT, head))
        conn.close()
    else:
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            await conn.copy_records_to_table("changelog", records=rows, columns=COLUMNS)
            await conn.execute("INSERT INTO sync_counter (tenant_id, seq, floor) VALUES ($1, $2, 0)", TENANT, head)
            # What autovacuum does on its own after a bulk load (since PostgreSQL 13 also for inserts):
            # done here, so that its worker does not take one of the cores while the pulls are timed.
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
    return ids


def _actor(contact: str, accounts: list[str]):
    from sync.actor import AccountAccess, Actor

    return Actor(
        tenant_id=TENANT,
        tenant_slug="scale",
        person_kind="contact",
        person_id=contact,
        name="Fran",
        role="customer",
        accounts={a: AccountAccess(role="company") for a in accounts},
    )


async def _timed(repeat: int, call) -> tuple[tuple[float, float], object]:
    """(median, fastest) of ``repeat`` timed calls after one untimed warm-up (a server's statements are
    prepared and planned by then), and the last result."""
    result = await call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - start) * 1000)
    return (statistics.median(times), min(times)), result


async def measure(database_url: str, ids: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    from server.db.engine import Database
    from server.sync_api.pull import serve_pull

    db = Database(database_url)
    await db.start()
    tenant = {"id": TENANT, "show_pending_invoices": False}
    today = "2026-12-03"
    one, two = ids[len(ids) // 2], ids[len(ids) // 2 + 1]
    contact = str(uuid.uuid4())
    first, second = _actor(contact, [one]), _actor(contact, [one, two])
    out: dict[str, tuple[float, float]] = {}
    try:
        out["initial pull (50-row account)"], page = await _timed(
            repeat, lambda: serve_pull(db, first, tenant, "c1", None, 5000, today)
        )
        assert len(page.changes) >= 50 and not page.more, len(page.changes)
        cursor = page.cursor

        async def change():
            return await serve_pull(db, second, tenant, "c1", cursor, 5000, today)

        out["scope change (+1 account)"], page = await _timed(repeat, change)
        assert len(page.changes) >= 47, len(page.changes)  # the second account's rows (all of them on a reset)
        stale = "0" + cursor[cursor.index(".") :]
        out["reset (full snapshot)"], page = await _timed(
            repeat, lambda: serve_pull(db, first, tenant, "c1", stale, 5000, today)
        )
        assert page.reset and len(page.changes) >= 50
        out["incremental at head"], page = await _timed(
            repeat * 3, lambda: serve_pull(db, first, tenant, "c1", cursor, 5000, today)
        )
        assert not page.changes and not page.reset
        # 200 pulls at the same instant, in one process as the server runs them: 190 at the head and 10
        # initial pulls of other accounts (a poke to everyone while a few new devices sign in).
        others = [_actor(str(uuid.uuid4()), [ids[(len(ids) // 3 + 7 * i) % len(ids)]]) for i in range(10)]

        async def one(i: int, start: float) -> float:
            if i % 20 == 0:
                await serve_pull(db, others[i // 20], tenant, f"n{i}", None, 5000, today)
            else:
                await serve_pull(db, first, tenant, f"b{i}", cursor, 5000, today)
            return (time.perf_counter() - start) * 1000

        await asyncio.gather(*(one(i, time.perf_counter()) for i in range(200)))  # (new scopes stored once)
        rounds = []
        for _ in range(5):
            start = time.perf_counter()  # all 200 arrive now; each waits for those ahead of it
            rounds += await asyncio.gather(*(one(i, start) for i in range(200)))
        rounds.sort()
        out["burst of 200: p50"] = (rounds[len(rounds) // 2], rounds[len(rounds) // 2])
        out["burst of 200: p99"] = (rounds[int(len(rounds) * 0.99)], rounds[int(len(rounds) * 0.99)])
    finally:
        await db.close()
    return out


async def pg_scratch(admin_url: str, tag: str = "") -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(admin_url, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    name = f"haulport_bench_scale_{os.getpid()}{tag}"
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name}")
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
    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    engines = ["sqlite"] + ([] if args.no_pg else ["postgres"])
    for engine in engines:
        urls: dict[int, str] = {}
        try:
            loaded: dict[int, list[str]] = {}
            for size in (args.small, args.big):
                if engine == "sqlite":
                    url = f"sqlite:///{tempfile.mkdtemp(prefix='haulport-scale-')}/haulport.db"
                else:
                    url = await pg_scratch(args.pg, f"_{size}")
                    if url is None:
                        print("PostgreSQL: not answering, skipped")
                        break
                urls[size] = url
                start = time.perf_counter()
                loaded[size] = await load(url, size)
                print(
                    f"{engine}: {size:,} accounts, {size * 50:,} changelog rows loaded in {time.perf_counter() - start:.1f} s"
                )
            if len(loaded) < 2:
                continue
            # Both sizes in turn, --rounds times (small, big, big, small, …): a machine whose speed drifts
            # during the run (other work, a busy neighbour) then weighs on both alike.
            runs: dict[int, list[dict[str, tuple[float, float]]]] = {args.small: [], args.big: []}
            for r in range(args.rounds):
                for size in (args.small, args.big) if r % 2 == 0 else (args.big, args.small):
                    runs[size].append(await measure(urls[size], loaded[size], args.repeat))
        finally:
            if engine == "postgres":
                for url in urls.values():
                    await pg_drop(args.pg, url)
        figures = {
            size: {
                name: (statistics.median(m[name][0] for m in measured), min(m[name][1] for m in measured))
                for name in measured[0]
            }
            for size, measured in runs.items()
        }
        small, big = figures[args.small], figures[args.big]
        print(
            f"\n{engine}: server time, ms, median (fastest) of {args.rounds} rounds × {args.repeat}, the sizes in "
            f"turn; goal: big ÷ small ≤ 1.5"
        )
        print(f"{'':30} {args.small * 50:>15,} rows {args.big * 50:>15,} rows   ratio (fastest)")
        for name in small:
            (sm, sf), (bm, bf) = small[name], big[name]
            ratio, fast = bm / sm if sm else float("inf"), bf / sf if sf else float("inf")
            flag = "" if min(ratio, fast) <= 1.5 else "  (over the goal)"
            print(f"{name:30} {sm:11.2f} ({sf:5.2f}) {bm:11.2f} ({bf:5.2f}) {ratio:6.2f}x ({fast:.2f}x){flag}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100, help="accounts in the small tenant (the anchor)")
    parser.add_argument("--big", type=int, default=20_000, help="accounts in the big tenant")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each size, in turn")
    parser.add_argument("--pg", default=PG_DEFAULT, help="an admin URL of a PostgreSQL server")
    parser.add_argument("--no-pg", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
