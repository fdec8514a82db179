"""Saved payment methods: SetupIntent → Stripe.js → saved row; default; removal; who may do it."""

from __future__ import annotations

from tests.payments.stripe_flows import AVA_ACCOUNT, AVA_BIZ, HARBOR, customer_of, save_card
from tests.support.localstripe_server import CARD_3DS, sdk_client
from tests.support.portal import new_client_id, pull_all


async def test_a_card_saved_through_a_setup_intent_is_listed_and_synced(client, ava, localstripe_url):
    saved = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)

    assert {k: saved[k] for k in ("kind", "brand", "last4", "exp_month", "exp_year", "expiry", "default")} == {
        "kind": "card",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
        "expiry": "12/30",
        "default": True,
    }  # the first method saved becomes the default
    assert "stripe_payment_method_id" not in saved
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert [m["id"] for m in listed["methods"]] == [saved["id"]]
    # the method is attached to the account's own Stripe customer
    customer = customer_of(localstripe_url, AVA_ACCOUNT)
    methods = sdk_client(localstripe_url).v1.payment_methods.list(params={"customer": customer, "type": "card"})
    assert len(methods.data) == 1
    # and reaches the client by sync, without its Stripe id
    _, rows = await pull_all(client, ava, new_client_id())
    row = rows[("payment_method", saved["id"])]
    assert row["last4"] == "4242" and "stripe_payment_method_id" not in row
    assert "stripe_customer_id" not in rows[("account", AVA_ACCOUNT)]


async def test_saving_the_same_setup_intent_twice_keeps_one_method(client, ava, localstripe_url):
    response = await client.post("/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT}, headers=ava)
    seti = response.json()["setup_intent_id"]
    from tests.support.localstripe_server import confirm_card_setup

    confirm_card_setup(localstripe_url, seti)
    body = {"account_id": AVA_ACCOUNT, "setup_intent_id": seti}
    first = (await client.post("/api/payments/methods", json=body, headers=ava)).json()
    second = (await client.post("/api/payments/methods", json=body, headers=ava)).json()
    assert first["id"] == second["id"]
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert len(listed["methods"]) == 1


async def test_unconfirmed_or_foreign_setup_intents_save_nothing(client, ava, localstripe_url):
    seti = (await client.post("/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT}, headers=ava)).json()[
        "setup_intent_id"
    ]
    response = await client.post(
        "/api/payments/methods", json={"account_id": AVA_ACCOUNT, "setup_intent_id": seti}, headers=ava
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "setup_incomplete"
    # Ava's other account may not claim a method set up for this one
    await client.post("/api/payments/setup-intent", json={"account_id": AVA_BIZ}, headers=ava)
    response = await client.post(
        "/api/payments/methods", json={"account_id": AVA_BIZ, "setup_intent_id": seti}, headers=ava
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "setup_intent_mismatch"


async def test_default_moves_and_removal_detaches(client, ava, localstripe_url):
    first = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    second = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    assert (first["default"], second["default"]) == (True, False)

    response = await client.post(f"/api/payments/methods/{second['id']}/default", headers=ava)
    assert response.status_code == 200 and response.json()["default"] is True
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert {m["id"]: m["default"] for m in listed["methods"]} == {first["id"]: False, second["id"]: True}

    response = await client.delete(f"/api/payments/methods/{second['id']}", headers=ava)
    assert response.status_code == 204
    listed = (await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=ava)).json()
    assert [(m["id"], m["default"]) for m in listed["methods"]] == [(first["id"], True)]
    customer = customer_of(localstripe_url, AVA_ACCOUNT)
    left = sdk_client(localstripe_url).v1.payment_methods.list(params={"customer": customer, "type": "card"})
    assert len(left.data) == 1


async def test_methods_of_other_accounts_are_out_of_reach(client, ava, ops, localstripe_url):
    harbor_card = await save_card(client, ops, HARBOR, localstripe_url)

    response = await client.get("/api/payments/methods", params={"account_id": HARBOR}, headers=ava)
    assert response.status_code == 404
    assert (
        await client.post("/api/payments/setup-intent", json={"account_id": HARBOR}, headers=ava)
    ).status_code == 404
    assert (await client.delete(f"/api/payments/methods/{harbor_card['id']}", headers=ava)).status_code == 404
    assert (await client.post(f"/api/payments/methods/{harbor_card['id']}/default", headers=ava)).status_code == 404


async def test_site_contacts_handle_no_payment_methods(client, gate):
    response = await client.get("/api/payments/methods", params={"account_id": HARBOR}, headers=gate)
    assert response.status_code == 403
    response = await client.post("/api/payments/setup-intent", json={"account_id": HARBOR}, headers=gate)
    assert response.status_code == 403


async def test_staff_read_only_view_lists_methods_but_changes_nothing(client, ava, admin, localstripe_url):
    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    view = (await client.post(f"/api/admin/accounts/{AVA_ACCOUNT}/portal-view", headers=admin)).json()
    readonly = {"Authorization": f"Bearer {view['session_token']}"}

    listed = await client.get("/api/payments/methods", params={"account_id": AVA_ACCOUNT}, headers=readonly)
    assert listed.status_code == 200 and [m["id"] for m in listed.json()["methods"]] == [card["id"]]
    for response in (
        await client.post("/api/payments/setup-intent", json={"account_id": AVA_ACCOUNT}, headers=readonly),
        await client.delete(f"/api/payments/methods/{card['id']}", headers=readonly),
        await client.post(f"/api/payments/methods/{card['id']}/default", headers=readonly),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "read_only"
