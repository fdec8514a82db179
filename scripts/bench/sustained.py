"""Benchmark: sustained pull load, a closed loop of 200 pullers for 30 s, against each server setup.

    .venv/bin/python scripts/bench/sustained.py [--pullers 200] [--seconds 30] [--setups uvicorn:1,granian:2]

On a fresh SQLite database with the demo data, for each setup (uvicorn and granian, 1 and 2 worker
processes): ``--pullers`` keep-alive connections, each its own sync client of Ava holding its cursor at
the head, send ``GET /api/sync/pull`` again as soon as the last answer arrived (a closed loop: no pause),
while the office sends a message to Ava's account 10 times a second (so pulls carry changes, and
writes go on under the load). After a 3 s warm-up the run lasts ``--seconds``; it prints each setup's
pulls/s, latency p50/p99/max, the fewest and the most pulls any one puller completed (no starvation:
every puller keeps getting answers), server CPU per pull and the machine's load average. The anchor,
measured in the same run: the same loop with a single puller (one request at a time, no queueing) on
the first setup; the ratio is the p99 under load over it.

The load generator is a minimal HTTP/1.1 client on raw asyncio streams (msgspec decodes the cursor), so
it takes little of the machine's CPU from the server it measures. Target: p99 ≤ 250 ms, no starvation.
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
import statistics
import tempfile
import time
import uuid
from urllib.parse import quote

import httpx
import msgspec

from scripts.bench.local_server import load, machine, running_server, session_token
from scripts.bench.push import prepare

_decode = msgspec.json.decode


class Conn:
    """One keep-alive HTTP/1.1 connection: GET a path, read the whole answer."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"]))
        body = b""
        while True:  # chunked
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return status, body
            body += chunk[:-2]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _q(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _head(base: str, token: str, client_id: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        cursor = None
        while True:
            params = {"client_id": client_id} | ({"cursor": cursor} if cursor else {})
            page = (await http.get("/api/sync/pull", params=params)).json()
            cursor = page["cursor"]
            if not page.get("more"):
                return cursor


async def _writer(base: str, token: str, account_id: str, stop: asyncio.Event, per_second: float = 10) -> int:
    """The office sends a message to the account ``per_second`` times a second until ``stop``."""
    client_id = uuid.uuid4().hex
    sent = 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        next_at = time.perf_counter()
        while not stop.is_set():
            sent += 1
            body = {"id": str(uuid.uuid4()), "body": f"load {sent}", "account_id": account_id}
            mutation = {"id": sent, "name": "message.send", "args": body, "created_at": "2026-01-01T00:00:00Z"}
            response = await http.post(
                "/api/sync/push", json={"client_id": client_id, "schema_version": 1, "mutations": [mutation]}
            )
            response.raise_for_status()
            next_at += 1 / per_second
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return sent


async def closed_loop(base: str, token: str, pullers: int, seconds: float, warmup: float, cursor: str) -> dict:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[list[float]] = [[] for _ in range(pullers)]
    answered: list[float] = []  # when each answer arrived
    errors = 0
    measuring = False
    stop = asyncio.Event()

    async def puller(i: int) -> None:
        nonlocal errors
        conn = Conn(host, int(port), token)
        await conn.open()
        client_id, mine = uuid.uuid4().hex, cursor
        try:
            while not stop.is_set():
                started = time.perf_counter()
                status, body = await conn.get(f"/api/sync/pull?client_id={client_id}&cursor={quote(mine)}")
                took = time.perf_counter() - started
                if status != 200:
                    errors += 1
                    continue
                mine = _decode(body)["cursor"]
                if measuring:
                    latencies[i].append(took)
                    answered.append(started + took)
        finally:
            conn.close()

    tasks = [asyncio.create_task(puller(i)) for i in range(pullers)]
    await asyncio.sleep(warmup)
    measuring = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    measuring = False
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    every = [t for mine in latencies for t in mine]
    counts = [len(mine) for mine in latencies]
    return {
        "pulls": len(every),
        "rate": len(every) / elapsed,
        "p50": _q(every, 0.50) * 1000,
        "p99": _q(every, 0.99) * 1000,
        "max": max(every) * 1000,
        "fewest": min(counts),
        "most": max(counts),
        "median_count": statistics.median(counts),
        "errors": errors,
        # The longest time in which no puller got an answer: a stall of the server (or of the machine).
        "stall": max(b - a for a, b in zip(sorted(answered), sorted(answered)[1:])) * 1000,
    }


async def run_setup(database_url: str, server: str, workers: int, args, anchor: bool) -> tuple[dict, dict | None]:
    from server.seed.demo import sid

    ava = session_token(sid("contact:ava"), "contact", sid("tenant:demo"))
    office = session_token(sid("staff:office"), "staff", sid("tenant:demo"))
    with running_server(database_url, server=server, workers=workers) as served:
        cursor = await _head(served.url, ava, uuid.uuid4().hex)
        base_figures = None
        if anchor:
            base_figures = await closed_loop(served.url, ava, 1, min(args.seconds, 10), 1, cursor)
        stop = asyncio.Event()
        writing = asyncio.create_task(_writer(served.url, office, sid("account:ava-reed"), stop))
        cpu, load = served.cpu_seconds(), os.getloadavg()[0]
        figures = await closed_loop(served.url, ava, args.pullers, args.seconds, 3, cursor)
        figures["cpu_per_pull"] = (served.cpu_seconds() - cpu) / max(1, figures["pulls"])
        figures["load"] = (load + os.getloadavg()[0]) / 2
        stop.set()
        figures["writes"] = await writing
    return figures, base_figures


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="haulport-bench-sustained-"))
    database_url = f"sqlite:///{tmp / 'haulport.db'}"
    await prepare(database_url)
    print(f"machine: {machine()}; {load()}")
    print(
        f"load: {args.pullers} pullers in a closed loop for {args.seconds:.0f} s (after 3 s warm-up), "
        f"while the office writes 10 messages/s into the pulled account; SQLite"
    )
    anchor = None
    for n, setup in enumerate(args.setups.split(",")):
        server, _, workers = setup.partition(":")
        figures, base = await run_setup(database_url, server, int(workers or 1), args, anchor=n == 0)
        if base is not None:
            anchor = base
            print(
                f"anchor ({server}, {workers} worker(s)): 1 puller, one request at a time: p50 {base['p50']:.1f} ms, "
                f"p99 {base['p99']:.1f} ms, {base['rate']:,.0f} pulls/s"
            )
        print(
            f"{server} × {workers}: {figures['rate']:,.0f} pulls/s; p50 {figures['p50']:.1f} ms, "
            f"p99 {figures['p99']:.1f} ms (ratio to the anchor's p99 {figures['p99'] / anchor['p99']:.0f}), "
            f"max {figures['max']:.0f} ms; pulls per puller {figures['fewest']}–{figures['most']} "
            f"(median {figures['median_count']:.0f}); longest pause with no answer {figures['stall']:.0f} ms; "
            f"{figures['errors']} errors; "
            f"server CPU {figures['cpu_per_pull'] * 1000:.2f} ms per pull; {figures['writes']} writes; "
            f"load {figures['load']:.1f}  [target p99 ≤ 250 ms, no starvation]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pullers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--setups", default="uvicorn:1,uvicorn:2,granian:1,granian:2", help="server:workers, comma-separated"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
