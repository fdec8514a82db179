"""Benchmark: a fresh install of the customer PWA on a 20,000-row account, against PouchDB in the same Chromium.

    .venv/bin/python scripts/bench/pwa_big.py [--rows 20000] [--runs 3]

Builds the 20,000-row commercial account of ``sync.py`` (Fran at Metro Facilities) in a fresh SQLite
database, serves it with a real server (dev mode, for the login link), and, ``--runs`` times, in a new
Chromium profile (no service worker, no replica): opens Fran's login link and measures from that navigation

- **first content**: the first job card on the dashboard;
- **all rows stored**: every row a fresh Python client receives is in the PWA's IndexedDB replica (counted
  every 25 ms from a page script);
- **long tasks** (PerformanceObserver ``longtask``) on the page's main thread until then: how many, the
  longest, and how many over 200 ms — the dashboard must stay responsive while the replica fills.

Then, side by side, **PouchDB 9** (its browser build) in the same Chromium replicating the very same rows
(one doc per row, as ``sync.py`` loads them) from **pouchdb-server** into IndexedDB (PouchDB's own ``idb``
adapter) with ``PouchDB.replicate``, ``batch_size`` 100 (its default) and 5,000 (Haulport's page size), from a
page served on pouchdb-server's own origin (no CORS); timed from that page's navigation to the end of the
replication, with the same long-task observer.

Goals: all rows stored ≤ 2 s, ≥ 5× ahead of PouchDB, no long task over 200 ms. Measures client_pwa/dist as
built (``cd client_pwa && npm run build``).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time

import httpx

from scripts.bench.local_server import machine, session_token
from scripts.bench.local_server import running_server as bench_server
from scripts.bench.sync import POUCH, build, initial_sync, load_pouchdb, pouchdb_unavailable, running_pouchdb
from tests.support.live_server import running_server

ROOT = HERE.parents[1]
DIST = ROOT / "client_pwa" / "dist"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EMAIL = "fran@metro.example"

# Runs before any of the page's own scripts: records long tasks and the first job card's time.
OBSERVE = """
window.__bench = {longtasks: [], firstCard: null, pulls: []};
const realFetch = window.fetch;
window.fetch = async (...args) => {
  const url = String(args[0] && args[0].url ? args[0].url : args[0]);
  if (!url.includes('/api/sync/pull')) return realFetch(...args);
  const entry = {start: performance.now()};
  window.__bench.pulls.push(entry);
  const response = await realFetch(...args);
  entry.headers = performance.now();
  return response;
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push(e.duration);
}).observe({type: 'longtask', buffered: true});
new MutationObserver((_, observer) => {
  if (document.querySelector('.job-card')) {
    window.__bench.firstCard = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""

# The PWA's replica: rows counted in its IndexedDB database (opened only once the app has created it),
# from the directories of its packs (client_pwa/src/data/packs.ts), written in the same transaction
# as the rows.
COUNT_ROWS = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes('haulport-demo')) return 0;
  return await new Promise((resolve) => {
    const open = indexedDB.open('haulport-demo');
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('directories')) { db.close(); resolve(0); return; }
      const req = db.transaction('directories').objectStore('directories').getAll();
      req.onsuccess = () => {
        db.close();
        resolve(req.result.reduce((sum, d) => sum + Object.keys(d.ids).length, 0));
      };
      req.onerror = () => { db.close(); resolve(0); };
    };
    open.onerror = () => resolve(0);
  });
}"""

POUCH_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>PouchDB</title>
<script>{observe}</script><script src="/bench-assets/pouchdb.min.js"></script></head><body>
<p id="status">replicating</p>
<script>
  (async () => {{
    const local = new PouchDB('bench-' + Date.now());
    const remote = new PouchDB(location.origin + '/haulport');
    await PouchDB.replicate(remote, local, {{batch_size: {batch}}});
    const info = await local.info();
    window.__bench.done = performance.now();
    window.__bench.docs = info.doc_count;
    window.__bench.adapter = local.adapter;
    document.getElementById('status').textContent = 'done';
  }})().catch((e) => {{ window.__bench.error = String(e); }});
</script></body></html>"""


def _poll(page, expression: str, until, timeout_s: float, every_s: float = 0.025):
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting ({expression[:60]}…): last {value!r}")
        time.sleep(every_s)


def link(base: str) -> str:
    r = httpx.post(f"{base}/api/auth/magic-link", json={"tenant": "demo", "email": EMAIL})
    assert r.status_code == 202, r.text
    messages = httpx.get(f"{base}/api/dev/outbox", params={"to": EMAIL}).json()["messages"]
    return next(m["link"] for m in messages if m.get("link") and "token=" in m["link"])


def haulport_runs(pw, base: str, expected: int, runs: int) -> list[dict]:
    out = []
    for _ in range(runs):
        profile = tempfile.mkdtemp(prefix="haulport-bench-big-")
        context = pw.chromium.launch_persistent_context(
            user_data_dir=profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 390, "height": 844},
        )
        try:
            context.add_init_script(OBSERVE)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(link(base), wait_until="commit")
            started = time.monotonic()
            stored = 0
            while stored < expected:
                stored = page.evaluate(COUNT_ROWS)
                if time.monotonic() - started > 120:
                    raise RuntimeError(f"only {stored:,} of {expected:,} rows stored after 120 s")
                if stored < expected:
                    time.sleep(0.025)
            at = page.evaluate("() => performance.now()")
            bench = _poll(page, "() => window.__bench", lambda b: b["firstCard"] is not None, 30)
            cards = page.locator(".job-card").count()
            out.append(
                {
                    "stored_ms": at,
                    "stored": stored,
                    "first_card_ms": bench["firstCard"],
                    "longtasks": bench["longtasks"],
                    "cards": cards,
                    "pulls": bench["pulls"],
                }
            )
            page.screenshot(path=str(ROOT / "test-artifacts" / "bench-pwa-big-dashboard.png"))
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    return out


def pouch_runs(pw, pouch_base: str, batch: int, expected: int, runs: int) -> list[dict]:
    script = (POUCH / "node_modules" / "pouchdb" / "dist" / "pouchdb.min.js").read_bytes()
    html = POUCH_PAGE.format(observe=OBSERVE, batch=batch)
    out = []
    for _ in range(runs):
        profile = tempfile.mkdtemp(prefix="haulport-bench-pouch-")
        context = pw.chromium.launch_persistent_context(
            user_data_dir=profile, executable_path=CHROMIUM, headless=True, args=ARGS
        )
        try:
            context.route(
                f"{pouch_base}/bench-assets/pouchdb.min.js",
                lambda route: route.fulfill(body=script, content_type="application/javascript"),
            )
            context.route(f"{pouch_base}/bench", lambda route: route.fulfill(body=html, content_type="text/html"))
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{pouch_base}/bench", wait_until="commit")
            bench = _poll(
                page, "() => window.__bench", lambda b: b and (b.get("done") or b.get("error")), 600, every_s=0.1
            )
            if bench.get("error"):
                raise RuntimeError(f"PouchDB failed: {bench['error']}")
            assert bench["docs"] == expected, f"{bench['docs']} docs replicated, {expected} expected"
            out.append({"stored_ms": bench["done"], "docs": bench["docs"], "longtasks": bench["longtasks"]})
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    return out


def _tasks(run: dict) -> str:
    tasks = run["longtasks"]
    over = sum(1 for t in tasks if t > 200)
    return f"{len(tasks)} long tasks, longest {max(tasks, default=0):.0f} ms, {over} over 200 ms"


async def prepare(folder: Path, rows: int) -> tuple[str, dict]:
    url = f"sqlite:///{folder / 'haulport.db'}"
    ids = await build(url, rows)
    with bench_server(url) as server:
        first = await initial_sync(server, session_token(ids["contact"], "contact", ids["tenant"]))
    return url, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pouchdb", action="store_true")
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        sys.exit("client_pwa/dist is missing: run `cd client_pwa && npm run build` first (this script builds nothing)")
    skip = "skipped (--no-pouchdb)" if args.no_pouchdb else pouchdb_unavailable()
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="haulport-bench-big-data-"))
    try:
        url, first = asyncio.run(prepare(folder, args.rows))
        expected = first["stored"]
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
        print(f"account: {first['rows']:,} rows pulled, {expected:,} stored by a fresh Python client")
        with sync_playwright() as pw:
            with running_server(url) as base:
                ours = haulport_runs(pw, base, expected, args.runs)
            for i, run in enumerate(ours):
                print(
                    f"Haulport PWA, fresh install #{i + 1}: first job card {run['first_card_ms']:.0f} ms, all "
                    f"{run['stored']:,} rows stored {run['stored_ms']:.0f} ms; {_tasks(run)}"
                )
                print(
                    "  pull requests (ms from navigation: sent → answered): "
                    + ", ".join(f"{p['start']:.0f}→{p.get('headers', 0):.0f}" for p in run["pulls"])
                )
        pouch: dict[int, list[dict]] = {}
        if skip:
            print(f"PouchDB comparison: {skip}")
        else:
            with running_pouchdb(in_memory=False) as server:
                asyncio.run(load_pouchdb(server.url, first["docs"]))
                with sync_playwright() as pw:
                    for batch in (100, 5000):
                        pouch[batch] = pouch_runs(pw, server.url, batch, len(first["docs"]), args.runs)
                        for i, run in enumerate(pouch[batch]):
                            print(
                                f"PouchDB 9 in Chromium, batch_size {batch:,}, #{i + 1}: {run['docs']:,} docs in "
                                f"IndexedDB {run['stored_ms']:.0f} ms; {_tasks(run)}"
                            )
        ours_ms = statistics.median(r["stored_ms"] for r in ours)
        card_ms = statistics.median(r["first_card_ms"] for r in ours)
        worst = max((max(r["longtasks"], default=0) for r in ours), default=0)
        print(
            f"\nHaulport: first content median {card_ms:.0f} ms; all rows stored median {ours_ms:.0f} ms "
            f"[goal ≤ 2000 ms: {'met' if ours_ms <= 2000 else 'missed'}]; longest task {worst:.0f} ms "
            f"[goal ≤ 200 ms: {'met' if worst <= 200 else 'missed'}]"
        )
        for batch, runs in pouch.items():
            theirs = statistics.median(r["stored_ms"] for r in runs)
            print(
                f"PouchDB batch_size {batch:,}: median {theirs:.0f} ms; Haulport ahead {theirs / ours_ms:.1f}× "
                f"[goal ≥ 5×: {'met' if theirs / ours_ms >= 5 else 'missed'}]"
            )
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
