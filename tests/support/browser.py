"""Helpers for browser tests of every face of the PWA (customer, driver, office).

The browser itself comes from ``tests/e2e/conftest.py`` (one Debian chromium per session).
``own_server`` (import it into a test module) is a real server on the test's own copy of the demo
database. Helpers sign people in with real magic links from the dev outbox, whatever their role,
and save screenshots to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import sqlite3
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.support.live_server import ROOT, running_server

ARTIFACTS = ROOT / "test-artifacts" / "e2e"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def png_bytes(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A small solid PNG: what a test "camera" hands the driver app."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture
def own_server(database_url, tmp_path) -> Iterator[str]:
    """Base URL of a real server on this test's own copy of the demo database (for tests that change
    tenant-wide settings, which a server shared by a module could not undo)."""
    if not database_url.startswith("sqlite:"):
        pytest.skip("browser tests run on SQLite")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_server(database_url, log_path=tmp_path / "server.log") as base:
        yield base


@pytest.fixture
def new_context(browser) -> Iterator[Callable[..., Any]]:
    """Make browser contexts (one per person in the test: a phone, a desktop…), closed afterwards.
    Assertions wait up to 15 s meanwhile (not Playwright's 5 s): sync, pokes and uploads on a busy CI box."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    made: list[Any] = []

    def make(**options: Any):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    expect.set_options(timeout=5_000)


def link_token(base: str, email: str, tenant: str = "demo") -> str:
    """Ask for a magic link and read its token from the dev outbox (as a newcomer would)."""
    response = httpx.post(f"{base}/api/auth/magic-link", json={"tenant": tenant, "email": email})
    assert response.status_code == 202, response.text
    messages = httpx.get(f"{base}/api/dev/outbox", params={"to": email}).json()["messages"]
    assert messages, f"no login link sent to {email}"
    return parse_qs(urlparse(messages[0]["link"]).query)["token"][0]


def api_headers(base: str, email: str) -> dict[str, str]:
    """Authorization headers of a fresh session, for checking what the server has."""
    response = httpx.post(f"{base}/api/auth/session", json={"token": link_token(base, email)})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['session_token']}"}


def sign_in(context, base: str, email: str, path: str = "", tenant: str = "demo"):
    """A page of ``context`` signed in as ``email`` through the real link, then at ``path``."""
    page = context.new_page()
    page.on("pageerror", lambda error: print(f"[{email}] page error: {error}"))
    page.goto(f"{base}/t/{tenant}/login?token={link_token(base, email, tenant)}")
    page.wait_for_function("() => !location.pathname.endsWith('/login')", timeout=15_000)
    if path:
        page.goto(f"{base}/t/{tenant}/{path}")
    return page


def wait_for_worker(page) -> None:
    """Until the service worker controls the page (precache done): only then does a reload work offline."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=20_000
    )
    page.evaluate("() => navigator.serviceWorker.ready")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.25, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy (server-side effects arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


def sqlite_rows(database_url: str, sql: str, *args: Any) -> list[tuple]:
    """Read the test's SQLite database directly (for what no API exposes, e.g. stored GPS fixes)."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, args).fetchall()
