"""The office API: portal settings and records, with validation errors a person can act on."""

from __future__ import annotations

import pytest

from server.tenants import create_tenant
from tests.support.portal import AVA, IDS, OFFICE, login, new_client_id, pull_all


@pytest.fixture
async def office(client):
    return await login(client, OFFICE)


async def test_settings_show_the_portal_url_and_change_branding(client, office):
    settings = (await client.get("/api/admin/settings", headers=office)).json()
    assert settings["portal_url"] == "http://testserver.local/t/demo/"
    response = await client.patch(
        "/api/admin/settings",
        headers=office,
        json={
            "display_name": "Reed's Haulers",
            "primary_color": "#AA3300",
            "logo_url": "https://cdn.example/logo.png",
            "features": {"booking": False},
            "notify_events": {"en_route": False},
            "show_pending_invoices": True,
            "business_hours": {"sat": {"open": "09:00", "close": "13:00"}},
        },
    )
    assert response.status_code == 200, response.text
    tenant = response.json()
    assert tenant["features"]["booking"] is False and tenant["features"]["messaging"] is True
    assert tenant["notify_events"]["en_route"] is False and tenant["notify_events"]["job_booked"] is True
    assert tenant["business_hours"]["sat"] == {"open": "09:00", "close": "13:00"}


async def test_currency_locale_and_country_are_portal_settings_customers_receive(client, settings):
    await create_tenant(settings, "fresh", "Fresh Haulers", "admin@fresh.example")
    admin = await login(client, "admin@fresh.example", "fresh")
    assert (await client.get("/api/admin/settings", headers=admin)).json()["currency_locked"] is False
    response = await client.patch(
        "/api/admin/settings", headers=admin, json={"currency": "EUR", "locale": "de-DE", "country": "DE"}
    )
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("currency", "locale", "country")} == {
        "currency": "EUR",
        "locale": "de-DE",
        "country": "DE",
    }
    public = (await client.get("/api/public/tenants/fresh")).json()
    assert (public["currency"], public["locale"], public["country"]) == ("EUR", "de-DE", "DE")
    staff = await login(client, "admin@fresh.example", "fresh")
    _, rows = await pull_all(client, staff, new_client_id())
    tenant = next(row for (entity, _), row in rows.items() if entity == "tenant")
    assert (tenant["currency"], tenant["locale"], tenant["country"]) == ("EUR", "de-DE", "DE")


async def test_the_currency_cannot_change_once_amounts_are_written_in_it(client, office):
    # The demo tenant has jobs, invoices and payments in dollars: euros would relabel every one of them
    # ($808.00 owed would read, and be charged as, 808,00 €).
    assert (await client.get("/api/admin/settings", headers=office)).json()["currency_locked"] is True
    response = await client.patch("/api/admin/settings", headers=office, json={"currency": "EUR", "locale": "de-DE"})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "currency_in_use"
    assert "USD" in response.json()["error"]["message"]
    public = (await client.get("/api/public/tenants/demo")).json()
    assert (public["currency"], public["locale"]) == ("USD", "en-US")  # nothing of the refused change was kept
    # The same currency again, and every other setting, still change.
    response = await client.patch(
        "/api/admin/settings", headers=office, json={"currency": "USD", "locale": "de-DE", "country": "DE"}
    )
    assert response.status_code == 200, response.text
    customer = await login(client, AVA)
    _, rows = await pull_all(client, customer, new_client_id())
    tenant = next(row for (entity, _), row in rows.items() if entity == "tenant")
    assert (tenant["currency"], tenant["locale"], tenant["country"]) == ("USD", "de-DE", "DE")


@pytest.mark.parametrize(
    ("body", "code"),
    [({"locale": "xx-QQ"}, "unknown_locale"), ({"currency": "QQQ"}, "unknown_currency")],
)
async def test_a_locale_or_currency_documents_cannot_be_written_in_is_refused(client, office, body, code):
    response = await client.patch("/api/admin/settings", headers=office, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert (await client.get("/api/admin/settings", headers=office)).json()["locale"] == "en-US"


@pytest.mark.parametrize(
    "body",
    [
        {"primary_color": "red"},
        {"primary_color": "#12345"},
        {"logo_url": "javascript:alert(1)"},
        {"logo_url": "ftp://x/logo.png"},
        {"features": {"teleport": True}},
        {"features": {"booking": "yes"}},
        {"portal_enabled": "maybe"},
        {"business_hours": {"mon": {"open": "25:00"}}},
        {"unknown_key": 1},
        {"currency": "eur"},
        {"currency": "EURO"},
        {"locale": "de_DE"},
        {"locale": "<script>"},
        {"country": "Germany"},
    ],
)
async def test_bad_settings_are_refused_with_a_code(client, office, body):
    response = await client.patch("/api/admin/settings", headers=office, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_office_changes_reach_customers_on_their_next_pull(client, office):
    customer = await login(client, AVA)
    client_id = new_client_id()
    page, _ = await pull_all(client, customer, client_id)
    response = await client.patch(
        f"/api/admin/jobs/{IDS('job:ava-requested')}",
        headers=office,
        json={"status": "confirmed", "truck_id": IDS("truck:t2")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["truck_name"] == "T-2"
    page, rows = await pull_all(client, customer, client_id, page["cursor"])
    job = rows[("job", IDS("job:ava-requested"))]
    assert job["status"] == "confirmed" and job["truck_name"] == "T-2"


async def test_create_read_update_across_collections(client, office):
    account = await client.post(
        "/api/admin/accounts",
        headers=office,
        json={"name": "Lakeside Events", "kind": "commercial", "po_required": True},
    )
    assert account.status_code == 201, account.text
    account_id = account.json()["id"]
    assert account.json()["number"].startswith("A-")
    site = await client.post(
        "/api/admin/sites",
        headers=office,
        json={
            "account_id": account_id,
            "name": "Festival grounds",
            "type": "event",
            "address": {"line1": "9 Lake Rd", "city": "Springfield"},
        },
    )
    assert site.status_code == 201, site.text
    contact = await client.post(
        "/api/admin/contacts", headers=office, json={"name": "Lee Lake", "email": "LEE@lakeside.example"}
    )
    assert contact.json()["email"] == "lee@lakeside.example"
    membership = await client.post(
        "/api/admin/memberships",
        headers=office,
        json={"contact_id": contact.json()["id"], "account_id": account_id, "role": "company", "primary": True},
    )
    assert membership.status_code == 201 and membership.json()["name"] == "Lee Lake"
    invoice = await client.post(
        "/api/admin/invoices",
        headers=office,
        json={
            "account_id": account_id,
            "site_id": site.json()["id"],
            "status": "open",
            "issued_on": "2026-11-01",
            "due_on": "2026-12-01",
            "lines": [{"description": "Toilets", "quantity": 4, "unit_price": 12500}],
        },
    )
    assert invoice.status_code == 201, invoice.text
    assert (invoice.json()["total"], invoice.json()["balance"]) == (50000, 50000)
    for collection in ("products", "service-types", "time-slots", "trucks", "units", "rentals", "estimates"):
        listing = await client.get(f"/api/admin/{collection}", headers=office)
        assert listing.status_code == 200, collection
    found = (await client.get("/api/admin/accounts", headers=office, params={"q": "lakeside"})).json()["items"]
    assert [a["id"] for a in found] == [account_id]
    updated = await client.patch(f"/api/admin/accounts/{account_id}", headers=office, json={"net_terms_days": 45})
    assert updated.json()["net_terms_days"] == 45 and updated.json()["version"] == 2


@pytest.mark.parametrize(
    "collection, body, code",
    [
        ("sites", {"account_id": "00000000-0000-0000-0000-000000000000", "name": "X"}, "unknown_reference"),
        ("sites", {"name": "No account"}, "invalid"),
        ("jobs", {"account_id": "ACCOUNT", "site_id": "SITE_B"}, "site_not_in_account"),
        ("accounts", {"name": "X", "kind": "martian"}, "invalid"),
        ("accounts", {"name": "X", "net_terms_days": "thirty"}, "invalid"),
        ("accounts", {"name": "X", "favourite_colour": "blue"}, "unknown_fields"),
        ("time-slots", {"label": "Night", "start": "22:00", "end": "26:00"}, "invalid"),
        ("contacts", {"name": "Nobody"}, "email_or_phone"),
        ("nonsense", {"name": "X"}, "unknown_collection"),
    ],
)
async def test_bad_records_are_refused_with_a_code(client, office, collection, body, code):
    body = {k: {"ACCOUNT": IDS("account:ava-reed"), "SITE_B": IDS("site:harbor-b")}.get(v, v) for k, v in body.items()}
    response = await client.post(f"/api/admin/{collection}", headers=office, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == code


async def test_unknown_ids_and_backwards_job_status_are_refused(client, office):
    missing = await client.get("/api/admin/jobs/00000000-0000-0000-0000-000000000000", headers=office)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    backwards = await client.patch(
        f"/api/admin/jobs/{IDS('job:ava-completed')}", headers=office, json={"status": "cancelled"}
    )
    assert backwards.status_code == 409 and backwards.json()["error"]["code"] == "not_cancellable"
