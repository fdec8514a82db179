"""Benchmark: initial sync of a 20,000-row commercial account, and incremental pulls with 200 clients.

    .venv/bin/python scripts/bench/sync.py [--rows 20000] [--clients 200] [--rounds 20] [--seconds 10]

Builds a fresh SQLite database under /tmp (``--database-url`` for PostgreSQL): the demo data plus one
commercial account with ``--rows`` rows (sites, units, jobs, invoices, payments, messages…) written
through ``server.db.store.Store``, then serves it with a uvicorn process and measures:

- initial sync: the pull pages of a fresh client (server time = the sum of page request times, and the
  wall time of the Python client ``haulport client`` writing its SQLite replica as it goes);
- incremental pulls, 200 clients each holding a cursor at the head (own keep-alive connection):
  *steady* — every client pulls about once a second while the office makes 10 small changes a second;
  *burst* — after one change all 200 pull at the same instant (a poke to everyone).

Targets: initial sync ≤ 1 s; incremental p99 ≤ 20 ms with 200 clients. Prints the machine it ran on.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where scripts/bench/http.py would hide the stdlib's http.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from urllib.parse import urlencode, urlparse

import httpx
import msgspec

from scripts.bench.local_server import machine, migrate, running_server, session_token  # noqa: E402

MIX = {"site": 0.02, "system": 0.01, "unit": 0.15, "job": 0.35, "recurring_series": 0.005, "service_request": 0.025,
       "supply_request": 0.025, "unit_issue": 0.015, "estimate": 0.01, "review": 0.015, "rental": 0.015,
       "invoice": 0.2, "payment": 0.075, "message": 0.08}


def _rows(account: str, total: int, rng: random.Random) -> list[tuple[str, dict]]:
    """``total`` rows of one commercial account, parents first."""
    from server.seed.demo import sid

    today = date.today()
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    counts = {e: max(1, int(total * share)) for e, share in MIX.items()}
    counts["job"] += total - sum(counts.values())
    sites = [str(uuid.uuid4()) for _ in range(counts["site"])]
    units = [str(uuid.uuid4()) for _ in range(counts["unit"])]
    jobs = [str(uuid.uuid4()) for _ in range(counts["job"])]
    out: list[tuple[str, dict]] = []
    for i, s in enumerate(sites):
        out.append(("site", {"id": s, "account_id": account, "number": f"S-{i}", "name": f"Building {i}",
                             "type": "commercial", "address": {"line1": f"{i} Commerce Way", "city": "Springfield"},
                             "access_code": f"{1000 + i}#"}))
    for i in range(counts["system"]):
        out.append(("system", {"account_id": account, "site_id": sites[i % len(sites)], "name": f"Tank {i}",
                               "kind": "septic"}))
    for i, u in enumerate(units):
        out.append(("unit", {"id": u, "account_id": account, "site_id": sites[i % len(sites)], "number": f"PT-{i}",
                             "product_id": sid("product:toilet"), "condition": rng.choice(["good", "needs_service"])}))
    statuses = ["requested", "confirmed", "completed", "completed", "completed", "cancelled"]
    for i, j in enumerate(jobs):
        status = rng.choice(statuses)
        out.append(("job", {"id": j, "number": f"J-{10000 + i}", "account_id": account,
                            "site_id": sites[i % len(sites)], "service_type_id": sid("service:toilet"),
                            "status": status, "scheduled_date": day(rng.randint(-365, 30)), "price": 9500,
                            "time_slot_id": sid("slot:morning"), "po_number": f"PO-{i}", "description": "Service",
                            "status_history": [{"status": status, "at": "2026-01-01T08:00:00.000Z", "by": "office"}]}))
    for i in range(counts["recurring_series"]):
        out.append(("recurring_series", {"account_id": account, "site_id": sites[i % len(sites)], "weekday": i % 7}))
    for i in range(counts["service_request"]):
        out.append(("service_request", {"account_id": account, "site_id": sites[i % len(sites)],
                                        "requested_date": day(i % 30), "lines": [{"quantity": 2}]}))
    for i in range(counts["supply_request"]):
        out.append(("supply_request", {"account_id": account, "site_id": sites[i % len(sites)],
                                       "lines": [{"supply_item_id": sid("supply:tp"), "quantity": 3}]}))
    for i in range(counts["unit_issue"]):
        out.append(("unit_issue", {"account_id": account, "site_id": sites[i % len(sites)],
                                   "unit_id": units[i % len(units)], "kind": "damage", "description": "Cracked door"}))
    for i in range(counts["estimate"]):
        out.append(("estimate", {"number": f"EST-{i}", "account_id": account, "total": 50000, "valid_until": day(30),
                                 "lines": [{"description": "Pump-out", "unit_price": 50000, "amount": 50000}]}))
    for i in range(counts["review"]):
        out.append(("review", {"account_id": account, "job_id": jobs[i], "rating": 5, "comment": "Great"}))
    for i in range(counts["rental"]):
        out.append(("rental", {"rental_number": f"R-{i}", "account_id": account, "site_id": sites[i % len(sites)],
                               "daily_rate": 1500, "status": "active", "delivered_on": day(-3)}))
    for i in range(counts["invoice"]):
        paid = rng.random() < 0.7
        out.append(("invoice", {"number": f"INV-{20000 + i}", "account_id": account, "site_id": sites[i % len(sites)],
                                "issued_on": day(-i % 365), "due_on": day(-i % 365 + 30),
                                "status": "paid" if paid else "open", "total": 19000, "subtotal": 19000,
                                "balance": 0 if paid else 19000, "po_number": f"PO-{i}",
                                "lines": [{"description": "Portable toilet service", "quantity": 2,
                                           "unit_price": 9500, "amount": 19000}]}))
    for i in range(counts["payment"]):
        out.append(("payment", {"number": f"PAY-{i}", "account_id": account, "amount": 19000, "status": "succeeded",
                                "method": "bank", "paid_at": "2026-01-01T08:00:00.000Z"}))
    for i in range(counts["message"]):
        out.append(("message", {"account_id": account, "author_kind": "staff" if i % 2 else "contact",
                                "author_name": "Office" if i % 2 else "Facilities", "body": f"Message number {i}"}))
    return out


async def build(database_url: str, total: int) -> dict:
    """Migrate, load the demo data and one big commercial account; returns the ids the benchmark needs."""
    from server.db.engine import Database
    from server.db.store import Store
    from server.seed.demo import seed_demo, sid
    from server.settings import load_settings

    await migrate(database_url)
    await seed_demo(load_settings(env={}, database_url=database_url))
    db = Database(database_url)
    await db.start()
    tenant, account, contact = sid("tenant:demo"), str(uuid.uuid4()), str(uuid.uuid4())
    head = [("account", {"id": account, "name": "Metro Facilities Inc", "kind": "commercial", "po_required": True}),
            ("contact", {"id": contact, "name": "Fran Facilities", "email": "fran@metro.example"}),
            ("membership", {"contact_id": contact, "account_id": account, "role": "company", "primary": True,
                            "name": "Fran Facilities", "email": "fran@metro.example"})]
    rows = head + _rows(account, total - len(head), random.Random(11))
    try:
        for start in range(0, len(rows), 2000):
            async with db.write() as conn:
                store = Store(conn, tenant)
                await store.lock()
                for entity, row in rows[start:start + 2000]:
                    await store.insert(entity, row)
    finally:
        await db.close()
    return {"tenant": tenant, "account": account, "contact": contact, "office": sid("staff:office"),
            "rows": len(rows)}


class KeepAlive:
    """A minimal HTTP/1.1 keep-alive client (one connection), light enough not to distort latencies."""

    def __init__(self, base: str, token: str):
        url = urlparse(base)
        self.host, self.port, self.token = url.hostname, url.port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> bytes:
        """The body of a 200 answer; reconnects once if the server closed the idle connection."""
        try:
            return await self._get(path)
        except (ConnectionError, asyncio.IncompleteReadError, EOFError):
            self.close()
            return await self._get(path)

    async def _get(self, path: str) -> bytes:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                          f"Accept: application/json\r\n\r\n".encode())
        status = await self.reader.readline()
        if not status:
            raise EOFError("the server closed the connection")
        length = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if length is None or not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer {status!r}")
        return await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class _Page(msgspec.Struct):
    cursor: str
    more: bool
    changes: list[msgspec.Raw]


_page = msgspec.json.Decoder(_Page).decode


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def initial_sync(base: str, token: str) -> dict:
    """Page times of a fresh pull (server time), then the Python client's full initial sync (wall time)."""
    from sync.client import Replica, SyncClient

    conn = KeepAlive(base, token)
    cursor, pages, rows = None, [], 0
    started = time.perf_counter()
    while True:
        query = {"client_id": "bench-initial"} | ({"cursor": cursor} if cursor else {})
        t = time.perf_counter()
        body = await conn.get(f"/api/sync/pull?{urlencode(query)}")
        pages.append(time.perf_counter() - t)
        page = _page(body)
        rows += len(page.changes)
        cursor = page.cursor
        if not page.more:
            break
    raw_wall = time.perf_counter() - started
    conn.close()
    with tempfile.TemporaryDirectory() as tmp:
        replica = Replica(Path(tmp) / "replica.db")
        async with SyncClient(replica, base) as client:
            await client.use_session(token)
            t = time.perf_counter()
            report = await client.pull()
            client_wall = time.perf_counter() - t
        stored = sum(replica.counts(optimistic=False).values())
        replica.close()
    return {"rows": rows, "pages": len(pages), "server_s": sum(pages), "raw_wall_s": raw_wall,
            "client_wall_s": client_wall, "client_pages": report.pages, "stored": stored}


async def _head(conn: KeepAlive, client_id: str) -> str:
    cursor = None
    while True:
        query = {"client_id": client_id} | ({"cursor": cursor} if cursor else {})
        page = _page(await conn.get(f"/api/sync/pull?{urlencode(query)}"))
        cursor = page.cursor
        if not page.more:
            return cursor


async def incremental(base: str, token: str, office: str, account: str, clients: int, rounds: int,
                      seconds: float) -> dict:
    """Latencies of cursor-at-head pulls: steady (≈1 pull/s per client) and burst (all at once)."""
    conns = [KeepAlive(base, token) for _ in range(clients)]
    ids = [f"bench-{i:04d}-{uuid.uuid4().hex[:8]}" for i in range(clients)]
    first = await _head(conns[0], ids[0])
    cursors = [first] * clients  # the same scope, so the same head cursor serves every client
    for conn, cid in zip(conns, ids):
        await conn.get(f"/api/sync/pull?{urlencode({'client_id': cid, 'cursor': first})}")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {office}"}) as http:
        async def change(i: int) -> None:
            r = await http.post("/api/admin/messages", json={"account_id": account, "body": f"change {i}"})
            r.raise_for_status()

        async def pull(i: int, into: list[float]) -> int:
            t = time.perf_counter()
            body = await conns[i].get(f"/api/sync/pull?{urlencode({'client_id': ids[i], 'cursor': cursors[i]})}")
            into.append(time.perf_counter() - t)
            page = _page(body)
            cursors[i] = page.cursor
            return len(page.changes)

        burst: list[float] = []
        for r in range(rounds):
            await change(r)
            got = await asyncio.gather(*(pull(i, burst) for i in range(clients)))
            assert min(got) >= 1, "every client sees the change"
        steady: list[float] = []
        stop = time.perf_counter() + seconds
        rng = random.Random(3)

        async def client_loop(i: int) -> None:
            await asyncio.sleep(rng.random())
            while time.perf_counter() < stop:
                await pull(i, steady)
                await asyncio.sleep(rng.expovariate(1.0))

        async def changer() -> None:
            n = 0
            while time.perf_counter() < stop:
                await change(10_000 + n)
                n += 1
                await asyncio.sleep(0.1)

        await asyncio.gather(changer(), *(client_loop(i) for i in range(clients)))
    for conn in conns:
        conn.close()
    figures = {}
    for name, values in (("steady", steady), ("burst", burst)):
        figures[name] = {"pulls": len(values), "p50_ms": _pct(values, 0.5) * 1000, "p99_ms": _pct(values, 0.99) * 1000,
                         "mean_ms": statistics.fmean(values) * 1000}
    return figures


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-sync-"))
    url = args.database_url or f"sqlite:///{tmp / 'haulport.db'}"
    t = time.perf_counter()
    ids = await build(url, args.rows)
    print(f"built {ids['rows']:,} account rows in {time.perf_counter() - t:.1f} s ({url})")
    token = session_token(ids["contact"], "contact", ids["tenant"])
    office = session_token(ids["office"], "staff", ids["tenant"])
    with running_server(url) as server:
        cpu = server.cpu_seconds()
        first = await initial_sync(server.url, token)
        print(f"initial sync: {first['rows']:,} rows in {first['pages']} pages; server time (sum of page requests) "
              f"{first['server_s'] * 1000:.0f} ms, wall {first['raw_wall_s'] * 1000:.0f} ms  [target ≤ 1000 ms]")
        print(f"  Python client (SQLite replica): {first['stored']:,} rows stored, wall "
              f"{first['client_wall_s'] * 1000:.0f} ms; server CPU for both syncs "
              f"{(server.cpu_seconds() - cpu) * 1000:.0f} ms")
        cpu = server.cpu_seconds()
        inc = await incremental(server.url, token, office, ids["account"], args.clients, args.rounds, args.seconds)
        pulls = sum(f["pulls"] for f in inc.values())
        for name, f in inc.items():
            print(f"incremental pulls, {args.clients} clients, {name}: {f['pulls']:,} pulls, p50 {f['p50_ms']:.1f} ms, "
                  f"p99 {f['p99_ms']:.1f} ms, mean {f['mean_ms']:.1f} ms  [target p99 ≤ 20 ms]")
        print(f"  server CPU {(server.cpu_seconds() - cpu) / pulls * 1e6:.0f} µs per pull (office changes included)")
    print(f"machine: {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20, help="burst rounds (one change, every client pulls)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the steady phase")
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite under /tmp)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
