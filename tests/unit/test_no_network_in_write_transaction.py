"""No network call inside a write transaction: Stripe, email/SMS and outbound HTTP are refused while the
task's write transaction is open (it would hold every writer as long as the network takes, and a crash
between the call and the commit would forget what the call did), and allowed once it has committed."""

from __future__ import annotations

import pytest

from server.billing.gateway import GatewayError, StripeGateway
from server.db.engine import Database, NetworkInWriteTransaction
from server.notify.delivery import Messenger
from server.outbound import outbound_client
from server.settings import load_settings
from tests.support.smtp import free_port

NOWHERE = f"http://127.0.0.1:{free_port()}"  # nothing listens: a call that gets through fails to connect


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    await database.start()
    yield database
    await database.close()


async def test_stripe_is_refused_inside_a_write_transaction_and_asked_after(db):
    gateway = StripeGateway("sk_test_nowhere", NOWHERE)
    async with db.write():
        with pytest.raises(NetworkInWriteTransaction, match="Stripe"):
            await gateway.charge_async("cus_1", "pm_1", 100, "usd", {}, False, "key-1")
        with pytest.raises(NetworkInWriteTransaction):
            await gateway.payment_intent_status_async("pi_1")
    async with db.read():  # a read transaction holds no writer
        with pytest.raises(GatewayError):
            await gateway.payment_intent_status_async("pi_1")
    with pytest.raises(GatewayError) as outside:  # after the commit the call is made (and fails to connect)
        await gateway.charge_async("cus_1", "pm_1", 100, "usd", {}, False, "key-1")
    assert outside.value.code == "stripe_unavailable"


async def test_email_and_sms_are_refused_inside_a_write_transaction(db, settings):
    messenger = Messenger(settings, db)
    async with db.write():
        with pytest.raises(NetworkInWriteTransaction, match="email/SMS"):
            await messenger.send(None, "email", "ava@example.com", "Hello", "Hi")


async def test_outbound_http_is_refused_inside_a_write_transaction(db):
    settings = load_settings(env={}, dev_mode=True, secret_key="x" * 40, outbound_allow=["127.0.0.1"])
    async with outbound_client(settings, timeout=2) as http:
        async with db.write():
            with pytest.raises(NetworkInWriteTransaction, match="outbound HTTP"):
                await http.post(f"{NOWHERE}/hook", content=b"{}")
        with pytest.raises(Exception) as outside:
            await http.post(f"{NOWHERE}/hook", content=b"{}")
        assert not isinstance(outside.value, NetworkInWriteTransaction)
