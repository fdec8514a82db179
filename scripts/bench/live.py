"""Benchmark: live GPS delivery latency and drops, 1,000 subscribers and 10 trucks at 1 Hz (or 10×).

    .venv/bin/python scripts/bench/live.py [--subscribers 1000] [--trucks 10] [--seconds 30]
                                           [--mode both|one|two] [--redis redis://127.0.0.1:6379/0]
                                           [--restart] [--server uvicorn|granian]
    # at 10×: --subscribers 10000 --trucks 100 --mode two --restart

With ``--restart`` the servers are then stopped (SIGINT, killed after 5 s) and started again on the same
ports; the subscribers reconnect on the clients' own schedule (``sync.client.reconnect_delay``, full
jitter) and the run prints how long until every socket is back, from the stop and from the moment the
servers answer again. It also prints how long the first connects took and the server CPU per socket.
The subscriber processes hold thousands of sockets: the script raises its open-files limit to the hard
limit (``ulimit -n``) and refuses to run when that is too low.

Builds its own data in a fresh SQLite database (``--database-url`` for PostgreSQL): a tenant with
``--trucks`` trucks and drivers, and per subscriber one customer (contact, account, site) with an
en-route job on truck ``i % trucks`` — so every fix fans out into one ``gps`` message per job, the
heavy case. Starts real servers (uvicorn subprocesses): one process with the in-memory channels
backend, then two processes sharing Redis, subscribers and drivers spread across them. Subscribers
are ``websockets`` clients in separate processes; a driver socket per truck sends one fix per
second at a random phase. Latency is driver send → subscriber receive (same machine clock); a drop
is a fix a subscriber should have received and did not. Targets: p99 ≤ 50 ms (one process),
≤ 100 ms (two processes), zero drops.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
# This folder holds other benchmarks (http.py…) that would shadow standard modules of the same name.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import httpx
import websockets

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
OPENING = 200  # handshakes in flight per subscriber process while the subscribers first connect
CENTER = (39.78, -89.65)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


from scripts.bench.local_server import free_port, machine, server_command
from sync.client import reconnect_delay


# ---- data ------------------------------------------------------------------------------
async def build_data(database_url: str, subscribers: int, trucks: int) -> dict:
    """Tenant, trucks, drivers, customers with en-route jobs; returns session tokens."""
    from server.auth.tokens import issue
    from server.cli import migrate
    from server.db.engine import Database
    from server.db.store import Store, new_id

    await asyncio.to_thread(migrate, database_url)
    db = Database(database_url)
    await db.start()
    tenant_id, ttl = new_id(), 86400
    today = date.today().isoformat()
    out: dict = {"drivers": [], "subscribers": []}
    rng = random.Random(7)
    try:
        async with db.write() as conn:
            store = Store(conn, tenant_id)
            await store.lock()
            await store.insert("tenant", {"id": tenant_id, "slug": f"bench-{tenant_id[:8]}", "name": "Bench Haulers"})
            truck_ids = []
            for t in range(trucks):
                truck = await store.insert("truck", {"name": f"B-{t + 1}", "plate": f"BENCH-{t + 1:03d}"})
                driver = await store.insert(
                    "staff_user",
                    {
                        "name": f"Driver {t + 1}",
                        "role": "driver",
                        "email": f"driver{t + 1}@bench.example",
                        "truck_id": truck["id"],
                    },
                )
                token, _ = issue(SECRET, "session", driver["id"], "staff", tenant_id, driver["token_version"], ttl)
                out["drivers"].append((truck["id"], token))
                truck_ids.append(truck["id"])
            for i in range(subscribers):
                account = await store.insert("account", {"name": f"Customer {i}", "number": f"B-{i}"})
                lat, lng = CENTER[0] + rng.uniform(-0.05, 0.05), CENTER[1] + rng.uniform(-0.05, 0.05)
                site = await store.insert("site", {"account_id": account["id"], "name": "Home", "lat": lat, "lng": lng})
                contact = await store.insert("contact", {"name": f"Customer {i}", "email": f"c{i}@bench.example"})
                await store.insert(
                    "membership",
                    {
                        "contact_id": contact["id"],
                        "account_id": account["id"],
                        "role": "company",
                        "primary": True,
                        "name": contact["name"],
                    },
                )
                truck_id = truck_ids[i % trucks]
                await store.insert(
                    "job",
                    {
                        "account_id": account["id"],
                        "site_id": site["id"],
                        "status": "en_route",
                        "scheduled_date": today,
                        "truck_id": truck_id,
                        "number": f"J-{i}",
                    },
                )
                token, _ = issue(SECRET, "session", contact["id"], "contact", tenant_id, contact["token_version"], ttl)
                out["subscribers"].append((truck_id, token))
    finally:
        await db.close()
    return out


# ---- servers ---------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def start_servers(
    count: int,
    database_url: str,
    redis_url: str,
    workdir: Path,
    profile_dir: str = "",
    ports: list[int] | None = None,
    server: str = "uvicorn",
) -> tuple[list, list[str]]:
    env = {
        **os.environ,
        "HAULPORT_DATABASE_URL": database_url,
        "HAULPORT_REDIS_URL": redis_url,
        "HAULPORT_SECRET_KEY": SECRET,
        "HAULPORT_DEV_MODE": "false",
        "HAULPORT_CONFIG": str(workdir / "none.toml"),
        "HAULPORT_STATIC_DIR": str(workdir / "no-pwa"),
    }
    processes, urls = [], []
    for n in range(count):
        port = ports[n] if ports else free_port()
        profiler = ["-m", "cProfile", "-o", f"{profile_dir}/server-{redis_url and 'redis' or 'memory'}-{n}.prof"]
        command = server_command(port, server, 1)
        if profile_dir:
            command[1:1] = profiler
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, process in zip(urls, processes):
            deadline = time.monotonic() + 180  # (a restart's reconnecting sockets compete with this probe)
            while True:
                try:
                    httpx.get(f"{url}/api/auth/me", timeout=5)  # any answer (401) means it is serving
                    break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"server {url} did not start")
                time.sleep(0.2)
    except BaseException:
        stop_servers(processes)
        raise
    return processes, urls


def stop_servers(processes: list, wait_s: float = 15) -> None:
    for process in processes:
        process.send_signal(signal.SIGINT)  # SIGINT lets cProfile write its file (SIGTERM is re-raised and kills)
    deadline = time.monotonic() + wait_s
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- subscribers (separate processes) --------------------------------------------------
class _Subscriber(asyncio.Protocol):
    """A bare websocket client: timestamps each frame as it arrives, parses JSON only after the run.

    The ``websockets`` library costs ~10× more CPU per message; with 1,000 sockets on the same
    machine as the servers, the client's own cost would be measured as server latency.
    """

    def __init__(self, index: int, path: str, host: str, receipts: list):
        self.index, self.path, self.host, self.receipts = index, path, host, receipts
        self.buffer = bytearray()
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        received = time.time_ns()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buffer[:end].split(b"\r\n", 1)[0]:
                self.ready.set_exception(ConnectionError(bytes(buffer[:end]).decode(errors="replace")))
                self.transport.close()
                return
            del buffer[: end + 4]
            self.upgraded = True
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                if payload.startswith(b'{"type":"gps"'):
                    self.receipts.append((self.index, payload, received))
                elif not self.ready.done() and payload.startswith(b'{"type":"ready"'):
                    self.ready.set_result(True)
            elif opcode == 0x9:  # ping → pong (client frames are masked)
                mask = os.urandom(4)
                self.transport.write(
                    bytes([0x8A, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                )


def subscriber_process(
    targets: list[tuple[int, str]], ready: mp.Queue, stop: mp.Event, results: mp.Queue, rejoined: mp.Queue
) -> None:
    asyncio.run(_subscribe(targets, ready, stop, results, rejoined))


async def _subscribe(targets, ready, stop, results, rejoined) -> None:
    """Open every subscriber's socket (at most ``OPENING`` handshakes at a time per process), then keep it
    open: a dropped socket reconnects on the clients' own schedule (``sync.client.reconnect_delay``: full
    jitter, no coordination), and each socket back (``ready`` again) is reported on ``rejoined``."""
    raw_receipts: list[tuple[int, bytes, int]] = []
    opening = asyncio.Semaphore(OPENING)  # the first connects: don't storm the server's handshakes
    failures: list[str] = []
    loop = asyncio.get_running_loop()
    transports = []

    async def connect(index: int, parsed) -> _Subscriber:
        path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        transport, protocol = await loop.create_connection(
            lambda: _Subscriber(index, path, parsed.netloc, raw_receipts), parsed.hostname, parsed.port
        )
        transports.append(transport)
        try:
            await asyncio.wait_for(protocol.ready, 120)
        except BaseException:
            transport.close()
            raise
        return protocol

    async def one(index: int, url: str) -> None:
        parsed = urlparse(url)
        try:
            async with opening:
                protocol = await connect(index, parsed)
            ready.put(1)
        except Exception as exc:  # reported; its fixes count as drops
            failures.append(f"{type(exc).__name__}: {exc}")
            ready.put(0)
            return
        attempt, down_since = 0, None
        while True:
            await protocol.closed
            if stop.is_set():
                return
            down_since = down_since if down_since is not None else loop.time()
            while True:
                await asyncio.sleep(reconnect_delay(attempt, loop.time() - down_since))
                attempt += 1
                try:
                    protocol = await connect(index, parsed)
                    break
                except Exception:
                    if stop.is_set():
                        return
            rejoined.put(time.time())
            attempt, down_since = 0, None

    keepers = [asyncio.create_task(one(i, url)) for i, url in targets]
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for transport in transports:
        transport.close()
    for keeper in keepers:
        keeper.cancel()
    receipts = []
    for index, raw, received in raw_receipts:
        message = json.loads(raw)
        receipts.append((index, message["truck_id"], message["at"], received))
    results.put((receipts, failures))


# ---- drivers (this process) -------------------------------------------------------------
async def drive(drivers: list[tuple[str, str, str]], seconds: float) -> tuple[dict[tuple[str, str], int], list[float]]:
    """One socket per truck sending a fix per second at a random phase.

    Returns send times by (truck, at) and the ingest times (send → the server's ``gps_ack``, ms):
    how long storing and publishing a fix takes, as opposed to delivering it.
    """
    sent: dict[tuple[str, str], int] = {}
    ingest: list[float] = []
    sockets = []
    for truck_id, url, _token in drivers:
        ws = await websockets.connect(url, open_timeout=60, ping_interval=None)
        while json.loads(await ws.recv())["type"] != "ready":
            pass
        sockets.append((truck_id, ws))

    async def drain(truck_id: str, ws) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "gps_ack" and (truck_id, message.get("ref")) in sent:
                ingest.append((time.time_ns() - sent[(truck_id, message["ref"])]) / 1e6)

    drains = [asyncio.create_task(drain(truck_id, ws)) for truck_id, ws in sockets]

    async def truck(truck_id: str, ws) -> None:
        await asyncio.sleep(random.random())
        lat, lng = CENTER[0] + random.uniform(-0.05, 0.05), CENTER[1] + random.uniform(-0.05, 0.05)
        next_at = time.monotonic()
        end = next_at + seconds
        while next_at < end:
            lat, lng = lat + random.uniform(-1e-4, 1e-4), lng + random.uniform(-1e-4, 1e-4)
            at = now_iso()
            sent[(truck_id, at)] = time.time_ns()
            await ws.send(
                json.dumps(
                    {
                        "type": "gps",
                        "ref": at,
                        "fixes": [
                            {"lat": lat, "lng": lng, "heading": 90.0, "speed_mps": 11.0, "accuracy_m": 5.0, "at": at}
                        ],
                    }
                )
            )
            next_at += 1.0
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    await asyncio.gather(*(truck(t, ws) for t, ws in sockets))
    await asyncio.sleep(1.0)  # the last fixes in flight
    for _, ws in sockets:
        await ws.close()
    for task in drains:
        task.cancel()
    return sent, ingest


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def restart(
    name: str, processes: list, urls: list[str], servers: int, redis_url: str, args, workdir: Path, live: int, rejoined
) -> tuple[list, dict]:
    """Stop the servers (as a deploy does: SIGINT, they close their sockets) and start them again on the same
    ports; the subscribers reconnect on their own. How long until every live socket is back."""
    ports = [int(u.rsplit(":", 1)[1]) for u in urls]
    load_before = os.getloadavg()[0]
    stopped_ns = time.time_ns()
    stopped_at = stopped_ns / 1e9
    stop_servers(processes, wait_s=5)  # then killed: a restart does not wait for thousands of sockets to say goodbye
    down_at = time.time()
    processes, _ = start_servers(servers, args.database_url, redis_url, workdir, "", ports, args.server)
    serving_at = time.time()
    back: list[float] = []
    deadline = time.monotonic() + 120
    while len(back) < live and time.monotonic() < deadline:
        try:
            back.append(rejoined.get(timeout=max(0.1, deadline - time.monotonic())))
        except Exception:  # queue.Empty: the deadline passed
            break
    figures = {
        "back": len(back),
        "live": live,
        "stop_s": down_at - stopped_at,
        "start_s": serving_at - down_at,
        "all_back_s": (max(back) - stopped_at) if back else float("nan"),
        "after_serving_s": (max(back) - serving_at) if back else float("nan"),
        "half_back_s": (sorted(back)[len(back) // 2] - stopped_at) if back else float("nan"),
        "load": (load_before + os.getloadavg()[0]) / 2,
        "stopped_ns": stopped_ns,
    }
    print(
        f"  [{name}] restart: servers stopped in {figures['stop_s']:.1f} s and answered again "
        f"{figures['start_s']:.1f} s later; {len(back)}/{live} sockets back, the last "
        f"{figures['all_back_s']:.1f} s after the stop began ({figures['after_serving_s']:.1f} s after the servers "
        f"answered), half by {figures['half_back_s']:.1f} s (load {figures['load']:.1f})  [target ≤ 10 s]",
        flush=True,
    )
    return processes, figures


def run_mode(name: str, servers: int, data: dict, args, workdir: Path, redis_url: str) -> dict:
    processes, urls = start_servers(servers, args.database_url, redis_url, workdir, args.profile, server=args.server)
    ctx = mp.get_context("spawn")
    restarted: dict = {}
    try:
        ws_urls = [u.replace("http://", "ws://") + "/api/live?token=" for u in urls]
        subs = [(truck_id, ws_urls[i % servers] + token) for i, (truck_id, token) in enumerate(data["subscribers"])]
        ready, results, stop, rejoined = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Queue()
        workers = []
        for w in range(args.client_processes):
            targets = [(i, url) for i, (_t, url) in enumerate(subs) if i % args.client_processes == w]
            worker = ctx.Process(target=subscriber_process, args=(targets, ready, stop, results, rejoined), daemon=True)
            worker.start()
            workers.append(worker)
        started = time.monotonic()
        load_before = os.getloadavg()[0]
        cpu_at_start = sum(cpu_seconds(p.pid) for p in processes)
        ok = sum(ready.get(timeout=600) for _ in subs)
        connect_s = time.monotonic() - started
        connect_cpu = (sum(cpu_seconds(p.pid) for p in processes) - cpu_at_start) / max(1, ok)
        print(
            f"  [{name}] {ok}/{len(subs)} subscribers live after {connect_s:.1f} s "
            f"({OPENING} handshakes in flight per client process; server CPU {connect_cpu * 1000:.2f} ms per socket; "
            f"load {(load_before + os.getloadavg()[0]) / 2:.1f})",
            flush=True,
        )
        drivers = [
            (truck_id, ws_urls[t % servers] + token, token) for t, (truck_id, token) in enumerate(data["drivers"])
        ]
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        load_before = os.getloadavg()[0]
        sent, ingest = asyncio.run(drive(drivers, args.seconds))
        server_cpu = (sum(cpu_seconds(p.pid) for p in processes) - cpu_before) / (args.seconds + 1)
        load = (load_before + os.getloadavg()[0]) / 2
        if args.restart:
            processes, restarted = restart(name, processes, urls, servers, redis_url, args, workdir, ok, rejoined)
        stop.set()
        receipts, failures = [], []
        for _ in workers:
            got, failed = results.get(timeout=120)
            receipts.extend(got)
            failures.extend(failed)
        for worker in workers:
            worker.join(10)
    finally:
        stop_servers(processes)
    truck_of = {i: truck_id for i, (truck_id, _url) in enumerate(subs)}
    per_truck: dict[str, int] = {}
    for truck_id, _at in sent:
        per_truck[truck_id] = per_truck.get(truck_id, 0) + 1
    expected = sum(per_truck.get(truck_of[i], 0) for i in truck_of)
    latencies, seen, per_fix = [], set(), {}
    cutoff = restarted.get("stopped_ns", float("inf"))  # after a restart, sockets get the latest positions again
    for index, truck_id, at, received in receipts:
        key = (truck_id, at)
        if key in sent and (index, key) not in seen and truck_of[index] == truck_id and received < cutoff:
            seen.add((index, key))
            latencies.append((received - sent[key]) / 1e6)
            per_fix.setdefault(key, []).append(latencies[-1])
    # How long one fix takes to reach all of its truck's subscribers (first to last delivery).
    spreads = [max(v) - min(v) for v in per_fix.values()]
    if os.environ.get("BENCH_DEBUG"):
        print(
            f"    fan-out spread per fix p50 {percentile(spreads, 50):.1f} ms, p99 {percentile(spreads, 99):.1f} ms; "
            f"first delivery p50 {percentile([min(v) for v in per_fix.values()], 50):.1f} ms"
        )
    return {
        "name": name,
        "expected": expected,
        "received": len(seen),
        "drops": expected - len(seen),
        "p50": percentile(latencies, 50),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "fixes": len(sent),
        "failures": failures,
        "server_cpu": server_cpu,
        "load": load,
        "ingest_p50": percentile(ingest, 50),
        "ingest_p99": percentile(ingest, 99),
        "connect_s": connect_s,
        "restart": restarted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--trucks", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--mode", choices=("both", "one", "two"), default="both")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--profile", default="", help="run the servers under cProfile, writing .prof files here")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument(
        "--restart", action="store_true", help="then restart the servers and time the subscribers' reconnects"
    )
    args = parser.parse_args()
    # Every socket is a file descriptor, in the servers and in the subscriber processes (which inherit this).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.subscribers // 2 + 1000:
        raise SystemExit(f"open files are limited to {hard}: raise it (ulimit -n) for {args.subscribers} subscribers")
    workdir = Path(tempfile.mkdtemp(prefix="haulport-bench-live-"))
    args.database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    print(f"machine: {machine()}")
    print(
        f"load: {args.subscribers} subscribers, {args.trucks} trucks at 1 Hz for {args.seconds:g} s, "
        f"one en-route job per subscriber; database {args.database_url.split(':')[0]}; "
        f"{args.client_processes} client processes",
        flush=True,
    )
    started = time.monotonic()
    data = asyncio.run(build_data(args.database_url, args.subscribers, args.trucks))
    print(f"  bench data built in {time.monotonic() - started:.1f} s", flush=True)
    modes = [("one process, in-memory channels", 1, "", 50.0), ("two processes, Redis channels", 2, args.redis, 100.0)]
    if args.mode != "both":
        modes = modes[:1] if args.mode == "one" else modes[1:]
    rows = []
    for name, servers, redis_url, target in modes:
        result = run_mode(name, servers, data, args, workdir, redis_url)
        result["target"] = target
        rows.append(result)
    print()
    print(
        f"{'setup':34} {'fixes':>6} {'deliveries':>11} {'drops':>6} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'ingest p50/p99':>15} {'srv cpu':>7} {'load':>5}  target"
    )
    for r in rows:
        verdict = "ok" if r["p99"] <= r["target"] and r["drops"] == 0 else "MISSED"
        print(
            f"{r['name']:34} {r['fixes']:>6} {r['received']:>11} {r['drops']:>6} {r['p50']:>7.1f} {r['p90']:>7.1f} "
            f"{r['p99']:>7.1f} {r['max']:>7.1f} {r['ingest_p50']:>7.1f}/{r['ingest_p99']:<7.1f} "
            f"{r['server_cpu']:>6.0%} {r['load']:>5.1f}  "
            f"p99 ≤ {r['target']:g} ms, 0 drops: {verdict}"
        )
    print(
        "ingest: driver send → server ack (stored and published); srv cpu: the servers' CPU time per second of the run (100% = one core); load: the machine's "
        "1-minute load average meanwhile (other work on the machine inflates latencies)"
    )
    for r in rows:
        for failure in sorted(set(r["failures"]))[:5]:
            print(f"    subscriber failure: {failure}")


if __name__ == "__main__":
    main()
