"""StripeGateway against a real localstripe on loopback, through the official SDK."""

from __future__ import annotations

import http.server
import json
import queue
import threading
import time
import urllib.request
import uuid

import pytest
import stripe

from haulport_dev.localstripe_runner import (
    IBAN_FAILS,
    IBAN_OK,
    SECRET_KEY,
    register_webhook,
    start_localstripe,
    stop_localstripe,
    stripe_js_url,
)
from server.billing.gateway import (
    ChargeResult,
    GatewayError,
    InvalidWebhook,
    StripeGateway,
    sign_webhook_payload,
)
from tests.support.localstripe_server import (  # noqa: F401  (fixtures)
    CARD_DECLINED_AT_SETUP,
    WEBHOOK_SECRET,
    authenticate_payment,
    confirm_card_setup,
    confirm_sepa_debit_setup,
    localstripe_url,
    save_3ds_card,
    save_declining_card,
    save_good_card,
    sdk_client,
    stripe_gateway,
)


@pytest.fixture
def customer_id(stripe_gateway: StripeGateway) -> str:
    return stripe_gateway.ensure_customer({"id": str(uuid.uuid4()), "name": "Acme Demolition"})


def charge(gateway: StripeGateway, customer: str, method: dict, amount: int = 12_500, **kw):
    kw.setdefault("off_session", False)
    return gateway.charge(
        customer,
        method["stripe_payment_method_id"],
        amount,
        "usd",
        {"payment_id": "pay_1"},
        idempotency_key=str(uuid.uuid4()),
        **kw,
    )


# -- the runner --------------------------------------------------------------------------------


def test_runner_serves_api_and_stripe_js_on_loopback_and_stops():
    process, base_url = start_localstripe()
    try:
        assert base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(stripe_js_url(base_url)) as response:
            assert "LOCALSTRIPE_BASE_API" in response.read().decode()
        assert sdk_client(base_url).v1.customers.list().data == []
    finally:
        stop_localstripe(process)
    assert process.returncode is not None


# -- customers ---------------------------------------------------------------------------------


def test_new_account_gets_a_customer_tagged_with_its_id(stripe_gateway, localstripe_url):
    customer = stripe_gateway.ensure_customer({"id": "acc-7", "number": 1007, "name": "Acme"})

    stored = sdk_client(localstripe_url).v1.customers.retrieve(customer)
    assert customer.startswith("cus_")
    assert stored.name == "Acme"
    assert stored.metadata.to_dict() == {"account_id": "acc-7", "account_number": "1007"}


def test_account_with_a_customer_keeps_it(stripe_gateway):
    assert stripe_gateway.ensure_customer({"id": "a", "stripe_customer_id": "cus_X"}) == "cus_X"


# -- saving a card -----------------------------------------------------------------------------


def test_setup_intent_saves_a_card_on_the_customer(stripe_gateway, localstripe_url, customer_id):
    setup_intent_id, client_secret = stripe_gateway.create_setup_intent(customer_id)
    assert client_secret.startswith(setup_intent_id + "_secret_")

    assert confirm_card_setup(localstripe_url, setup_intent_id) == "succeeded"
    saved = stripe_gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)

    assert saved["stripe_payment_method_id"].startswith("pm_")
    assert {k: v for k, v in saved.items() if k != "stripe_payment_method_id"} == {
        "kind": "card",
        "brand": "visa",
        "last4": "4242",
        "country": "FR",
        "exp_month": 12,
        "exp_year": 2030,
        "status": "active",
        "microdeposit_type": "",
        "deposits_arrive_at": None,
        "stripe_setup_intent_id": setup_intent_id,
    }
    method = sdk_client(localstripe_url).v1.payment_methods.retrieve(saved["stripe_payment_method_id"])
    assert method.customer == customer_id
    # The route and the webhook may both read the same intent.
    again = stripe_gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)
    assert again == saved


def test_unconfirmed_setup_intent_saves_nothing(stripe_gateway, customer_id):
    setup_intent_id, _ = stripe_gateway.create_setup_intent(customer_id)

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)
    assert raised.value.code == "setup_incomplete"


def test_setup_intent_of_another_customer_is_refused(stripe_gateway, localstripe_url, customer_id):
    other = stripe_gateway.ensure_customer({"id": "someone-else"})
    setup_intent_id, _ = stripe_gateway.create_setup_intent(other)
    confirm_card_setup(localstripe_url, setup_intent_id)

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)
    assert raised.value.code == "setup_intent_mismatch"


def test_card_declined_at_setup_is_not_saved(stripe_gateway, localstripe_url, customer_id):
    setup_intent_id, _ = stripe_gateway.create_setup_intent(customer_id)

    with pytest.raises(stripe.CardError):
        confirm_card_setup(localstripe_url, setup_intent_id, CARD_DECLINED_AT_SETUP)
    with pytest.raises(GatewayError) as raised:
        stripe_gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)
    assert raised.value.code == "setup_incomplete"


def test_unknown_setup_intent_is_not_found(stripe_gateway, customer_id):
    with pytest.raises(GatewayError) as raised:
        stripe_gateway.saved_method_from_setup_intent(customer_id, "seti_doesnotexist")
    assert raised.value.code == "not_found"


def test_detached_method_leaves_the_customer(stripe_gateway, localstripe_url, customer_id):
    saved = save_good_card(stripe_gateway, localstripe_url, customer_id)

    stripe_gateway.detach_method(saved["stripe_payment_method_id"])
    stripe_gateway.detach_method(saved["stripe_payment_method_id"])  # twice is fine
    stripe_gateway.detach_method("pm_doesnotexist")

    method = sdk_client(localstripe_url).v1.payment_methods.retrieve(saved["stripe_payment_method_id"])
    assert method.customer is None


# -- charging ----------------------------------------------------------------------------------


def test_charging_a_saved_card_succeeds(stripe_gateway, localstripe_url, customer_id):
    card = save_good_card(stripe_gateway, localstripe_url, customer_id)

    result = charge(stripe_gateway, customer_id, card, 12_500)

    assert result == ChargeResult(result.payment_intent_id, "succeeded")
    intent = sdk_client(localstripe_url).v1.payment_intents.retrieve(result.payment_intent_id)
    assert (intent.amount, intent.currency, intent.customer) == (12_500, "usd", customer_id)
    assert intent.metadata.to_dict() == {"payment_id": "pay_1"}


def test_off_session_charge_of_a_saved_card_succeeds(stripe_gateway, localstripe_url, customer_id):
    card = save_good_card(stripe_gateway, localstripe_url, customer_id)

    result = charge(stripe_gateway, customer_id, card, 4_000, off_session=True)

    assert result.status == "succeeded"


def test_declined_card_comes_back_failed_with_the_reason(stripe_gateway, localstripe_url, customer_id):
    card = save_declining_card(stripe_gateway, localstripe_url, customer_id)

    result = charge(stripe_gateway, customer_id, card)

    assert result.status == "failed"
    assert result.error_code == "card_declined"
    assert result.error_message == "Your card was declined."
    assert result.client_secret is None
    # localstripe's error names only the charge; the gateway finds the intent from it.
    assert result.payment_intent_id.startswith("pi_")
    assert stripe_gateway.payment_intent_status(result.payment_intent_id).status == "failed"


def test_3ds_card_requires_action_then_succeeds(stripe_gateway, localstripe_url, customer_id):
    card = save_3ds_card(stripe_gateway, localstripe_url, customer_id)

    result = charge(stripe_gateway, customer_id, card)

    assert result.status == "requires_action"
    assert result.client_secret.startswith(result.payment_intent_id + "_secret_")
    assert authenticate_payment(localstripe_url, result.client_secret) == "succeeded"
    assert stripe_gateway.payment_intent_status(result.payment_intent_id).status == "succeeded"


def test_failed_3ds_leaves_the_payment_failed(stripe_gateway, localstripe_url, customer_id):
    card = save_3ds_card(stripe_gateway, localstripe_url, customer_id)
    result = charge(stripe_gateway, customer_id, card)

    authenticate_payment(localstripe_url, result.client_secret, success=False)

    after = stripe_gateway.payment_intent_status(result.payment_intent_id)
    assert after.status == "failed"
    assert after.error_code == "payment_intent_authentication_failure"


def test_off_session_3ds_charge_asks_for_action(stripe_gateway, localstripe_url, customer_id):
    # localstripe asks for 3-D Secure even off-session; real Stripe answers a 402
    # authentication_required, which the gateway also turns into requires_action.
    card = save_3ds_card(stripe_gateway, localstripe_url, customer_id)

    result = charge(stripe_gateway, customer_id, card, off_session=True)

    assert result.status == "requires_action"
    assert result.client_secret


def test_charge_refuses_a_non_positive_or_fractional_amount(stripe_gateway, customer_id):
    for amount in (0, -5, 12.5):
        with pytest.raises(ValueError):
            charge(stripe_gateway, customer_id, {"stripe_payment_method_id": "pm_x"}, amount)


@pytest.mark.parametrize("iban, settles_as", [(IBAN_OK, "succeeded"), (IBAN_FAILS, "failed")])
def test_a_sepa_debit_is_processing_then_settles(stripe_gateway, localstripe_url, customer_id, iban, settles_as):
    setup_intent_id, _ = stripe_gateway.create_setup_intent(customer_id, ["sepa_debit"])
    assert confirm_sepa_debit_setup(localstripe_url, setup_intent_id, iban) == "succeeded"
    bank = stripe_gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)
    assert {k: v for k, v in bank.items() if k != "stripe_payment_method_id"} == {
        "kind": "bank",
        "brand": "",
        "last4": iban[-4:],
        "country": "DE",
        "exp_month": None,
        "exp_year": None,
        "status": "active",
        "microdeposit_type": "",
        "deposits_arrive_at": None,
        "stripe_setup_intent_id": setup_intent_id,
    }

    result = charge(stripe_gateway, customer_id, bank, 5_000, method_type="sepa_debit")

    assert result.status == "processing"
    deadline = time.monotonic() + 10
    while (later := stripe_gateway.payment_intent_status(result.payment_intent_id)).status == "processing":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert later.status == settles_as
    if settles_as == "failed":
        assert later.error_code == "insufficient_funds"


def test_unknown_payment_method_types_are_refused_before_stripe(stripe_gateway, customer_id):
    with pytest.raises(ValueError):
        stripe_gateway.create_setup_intent(customer_id, ["cheque"])
    with pytest.raises(ValueError):
        charge(stripe_gateway, customer_id, {"stripe_payment_method_id": "pm_x"}, method_type="bank")


def test_charge_with_an_unknown_method_is_a_gateway_error(stripe_gateway, customer_id):
    with pytest.raises(GatewayError) as raised:
        charge(stripe_gateway, customer_id, {"stripe_payment_method_id": "pm_doesnotexist"})
    assert raised.value.code == "not_found"


def test_the_test_stripe_honours_idempotency_keys_as_stripe_does(stripe_gateway, localstripe_url, customer_id):
    # A charge retried with its key (after a crash, say) is answered with the first PaymentIntent.
    card = save_good_card(stripe_gateway, localstripe_url, customer_id)
    args = (customer_id, card["stripe_payment_method_id"], 100, "usd", {}, False, f"key-{customer_id}")

    first, second = stripe_gateway.charge(*args), stripe_gateway.charge(*args)
    other = stripe_gateway.charge(*args[:-1], f"other-{customer_id}")

    assert first.payment_intent_id == second.payment_intent_id != other.payment_intent_id


def test_wrong_secret_key_is_a_misconfiguration(localstripe_url):
    gateway = StripeGateway("not-a-secret-key", localstripe_url, WEBHOOK_SECRET)
    with pytest.raises(GatewayError) as raised:
        gateway.ensure_customer({"id": "a"})
    assert raised.value.code == "stripe_misconfigured"


async def test_async_twins_run_the_same_calls(stripe_gateway, localstripe_url):
    customer = await stripe_gateway.ensure_customer_async({"id": "async-account"})
    setup_intent_id, _ = await stripe_gateway.create_setup_intent_async(customer)
    confirm_card_setup(localstripe_url, setup_intent_id)
    card = await stripe_gateway.saved_method_from_setup_intent_async(customer, setup_intent_id)

    result = await stripe_gateway.charge_async(
        customer, card["stripe_payment_method_id"], 999, "usd", {}, False, "k-async"
    )

    assert result.status == "succeeded"
    assert (await stripe_gateway.payment_intent_status_async(result.payment_intent_id)).status == "succeeded"
    await stripe_gateway.detach_method_async(card["stripe_payment_method_id"])


# -- webhooks ----------------------------------------------------------------------------------

EVENT = json.dumps(
    {
        "id": "evt_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "metadata": {}}},
    }
).encode()


def test_signed_webhook_is_parsed(stripe_gateway):
    event = stripe_gateway.parse_webhook(EVENT, sign_webhook_payload(EVENT, WEBHOOK_SECRET))
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == "pi_1"


@pytest.mark.parametrize(
    "payload, header",
    [
        (EVENT.replace(b"pi_1", b"pi_2"), sign_webhook_payload(EVENT, WEBHOOK_SECRET)),
        (EVENT, sign_webhook_payload(EVENT, "whsec_someone_else")),
        (EVENT, sign_webhook_payload(EVENT, WEBHOOK_SECRET, int(time.time()) - 3600)),
        (EVENT, "t=1,v0=abc"),
        (EVENT, "garbage"),
        (EVENT, ""),
        (EVENT, None),
    ],
    ids=["tampered", "other-secret", "too-old", "wrong-scheme", "garbage", "empty", "missing"],
)
def test_badly_signed_webhook_is_refused(stripe_gateway, payload, header):
    with pytest.raises(InvalidWebhook) as raised:
        stripe_gateway.parse_webhook(payload, header)
    assert raised.value.code == "invalid_signature"


def test_signed_body_that_is_not_an_event_is_refused(stripe_gateway):
    body = b'{"hello": "world"}'
    with pytest.raises(InvalidWebhook) as raised:
        stripe_gateway.parse_webhook(body, sign_webhook_payload(body, WEBHOOK_SECRET))
    assert raised.value.code == "invalid_payload"


def test_webhook_without_a_configured_secret_is_refused(localstripe_url):
    gateway = StripeGateway(SECRET_KEY, localstripe_url, "")
    with pytest.raises(InvalidWebhook) as raised:
        gateway.parse_webhook(EVENT, sign_webhook_payload(EVENT, WEBHOOK_SECRET))
    assert raised.value.code == "webhook_not_configured"


def test_localstripe_webhooks_verify(stripe_gateway, localstripe_url, customer_id):
    received: queue.Queue = queue.Queue()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"hook-{uuid.uuid4()}"
    url = f"http://127.0.0.1:{server.server_port}/api/stripe/webhook"
    register_webhook(localstripe_url, url, WEBHOOK_SECRET, webhook_id=hook, events=["payment_intent.succeeded"])
    try:
        card = save_good_card(stripe_gateway, localstripe_url, customer_id)
        result = charge(stripe_gateway, customer_id, card, 2_500)

        # Events of earlier tests may still be on their way (localstripe waits 1 s).
        deadline = time.monotonic() + 10
        while True:
            body, signature = received.get(timeout=max(deadline - time.monotonic(), 0.01))
            event = stripe_gateway.parse_webhook(body, signature)
            if event["data"]["object"]["id"] == result.payment_intent_id:
                break
    finally:
        register_webhook(localstripe_url, url, WEBHOOK_SECRET, webhook_id=hook, events=[])
        server.shutdown()
        server.server_close()

    intent = event["data"]["object"]
    assert event["type"] == "payment_intent.succeeded"
    assert (intent["id"], intent["status"], intent["amount"]) == (
        result.payment_intent_id,
        "succeeded",
        2_500,
    )
    assert intent["metadata"] == {"payment_id": "pay_1"}
