"""Browser tests: the built PWA (client_pwa/dist) served by a real server, driven by Debian's Chromium
through Playwright. One server per test module (on a private copy of the seeded SQLite database),
one browser per session, a fresh browser context per test."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import ROOT, copy_sqlite, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
DIST = ROOT / "client_pwa" / "dist"
MOBILE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread while
# it is started, and the async tests collected after tests/e2e could not run their own loop.
@pytest.fixture(scope="module")
def playwright_driver(template_db):
    # template_db first: it runs asyncio.run(), which cannot start inside Playwright's running loop.
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    if not (DIST / "index.html").exists():
        pytest.fail("the PWA is not built: run `cd client_pwa && npm run build` first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@contextlib.contextmanager
def module_server(
    template_db, tmp_path_factory, name: str = "server", prepare: Callable[[str], None] | None = None, **env: str
) -> Iterator[str]:
    """A real server (dev mode: dev outbox, localstripe on first payment use) on its own copy of the
    seeded SQLite database; ``prepare(database_url)`` runs before it starts, ``env`` configures it.
    Its log is ``test-artifacts/e2e/{name}.log``."""
    if not isinstance(template_db, str):
        pytest.skip("browser tests run on SQLite")
    url = copy_sqlite(template_db, tmp_path_factory.mktemp(f"e2e-{name}") / "haulport.db")
    if prepare:
        prepare(url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_server(url, log_path=ARTIFACTS / f"{name}.log", **env) as base:
        yield base


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory) -> Iterator[str]:
    """A real server with the default settings, for this module."""
    with module_server(template_db, tmp_path_factory) as base:
        yield base


@pytest.fixture
def context(browser):
    """A fresh, isolated browser profile sized like a phone (360 px)."""
    context = browser.new_context(viewport=MOBILE, service_workers="allow")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))  # type: ignore[attr-defined]
    yield page


@pytest.fixture(scope="session")
def profile_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="haulport-e2e-profile-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# ---- helpers ---------------------------------------------------------------------------------


def login_link(base: str, email: str, tenant: str = "demo") -> str:
    """Ask for a magic link and read it from the dev outbox."""
    response = httpx.post(f"{base}/api/auth/magic-link", json={"tenant": tenant, "email": email})
    assert response.status_code == 202, response.text
    messages = httpx.get(f"{base}/api/dev/outbox", params={"to": email}).json()["messages"]
    assert messages, f"no login link sent to {email}"
    return messages[0]["link"]


def api_session(base: str, email: str) -> dict[str, str]:
    """Authorization headers of a fresh session (for office-side checks and setup)."""
    link = login_link(base, email)
    token = link.split("token=", 1)[1]
    response = httpx.post(f"{base}/api/auth/session", json={"token": token})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['session_token']}"}


def sign_in(page, base: str, email: str) -> None:
    """Open the magic link in the page and wait for the signed-in shell with synced data."""
    page.goto(login_link(base, email))
    # The app leaves the login address once the token is traded for a session. Until then a page that
    # already held another person's session still shows that person's shell, and a navigation made now
    # would be overtaken by the app's own move to the new person's home.
    page.wait_for_url(lambda url: "/login" not in url, timeout=20_000)
    page.wait_for_selector(".bottom-nav")
    page.wait_for_selector(".account-bar")


def wait_for_service_worker(page, timeout_s: float = 20) -> None:
    """The service worker is active and controls the page (so the app shell is precached)."""
    deadline = time.monotonic() + timeout_s
    while True:
        ready = page.evaluate("""async () => {
            const registration = await navigator.serviceWorker.getRegistration()
            return Boolean(navigator.serviceWorker.controller && registration && registration.active
                           && registration.active.state === 'activated')
        }""")
        if ready:
            return
        assert time.monotonic() < deadline, "no activated service worker controls the page"
        time.sleep(0.1)


def go(page, path: str) -> None:
    """Navigate inside the app without a page load (works offline, like tapping a link)."""
    page.evaluate(
        """path => {
        history.pushState(null, '', '/t/demo/' + path)
        dispatchEvent(new PopStateEvent('popstate'))
    }""",
        path,
    )


def shoot(page, name: str, desktop: bool = True) -> None:
    """Screenshots at 360 px and (by default) 1280 px wide, into test-artifacts/e2e/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size(MOBILE)
    page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)
    if desktop:
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
    if size:
        page.set_viewport_size(size)
