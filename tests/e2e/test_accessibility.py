"""axe-core (client_pwa/node_modules/axe-core, the npm package) on every customer, driver and office
screen: no serious or critical violation of WCAG 2 A/AA, with the demo's brand colour and with a
brand colour too light to read as text. Also: every control of a screen is reachable by Tab."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    ARTIFACTS,
    DESKTOP,
    PHONE,
    api_headers,
    new_context,
    own_server,
    sign_in,
)
from tests.support.live_server import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "client_pwa" / "node_modules" / "axe-core" / "axe.min.js"
CUSTOMER_SCREENS = [
    "",
    "jobs",
    "jobs?tab=history",
    f"jobs/{sid('job:ava-confirmed')}",
    f"jobs/{sid('job:ava-completed')}",
    "book",
    "invoices",
    "invoices?tab=orders",
    "invoices?tab=payments",
    f"invoices/{sid('invoice:ava-open')}",
    "messages",
    "more",
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
    "contact",
    "notifications",
    "accounts",
]
OFFICE_SCREENS = [
    "home",
    "inbox",
    "requests",
    "dispatch",
    "customers",
    f"customers/{sid('account:harbor')}",
    "billing",
    "reviews",
    "catalog",
    "staff",
    "settings",
    "import",
    "integrations",
    f"edit/jobs/{sid('job:ava-confirmed')}",
]
SEVERE = ("serious", "critical")


def axe(page) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations of the page as it is now."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        """async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))
             .violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary) }))"""
    )
    return result


def audit(page, base: str, face: str, paths: list[str], report: dict) -> list[str]:
    problems = []
    for path in paths:
        page.goto(f"{base}/t/demo/{path}")
        page.wait_for_selector("main, .office-page, .screen", timeout=15_000)
        page.wait_for_timeout(700)  # lazy screens and their rows
        found = axe(page)
        report[f"{face}:{path or 'dashboard'}"] = [
            (v["id"], v["impact"], v["nodes"] if v["impact"] in SEVERE else []) for v in found
        ]
        problems += [
            f"{face} /{path}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
            for v in found
            if v["impact"] in SEVERE
        ]
    return problems


def save_report(name: str, report: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(report, indent=1))


def test_no_serious_or_critical_axe_violation_on_any_screen(new_context, own_server):
    assert AXE.exists(), "npm install in client_pwa brings axe-core"
    report: dict = {}
    customer = sign_in(new_context(bypass_csp=True, **PHONE), own_server, "ava@example.com")
    problems = audit(customer, own_server, "customer", CUSTOMER_SCREENS, report)
    harbor = sign_in(new_context(bypass_csp=True, **PHONE), own_server, "ops@harbor.example")
    problems += audit(harbor, own_server, "company", ["", "invoices", "contacts", "pay"], report)
    driver = sign_in(new_context(bypass_csp=True, **PHONE), own_server, "driver@demo.example")
    problems += audit(driver, own_server, "driver", ["", f"job/{sid('job:ava-en-route')}"], report)
    office = sign_in(new_context(bypass_csp=True, **DESKTOP), own_server, "office@demo.example")
    problems += audit(office, own_server, "office", OFFICE_SCREENS, report)
    visitor = new_context(bypass_csp=True, **PHONE).new_page()
    problems += audit(visitor, own_server, "public", ["login"], report)
    save_report("axe-report", report)
    assert not problems, "\n".join(problems)


def test_a_light_brand_colour_still_reads(new_context, own_server):
    """A pale yellow brand: text in the brand colour is darkened, text on it turns dark (AA)."""
    response = httpx.patch(
        f"{own_server}/api/admin/settings",
        json={"primary_color": "#FFE066"},
        headers=api_headers(own_server, "admin@demo.example"),
    )
    assert response.status_code == 200, response.text
    report: dict = {}
    customer = sign_in(new_context(bypass_csp=True, **PHONE), own_server, "ava@example.com")
    expect(customer.locator(".bottom-nav")).to_be_visible()
    customer.wait_for_function(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim().toLowerCase() === '#ffe066'"
    )
    problems = audit(customer, own_server, "customer", ["", "jobs", "book", "invoices", "more", "contact"], report)
    office = sign_in(new_context(bypass_csp=True, **DESKTOP), own_server, "office@demo.example")
    problems += audit(office, own_server, "office", ["home", "settings"], report)
    save_report("axe-report-light-brand", report)
    assert not problems, "\n".join(problems)


def test_every_control_on_the_booking_screen_is_reachable_by_keyboard(new_context, own_server):
    page = sign_in(new_context(**PHONE), own_server, "ava@example.com", "book")
    expect(page.get_by_label("Service")).to_be_visible()
    page.wait_for_timeout(1_500)  # the replica's sites have replaced the new-site fields shown meanwhile
    controls = page.evaluate(
        """() => [...document.querySelectorAll('main a[href], main button:not([disabled]), main input:not([type=hidden]):not([disabled]), main select:not([disabled]), main textarea:not([disabled])')]
              .filter(e => e.offsetParent !== null).map(e => e.outerHTML.slice(0, 80))"""
    )
    reached = set()
    page.locator("body").focus()
    for _ in range(3 * len(controls) + 60):
        page.keyboard.press("Tab")
        html = page.evaluate(
            "() => document.activeElement && document.activeElement.closest('main') ? document.activeElement.outerHTML.slice(0, 80) : null"
        )
        if html:
            reached.add(html)
    missing = [c for c in controls if c not in reached]
    assert not missing, missing
