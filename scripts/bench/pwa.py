"""Benchmark: the customer PWA's weight, offline cold start and installability, in Chromium.

    .venv/bin/python scripts/bench/pwa.py [--runs 5] [--email ava@example.com]

Builds nothing: it measures client_pwa/dist as built (`cd client_pwa && npm run build`). It serves
that build with a real server on a fresh, seeded SQLite database, signs in through the dev outbox's
magic link in a persistent Chromium profile, lets the service worker install and the replica sync,
then, `--runs` times, closes the browser and starts it again with the network off and opens the
portal: the cold start. The figure is the `haulport:first-content` User Timing mark, which the
dashboard sets once it has painted rows read from the offline replica (src/lib/perf.ts), measured
from navigation start. Also prints the gzipped JavaScript size (each file at gzip -6, as
`gzip -c dist/assets/*.js | wc -c`), what the first load fetches, and Chromium's installability
errors (CDP Page.getInstallabilityErrors; 0 means installable), and Lighthouse 11's accessibility
score of the signed-in dashboard and booking screen (Lighthouse attached to the signed-in Chromium).
Targets (PRODUCT.md): JS ≤ 150 KB gzipped, offline cold start to first content ≤ 500 ms, installable,
accessibility ≥ 0.95.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Run as a script, this folder comes first on sys.path, where a module may shadow the standard
# library's (scripts/bench/http.py hides `http`, which httpx needs): import from the project root.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx

from scripts.bench.local_server import machine
from tests.support.live_server import running_server

DIST = ROOT / "client_pwa" / "dist"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARK = "haulport:first-content"
# Where the time goes (src/lib/perf.ts): the navigation answered by the service worker, the app's
# code running, the replica open, the session read from it, the first render, the first content.
STAGES = ("response", "boot", "replica-open", "session-restored", "render", "first-content")
STAGES_JS = f"""(() => {{
  const at = {{response: performance.getEntriesByType('navigation')[0].responseEnd}}
  for (const name of {json.dumps(STAGES[1:])}) {{
    const entry = performance.getEntriesByName('haulport:' + name)[0]
    if (entry) at[name] = entry.startTime
  }}
  return at
}})()"""
JS_TARGET_KB, COLD_TARGET_MS, A11Y_TARGET = 150, 500, 0.95


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def js_weight() -> tuple[dict[str, int], list[str]]:
    """Gzipped size of every built JS file, and the files the first page load fetches."""
    sizes = {p.name: gz(p) for p in sorted((DIST / "assets").glob("*.js"))}
    html = (DIST / "index.html").read_text()
    first = re.findall(r'(?:src|href)="/assets/([^"]+\.js)"', html)
    return sizes, first


def seeded_database(folder: Path) -> str:
    url = f"sqlite:///{folder / 'bench.db'}"
    env = dict(os.environ, HAULPORT_DATABASE_URL=url)
    for command in ("migrate", "seed-demo"):
        subprocess.run(
            [sys.executable, "-m", "server.cli", command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    return url


def magic_link(base: str, email: str) -> str:
    assert httpx.post(f"{base}/api/auth/magic-link", json={"tenant": "demo", "email": email}).status_code == 202
    return httpx.get(f"{base}/api/dev/outbox", params={"to": email}).json()["messages"][0]["link"]


def wait_for_worker(page, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate("""async () => {
        const r = await navigator.serviceWorker.getRegistration()
        return Boolean(navigator.serviceWorker.controller && r && r.active && r.active.state === 'activated')
    }"""):
        if time.monotonic() > deadline:
            raise RuntimeError("the service worker never took control")
        time.sleep(0.1)


def measure(base: str, email: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="haulport-bench-profile-")
    with sync_playwright() as pw:
        launch = dict(
            user_data_dir=profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 360, "height": 780},
        )
        context = pw.chromium.launch_persistent_context(**launch)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(magic_link(base, email))
        page.wait_for_selector(".job-card", timeout=30_000)
        wait_for_worker(page)
        page.wait_for_timeout(1500)  # the first sync settles; the tenant manifest is applied when idle
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest = json.loads(cdp.send("Page.getAppManifest").get("data") or "{}")
        version = context.browser.version if context.browser else "?"
        context.close()

        cold, fcp, stages = [], [], []
        for _ in range(runs):
            context = pw.chromium.launch_persistent_context(**launch, offline=True)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base}/t/demo/", wait_until="commit")
            page.wait_for_function(f"() => performance.getEntriesByName({MARK!r}).length > 0", timeout=20_000)
            cold.append(page.evaluate(f"() => performance.getEntriesByName({MARK!r})[0].startTime"))
            stages.append(page.evaluate(STAGES_JS))
            fcp.append(
                page.evaluate(
                    "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
                )
            )
            assert page.locator(".job-card").count() > 0, "the dashboard showed no jobs offline"
            context.close()
    return {"errors": errors, "manifest": manifest, "cold": cold, "fcp": fcp, "stages": stages, "chromium": version}


def lighthouse(base: str) -> dict | None:
    """Lighthouse 11 (the last with a PWA category) on the portal's start page, if npx can fetch it."""
    if not shutil.which("npx"):
        return None
    with tempfile.TemporaryDirectory(prefix="haulport-lighthouse-") as folder:
        report = Path(folder) / "report.json"
        command = [
            "npx",
            "--yes",
            "lighthouse@11",
            f"{base}/t/demo/",
            "--only-categories=pwa",
            "--output=json",
            f"--output-path={report}",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox",
        ]
        try:
            subprocess.run(
                command,
                env=dict(os.environ, CHROME_PATH=CHROMIUM),
                cwd=folder,
                timeout=300,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            return {"error": (getattr(exc, "stderr", b"") or b"").decode()[-300:] or str(exc)}
        data = json.loads(report.read_text())
    audits = data["audits"]
    return {
        "version": data.get("lighthouseVersion"),
        "score": data["categories"]["pwa"]["score"],
        "installable": audits["installable-manifest"]["score"] == 1,
        "failing": sorted(
            key
            for key, audit in audits.items()
            if audit.get("score") not in (None, 1) and audit.get("scoreDisplayMode") == "binary"
        ),
    }


LIGHTHOUSE_PORT = 24555  # Chromium's remote debugging port, for Lighthouse to audit a signed-in tab


def lighthouse_accessibility(base: str, email: str) -> dict:
    """Lighthouse 11's accessibility score of the signed-in dashboard and the booking screen: a
    Chromium signed in through a real magic link, Lighthouse attached to it (its storage kept)."""
    from playwright.sync_api import sync_playwright

    if not shutil.which("npx"):
        return {"error": "npx missing"}
    scores: dict = {}
    profile = tempfile.mkdtemp(prefix="haulport-bench-a11y-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=profile,
            executable_path=CHROMIUM,
            headless=True,
            args=[*ARGS, f"--remote-debugging-port={LIGHTHOUSE_PORT}"],
            viewport={"width": 360, "height": 780},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(magic_link(base, email))
        page.wait_for_selector(".job-card", timeout=30_000)
        page.wait_for_timeout(1500)
        for name, path in (("dashboard", ""), ("booking", "book")):
            with tempfile.TemporaryDirectory(prefix="haulport-lighthouse-") as folder:
                report = Path(folder) / "report.json"
                command = [
                    "npx", "--yes", "lighthouse@11", f"{base}/t/demo/{path}", f"--port={LIGHTHOUSE_PORT}",
                    "--only-categories=accessibility", "--disable-storage-reset", "--form-factor=mobile",
                    "--output=json", f"--output-path={report}", "--quiet",
                ]  # fmt: skip
                try:
                    subprocess.run(command, cwd=folder, timeout=300, check=True, capture_output=True)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                    scores[name] = {"error": (getattr(exc, "stderr", b"") or b"").decode()[-300:] or str(exc)}
                    continue
                data = json.loads(report.read_text())
            audits = data["audits"]
            scores[name] = {
                "score": data["categories"]["accessibility"]["score"],
                "url": data.get("finalDisplayedUrl") or data.get("finalUrl"),
                "failing": sorted(k for k, a in audits.items() if a.get("score") == 0),
            }
        context.close()
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--email", default="ava@example.com")
    parser.add_argument("--no-lighthouse", action="store_true", help="skip the Lighthouse installability audit")
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        sys.exit("client_pwa/dist is missing: run `cd client_pwa && npm run build` first (this script builds nothing)")

    sizes, first = js_weight()
    total = sum(sizes.values())
    with tempfile.TemporaryDirectory(prefix="haulport-bench-") as folder:
        url = seeded_database(Path(folder))
        with running_server(url) as base:
            result = measure(base, args.email, args.runs)
            audit = None if args.no_lighthouse else lighthouse(base)
            a11y = None if args.no_lighthouse else lighthouse_accessibility(base, args.email)

    cold = result["cold"]
    median = statistics.median(cold)
    print(f"machine:      {machine()}")
    print(f"browser:      Chromium {result['chromium']} (headless), load average {os.getloadavg()[0]:.1f}")
    print(
        f"JS gzipped:   {total / 1024:.1f} KB in {len(sizes)} files (target ≤ {JS_TARGET_KB} KB) "
        f"{'OK' if total <= JS_TARGET_KB * 1024 else 'OVER'}"
    )
    print(f"  first load: {sum(sizes.get(name, 0) for name in first) / 1024:.1f} KB ({', '.join(first)})")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"    {size / 1024:7.1f} KB  {name}")
    print(
        f"offline cold start to first content: median {median:.0f} ms over {len(cold)} runs "
        f"(target ≤ {COLD_TARGET_MS} ms) {'OK' if median <= COLD_TARGET_MS else 'OVER'}"
    )
    print(f"  runs (ms):  {', '.join(f'{v:.0f}' for v in cold)}")
    print(
        f"  first contentful paint (the boot screen), ms: {', '.join(f'{v:.0f}' if v else '-' for v in result['fcp'])}"
    )
    print(
        "  where the time goes (median ms from navigation start): "
        + ", ".join(
            f"{stage} {statistics.median(run[stage] for run in result['stages'] if stage in run):.0f}"
            for stage in STAGES
            if any(stage in run for run in result["stages"])
        )
    )
    errors = result["errors"]
    print(
        f"installability: {len(errors)} errors {'OK (installable)' if not errors else [e['errorId'] for e in errors]}; "
        f"manifest name {result['manifest'].get('name')!r}, theme {result['manifest'].get('theme_color')!r}"
    )

    if audit is None:
        print("lighthouse:   not run (--no-lighthouse, or npx missing)")
    elif "error" in audit:
        print(f"lighthouse:   could not run here: {audit['error']}")
    else:
        print(
            f"lighthouse:   {audit['version']} PWA category score {audit['score']}, installable-manifest "
            f"{'passes' if audit['installable'] else 'FAILS'}; failing binary audits: {', '.join(audit['failing']) or 'none'}"
        )
    for name, score in (a11y or {}).items():
        if "error" in score:
            print(f"lighthouse accessibility, {name}: could not run here: {score['error']}")
        else:
            print(
                f"lighthouse accessibility, {name} ({score['url']}): {score['score']} (target ≥ {A11Y_TARGET}) "
                f"{'OK' if score['score'] >= A11Y_TARGET else 'UNDER'}; failing: {', '.join(score['failing']) or 'none'}"
            )


if __name__ == "__main__":
    main()
