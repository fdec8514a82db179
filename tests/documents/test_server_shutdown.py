"""Rendering a PDF must leave the server's signal handling alone: borb, unless opted out of usage
reporting, installs its own SIGINT/SIGTERM handlers on first use, and the server would no longer
shut down cleanly. Here a real server process renders a PDF and is then sent SIGTERM."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from server.seed.demo import sid
from tests.support.portal import AVA

REPO = Path(__file__).resolve().parents[2]


def _wait_for_port(process: subprocess.Popen, timeout: float = 30) -> tuple[int, list[str]]:
    """The port uvicorn reports ("Uvicorn running on http://127.0.0.1:PORT"), and the lines read."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline and process.poll() is None:
            if not selector.select(timeout=0.2):
                continue
            line = process.stderr.readline().decode(errors="replace")
            lines.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                return int(found.group(1)), lines
    raise AssertionError("the server did not start:\n" + "".join(lines))


def test_server_exits_cleanly_on_sigterm_after_rendering_a_pdf(database_url, tmp_path):
    env = {**os.environ, "HAULPORT_CONFIG": str(tmp_path / "none.toml"), "HAULPORT_DATABASE_URL": database_url,
           "HAULPORT_DEV_MODE": "true", "HAULPORT_SECRET_KEY": "shutdown-test-secret-key-0123456789abcdef",
           "HAULPORT_PUBLIC_URL": "http://127.0.0.1:8000", "HAULPORT_STATIC_DIR": str(tmp_path / "no-pwa")}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "server.app:app_from_environment", "--host", "127.0.0.1",
         "--port", "0", "--log-level", "info"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        port, _ = _wait_for_port(process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            assert http.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA}).status_code == 202
            link = http.get("/api/dev/outbox", params={"to": AVA}).json()["messages"][0]["link"]
            token = parse_qs(urlparse(link).query)["token"][0]
            session = http.post("/api/auth/session", json={"token": token}).json()["session_token"]
            http.cookies.clear()
            response = http.get(f"/api/documents/invoices/{sid('invoice:ava-open')}.pdf",
                                headers={"Authorization": f"Bearer {session}"})
            assert response.status_code == 200 and response.content.startswith(b"%PDF")

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        assert code == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
