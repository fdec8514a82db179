"""Tenant API keys: admin-made, shown once, hashed, read or read-write, revocable, last used."""

from __future__ import annotations

import pytest

from tests.support.portal import ADMIN, AVA, IDS, OFFICE, login


async def _key(client, admin, scope: str = "read") -> tuple[dict, str]:
    response = await client.post(
        "/api/integrations/keys", json={"name": "Accounting sync", "scope": scope}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()["key"], response.json()["token"]


async def test_a_read_key_reads_the_office_api_and_cannot_write(client):
    admin = await login(client, ADMIN)
    key, token = await _key(client, admin, "read")
    bearer = {"Authorization": f"Bearer {token}"}
    accounts = await client.get("/api/admin/accounts", headers=bearer)
    assert accounts.status_code == 200
    assert {a["name"] for a in accounts.json()["items"]} >= {"Ava Reed", "Harbor Property Group"}
    write = await client.post("/api/admin/accounts", json={"name": "Nope"}, headers=bearer)
    assert write.status_code == 403 and write.json()["error"]["code"] == "read_only"
    listed = (await client.get("/api/integrations/keys", headers=admin)).json()["items"]
    assert listed[0]["id"] == key["id"] and listed[0]["last_used_at"] is not None
    assert "token" not in listed[0] and "secret_hash" not in listed[0]
    assert token not in (await client.get("/api/integrations/keys", headers=admin)).text


async def test_a_read_write_key_writes_and_the_change_is_in_the_changelog(client, db):
    admin = await login(client, ADMIN)
    _, token = await _key(client, admin, "read_write")
    bearer = {"Authorization": f"Bearer {token}"}
    made = await client.post("/api/admin/accounts", json={"name": "Keyed Customer"}, headers=bearer)
    assert made.status_code == 201, made.text
    async with db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM changelog WHERE row_id = ?", made.json()["id"]) == 1
        stored = await conn.fetchval("SELECT secret_hash FROM api_key")
    assert token.rsplit("_", 1)[1] not in stored  # only a hash is kept


async def test_a_revoked_key_stops_working_at_once(client):
    admin = await login(client, ADMIN)
    key, token = await _key(client, admin)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/admin/jobs", headers=bearer)).status_code == 200
    revoked = await client.post(f"/api/integrations/keys/{key['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = await client.get("/api/admin/jobs", headers=bearer)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    "path",
    [
        "/api/sync/pull?client_id=abc",
        "/api/auth/me",
        "/api/integrations/keys",
        "/api/admin/staff",
        "/api/data/export/accounts",
    ],
)
async def test_a_key_reaches_only_the_office_records(client, path):
    admin = await login(client, ADMIN)
    _, token = await _key(client, admin, "read_write")
    response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "api_key_not_allowed", path


async def test_a_forged_or_other_tenants_key_is_refused(client):
    admin = await login(client, ADMIN)
    _, token = await _key(client, admin)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "hpk_nothing", "hpk_" + "0" * 32 + "_" + "x" * 43):
        response = await client.get("/api/admin/accounts", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"
    acme_admin = await login(client, "admin@acme.example", tenant="acme")
    _, acme_token = await _key(client, acme_admin)
    response = await client.get(
        f"/api/admin/accounts/{IDS('account:ava-reed')}", headers={"Authorization": f"Bearer {acme_token}"}
    )
    assert response.status_code == 404


async def test_only_admins_manage_keys(client):
    for email in (OFFICE, AVA):
        headers = await login(client, email)
        response = await client.post("/api/integrations/keys", json={"name": "x"}, headers=headers)
        assert response.status_code == 403, email
