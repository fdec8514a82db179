"""What the PWA and Stripe do around the payments API, for tests: saving a card or a SEPA bank
account through the API (Stripe.js's part done with the SDK), paying, looking behind the scenes at localstripe, and
delivering localstripe's own (real, signed) events to the webhook."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
import uuid
from typing import Any

from haulport_dev.localstripe_runner import IBAN_OK, SECRET_KEY
from server.billing.gateway import sign_webhook_payload
from server.db.engine import Database
from server.db.store import Store
from server.seed.demo import sid
from tests.support.live_server import ROOT
from tests.support.localstripe_server import (
    CARD_OK,
    WEBHOOK_SECRET,
    confirm_card_setup,
    confirm_sepa_debit_setup,
    sdk_client,
)

DEMO_TENANT = sid("tenant:demo")
AVA_ACCOUNT = sid("account:ava-reed")
AVA_BIZ = sid("account:reed-landscaping")
HARBOR = sid("account:harbor")
AVA_OPEN = sid("invoice:ava-open")  # INV-1001, 325.00 open
AVA_PAID = sid("invoice:ava-paid")
HARBOR_OVERDUE = sid("invoice:harbor-overdue")  # INV-1002, 808.00 open, issued 45 days ago
HARBOR_PARTIAL = sid("invoice:harbor-partial")  # INV-1003, 440.00 total, 240.00 left, issued 20 days ago
HARBOR_PENDING = sid("invoice:harbor-pending")  # INV-1004, pending, 435.00
BIZ_OPEN = sid("invoice:biz-open")
ACME_OPEN = sid("acme:invoice:open")
AVA_RENTAL = sid("rental:ava-20yd")


async def save_card(
    client, headers, account_id: str, base_url: str, number: str = CARD_OK, default: bool = False
) -> dict[str, Any]:
    """SetupIntent → what Stripe.js confirmCardSetup does → ``POST /api/payments/methods``."""
    response = await client.post("/api/payments/setup-intent", json={"account_id": account_id}, headers=headers)
    assert response.status_code == 200, response.text
    intent = response.json()
    assert intent["client_secret"].startswith(intent["setup_intent_id"])
    assert await asyncio.to_thread(confirm_card_setup, base_url, intent["setup_intent_id"], number) == "succeeded"
    response = await client.post(
        "/api/payments/methods",
        headers=headers,
        json={"account_id": account_id, "setup_intent_id": intent["setup_intent_id"], "default": default},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def save_bank(
    client, headers, account_id: str, base_url: str, iban: str = IBAN_OK, default: bool = False
) -> dict[str, Any]:
    """SetupIntent (kind bank) → what Stripe.js confirmSepaDebitSetup does → ``POST /api/payments/methods``."""
    response = await client.post(
        "/api/payments/setup-intent", json={"account_id": account_id, "kind": "bank"}, headers=headers
    )
    assert response.status_code == 200, response.text
    intent = response.json()
    assert intent["method_type"] == "sepa_debit"
    assert await asyncio.to_thread(confirm_sepa_debit_setup, base_url, intent["setup_intent_id"], iban) == "succeeded"
    response = await client.post(
        "/api/payments/methods",
        headers=headers,
        json={"account_id": account_id, "setup_intent_id": intent["setup_intent_id"], "default": default},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def set_currency(database_url: str, code: str, tenant_id: str = DEMO_TENANT) -> None:
    """Switch a tenant's billing currency (before an app serves it), recorded for sync like any change."""
    db = Database(database_url)
    await db.start()
    try:
        async with db.write() as conn:
            store = Store(conn, tenant_id)
            await store.lock()
            await store.update("tenant", await store.get("tenant", tenant_id), currency=code)
    finally:
        await db.close()


def bill_in_euros(database_url: str) -> None:
    """`set_currency(…, "EUR")` in a child process: a browser test's Playwright event loop may already run in
    this thread."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import asyncio, sys; from tests.payments.stripe_flows import set_currency; "
            "asyncio.run(set_currency(sys.argv[1], 'EUR'))",
            database_url,
        ],
        cwd=ROOT,
        check=True,
    )


async def pay(client, headers, body: dict[str, Any], key: str | None = None):
    key = key or str(uuid.uuid4())
    return await client.post("/api/payments", json=body, headers={**headers, "Idempotency-Key": key})


async def pay_ok(client, headers, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    response = await pay(client, headers, body, key)
    assert response.status_code == 200, response.text
    return response.json()


async def admin_row(client, admin_headers, collection: str, row_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/admin/{collection}/{row_id}", headers=admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


def customer_of(base_url: str, account_id: str) -> str | None:
    """The Stripe customer localstripe holds for an account (tagged with its id)."""
    for customer in sdk_client(base_url).v1.customers.list(params={"limit": 100}).data:
        if customer.metadata and customer.metadata.to_dict().get("account_id") == account_id:
            return customer.id
    return None


def intents_of(base_url: str, customer_id: str | None) -> list[Any]:
    """Every PaymentIntent localstripe made for a customer (it cannot filter by customer itself)."""
    intents = sdk_client(base_url).v1.payment_intents.list(params={"limit": 100}).data
    return [i for i in intents if customer_id and i.customer == customer_id]


def _get(base_url: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{base_url}{path}", headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def event_for(base_url: str, event_type: str, intent_id: str) -> dict[str, Any]:
    """localstripe's event of ``event_type`` about one PaymentIntent, as Stripe would POST it."""
    events = _get(base_url, f"/v1/events?type={event_type}&limit=100")["data"]
    matching = [e for e in events if e["data"]["object"]["id"] == intent_id]
    assert matching, f"localstripe has no {event_type} for {intent_id}"
    return matching[-1]


async def deliver(
    client,
    event: dict[str, Any],
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
):
    """POST an event to the webhook, signed like Stripe signs it."""
    payload = json.dumps(event).encode()
    header = signature if signature is not None else sign_webhook_payload(payload, secret, timestamp)
    return await client.post(
        "/api/stripe/webhook", content=payload, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )


async def run_sql(settings, statement: str, *args) -> None:
    """A write from the test's side (its own connection: the app's pool belongs to the app's loop)."""
    db = Database(settings.database_url)
    await db.start()
    try:
        async with db.write() as conn:
            await conn.execute(statement, *args)
    finally:
        await db.close()
