"""A webhook receiver on loopback (a plain HTTP server in a thread) that keeps what it receives and
answers with the status codes it is told to (then 200)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Received:
    def __init__(self) -> None:
        self.requests: list[dict] = []  # {"path", "headers", "body", "answered"}
        self.answers: list[int] = []  # status codes to answer first, in order

    def wait_for(self, count: int = 1, timeout: float = 15.0, status: int = 200) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len([r for r in self.requests if r["answered"] == status]) >= count:
                break
            time.sleep(0.05)
        return self.requests


@contextmanager
def webhook_receiver() -> Iterator[tuple[Received, str]]:
    """``(received, url)`` of a receiver listening on 127.0.0.1 (a free port)."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = received.answers.pop(0) if received.answers else 200
            received.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body, "answered": status}
            )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/hooks/haulport"
    finally:
        server.shutdown()
        server.server_close()


def loopback_allowed() -> dict:
    """Settings that let webhooks reach the loopback receiver (the outbound-request guard's allow-list,
    where this version of the server has one)."""
    from server.settings import Settings

    return {"outbound_allow": ["127.0.0.1"]} if "outbound_allow" in Settings.__struct_fields__ else {}
