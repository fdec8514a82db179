"""Portal read endpoints under load: wrk on loopback against one server process.

Prints p50/p99 latency and requests/s for the reads a portal makes (who am I, an incremental pull
with nothing new, the public tenant page, an initial pull of Ava's two accounts) and the machine.
Load is bounded: 2 wrk threads, 32 connections, 10 s per endpoint (change with --connections/--seconds).
Run: .venv/bin/python scripts/bench/http.py
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: keep its folder off the import path so the standard library's
# ``http`` package is the one imported.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import re
import shutil
import subprocess
import tempfile

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.local_server import load, machine, migrate, running_server, session_token
from server.seed.demo import seed_demo, sid
from server.settings import load_settings

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * UNITS[unit]


def run_wrk(url: str, token: str, connections: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": p50, "p99": p99, "rps": rps, "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="haulport-http-"))
    url = f"sqlite:///{workdir / 'haulport.db'}"
    asyncio.run(migrate(url))
    asyncio.run(seed_demo(load_settings(env={}, database_url=url)))
    token = session_token(sid("contact:ava"), "contact", sid("tenant:demo"))
    print(f"machine: {machine()}; {load()}")
    print(f"load: wrk 2 threads, {args.connections} connections, {args.seconds} s per endpoint; 1 server process")
    with running_server(url) as served:
        base = served.url
        client_id = "benchhttpclient01"
        head = httpx.get(
            f"{base}/api/sync/pull", params={"client_id": client_id}, headers={"Authorization": f"Bearer {token}"}
        ).json()["cursor"]
        endpoints = {
            "GET /api/auth/me": f"{base}/api/auth/me",
            "GET /api/sync/pull (incremental, no changes)": f"{base}/api/sync/pull?client_id={client_id}&cursor={head}",
            "GET /api/public/tenants/demo": f"{base}/api/public/tenants/demo",
            "GET /api/sync/pull (initial, 2 accounts)": f"{base}/api/sync/pull?client_id={client_id}",
        }
        print(f"{'endpoint':48} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>9} {'errors':>7}")
        for name, target in endpoints.items():
            r = run_wrk(target, token, args.connections, args.seconds)
            print(f"{name:48} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps']:9.0f} {r['errors']:7d}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
