"""A person's identity is theirs: another account's primary contact cannot take over, claim or lock out a
person (or a member of staff) through ``contact.upsert`` and ``contact.remove``."""

from __future__ import annotations

import uuid

from server.seed.demo import sid
from tests.support.portal import ADMIN, AVA, OFFICE, OPS, link_token, login, new_client_id, pull_all, push

HARBOR, AVA_RES = sid("account:harbor"), sid("account:ava-reed")
ATTACKER = "attacker@evil.example"


async def _code(client, headers, name: str, args: dict) -> str:
    result = (await push(client, headers, new_client_id(), (1, name, args)))["results"][0]
    return result["error"]["code"] if result["status"] == "rejected" else result["status"]


async def _outbox(client, to: str) -> list[dict]:
    return (await client.get("/api/dev/outbox", params={"to": to})).json()["messages"]


async def _admin_row(client, collection: str, row_id: str) -> dict:
    return (await client.get(f"/api/admin/{collection}/{row_id}", headers=await login(client, OFFICE))).json()


async def test_adding_a_known_email_links_the_person_and_shows_only_what_was_typed(client):
    ops = await login(client, OPS)
    add = {"id": str(uuid.uuid4()), "name": "Whoever", "email": "ava@example.com", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", add) == "applied"
    _page, rows = await pull_all(client, ops, new_client_id())
    [linked] = [
        r for (entity, _), r in rows.items() if entity == "membership" and r["contact_id"] == sid("contact:ava")
    ]
    assert (linked["name"], linked["email"], linked["phone"]) == ("Whoever", "ava@example.com", None)
    seen = repr(rows)
    assert "Ava Reed" not in seen and "+15550100001" not in seen  # her name and phone stay hers
    ava = await _admin_row(client, "contacts", sid("contact:ava"))
    assert (ava["name"], ava["email"], ava["phone"]) == ("Ava Reed", "ava@example.com", "+15550100001")


async def test_a_linked_persons_email_cannot_be_rewritten_by_the_other_account(client):
    """The takeover: link Ava into Harbor, then rewrite her email to the attacker's and log in as her."""
    ops = await login(client, OPS)
    link = {"id": str(uuid.uuid4()), "name": "Ava", "email": "ava@example.com", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", link) == "applied"
    takeover = {**link, "id": sid("contact:ava"), "email": ATTACKER}
    assert await _code(client, ops, "contact.upsert", takeover) == "address_owned"
    phone = {**link, "id": sid("contact:ava"), "phone": "+15559990000"}
    assert await _code(client, ops, "contact.upsert", phone) == "address_owned"
    assert (await _admin_row(client, "contacts", sid("contact:ava")))["email"] == "ava@example.com"
    await client.post("/api/auth/magic-link", json={"tenant": "demo", "email": ATTACKER})
    assert await _outbox(client, ATTACKER) == []  # no link for the attacker's address opens anyone
    me = (await client.get("/api/auth/me", headers=await login(client, AVA))).json()
    assert me["contact"]["id"] == sid("contact:ava")  # Ava still signs in as herself
    assert {AVA_RES, HARBOR} <= {a["id"] for a in me["accounts"]}


async def test_a_person_who_has_signed_in_owns_their_address_even_on_one_account(client):
    ops = await login(client, OPS)
    new = {"id": str(uuid.uuid4()), "name": "Hana Helper", "email": "hana@harbor.example", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", new) == "applied"
    typo = {**new, "email": "hana.helper@harbor.example"}
    assert await _code(client, ops, "contact.upsert", typo) == "applied"  # never signed in: the account fixes typos
    await login(client, "hana.helper@harbor.example")
    assert await _code(client, ops, "contact.upsert", {**typo, "email": ATTACKER}) == "address_owned"
    renamed = {**typo, "name": "Hana H.", "portal_access": True}
    assert await _code(client, ops, "contact.upsert", renamed) == "applied"  # the name on this account: fine


async def test_a_new_contact_cannot_take_an_address_someone_else_signs_in_with(client):
    ops = await login(client, OPS)
    mine = {"id": str(uuid.uuid4()), "name": "Ivan", "email": "ivan@harbor.example", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", mine) == "applied"
    assert await _code(client, ops, "contact.upsert", {**mine, "email": "ava@example.com"}) == "address_taken"


async def test_removing_a_linked_contact_ends_only_that_membership(client):
    ava = await login(client, AVA)
    ops = await login(client, OPS)
    link = {"id": str(uuid.uuid4()), "name": "Ava", "email": "ava@example.com", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", link) == "applied"
    assert (
        await _code(client, ops, "contact.remove", {"contact_id": sid("contact:ava"), "account_id": HARBOR})
        == "applied"
    )
    me = await client.get("/api/auth/me", headers=ava)
    assert me.status_code == 200, me.text  # her session (from before) still works
    accounts = {a["id"] for a in me.json()["accounts"]}
    assert AVA_RES in accounts and HARBOR not in accounts


async def test_turning_portal_access_off_ends_only_that_accounts_access(client):
    ava, ops = await login(client, AVA), await login(client, OPS)
    link = {"id": str(uuid.uuid4()), "name": "Ava", "email": "ava@example.com", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", link) == "applied"
    off = {**link, "id": sid("contact:ava"), "portal_access": False}
    assert await _code(client, ops, "contact.upsert", off) == "applied"
    me = await client.get("/api/auth/me", headers=ava)
    assert me.status_code == 200
    accounts = {a["id"] for a in me.json()["accounts"]}
    assert AVA_RES in accounts and HARBOR not in accounts


async def test_customers_cannot_claim_a_staff_address_and_staff_keep_their_login(client):
    ops = await login(client, OPS)
    claim = {"id": str(uuid.uuid4()), "name": "Dana", "email": "Admin@Demo.Example", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", claim) == "address_taken"
    mine = {"id": str(uuid.uuid4()), "name": "Ivan", "email": "ivan@harbor.example", "account_id": HARBOR}
    assert await _code(client, ops, "contact.upsert", mine) == "applied"
    assert await _code(client, ops, "contact.upsert", {**mine, "email": ADMIN}) == "address_taken"
    me = (await client.get("/api/auth/me", headers=await login(client, ADMIN))).json()
    assert me["role"] == "admin"


async def test_an_address_that_is_both_staff_and_customer_gets_a_chooser(client):
    office = await login(client, OFFICE)
    contact_id = str(uuid.uuid4())
    response = await client.post(
        "/api/admin/contacts", headers=office, json={"id": contact_id, "name": "Dana at home", "email": ADMIN}
    )
    assert response.status_code == 201, response.text
    response = await client.post(
        "/api/admin/memberships",
        headers=office,
        json={
            "id": str(uuid.uuid4()),
            "contact_id": contact_id,
            "account_id": AVA_RES,
            "name": "Dana at home",
            "email": ADMIN,
        },
    )
    assert response.status_code == 201, response.text
    token = await link_token(client, ADMIN)
    choose = await client.post("/api/auth/session", json={"token": token})
    assert choose.status_code == 409, choose.text
    assert choose.json()["error"]["code"] == "choose_identity"
    assert choose.json()["error"]["details"]["choices"] == ["customer", "staff"]
    as_staff = await client.post("/api/auth/session", json={"token": token, "as": "staff"})
    assert as_staff.status_code == 200 and as_staff.json()["role"] == "admin"
    as_customer = await client.post("/api/auth/session", json={"token": token, "as": "customer"})
    assert as_customer.status_code == 200 and as_customer.json()["role"] == "customer"
    assert as_customer.json()["contact"]["id"] == contact_id


async def test_a_plain_link_refuses_the_other_identity(client):
    token = await link_token(client, AVA)
    response = await client.post("/api/auth/session", json={"token": token, "as": "staff"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "not_this_identity"
    assert (await client.post("/api/auth/session", json={"token": token, "as": "customer"})).status_code == 200


async def test_office_staff_cannot_create_or_change_staff_but_admins_can(client):
    office, admin = await login(client, OFFICE), await login(client, ADMIN)
    boss = {"id": str(uuid.uuid4()), "name": "Mallory", "email": "mallory@demo.example", "role": "admin"}
    response = await client.post("/api/admin/staff", headers=office, json=boss)
    assert response.status_code == 403 and response.json()["error"]["code"] == "admin_only"
    response = await client.patch(f"/api/admin/staff/{sid('staff:office')}", headers=office, json={"role": "admin"})
    assert response.status_code == 403
    assert (await client.get("/api/auth/me", headers=office)).json()["role"] == "office"
    assert (await client.post("/api/admin/staff", headers=admin, json=boss)).status_code == 201
    assert (await client.get("/api/admin/staff", headers=office)).status_code == 200  # reading stays open
