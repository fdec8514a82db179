"""localstripe for tests: one fake Stripe per session, and the browser's part done through the SDK.

Use the fixtures by importing them into a test module (or list this module in a conftest's
``pytest_plugins``)::

    from tests.support.localstripe_server import localstripe_url, stripe_gateway  # noqa: F401

A saved card is made the way the PWA makes one — SetupIntent, then what Stripe.js
``confirmCardSetup`` does — so `confirm_card_setup` can also stand in for the browser in API
tests: ``POST /api/payments/setup-intent`` → ``confirm_card_setup(url, seti_id, CARD_OK)`` →
``POST /api/payments/methods``; `confirm_sepa_debit_setup` does the same for a SEPA bank account and
`confirm_us_bank_account_setup` for a US one (which then waits for its micro-deposits).
See `haulport_dev.localstripe_runner` for the card numbers and IBANs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from haulport_dev.localstripe_runner import IBAN_OK, SECRET_KEY, running_localstripe
from server.billing.gateway import StripeGateway

WEBHOOK_SECRET = "whsec_localstripe_tests"

CARD_OK = "4242424242424242"
# localstripe declines this one when it is saved (setup intent ⇒ canceled, 402 card_declined),
# but would charge it if it were used unsaved.
CARD_DECLINED_AT_SETUP = "4000000000000002"
# Saves fine, every charge is declined with card_declined: the "declining saved card".
CARD_DECLINED_AT_CHARGE = "4000000000000341"
# 3-D Secure on setup and on every payment, off-session included.
CARD_3DS = "4000002760003184"


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """Base URL of a localstripe serving the whole test session on loopback."""
    with running_localstripe() as base_url:
        yield base_url


@pytest.fixture
def stripe_gateway(localstripe_url: str) -> StripeGateway:
    """A gateway talking to the session's localstripe."""
    return StripeGateway(SECRET_KEY, localstripe_url, WEBHOOK_SECRET)


def sdk_client(base_url: str) -> stripe.StripeClient:
    """The official SDK pointed at localstripe, to look behind the gateway's back."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": base_url}, max_network_retries=0)


def create_card(base_url: str, number: str = CARD_OK) -> str:
    """A new, unattached card payment method; returns its ``pm_…`` id."""
    method = sdk_client(base_url).v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    return method.id


def confirm_card_setup(base_url: str, setup_intent_id: str, number: str = CARD_OK, *, authenticate: bool = True) -> str:
    """Do what Stripe.js ``confirmCardSetup`` does for a card number; returns the intent's status.

    For a 3-D Secure card, ``authenticate`` picks the modal's "Complete" or "Fail" button.
    A card declined at setup raises `stripe.CardError` (the intent is left ``canceled``).
    """
    client = sdk_client(base_url)
    intents = client.v1.setup_intents
    secret = intents.retrieve(setup_intent_id).client_secret
    intent = intents.confirm(
        setup_intent_id,
        params={"client_secret": secret, "payment_method": create_card(base_url, number)},
    )
    if intent.status == "requires_action":
        if authenticate:
            intent = intents.confirm(setup_intent_id, params={"client_secret": secret})
        else:
            intent = intents.cancel(setup_intent_id, params={"client_secret": secret})
    return intent.status


def confirm_sepa_debit_setup(
    base_url: str,
    setup_intent_id: str,
    iban: str = IBAN_OK,
    *,
    name: str = "Ava Reed",
    email: str = "ava@example.com",
) -> str:
    """Do what Stripe.js ``confirmSepaDebitSetup(secret, {payment_method: {sepa_debit: {iban},
    billing_details: {name, email}}})`` does; returns the intent's status."""
    client = sdk_client(base_url)
    secret = client.v1.setup_intents.retrieve(setup_intent_id).client_secret
    intent = client.v1.setup_intents.confirm(
        setup_intent_id,
        params={
            "client_secret": secret,
            "payment_method_data": {
                "type": "sepa_debit",
                "sepa_debit": {"iban": iban},
                "billing_details": {"name": name, "email": email},
            },
        },
    )
    return intent.status


ACH_ROUTING = "110000000"  # Stripe's test routing number
ACH_OK = "000123456789"
ACH_INSUFFICIENT_FUNDS = "000222222227"


def confirm_us_bank_account_setup(
    base_url: str,
    setup_intent_id: str,
    account_number: str = ACH_OK,
    *,
    routing_number: str = ACH_ROUTING,
    name: str = "Ava Reed",
    email: str = "ava@example.com",
) -> dict:
    """Do what Stripe.js ``confirmUsBankAccountSetup(secret, {payment_method: {us_bank_account:
    {routing_number, account_number, account_holder_type}, billing_details}})`` does (with the
    mandate's online acceptance); returns the intent (``requires_action``, micro-deposits sent)."""
    client = sdk_client(base_url)
    secret = client.v1.setup_intents.retrieve(setup_intent_id).client_secret
    intent = client.v1.setup_intents.confirm(
        setup_intent_id,
        params={
            "client_secret": secret,
            "payment_method_data": {
                "type": "us_bank_account",
                "billing_details": {"name": name, "email": email},
                "us_bank_account": {
                    "routing_number": routing_number,
                    "account_number": account_number,
                    "account_holder_type": "individual",
                },
            },
            "mandate_data": {"customer_acceptance": {"type": "online", "online": {"infer_from_client": True}}},
        },
    )
    return intent.to_dict()


def authenticate_payment(base_url: str, client_secret: str, *, success: bool = True) -> str:
    """Do what Stripe.js ``confirmCardPayment`` does (the 3-D Secure modal); returns the status."""
    client = sdk_client(base_url)
    intent_id = client_secret.split("_secret_")[0]
    response = client.raw_request(
        "post",
        f"/v1/payment_intents/{intent_id}/_authenticate",
        client_secret=client_secret,
        success="true" if success else "false",
    )
    return client.deserialize(response, api_mode="V1").status


def save_card(gateway: StripeGateway, base_url: str, customer_id: str, number: str) -> dict:
    """Save a card for a customer the way the PWA does; returns the saved method."""
    setup_intent_id, _ = gateway.create_setup_intent(customer_id)
    confirm_card_setup(base_url, setup_intent_id, number)
    return gateway.saved_method_from_setup_intent(customer_id, setup_intent_id)


def save_good_card(gateway: StripeGateway, base_url: str, customer_id: str) -> dict:
    """A saved Visa 4242 that charges fine."""
    return save_card(gateway, base_url, customer_id, CARD_OK)


def save_declining_card(gateway: StripeGateway, base_url: str, customer_id: str) -> dict:
    """A saved card whose charges are declined (4000000000000341; see CARD_DECLINED_AT_SETUP)."""
    return save_card(gateway, base_url, customer_id, CARD_DECLINED_AT_CHARGE)


def save_3ds_card(gateway: StripeGateway, base_url: str, customer_id: str) -> dict:
    """A saved card whose every charge needs 3-D Secure (setup challenge already passed)."""
    return save_card(gateway, base_url, customer_id, CARD_3DS)
