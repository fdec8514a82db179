"""Stripe stalls (localstripe SIGSTOPped) or the server dies (SIGKILL) while a rental extension's charge is
in flight: real processes, real localstripe.

- With Stripe frozen, the extension's push answers at once ("pending payment"), and pushes from the same
  customer and from another tenant's keep answering within a second: no write waits on Stripe.
- The server is killed while its charge is in flight, Stripe comes back, the server restarts and the
  client pushes the same mutation again: exactly one charge at Stripe and one paid extension.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from haulport_dev.localstripe_runner import PUBLISHABLE_KEY, SECRET_KEY, start_localstripe, stop_localstripe
from server.db.engine import Database
from tests.payments.stripe_flows import AVA_ACCOUNT, AVA_RENTAL, save_card
from tests.support.localstripe_server import WEBHOOK_SECRET, sdk_client
from tests.support.portal import ADMIN, AVA, IDS, login, new_client_id

ACME_AVA_ACCOUNT = IDS("acme:account:ava")


class Frozen:
    """A localstripe of this test's own, which the test can SIGSTOP and SIGCONT."""

    def __init__(self) -> None:
        self.process, self.url = start_localstripe()

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        stop_localstripe(self.process)


@pytest.fixture
def frozen_stripe() -> Iterator[Frozen]:
    stripe = Frozen()
    try:
        yield stripe
    finally:
        stripe.close()


def stripe_env(url: str, **extra: str) -> dict[str, str]:
    return {
        "HAULPORT_STRIPE_SECRET_KEY": SECRET_KEY,
        "HAULPORT_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "HAULPORT_STRIPE_API_BASE": url,
        "HAULPORT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        **extra,
    }


def push_body(client_id: str, mutation_id: int, name: str, args: dict) -> dict:
    return {
        "client_id": client_id,
        "schema_version": 1,
        "mutations": [{"id": mutation_id, "name": name, "args": args, "created_at": "2026-12-03T00:00:00Z"}],
    }


async def timed_push(http: httpx.AsyncClient, headers: dict, body: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    response = await http.post("/api/sync/push", json=body, headers=headers, timeout=10)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed, response.json()["results"][0]


async def charge_in_flight(database_url: str, client_id: str, timeout: float = 20) -> None:
    """Wait until a dispatcher has taken the extension's charge effect (it is asking Stripe now)."""
    db = Database(database_url)
    await db.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with db.read() as conn:
                attempts = await conn.fetchval(
                    "SELECT attempts FROM effect_outbox WHERE id = ? AND status = 'pending'", f"m:{client_id}:1:0"
                )
            if attempts:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the charge effect was never taken")
    finally:
        await db.close()


async def wait_for_extension(http: httpx.AsyncClient, admin: dict, count: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        rental = (await http.get(f"/api/admin/rentals/{AVA_RENTAL}", headers=admin)).json()
        extensions = rental["extensions"]
        if len(extensions) >= count and extensions[count - 1]["status"] != "pending":
            return rental
        assert time.monotonic() < deadline, f"the extension is still pending: {extensions}"
        await asyncio.sleep(0.2)


def charges_for_rental(stripe_url: str) -> list:
    intents = sdk_client(stripe_url).v1.payment_intents.list(params={"limit": 100}).data
    return [i for i in intents if i.metadata and i.metadata.to_dict().get("rental_id") == AVA_RENTAL]


async def test_with_stripe_frozen_pushes_of_every_tenant_answer_within_a_second(
    database_url, start_server, frozen_stripe
):
    server = await start_server(database_url, **stripe_env(frozen_stripe.url))
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        ava, admin, acme_ava = await login(http, AVA), await login(http, ADMIN), await login(http, AVA, "acme")
        await save_card(http, ava, AVA_ACCOUNT, frozen_stripe.url)
        client_id = new_client_id()

        frozen_stripe.stop()
        try:
            elapsed, result = await timed_push(
                http, ava, push_body(client_id, 1, "rental.extend", {"rental_id": AVA_RENTAL, "days": 2})
            )
            assert result["status"] == "applied", result
            assert elapsed < 1.0, f"the extension's push took {elapsed:.2f} s"
            await charge_in_flight(database_url, client_id)  # the charge is now waiting on the frozen Stripe

            message = {"id": str(uuid.uuid4()), "body": "Gate code is 4411", "account_id": AVA_ACCOUNT}
            same, same_result = await timed_push(http, ava, push_body(client_id, 2, "message.send", message))
            other_message = {"id": str(uuid.uuid4()), "body": "Please call", "account_id": ACME_AVA_ACCOUNT}
            other, other_result = await timed_push(
                http, acme_ava, push_body(new_client_id(), 1, "message.send", other_message)
            )
            assert (same_result["status"], other_result["status"]) == ("applied", "applied")
            assert same < 1.0, f"the same customer's next push took {same:.2f} s"
            assert other < 1.0, f"another tenant's push took {other:.2f} s"
            rental = (await http.get(f"/api/admin/rentals/{AVA_RENTAL}", headers=admin)).json()
            assert rental["extensions"][-1]["status"] == "pending"
        finally:
            frozen_stripe.resume()

        rental = await wait_for_extension(http, admin, 1)
        assert rental["extensions"][0]["status"] == "paid"
        assert len(await asyncio.to_thread(charges_for_rental, frozen_stripe.url)) == 1


async def test_server_killed_with_the_charge_in_flight_charges_once(database_url, start_server, frozen_stripe):
    env = stripe_env(frozen_stripe.url, HAULPORT_EFFECT_LEASE_S="2")  # a dead process's effect is taken over soon
    server = await start_server(database_url, **env)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        ava, admin = await login(http, AVA), await login(http, ADMIN)
        await save_card(http, ava, AVA_ACCOUNT, frozen_stripe.url)
        client_id = new_client_id()
        body = push_body(client_id, 1, "rental.extend", {"rental_id": AVA_RENTAL, "days": 3})

        frozen_stripe.stop()
        try:
            _, result = await timed_push(http, ava, body)
            assert result["status"] == "applied", result
            await charge_in_flight(database_url, client_id)
            server.kill()  # the charge request sits in frozen Stripe's socket
        finally:
            frozen_stripe.resume()  # Stripe now serves the dead server's charge
        await server.start()

        _, again = await timed_push(http, ava, body)  # the client never had an answer: it pushes again
        assert again["status"] in ("skipped", "applied"), again

        rental = await wait_for_extension(http, admin, 1)
        [extension] = rental["extensions"]
        assert extension["status"] == "paid", extension
        charges = await asyncio.to_thread(charges_for_rental, frozen_stripe.url)
        assert [(c.status, c.amount) for c in charges] == [("succeeded", extension["amount"])], charges
        payment = (await http.get(f"/api/admin/payments/{extension['payment_id']}", headers=admin)).json()
        assert (payment["status"], payment["stripe_payment_intent_id"]) == ("succeeded", charges[0].id)
        payments = (await http.get("/api/admin/payments", headers=admin, params={"account_id": AVA_ACCOUNT})).json()
        assert [p["id"] for p in payments["items"] if p["stripe_payment_intent_id"] == charges[0].id] == [payment["id"]]
