#!/usr/bin/env python3
"""A simulated driver: logs in, takes today's jobs, drives them, streams GPS, goes offline once.

    .venv/bin/python scripts/driver_sim.py --url http://127.0.0.1:8000 --email driver@demo.example --speedup 10

What it does, like the driver app on a phone would:
1. logs in through the dev outbox (the server must run with ``dev_mode``);
2. pulls its route (``/api/sync/pull``) and takes today's open jobs on its truck;
3. for each job: taps ``en_route`` (a ``job.advance`` mutation through ``/api/sync/push``), drives a
   straight-ish line to the site streaming a GPS fix per simulated second over ``/api/live``
   (the ``websockets`` library), taps ``in_progress``, works a moment, taps ``completed``;
4. partway through the route it loses the network: fixes and taps are buffered, and on reconnect
   the fixes go up in one ``POST /api/driver/gps`` and the taps in one push (ids keep increasing).

``--speedup N`` runs the simulated clock N times faster (fixes still carry real timestamps, so the
server's future-fix check holds; at high speedups several fixes share one socket message).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import websockets

CRUISE_MPS = 12.0  # ~43 km/h, town driving
UPLOAD_CHUNK = 5000  # fixes per POST /api/driver/gps (the server takes up to 10,000)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bearing(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lng2 - lng1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Stats:
    fixes_streamed: int = 0
    fixes_buffered: int = 0
    fixes_uploaded: int = 0
    taps: list[tuple[str, str]] = field(default_factory=list)  # (job number, status)
    rejected: list[dict] = field(default_factory=list)


class Driver:
    def __init__(
        self, url: str, email: str, tenant: str, speedup: float, offline_after_s: float, offline_for_s: float, log=print
    ):
        self.url, self.email, self.tenant = url.rstrip("/"), email, tenant
        self.speedup, self.offline_after_s, self.offline_for_s = max(speedup, 0.001), offline_after_s, offline_for_s
        self.log = log
        self.http = httpx.AsyncClient(base_url=self.url, timeout=15)
        self.client_id = uuid.uuid4().hex
        self.next_mutation_id = 1
        self.headers: dict[str, str] = {}
        self.token = ""
        self.socket: Any = None
        self.reader: asyncio.Task | None = None
        self.online = True
        self.sim_s = 0.0  # simulated seconds driven so far
        self.went_offline = False
        self.offline_since = 0.0
        self.buffer: list[dict] = []  # fixes made while offline
        self.queued: list[dict] = []  # taps made while offline
        self.pending: list[dict] = []  # fixes waiting for the next socket message
        self.stats = Stats()

    # ---- network ---------------------------------------------------------------------
    async def login(self) -> None:
        response = await self.http.post("/api/auth/magic-link", json={"tenant": self.tenant, "email": self.email})
        response.raise_for_status()
        outbox = (await self.http.get("/api/dev/outbox", params={"to": self.email})).json()["messages"]
        if not outbox:
            raise SystemExit(f"no login link for {self.email}: is the server in dev mode and is this a driver?")
        link_token = parse_qs(urlparse(outbox[0]["link"]).query)["token"][0]
        session = (await self.http.post("/api/auth/session", json={"token": link_token})).json()
        self.token = session["session_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.log(f"logged in as {session['contact']['name']}")

    async def todays_jobs(self) -> tuple[list[dict], dict[str, dict]]:
        rows: dict[tuple[str, str], dict] = {}
        cursor = None
        while True:
            params = {"client_id": self.client_id} | ({"cursor": cursor} if cursor else {})
            page = (await self.http.get("/api/sync/pull", params=params, headers=self.headers)).json()
            for change in page["changes"]:
                if change["op"] == "put":
                    rows[(change["entity"], change["id"])] = change["data"]
            cursor = page["cursor"]
            self.next_mutation_id = page["last_mutation_id"] + 1
            if not page["more"]:
                break
        sites = {i: r for (e, i), r in rows.items() if e == "site"}
        order = {"in_progress": 0, "en_route": 1, "confirmed": 2}
        jobs = [r for (e, _), r in rows.items() if e == "job" and r["status"] in order]
        today = [j for j in jobs if j.get("scheduled_date") == date.today().isoformat()] or jobs
        today.sort(key=lambda j: (order[j["status"]], j.get("scheduled_date") or "", j.get("number") or ""))
        return today, sites

    async def connect(self) -> None:
        ws_url = self.url.replace("http", "ws", 1) + f"/api/live?token={self.token}"
        self.socket = await websockets.connect(ws_url, open_timeout=10)
        self.reader = asyncio.create_task(self.read_socket())

    async def read_socket(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                if message["type"] == "error":
                    self.stats.rejected.append(message)
                    self.log(f"  server: {message['code']}: {message.get('message')}")
        except websockets.ConnectionClosed:
            pass

    async def disconnect(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            if self.reader:
                await self.reader
            self.socket = None

    async def tap(self, job: dict, status: str) -> None:
        mutation = {
            "id": self.next_mutation_id,
            "name": "job.advance",
            "created_at": now_iso(),
            "args": {"job_id": job["id"], "status": status, "at": now_iso()},
        }
        self.next_mutation_id += 1
        self.stats.taps.append((job.get("number", ""), status))
        if not self.online:
            self.queued.append(mutation)
            self.log(f"  [offline] {job.get('number')} → {status} (queued as mutation {mutation['id']})")
            return
        await self.push([mutation])
        self.log(f"  {job.get('number')} → {status}")

    async def push(self, mutations: list[dict]) -> None:
        response = await self.http.post(
            "/api/sync/push",
            headers=self.headers,
            json={"client_id": self.client_id, "schema_version": 1, "mutations": mutations},
        )
        response.raise_for_status()
        for result in response.json()["results"]:
            if result["status"] == "rejected":
                self.log(f"  push: mutation {result['id']} rejected: {result['error']}")

    async def emit(self, lat: float, lng: float, heading: float, speed: float) -> None:
        """One fix per simulated second: streamed when online, buffered when not."""
        fix = {
            "lat": round(lat, 6),
            "lng": round(lng, 6),
            "heading": round(heading, 1),
            "speed_mps": round(speed, 2),
            "accuracy_m": round(random.uniform(3, 12), 1),
            "at": now_iso(),
        }
        self.sim_s += 1
        await self.maybe_toggle_network()
        if self.online:
            self.pending.append(fix)
            # At 1 Hz each fix is its own message; sped up, fixes are grouped ≤ 10 messages/s.
            if len(self.pending) >= max(1, round(self.speedup / 10)):
                await self.socket.send(json.dumps({"type": "gps", "fixes": self.pending}))
                self.stats.fixes_streamed += len(self.pending)
                self.pending = []
        else:
            self.buffer.append(fix)
            self.stats.fixes_buffered += 1
        await asyncio.sleep(1 / self.speedup)

    async def maybe_toggle_network(self) -> None:
        if self.online and not self.went_offline and self.sim_s >= self.offline_after_s:
            self.online, self.went_offline, self.offline_since = False, True, self.sim_s
            self.log(f"  -- network lost at {self.sim_s:.0f} s: buffering fixes and taps --")
            self.buffer.extend(self.pending)  # grouped but never sent
            self.stats.fixes_buffered += len(self.pending)
            self.pending = []
            await self.disconnect()
        elif not self.online and self.sim_s - self.offline_since >= self.offline_for_s:
            await self.reconnect()

    async def reconnect(self) -> None:
        self.log(f"  -- network back: uploading {len(self.buffer)} fixes, pushing {len(self.queued)} taps --")
        for start in range(0, len(self.buffer), UPLOAD_CHUNK):
            response = await self.http.post(
                "/api/driver/gps", headers=self.headers, json={"fixes": self.buffer[start : start + UPLOAD_CHUNK]}
            )
            response.raise_for_status()
            self.stats.fixes_uploaded += response.json()["stored"]
        self.buffer = []
        if self.queued:
            await self.push(self.queued)
            self.queued = []
        self.online = True
        await self.connect()

    # ---- the route -------------------------------------------------------------------
    async def drive_to(self, lat: float, lng: float, to_lat: float, to_lng: float) -> tuple[float, float]:
        remaining = distance_m(lat, lng, to_lat, to_lng)
        while remaining > 15:
            speed = max(2.0, random.gauss(CRUISE_MPS, 2.0))
            step = min(speed, remaining) / remaining
            heading = bearing(lat, lng, to_lat, to_lng)
            lat, lng = lat + (to_lat - lat) * step, lng + (to_lng - lng) * step
            await self.emit(lat, lng, heading, speed)
            remaining = distance_m(lat, lng, to_lat, to_lng)
        return to_lat, to_lng

    async def run(self) -> Stats:
        await self.login()
        jobs, sites = await self.todays_jobs()
        self.log(f"{len(jobs)} job(s) to do: {', '.join(j.get('number', '?') for j in jobs)}")
        if not jobs:
            return self.stats
        await self.connect()
        first = sites.get(jobs[0]["site_id"], {})
        lat, lng = (first.get("lat") or 39.78) + 0.02, (first.get("lng") or -89.65) + 0.01  # the depot, ~2.5 km off
        for job in jobs:
            site = sites.get(job["site_id"], {})
            self.log(f"job {job.get('number')} at {site.get('name', '?')} ({job['status']})")
            if job["status"] == "confirmed":
                await self.tap(job, "en_route")
            if job["status"] in ("confirmed", "en_route") and site.get("lat") is not None:
                lat, lng = await self.drive_to(lat, lng, site["lat"], site["lng"])
            if job["status"] != "in_progress":
                await self.tap(job, "in_progress")
            for _ in range(5):  # working on site
                await self.emit(lat, lng, 0.0, 0.0)
            await self.tap(job, "completed")
        if not self.online:
            await self.reconnect()
        if self.pending:
            await self.socket.send(json.dumps({"type": "gps", "fixes": self.pending}))
            self.stats.fixes_streamed += len(self.pending)
            self.pending = []
        await asyncio.sleep(0.2)  # let the last acks arrive
        await self.disconnect()
        await self.http.aclose()
        self.log(
            f"done: {self.stats.fixes_streamed} fixes streamed, {self.stats.fixes_uploaded} uploaded after "
            f"being offline, {len(self.stats.taps)} status taps"
        )
        return self.stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the Haulport server")
    parser.add_argument("--email", default="driver@demo.example", help="the driver's login email")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--speedup", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--offline-after", type=float, default=60.0, help="simulated seconds before the network drops")
    parser.add_argument("--offline-for", type=float, default=30.0, help="simulated seconds without network")
    args = parser.parse_args(argv)
    driver = Driver(args.url, args.email, args.tenant, args.speedup, args.offline_after, args.offline_for)
    asyncio.run(driver.run())


if __name__ == "__main__":
    main()
