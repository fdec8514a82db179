"""Who may do what: read-only staff views, site contacts, other tenants. Routes are enumerated
from the app itself, so a new write route is covered the day it is added."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute

from tests.support.portal import ADMIN, AVA, GATE, IDS, OFFICE, login, new_client_id, pull_all

SAFE = {"GET", "HEAD", "OPTIONS"}


def _routes(app, methods_wanted):
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("public"):
                continue
            for method in sorted(handler.http_methods & methods_wanted):
                yield method, route.path


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{([a-z_]+)(:[a-z]+)?\}", lambda m: "jobs" if m.group(1) == "collection" else value, path)


async def _read_only_headers(client) -> dict[str, str]:
    office = await login(client, OFFICE)
    response = await client.post(f"/api/admin/accounts/{IDS('account:harbor')}/portal-view", headers=office)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['session_token']}"}


async def test_read_only_session_gets_403_read_only_on_every_write_route(client):
    headers = await _read_only_headers(client)
    writes = list(_routes(client.app, {"POST", "PUT", "PATCH", "DELETE"}))
    assert len(writes) >= 5
    for method, path in writes:
        response = await client.request(method, _fill(path, IDS("invoice:harbor-overdue")), headers=headers, json={})
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "read_only", (method, path)


async def test_read_only_session_reads_the_customers_portal(client):
    headers = await _read_only_headers(client)
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert me["read_only"] is True and me["role"] == "staff_readonly"
    assert [a["name"] for a in me["accounts"]] == ["Harbor Property Group"]
    _, rows = await pull_all(client, headers, new_client_id())
    assert ("invoice", IDS("invoice:harbor-overdue")) in rows
    assert not any(e == "account" and i != IDS("account:harbor") for e, i in rows)


async def test_site_contact_cannot_see_invoices_payments_or_other_sites(client):
    headers = await login(client, GATE)
    _, rows = await pull_all(client, headers, new_client_id())
    entities = {e for e, _ in rows}
    assert entities.isdisjoint({"invoice", "payment", "payment_method", "estimate", "membership"})
    sites = {i for e, i in rows if e == "site"}
    assert sites == {IDS("site:harbor-a")}
    account = rows[("account", IDS("account:harbor"))]
    assert "billing_address" not in account and "net_terms_days" not in account


async def test_customers_cannot_call_the_office_api(client):
    headers = await login(client, AVA)
    for method, path in _routes(client.app, {"GET", "POST", "PATCH"}):
        if not path.startswith("/api/admin"):
            continue
        response = await client.request(method, _fill(path, IDS("account:ava-reed")), headers=headers, json={})
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "forbidden"


async def test_a_demo_session_reaches_nothing_of_tenant_acme(client):
    acme_ids = [IDS("acme:account:ava"), IDS("acme:site:ava"), IDS("acme:invoice:open"), IDS("acme:contact:ava")]
    for email in (AVA, ADMIN):
        headers = await login(client, email)
        for _method, path in _routes(client.app, {"GET"}):
            if "{" not in path:
                continue
            for acme_id in acme_ids:
                if acme_id not in _fill(path, acme_id):
                    continue  # a list route: nothing of acme's is addressed
                response = await client.get(_fill(path, acme_id), headers=headers)
                assert response.status_code in (403, 404), (email, path, acme_id, response.status_code)
        _, rows = await pull_all(client, headers, new_client_id())
        assert not {i for _, i in rows} & set(acme_ids)
        assert all(row.get("tenant_id") in (None, IDS("tenant:demo")) for row in rows.values())


async def test_disabled_portal_answers_portal_disabled_but_the_office_still_works(client):
    office = await login(client, OFFICE)
    customer = await login(client, AVA)
    response = await client.patch("/api/admin/settings", json={"portal_enabled": False}, headers=office)
    assert response.status_code == 200
    me = await client.get("/api/auth/me", headers=customer)
    assert me.status_code == 403 and me.json()["error"]["code"] == "portal_disabled"
    link = await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": AVA})
    assert link.status_code == 202
    assert (await client.get("/api/public/tenants/demo")).json()["portal_enabled"] is False
    assert (await client.get("/api/admin/settings", headers=office)).status_code == 200


async def test_cookie_authenticated_writes_must_come_from_the_portals_origin(client):
    from tests.support.portal import link_token

    token = await link_token(client, AVA)
    await client.post("/api/auth/session", json={"token": token})  # sets the session cookie
    body = {"client_id": new_client_id(), "mutations": []}
    forged = await client.post("/api/sync/push", json=body, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    same = await client.post("/api/sync/push", json=body, headers={"Origin": "http://testserver.local"})
    assert same.status_code == 200
    assert (await client.get("/api/auth/me")).status_code == 200
