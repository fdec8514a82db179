"""``haulport serve`` (granian): the API, the live socket, and the client's address behind a local proxy."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import websockets

from server.auth.tokens import issue
from server.seed.demo import sid
from tests.support.live_server import ROOT, SECRET, server_env
from tests.support.smtp import free_port


async def test_haulport_serve_answers_http_and_the_live_socket_and_trusts_a_local_proxy(database_url, tmp_path):
    port = free_port()
    env = server_env(database_url, port, HAULPORT_MAGIC_LINK_PER_IP="1", HAULPORT_STATIC_DIR=str(tmp_path / "no-pwa"))
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            while True:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
                try:
                    if (await http.get("/api/public/tenants/demo")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "haulport serve did not answer within 30 s"
                time.sleep(0.1)

            # Behind a proxy on this host, the per-IP limit counts the address the proxy forwards.
            def ask(ip: str):
                return http.post(
                    "/api/auth/magic-link",
                    json={"tenant": "demo", "email": "ava@example.com"},
                    headers={"X-Forwarded-For": ip},
                )

            assert (await ask("203.0.113.7")).status_code == 202
            assert (await ask("203.0.113.7")).status_code == 429
            assert (await ask("203.0.113.8")).status_code == 202

        token, _ = issue(SECRET, "session", sid("contact:ava"), "contact", sid("tenant:demo"), 1, 3600)
        async with websockets.connect(f"ws://127.0.0.1:{port}/api/live?token={token}", open_timeout=10) as ws:
            for _ in range(20):
                message = json.loads(await ws.recv())
                if message["type"] == "ready":
                    break
            assert message["type"] == "ready" and message["role"] == "customer"
            await ws.send(json.dumps({"type": "ping"}))
            while (message := json.loads(await ws.recv()))["type"] != "pong":
                pass
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
