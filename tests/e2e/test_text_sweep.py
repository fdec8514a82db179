"""Words people read: a sweep over every screen and bell entry of the demo in the three faces (customer
— a company contact with two accounts, one with rentals and estimates, and a site contact —, driver
and office), reading what is on screen (option labels included) for internal words: a mutation name
(``job.book: …``), a raw enum value (``in_progress``), "None", "(s)" and ISO dates. A refused booking
is made first, so its draft screen, banner and bell entry are swept too.

Not read: ``<code>`` (the column names a CSV import needs, which the office types as they are) and the
card form's element, which the payment provider's script draws (in tests, localstripe's stand-in)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_session
from tests.support.browser import DESKTOP, PHONE, new_context, sign_in  # noqa: F401  (new_context: a fixture)

pytestmark = pytest.mark.browser

AVA, OPS, GATE, DRIVER, OFFICE = (
    "ava@example.com",
    "ops@harbor.example",
    "gate@harbor.example",
    "driver@demo.example",
    "office@demo.example",
)
CUSTOMER_SCREENS = [
    "",
    "jobs",
    "book",
    "invoices",
    "messages",
    "notifications",
    "accounts",
    "rentals",
    "units",
    "estimates",
    "requests",
    "requests/service",
    "requests/supply",
    "pay",
    "payment-methods",
    "statements",
    "contacts",
    "sites",
    "more",
]
OFFICE_SCREENS = [
    "home",
    "inbox",
    "requests",
    "dispatch",
    "customers",
    "billing",
    "reviews",
    "catalog",
    "staff",
    "settings",
    "import",
    "integrations",
]
OFFICE_RECORDS = ["jobs", "invoices", "estimates", "rentals", "service-types", "promo-codes", "units", "sites"]

CHECKS = {
    "a mutation name": re.compile(r"\b\w+\.\w+:"),
    "a raw enum value": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    '"None"': re.compile(r"\bNone\b"),
    '"(s)"': re.compile(r"\(s\)"),
    "an ISO date": re.compile(r"\b(19|20|21)\d\d-\d\d-\d\d\b"),
}
URLS = re.compile(r"\bhttps?://\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")


def _visit(page, path: str) -> str:
    """Open ``path`` inside the app (a tap, not a page load) and read what the screen says."""
    page.evaluate(
        "path => { history.pushState(null, '', '/t/demo/' + path); dispatchEvent(new PopStateEvent('popstate')) }",
        path,
    )
    page.wait_for_timeout(250)
    try:
        page.wait_for_function(
            "() => !document.querySelector('.loading') && !/Loading…/.test(document.body.innerText)", timeout=10_000
        )
    except Exception:
        pass
    page.wait_for_timeout(150)
    texts = page.evaluate(
        """() => {
            const skipped = (e) => e.closest('code, .card-element')
            const clone = document.body.cloneNode(true)
            clone.querySelectorAll('code, .card-element, script, style').forEach((e) => e.remove())
            const shown = document.createElement('div')
            shown.style.cssText = 'position:absolute;left:-10000px;width:1200px'
            shown.append(...clone.childNodes)
            document.documentElement.append(shown)
            const text = shown.innerText
            shown.remove()
            const all = (selector) => [...document.querySelectorAll(selector)].filter((e) => !skipped(e))
            return [text,
                ...all('option').map((o) => o.textContent),
                ...all('[aria-label]').map((e) => e.getAttribute('aria-label')),
                ...all('input[placeholder], textarea[placeholder]').map((e) => e.placeholder)]
        }"""
    )
    return URLS.sub(" ", "\n".join(t for t in texts if t))


def _findings(face: str, path: str, text: str) -> list[str]:
    found = []
    for what, pattern in CHECKS.items():
        for match in pattern.finditer(text):
            line = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ⏎ ")
            found.append(f"{face} /{path}: {what} in “…{line}…”")
    return found


def _links(page, prefix: str) -> list[str]:
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))")
    paths = {urlparse(h).path.removeprefix("/t/demo/") for h in hrefs}
    return sorted(p for p in paths if p.startswith(prefix) and p != prefix.rstrip("/"))


READ: dict[str, str] = {}  # "face /path" -> what it said, to check the sweep saw the screens it should


def _sweep(page, face: str, paths: Iterable[str], follow: dict[str, str] | None = None) -> list[str]:
    """Every screen of ``paths``, and the detail screens their lists link to (``follow``: list -> prefix)."""
    found: list[str] = []
    seen: set[str] = set()
    queue = list(paths)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        READ[f"{face} /{path}"] = text = _visit(page, path)
        found += _findings(face, path, text)
        for list_path, prefix in (follow or {}).items():
            if path == list_path:
                queue += _links(page, prefix)[:6]
    return found


def _book(page, promo: str) -> None:
    _visit(page, "book")
    page.get_by_label("Service").select_option(label="Junk removal")
    page.get_by_label("Time").select_option(index=1)
    page.get_by_label("What should we take or deliver?").fill("Garage clear-out")
    page.get_by_label("Promo code").fill(promo)
    page.get_by_role("button", name=re.compile(r"^Book")).click()
    # The booking is queued, then the app opens its job: wait for that before the next screen is opened,
    # or the late navigation would take the sweep away from it.
    page.wait_for_url(re.compile(r"/jobs/[^/]+$"), timeout=20_000)
    expect(page.get_by_text("Waiting to send")).to_have_count(0, timeout=20_000)


def _bookings(page) -> None:
    """A booking the server takes and one it refuses (a mistyped promo code): the job, the draft, the
    banner and both bell entries get swept."""
    _book(page, "WELCOME10")
    _book(page, "WELCOM10")
    expect(page.get_by_role("alert").filter(has_text="Your booking wasn't accepted")).to_be_visible(timeout=20_000)


def _switch_account(page, name: str) -> None:
    _visit(page, "accounts")
    page.locator("main").get_by_text(name, exact=True).first.click()
    page.wait_for_timeout(500)


def test_no_internal_words_on_any_screen_of_the_three_faces(new_context, server):
    found: list[str] = []
    follow = {"jobs": "jobs/", "invoices": "invoices/", "notifications": "drafts/"}

    ava = sign_in(new_context(**PHONE), server, AVA)
    expect(ava.locator(".account-bar")).to_be_visible()
    _bookings(ava)
    found += _sweep(ava, "customer (Ava Reed)", CUSTOMER_SCREENS, follow)
    _switch_account(ava, "Reed Landscaping")
    found += _sweep(ava, "customer (Reed Landscaping)", CUSTOMER_SCREENS, follow)

    for email in (OPS, GATE):
        page = sign_in(new_context(**PHONE), server, email)
        expect(page.locator(".account-bar")).to_be_visible()
        found += _sweep(page, f"customer ({email})", CUSTOMER_SCREENS, follow)

    driver = sign_in(new_context(**PHONE), server, DRIVER)
    found += _sweep(driver, "driver", [""], {"": "job/"})

    office = sign_in(new_context(**DESKTOP), server, OFFICE, "home")
    expect(office.locator(".office-nav")).to_be_visible()
    headers = api_session(server, OFFICE)
    records = []
    for collection in OFFICE_RECORDS:
        items = httpx.get(f"{server}/api/admin/{collection}", params={"limit": 3}, headers=headers).json()["items"]
        records += [f"edit/{collection}/{row['id']}" for row in items]
    customers = httpx.get(f"{server}/api/admin/accounts", params={"limit": 3}, headers=headers).json()["items"]
    records += [f"customers/{row['id']}" for row in customers]
    found += _sweep(office, "office", OFFICE_SCREENS + records)

    # The sweep read real screens: the refused booking's draft, both bell entries, details, each face.
    said = "\n".join(f"{k}\n{v}" for k, v in READ.items())
    for expected in (
        "Your booking, to send again",
        "The promo code WELCOM10 isn't valid — remove it or try another.",
        "Booking J-",
        "quoted when you booked with promo WELCOME10",
        "Waiting for you",
    ):
        assert expected in said, f"the sweep never saw {expected!r}"
    assert any(k.startswith("customer (Ava Reed) /drafts/") for k in READ)
    assert any(k.startswith("customer (Ava Reed) /jobs/") for k in READ)
    assert any(k.startswith("driver /job/") for k in READ)
    assert any(k.startswith("office /edit/promo-codes/") for k in READ)
    assert found == [], "internal words on screen:\n" + "\n".join(found)
