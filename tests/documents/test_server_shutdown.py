"""Rendering a PDF must leave the server's signal handling alone: borb, unless opted out of usage
reporting, installs its own SIGINT/SIGTERM handlers on first use, and the server would no longer
shut down cleanly. Here a real server process renders a PDF and is then sent SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from server.seed.demo import sid
from tests.support.portal import AVA

REPO = Path(__file__).resolve().parents[2]


def _start_reading(process: subprocess.Popen, log: list[str], timeout: float = 30) -> int:
    """Collect the server's log lines into ``log`` (in a thread, so the pipe never fills up) and
    return the port uvicorn reports ("Uvicorn running on http://127.0.0.1:PORT")."""
    ports: queue.Queue[int] = queue.Queue()

    def read() -> None:
        for raw in process.stderr:
            line = raw.decode(errors="replace")
            log.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                ports.put(int(found.group(1)))

    threading.Thread(target=read, daemon=True).start()
    try:
        return ports.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError("the server did not start:\n" + "".join(log)) from None


def test_server_exits_cleanly_on_sigterm_after_rendering_a_pdf(database_url, tmp_path):
    env = {
        **os.environ,
        "HAULPORT_CONFIG": str(tmp_path / "none.toml"),
        "HAULPORT_DATABASE_URL": database_url,
        "HAULPORT_DEV_MODE": "true",
        "HAULPORT_SECRET_KEY": "shutdown-test-secret-key-0123456789abcdef",
        "HAULPORT_PUBLIC_URL": "http://127.0.0.1:8000",
        "HAULPORT_STATIC_DIR": str(tmp_path / "no-pwa"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "server.app:app_from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-level",
            "info",
        ],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        log: list[str] = []
        port = _start_reading(process, log)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            assert http.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA}).status_code == 202
            link = http.get("/api/dev/outbox", params={"to": AVA}).json()["messages"][0]["link"]
            token = parse_qs(urlparse(link).query)["token"][0]
            session = http.post("/api/auth/session", json={"token": token}).json()["session_token"]
            http.cookies.clear()
            response = http.get(
                f"/api/documents/invoices/{sid('invoice:ava-open')}.pdf", headers={"Authorization": f"Bearer {session}"}
            )
            assert response.status_code == 200 and response.content.startswith(b"%PDF")

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        assert time.monotonic() - started < 5
        time.sleep(0.2)  # let the reader thread take the last lines
        text = "".join(log)
        # the lifespan ran to its end (areas shut down, database closed) ...
        assert "Application shutdown complete." in text, text
        assert "Finished server process" in text, text
        # ... and the process ended normally: uvicorn (>= 0.29) re-raises the SIGTERM it handled once
        # the graceful shutdown is done, so "clean" is 0 or killed-by-SIGTERM after that, never a hang
        assert code in (0, -signal.SIGTERM), code
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
