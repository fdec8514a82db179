"""Benchmark: `haulport import` of 10,000 accounts from CSV into a fresh database.

    .venv/bin/python scripts/bench/import.py [--count 10000] [--database-url postgresql://…/db]

Migrates a fresh database (a temporary SQLite file unless --database-url names an empty PostgreSQL
database), creates a tenant with `tenant create`, writes a CSV of `count` accounts and times:
the import (every row through the Store and the changelog, one transaction), a dry run of the same
file, and a second import of it (nothing changes). The anchor, measured in the same run on the same
machine, is the raw floor: the same rows inserted with one `executemany` into a scratch SQLite table
with no checks, numbering or changelog. Target (issue 15): 10,000 accounts in under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[2])  # (not scripts/bench: its http.py is not the stdlib's)

from server.cli import migrate
from server.dataio.importer import import_rows
from server.db.engine import Database
from server.settings import load_settings
from server.tenants import create_tenant


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def accounts_csv(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["external_id", "name", "kind", "email", "phone", "net_terms_days", "po_required", "billing_address"]
    )
    for n in range(count):
        address = {"line1": f"{n + 1} Main St", "city": "Denver", "region": "CO", "postal_code": "80202"}
        writer.writerow(
            [
                f"CUST-{n:06d}",
                f"Customer {n}",
                "commercial" if n % 3 else "residential",
                f"billing{n}@example.com",
                f"+1555{n:07d}",
                30 if n % 3 else 0,
                "true" if n % 7 == 0 else "",
                json.dumps(address),
            ]
        )
    return out.getvalue().encode()


def anchor_seconds(data: bytes, path: str) -> float:
    """The same rows, parsed by the csv module and inserted raw in one executemany (no checks)."""
    started = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode())))[1:]
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE scratch (external_id TEXT PRIMARY KEY, name TEXT, kind TEXT, email TEXT, "
            "phone TEXT, net_terms_days INTEGER, po_required TEXT, billing_address TEXT)"
        )
        conn.executemany("INSERT INTO scratch VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return time.perf_counter() - started


async def timed_imports(url: str, data: bytes) -> dict[str, float]:
    settings = load_settings(env={}, database_url=url, dev_mode=True)
    made = await create_tenant(settings, "bench", "Bench Hauling", "admin@bench.example")
    tenant_id = made["tenant"]["id"]
    db = Database(url)
    await db.start()
    times = {}
    try:
        for label, dry in (("import", False), ("dry run", True), ("second import", False)):
            started = time.perf_counter()
            result = await import_rows(db, tenant_id, "accounts", data, "accounts.csv", dry_run=dry)
            times[label] = time.perf_counter() - started
            times[f"{label} result"] = result.sentence()  # type: ignore[assignment]
    finally:
        await db.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        migrate(url)
        data = accounts_csv(args.count)
        load_before = os.getloadavg()
        anchor = anchor_seconds(data, f"{tmp}/anchor.db")
        times = asyncio.run(timed_imports(url, data))
        load_after = os.getloadavg()
    print(f"machine:       {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}")
    print(f"python:        {platform.python_implementation()} {platform.python_version()}")
    print(f"load average:  {load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min)")
    print(f"database:      {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
    print(f"file:          {args.count:,} accounts, {len(data) / 1e6:.2f} MB CSV")
    print(f"anchor:        {anchor:.3f} s (csv module + raw executemany into a scratch SQLite table)")
    for label in ("import", "dry run", "second import"):
        seconds = times[label]
        print(
            f"{label + ':':<15}{seconds:.2f} s, {args.count / seconds:,.0f} rows/s, "
            f"{seconds / anchor:.1f}x the anchor  [{times[label + ' result']}]"
        )
    verdict = "under" if times["import"] < 30 else "OVER"
    print(f"target:        {args.count:,} accounts in under 30 s: {verdict} ({times['import']:.2f} s)")


if __name__ == "__main__":
    main()
