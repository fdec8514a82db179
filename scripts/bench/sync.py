"""Benchmark: initial sync of a 20,000-row commercial account, and incremental pulls with 200 clients.

    .venv/bin/python scripts/bench/sync.py [--rows 20000] [--clients 200] [--rounds 20] [--seconds 10]

Builds a fresh SQLite database under /tmp (``--database-url`` for PostgreSQL): the demo data plus one
commercial account with ``--rows`` rows (sites, units, jobs, invoices, payments, messages…) written
through ``server.db.store.Store``, then serves it as ``haulport serve`` does on SQLite (granian, one worker)
and measures:

- initial sync: the pull pages of a fresh client (server time = the sum of page request times, and the
  wall time of the Python client ``haulport client`` writing its SQLite replica as it goes);
- incremental pulls, 200 clients each holding a cursor at the head (own keep-alive connection):
  *steady* — every client pulls about once a second while the office makes 10 small changes a second;
  *burst* — after one change all 200 pull at the same instant (a poke to everyone).

Goals: initial sync ≤ 1 s; incremental p99 ≤ 20 ms steady and ≤ 50 ms in a burst, with 200 clients. Prints
the machine it ran on.

Then, side by side (skip with ``--no-pouchdb``; skipped with a message when node/npm are missing), the same
figures for **pouchdb-server** (npm, on a free loopback port, LevelDB in a temp dir or ``--pouchdb-memory``)
holding the very rows the Haulport client received (one doc per row: ``_id`` = the row id, ``type`` = the
entity, the row's fields as sent), loaded with ``_bulk_docs`` before any timing:

- initial sync: the same Python keep-alive client reading ``_changes?style=all_docs&include_docs=true`` in
  pages of the same size as Haulport's (raw transfer, nothing stored), and a real fresh PouchDB client in node
  (``PouchDB.replicate`` into a new in-memory database: ``_changes`` + ``_bulk_get`` + local writes +
  checkpoints), with PouchDB's default ``batch_size`` 100 and with ``batch_size`` = Haulport's page size;
- incremental: the same 200 keep-alive clients and schedule (steady and burst), each holding ``since`` at the
  head and fetching ``_changes?since=S&style=all_docs&include_docs=true`` (the one request that is the
  CouchDB-protocol equivalent of a Haulport pull), while a message doc is written per change; plus a burst
  of 200 real PouchDB clients (``PouchDB.replicate`` from a stored checkpoint, all in one node process).

The comparison table gives Haulport ÷ PouchDB for each figure (below 1: Haulport takes less time or CPU).
The npm packages live in ``scripts/bench/pouchdb/`` and are installed there (``npm ci``) on first use.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where scripts/bench/http.py would hide the stdlib's http.
HERE = Path(__file__).resolve().parent
SERVER = "granian"  # what `haulport serve` runs (server/cli.py)
GOAL_P99_MS = {"steady": 20, "burst": 50}
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import json
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import urlencode, urlparse

import httpx
import msgspec

from scripts.bench.local_server import (
    Served,
    free_port,
    load,
    machine,
    migrate,
    running_server,
    session_token,
    wait_until_answering,
)

MIX = {
    "site": 0.02,
    "system": 0.01,
    "unit": 0.15,
    "job": 0.35,
    "recurring_series": 0.005,
    "service_request": 0.025,
    "supply_request": 0.025,
    "unit_issue": 0.015,
    "estimate": 0.01,
    "review": 0.015,
    "rental": 0.015,
    "invoice": 0.2,
    "payment": 0.075,
    "message": 0.08,
}


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
        out.append(
            (
                "site",
                {
                    "id": s,
                    "account_id": account,
                    "number": f"S-{i}",
                    "name": f"Building {i}",
                    "type": "commercial",
                    "address": {"line1": f"{i} Commerce Way", "city": "Springfield"},
                    "access_code": f"{1000 + i}#",
                },
            )
        )
    for i in range(counts["system"]):
        out.append(
            ("system", {"account_id": account, "site_id": sites[i % len(sites)], "name": f"Tank {i}", "kind": "septic"})
        )
    for i, u in enumerate(units):
        out.append(
            (
                "unit",
                {
                    "id": u,
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "number": f"PT-{i}",
                    "product_id": sid("product:toilet"),
                    "condition": rng.choice(["good", "needs_service"]),
                },
            )
        )
    statuses = ["requested", "confirmed", "completed", "completed", "completed", "cancelled"]
    for i, j in enumerate(jobs):
        status = rng.choice(statuses)
        out.append(
            (
                "job",
                {
                    "id": j,
                    "number": f"J-{10000 + i}",
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "service_type_id": sid("service:toilet"),
                    "status": status,
                    "scheduled_date": day(rng.randint(-365, 30)),
                    "price": 9500,
                    "time_slot_id": sid("slot:morning"),
                    "po_number": f"PO-{i}",
                    "description": "Service",
                    "status_history": [{"status": status, "at": "2026-01-01T08:00:00.000Z", "by": "office"}],
                },
            )
        )
    for i in range(counts["recurring_series"]):
        out.append(("recurring_series", {"account_id": account, "site_id": sites[i % len(sites)], "weekday": i % 7}))
    for i in range(counts["service_request"]):
        out.append(
            (
                "service_request",
                {
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "requested_date": day(i % 30),
                    "lines": [{"quantity": 2}],
                },
            )
        )
    for i in range(counts["supply_request"]):
        out.append(
            (
                "supply_request",
                {
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "lines": [{"supply_item_id": sid("supply:tp"), "quantity": 3}],
                },
            )
        )
    for i in range(counts["unit_issue"]):
        out.append(
            (
                "unit_issue",
                {
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "unit_id": units[i % len(units)],
                    "kind": "damage",
                    "description": "Cracked door",
                },
            )
        )
    for i in range(counts["estimate"]):
        out.append(
            (
                "estimate",
                {
                    "number": f"EST-{i}",
                    "account_id": account,
                    "total": 50000,
                    "valid_until": day(30),
                    "lines": [{"description": "Pump-out", "unit_price": 50000, "amount": 50000}],
                },
            )
        )
    for i in range(counts["review"]):
        out.append(("review", {"account_id": account, "job_id": jobs[i], "rating": 5, "comment": "Great"}))
    for i in range(counts["rental"]):
        out.append(
            (
                "rental",
                {
                    "rental_number": f"R-{i}",
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "daily_rate": 1500,
                    "status": "active",
                    "delivered_on": day(-3),
                },
            )
        )
    for i in range(counts["invoice"]):
        paid = rng.random() < 0.7
        out.append(
            (
                "invoice",
                {
                    "number": f"INV-{20000 + i}",
                    "account_id": account,
                    "site_id": sites[i % len(sites)],
                    "issued_on": day(-i % 365),
                    "due_on": day(-i % 365 + 30),
                    "status": "paid" if paid else "open",
                    "total": 19000,
                    "subtotal": 19000,
                    "balance": 0 if paid else 19000,
                    "po_number": f"PO-{i}",
                    "lines": [
                        {"description": "Portable toilet service", "quantity": 2, "unit_price": 9500, "amount": 19000}
                    ],
                },
            )
        )
    for i in range(counts["payment"]):
        out.append(
            (
                "payment",
                {
                    "number": f"PAY-{i}",
                    "account_id": account,
                    "amount": 19000,
                    "status": "succeeded",
                    "method": "bank",
                    "paid_at": "2026-01-01T08:00:00.000Z",
                },
            )
        )
    for i in range(counts["message"]):
        out.append(
            (
                "message",
                {
                    "account_id": account,
                    "author_kind": "staff" if i % 2 else "contact",
                    "author_name": "Office" if i % 2 else "Facilities",
                    "body": f"Message number {i}",
                },
            )
        )
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
    head = [
        ("account", {"id": account, "name": "Metro Facilities Inc", "kind": "commercial", "po_required": True}),
        ("contact", {"id": contact, "name": "Fran Facilities", "email": "fran@metro.example"}),
        (
            "membership",
            {
                "contact_id": contact,
                "account_id": account,
                "role": "company",
                "primary": True,
                "name": "Fran Facilities",
                "email": "fran@metro.example",
            },
        ),
    ]
    rows = head + _rows(account, total - len(head), random.Random(11))
    try:
        for start in range(0, len(rows), 2000):
            async with db.write() as conn:
                store = Store(conn, tenant)
                await store.lock()
                for entity, row in rows[start : start + 2000]:
                    await store.insert(entity, row)
    finally:
        await db.close()
    return {"tenant": tenant, "account": account, "contact": contact, "office": sid("staff:office"), "rows": len(rows)}


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([0-9]+)", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked", re.I)


class KeepAlive:
    """A minimal HTTP/1.1 keep-alive client (one connection), light enough not to distort latencies."""

    def __init__(self, base: str, token: str | None = None):
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
        auth = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{auth}Accept: application/json\r\n\r\n".encode()
        )
        try:  # the status line and headers in one read (a readline per line was most of this client's own time)
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise EOFError("the server closed the connection") from None
            raise
        status = head[: head.find(b"\r\n")]
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer {status!r}")
        if (length := _CONTENT_LENGTH.search(head)) is not None:
            return await self.reader.readexactly(int(length[1]))
        if not _CHUNKED.search(head):
            raise RuntimeError(f"unexpected answer {status!r}: no length")
        body = bytearray()
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            body += await self.reader.readexactly(size)
            await self.reader.readexactly(2)
        while (await self.reader.readline()) not in (b"\r\n", b""):
            pass  # trailers
        return bytes(body)

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


async def initial_sync(server: Served, token: str) -> dict:
    """Page times of a fresh pull (server time), then the Python client's full initial sync (wall time)."""
    from sync.client import Replica, SyncClient

    conn = KeepAlive(server.url, token)
    cursor, pages, bodies, rows = None, [], [], 0
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    while True:
        query = {"client_id": "bench-initial"} | ({"cursor": cursor} if cursor else {})
        t = time.perf_counter()
        body = await conn.get(f"/api/sync/pull?{urlencode(query)}")
        pages.append(time.perf_counter() - t)
        bodies.append(body)
        page = _page(body)
        rows += len(page.changes)
        cursor = page.cursor
        if not page.more:
            break
    raw_wall = time.perf_counter() - started
    raw_cpu = server.cpu_seconds() - cpu
    conn.close()
    with tempfile.TemporaryDirectory() as tmp:
        replica = Replica(Path(tmp) / "replica.db")
        async with SyncClient(replica, server.url) as client:
            await client.use_session(token)
            cpu = server.cpu_seconds()
            t = time.perf_counter()
            report = await client.pull()
            client_wall = time.perf_counter() - t
            client_cpu = server.cpu_seconds() - cpu
        stored = sum(replica.counts(optimistic=False).values())
        replica.close()
    page_rows = max(len(_page(b).changes) for b in bodies)
    return {
        "rows": rows,
        "pages": len(pages),
        "page_rows": page_rows,
        "bytes": sum(map(len, bodies)),
        "server_s": sum(pages),
        "raw_wall_s": raw_wall,
        "raw_cpu_s": raw_cpu,
        "client_wall_s": client_wall,
        "client_cpu_s": client_cpu,
        "client_pages": report.pages,
        "stored": stored,
        "docs": _docs(bodies),
    }


def _docs(bodies: list[bytes]) -> list[dict]:
    """The rows a fresh client received, as CouchDB docs: ``_id`` = the row id, ``type`` = the entity, then the
    row's fields as sent (a row's own ``type`` field, the kind of a site, becomes ``<entity>_type``)."""
    docs: dict[str, dict] = {}
    for body in bodies:
        for change in msgspec.json.decode(body)["changes"]:
            if change["op"] != "put":
                docs.pop(change["id"], None)
                continue
            row = dict(change["data"])
            if "type" in row:
                row[f"{change['entity']}_type"] = row.pop("type")
            docs[change["id"]] = {"_id": change["id"], "type": change["entity"], **row}
    return list(docs.values())


async def _head(conn: KeepAlive, client_id: str) -> str:
    cursor = None
    while True:
        query = {"client_id": client_id} | ({"cursor": cursor} if cursor else {})
        page = _page(await conn.get(f"/api/sync/pull?{urlencode(query)}"))
        cursor = page.cursor
        if not page.more:
            return cursor


async def _pulls(
    clients: int,
    rounds: int,
    seconds: float,
    fetch: Callable[[int], Awaitable[bytes]],
    apply: Callable[[int, bytes], int],
    change: Callable[[int], Awaitable[None]],
) -> dict:
    """Latencies of ``fetch`` (client ``i``'s request for what changed since its cursor; ``apply`` moves the cursor
    and counts the changes): *burst* — ``rounds`` times one change, then every client at once; *steady* — each
    client about once a second for ``seconds`` while ``change`` runs 10 times a second."""

    async def pull(i: int, into: list[float]) -> int:
        t = time.perf_counter()
        body = await fetch(i)
        into.append(time.perf_counter() - t)
        return apply(i, body)

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
    return {name: _latencies(values) for name, values in (("steady", steady), ("burst", burst))}


def _latencies(values: list[float]) -> dict:
    return {
        "pulls": len(values),
        "p50_ms": _pct(values, 0.5) * 1000,
        "p99_ms": _pct(values, 0.99) * 1000,
        "mean_ms": statistics.fmean(values) * 1000,
    }


async def incremental(
    base: str, token: str, office: str, account: str, clients: int, rounds: int, seconds: float
) -> dict:
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

        def fetch(i: int) -> Awaitable[bytes]:
            return conns[i].get(f"/api/sync/pull?{urlencode({'client_id': ids[i], 'cursor': cursors[i]})}")

        def apply(i: int, body: bytes) -> int:
            page = _page(body)
            cursors[i] = page.cursor
            return len(page.changes)

        figures = await _pulls(clients, rounds, seconds, fetch, apply, change)
    for conn in conns:
        conn.close()
    return figures


# --- pouchdb-server, side by side ---------------------------------------------------------------------------------

POUCH = HERE / "pouchdb"
POUCH_DB = "haulport"


def pouchdb_unavailable() -> str | None:
    """Why the PouchDB comparison cannot run, or None; installs the bench folder's npm packages on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node and npm are needed (apt-get install -y nodejs npm)"
    installed = POUCH / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (POUCH / "package-lock.json").stat().st_mtime:
        print(
            "installing pouchdb-server and pouchdb into scripts/bench/pouchdb/node_modules (npm ci; first use "
            "only, a few minutes)…",
            flush=True,
        )
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=POUCH, capture_output=True, text=True)
        if done.returncode:
            return f"npm ci failed in {POUCH}: {(done.stderr or done.stdout)[-1000:]}"
    return None


def _node(*args: object) -> dict:
    """Run ``scripts/bench/pouchdb/replicate.js`` and return the JSON it prints."""
    done = subprocess.run(
        [shutil.which("node"), str(POUCH / "replicate.js"), *map(str, args)],
        cwd=POUCH,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if done.returncode:
        raise RuntimeError(f"replicate.js {args[0]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def running_pouchdb(in_memory: bool) -> Iterator[Served]:
    """pouchdb-server on a free loopback port (LevelDB in a temp dir, or in memory), removed when the block ends."""
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-pouchdb-"))
    port = free_port()
    (tmp / "config.json").write_text(json.dumps({"log": {"level": "warning"}}))  # no line per request
    args = [
        shutil.which("node"),
        str(POUCH / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(tmp),
        "--config",
        str(tmp / "config.json"),
        "--no-stdout-logs",
    ] + (["--in-memory"] if in_memory else [])
    with open(tmp / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(args, cwd=tmp, stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(proc, f"{base}/", "pouchdb-server", lambda: (tmp / "stderr.txt").read_text()[-2000:])
        yield Served(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


class _Changes(msgspec.Struct):
    results: list[msgspec.Raw]
    last_seq: int | str


_changes = msgspec.json.Decoder(_Changes).decode


async def load_pouchdb(base: str, docs: list[dict]) -> None:
    """The rows, as docs, into a new database with ``_bulk_docs`` (untimed)."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        (await http.put(f"/{POUCH_DB}")).raise_for_status()
        for start in range(0, len(docs), 1000):
            r = await http.post(f"/{POUCH_DB}/_bulk_docs", json={"docs": docs[start : start + 1000]})
            r.raise_for_status()
            failed = [d for d in r.json() if not d.get("ok")]
            assert not failed, f"_bulk_docs refused {failed[:3]}"
        count = (await http.get(f"/{POUCH_DB}")).json()["doc_count"]
        assert count == len(docs), f"{count} docs in pouchdb-server, {len(docs)} expected"


async def pouch_initial_raw(server: Served, page_rows: int) -> dict:
    """A fresh read of every doc over the CouchDB protocol with the same keep-alive client and page size."""
    conn = KeepAlive(server.url)
    since, pages, docs, size = 0, 0, 0, 0
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    while True:
        body = await conn.get(f"/{POUCH_DB}/_changes?style=all_docs&include_docs=true&limit={page_rows}&since={since}")
        pages, size = pages + 1, size + len(body)
        feed = _changes(body)
        docs += len(feed.results)
        since = feed.last_seq
        if len(feed.results) < page_rows:
            break
    wall = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    conn.close()
    return {"docs": docs, "pages": pages, "bytes": size, "wall_s": wall, "cpu_s": cpu}


async def pouch_incremental(base: str, template: dict, clients: int, rounds: int, seconds: float) -> dict:
    """The same schedule as ``incremental``, each client fetching ``_changes?since=<its seq>&include_docs=true``."""
    conns = [KeepAlive(base) for _ in range(clients)]
    feed = "_changes?style=all_docs&include_docs=true&since="
    head = _changes(await conns[0].get(f"/{POUCH_DB}/{feed}now")).last_seq
    seqs = [head] * clients
    for conn in conns:
        await conn.get(f"/{POUCH_DB}/{feed}{head}")
    async with httpx.AsyncClient(base_url=base) as http:

        async def change(i: int) -> None:
            doc_id = str(uuid.uuid4())
            r = await http.put(
                f"/{POUCH_DB}/{doc_id}", json=template | {"_id": doc_id, "id": doc_id, "body": f"change {i}"}
            )
            r.raise_for_status()

        def fetch(i: int) -> Awaitable[bytes]:
            return conns[i].get(f"/{POUCH_DB}/{feed}{seqs[i]}")

        def apply(i: int, body: bytes) -> int:
            got = _changes(body)
            seqs[i] = got.last_seq
            return len(got.results)

        figures = await _pulls(clients, rounds, seconds, fetch, apply, change)
    for conn in conns:
        conn.close()
    return figures


async def pouchdb_side(args: argparse.Namespace, first: dict) -> dict:
    """Every PouchDB figure, against a pouchdb-server holding the rows the Haulport client received."""
    docs = first["docs"]
    template = next(d for d in docs if d["type"] == "message")
    out: dict = {}
    with running_pouchdb(args.pouchdb_memory) as server:
        t = time.perf_counter()
        await load_pouchdb(server.url, docs)
        loaded = time.perf_counter() - t
        version = httpx.get(f"{server.url}/").json().get("version", "?")
        node = subprocess.run([shutil.which("node"), "--version"], text=True, capture_output=True).stdout.strip()
        print(
            f"pouchdb-server {version} (node {node}, {'in memory' if args.pouchdb_memory else 'LevelDB'}): "
            f"{len(docs):,} docs loaded with _bulk_docs in {loaded:.1f} s"
        )
        out["raw"] = raw = await pouch_initial_raw(server, first["page_rows"])
        print(
            f"initial sync, _changes?include_docs in pages of {first['page_rows']:,} (same Python client): "
            f"{raw['docs']:,} docs in {raw['pages']} pages, wall {raw['wall_s'] * 1000:.0f} ms, "
            f"server CPU {raw['cpu_s'] * 1000:.0f} ms"
        )
        url = f"{server.url}/{POUCH_DB}"
        for batch in sorted({100, first["page_rows"]}):
            cpu = server.cpu_seconds()
            got = _node("initial", url, "memory", batch)
            got["cpu_s"] = server.cpu_seconds() - cpu
            out[f"replicate_{batch}"] = got
            assert got["doc_count"] == len(docs), got
            print(
                f"  PouchDB.replicate into a fresh in-memory PouchDB, batch_size {batch}: {got['doc_count']:,} docs, "
                f"wall {got['ms']:.0f} ms, server CPU {got['cpu_s'] * 1000:.0f} ms"
            )
        cpu = server.cpu_seconds()
        inc = await pouch_incremental(server.url, template, args.clients, args.rounds, args.seconds)
        out["cpu_per_pull_s"] = (server.cpu_seconds() - cpu) / sum(f["pulls"] for f in inc.values())
        out.update(inc)
        for name, f in inc.items():
            print(
                f"incremental _changes?since, {args.clients} clients, {name}: {f['pulls']:,} pulls, "
                f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, mean {f['mean_ms']:.1f} ms"
            )
        print(f"  server CPU {out['cpu_per_pull_s'] * 1e6:.0f} µs per pull (doc writes included)")
        head = httpx.get(url).json()["update_seq"]
        real = _node("incremental", url, args.clients, args.pouchdb_real_rounds, head, json.dumps(template))
        out["real_burst"] = f = _latencies([ms / 1000 for ms in real["ms"]])
        print(
            f"incremental, {args.clients} real PouchDB clients (PouchDB.replicate from a checkpoint, one node "
            f"process), burst: {f['pulls']:,} replications, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
            f"mean {f['mean_ms']:.1f} ms"
        )
    return out


def compare(first: dict, inc: dict, cpu_per_pull: float, pouch: dict, clients: int) -> None:
    """The side-by-side table: each figure for both, and Haulport ÷ PouchDB."""
    page, raw = first["page_rows"], pouch["raw"]
    rows = [
        (f"initial, raw HTTP, pages of {page:,}: wall ms", first["raw_wall_s"] * 1000, raw["wall_s"] * 1000),
        ("initial, raw HTTP: server CPU ms", first["raw_cpu_s"] * 1000, raw["cpu_s"] * 1000),
        ("initial, raw HTTP: MB sent", first["bytes"] / 1e6, raw["bytes"] / 1e6),
    ]
    for batch in sorted({100, page}):
        rep = pouch[f"replicate_{batch}"]
        rows += [
            (f"initial, real client (batch_size {batch:,}): wall ms", first["client_wall_s"] * 1000, rep["ms"]),
            (
                f"initial, real client (batch_size {batch:,}): server CPU ms",
                first["client_cpu_s"] * 1000,
                rep["cpu_s"] * 1000,
            ),
        ]
    for name in ("burst", "steady"):
        for q in ("p50", "p99"):
            rows.append((f"incremental ×{clients}, {name}: {q} ms", inc[name][f"{q}_ms"], pouch[name][f"{q}_ms"]))
    rows.append(("incremental: server CPU µs per pull", cpu_per_pull * 1e6, pouch["cpu_per_pull_s"] * 1e6))
    for q in ("p50", "p99"):
        rows.append(
            (
                f"incremental ×{clients}, burst, real PouchDB: {q} ms",
                inc["burst"][f"{q}_ms"],
                pouch["real_burst"][f"{q}_ms"],
            )
        )
    width = max(len(r[0]) for r in rows)
    print(
        f"\nHaulport vs pouchdb-server, the same {len(first['docs']):,} rows "
        f"(ratio = Haulport ÷ PouchDB; below 1: Haulport takes less)"
    )
    print(f"{'':{width}}  {'Haulport':>9}  {'PouchDB':>9}  {'ratio':>6}")
    for label, ours, theirs in rows:
        print(f"{label:{width}}  {ours:9.1f}  {theirs:9.1f}  {ours / theirs if theirs else float('nan'):6.2f}")
    print(
        "  raw HTTP: the same Python keep-alive client reads every Haulport pull page / every page of "
        "_changes?style=all_docs&include_docs=true, storing nothing.\n"
        "  real client: Haulport's Python client (sync/client) into its SQLite replica / PouchDB.replicate (node) "
        "into a fresh in-memory PouchDB.\n"
        "  incremental: each client's cursor / since at the head, one keep-alive connection each; a pull is "
        "GET /api/sync/pull?cursor=… / GET /db/_changes?since=…&include_docs=true.\n"
        "  real PouchDB: the Haulport pull against PouchDB.replicate from a stored checkpoint (9 requests), "
        f"{clients} PouchDB clients in one node process."
    )


async def run(args: argparse.Namespace) -> None:
    skip = "skipped (--no-pouchdb)" if args.no_pouchdb else pouchdb_unavailable()
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-sync-"))
    print(f"at the start: {load()}")
    try:
        url = args.database_url or f"sqlite:///{tmp / 'haulport.db'}"
        t = time.perf_counter()
        ids = await build(url, args.rows)
        print(f"built {ids['rows']:,} account rows in {time.perf_counter() - t:.1f} s ({url})")
        token = session_token(ids["contact"], "contact", ids["tenant"])
        office = session_token(ids["office"], "staff", ids["tenant"])
        with running_server(url, server=SERVER) as server:
            print(f"served by {SERVER} with one worker, as `haulport serve` serves SQLite")
            first = await initial_sync(server, token)
            print(
                f"initial sync: {first['rows']:,} rows in {first['pages']} pages; server time (sum of page "
                f"requests) {first['server_s'] * 1000:.0f} ms, wall {first['raw_wall_s'] * 1000:.0f} ms, server CPU "
                f"{first['raw_cpu_s'] * 1000:.0f} ms  [target ≤ 1000 ms]"
            )
            print(
                f"  Python client (SQLite replica): {first['stored']:,} rows stored, wall "
                f"{first['client_wall_s'] * 1000:.0f} ms, server CPU {first['client_cpu_s'] * 1000:.0f} ms"
            )
            cpu = server.cpu_seconds()
            inc = await incremental(server.url, token, office, ids["account"], args.clients, args.rounds, args.seconds)
            pulls = sum(f["pulls"] for f in inc.values())
            for name, f in inc.items():
                print(
                    f"incremental pulls, {args.clients} clients, {name}: {f['pulls']:,} pulls, p50 {f['p50_ms']:.1f} "
                    f"ms, p99 {f['p99_ms']:.1f} ms, mean {f['mean_ms']:.1f} ms  [goal p99 ≤ {GOAL_P99_MS[name]} ms]"
                )
            cpu_per_pull = (server.cpu_seconds() - cpu) / pulls
            print(f"  server CPU {cpu_per_pull * 1e6:.0f} µs per pull (office changes included)")
        if skip:
            print(f"pouchdb-server comparison: {skip}")
        else:
            compare(first, inc, cpu_per_pull, await pouchdb_side(args, first), args.clients)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {machine()}; {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20, help="burst rounds (one change, every client pulls)")
    parser.add_argument("--seconds", type=float, default=10, help="length of the steady phase")
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite under /tmp)")
    parser.add_argument("--no-pouchdb", action="store_true", help="skip the pouchdb-server comparison")
    parser.add_argument(
        "--pouchdb-memory", action="store_true", help="run pouchdb-server --in-memory (default: LevelDB in a temp dir)"
    )
    parser.add_argument(
        "--pouchdb-real-rounds",
        type=int,
        default=5,
        help="burst rounds of the real PouchDB clients (a replication is 9 requests)",
    )
    args = parser.parse_args()
    if args.pouchdb_real_rounds < 1:
        parser.error("--pouchdb-real-rounds must be at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
