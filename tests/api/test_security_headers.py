"""The portal's HTML never leaks its address (login tokens sit in URLs), cannot be framed, and runs only
the scripts it ships; every answer carries nosniff."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from server.headers import content_security_policy, inline_script_hashes
from server.settings import load_settings

BOOT = "window.booted = 1"


@pytest.fixture
def settings_overrides(tmp_path):
    static = tmp_path / "pwa"
    static.mkdir()
    (static / "index.html").write_text(
        f"<!doctype html><html><head><script>{BOOT}</script>"
        "<script type=module src=/assets/app.js></script></head></html>"
    )
    return {"static_dir": str(static)}


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


async def test_the_login_page_sends_no_referrer_a_csp_and_no_framing(client):
    response = await client.get("/t/demo/login", params={"token": "x" * 40})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = _directives(response.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    digest = base64.b64encode(hashlib.sha256(BOOT.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert "https://js.stripe.com" in csp["script-src"] and csp["object-src"] == ["'none'"]
    root = await client.get("/")
    assert "content-security-policy" in root.headers and root.headers["referrer-policy"] == "no-referrer"


async def test_api_answers_carry_nosniff_and_no_referrer(client):
    response = await client.get("/api/public/tenants/demo")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_policy_follows_the_stripe_settings_and_dev_mode(tmp_path):
    production = load_settings(path="missing.toml", env={}, stripe_js_url="https://cdn.example.com/stripe/v3")
    csp = _directives(content_security_policy(production, []))
    assert "https://cdn.example.com" in csp["script-src"] and not any("127.0.0.1" in s for s in csp["script-src"])
    dev = _directives(content_security_policy(load_settings(path="missing.toml", env={}, dev_mode=True), []))
    assert "http://127.0.0.1:*" in dev["script-src"]
    assert inline_script_hashes(Path(tmp_path) / "missing.html") == []


def test_the_built_pwa_boot_script_is_allowed_by_hash():
    index = Path(__file__).parents[2] / "client_pwa" / "index.html"
    assert len(inline_script_hashes(index)) == 1  # the boot script; a new inline script needs no CSP change
