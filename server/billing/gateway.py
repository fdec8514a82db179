"""Stripe through the official SDK: customers, saved payment methods, charges and webhooks.

One `StripeGateway` per set of keys; it owns a `stripe.StripeClient` and never touches the
SDK's globals, so tests can run several side by side (real Stripe, localstripe). The SDK is
synchronous; every call also has an ``…_async`` twin that runs it in a worker thread.

Charges follow PROTOCOL.md "Payments": Stripe.js saves a card (or a bank account, e.g. SEPA
Direct Debit) through a SetupIntent, the server creates and confirms a PaymentIntent with it. A decline is a `ChargeResult` with status
``failed`` and Stripe's reason, never an exception; `GatewayError` means Stripe could not be
asked (outage, bad keys, a bug in the request), and the caller may retry with the same
idempotency key.

Refunds (`StripeGateway.refund`) are full refunds of a PaymentIntent, made through
``/v1/refunds`` with ``payment_intent``; the refunds Stripe already holds for the intent are read
first, so asking again (a retry, or after a refund made in Stripe's dashboard) never gives the money
back twice. Two requests at the same instant are kept apart by the caller (`server.billing.refunds`).

Only parameters localstripe also accepts are sent (it answers 400 "Unexpected <name>" to
``description``, ``receipt_email``, ``automatic_payment_methods``, ``setup_future_usage``,
``return_url``, ``statement_descriptor``, ``error_on_requires_action`` …). ``payment_method_types``
is sent although localstripe ignores it, because real Stripe would otherwise enable automatic
payment methods and demand a ``return_url``. localstripe as such ignores ``Idempotency-Key``; the
test launcher patches it to honour the header as Stripe does (`localstripe_patches`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import msgspec
import stripe

from server.db.engine import forbid_in_write_transaction

# The SDK logs every request and answer at INFO; the server's log keeps only its warnings.
logging.getLogger("stripe").setLevel(logging.WARNING)

if TYPE_CHECKING:
    from stripe.params import (
        CustomerCreateParams,
        PaymentIntentCreateParams,
        SetupIntentCreateParams,
        SetupIntentVerifyMicrodepositsParams,
    )

ChargeStatus = Literal["succeeded", "requires_action", "processing", "failed"]

# Stripe payment method type -> our payment_method.kind. Which bank type a portal uses is the
# ``stripe_bank_method`` setting (`server.billing.provider`); the gateway takes whichever it is given.
_KIND_BY_TYPE = {"card": "card", "us_bank_account": "bank", "sepa_debit": "bank"}
BANK_TYPES = ("sepa_debit", "us_bank_account")


class ChargeResult(msgspec.Struct, frozen=True):
    """What became of one PaymentIntent."""

    payment_intent_id: str | None
    status: ChargeStatus
    client_secret: str | None = None  # only for requires_action: the PWA finishes 3-D Secure
    error_code: str | None = None  # Stripe's code, e.g. "card_declined"
    error_message: str | None = None  # Stripe's sentence for the customer
    decline_code: str | None = None  # the issuer's detail, e.g. "insufficient_funds"


class RefundResult(msgspec.Struct, frozen=True):
    """What became of a refund request: ``refund_id`` is Stripe's ``re_…`` (None when Stripe had
    already refunded the whole payment and nothing new was made), ``status`` Stripe's refund status
    (``succeeded``, or ``pending`` for bank debits and some cards: accepted, money on its way)."""

    refund_id: str | None
    status: str
    amount: int
    already_refunded: bool = False


class GatewayError(Exception):
    """Stripe refused or could not be reached; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvalidWebhook(GatewayError):
    """A webhook whose signature, age or body does not check out."""


class StripeGateway:
    """The Stripe calls Haulport makes, for one secret key."""

    def __init__(
        self,
        secret_key: str,
        api_base: str | None = None,
        webhook_secret: str = "",
        *,
        setup_method_types: Sequence[str] = ("card",),
        max_network_retries: int | None = None,
        webhook_tolerance: int = 300,
    ):
        # Retrying a POST is only safe where Idempotency-Key is honoured: real Stripe, not
        # localstripe; hence no retries by default when a custom api_base is given.
        if max_network_retries is None:
            max_network_retries = 0 if api_base else 2
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
        )
        self._webhook_secret = webhook_secret
        self._webhook_tolerance = webhook_tolerance
        self._setup_method_types = list(setup_method_types)

    # -- customers ---------------------------------------------------------------------------

    def ensure_customer(self, account: Mapping[str, Any]) -> str:
        """The account's Stripe customer id, creating the customer on first use."""
        if account.get("stripe_customer_id"):
            return account["stripe_customer_id"]
        metadata = {"account_id": str(account["id"])}
        if account.get("number") is not None:
            metadata["account_number"] = str(account["number"])
        if account.get("tenant_id") is not None:
            metadata["tenant_id"] = str(account["tenant_id"])
        params: CustomerCreateParams = {"metadata": metadata}
        if account.get("name"):
            params["name"] = account["name"]
        with _stripe_errors():
            return self._client.v1.customers.create(params=params).id

    # -- saved payment methods ---------------------------------------------------------------

    def create_setup_intent(self, customer_id: str, method_types: Sequence[str] | None = None) -> tuple[str, str]:
        """A SetupIntent for Stripe.js to save a method on: ``(setup_intent_id, client_secret)``.

        ``method_types``: e.g. ``["card"]`` (the default given to the constructor) or
        ``["sepa_debit"]``; ``usage=off_session`` makes the saved method (and, for bank debits, the
        mandate the customer accepts) reusable for later charges.
        """
        types = list(method_types) if method_types is not None else self._setup_method_types
        unknown = [t for t in types if t not in _KIND_BY_TYPE]
        if not types or unknown:
            raise ValueError(f"unsupported payment method types {types!r}")
        # (Stripe's API takes payment_method_types; the SDK's typed params no longer list it: hence the casts)
        params: dict[str, Any] = {
            "customer": customer_id,
            "usage": "off_session",
            "payment_method_types": types,
        }
        if "us_bank_account" in types:
            # The portal takes the routing and account numbers as typed (Stripe.js
            # confirmUsBankAccountSetup); Stripe then proves the account by two micro-deposits.
            params["payment_method_options"] = {"us_bank_account": {"verification_method": "microdeposits"}}
        with _stripe_errors():
            intent = self._client.v1.setup_intents.create(params=cast("SetupIntentCreateParams", params))
        if intent.client_secret is None:
            raise GatewayError("setup_failed", "Stripe did not return a way to save this payment method.")
        return intent.id, intent.client_secret

    def saved_method_from_setup_intent(self, customer_id: str, setup_intent_id: str) -> dict:
        """The method a succeeded SetupIntent saved, attached to ``customer_id``; idempotent."""
        with _stripe_errors():
            intent = self._client.v1.setup_intents.retrieve(setup_intent_id, params={"expand": ["payment_method"]})
            if intent.customer != customer_id:
                raise GatewayError("setup_intent_mismatch", "This payment method was set up for another account.")
            pending = _awaiting_microdeposits(intent)
            if (intent.status != "succeeded" and pending is None) or not intent.payment_method:
                raise GatewayError(
                    "setup_incomplete",
                    f"Saving the payment method has not finished (status {intent.status}).",
                )
            method = intent.payment_method
            if isinstance(method, str):
                method = self._client.v1.payment_methods.retrieve(method)
            if pending is not None:
                # Usable (and attached to the customer) once the micro-deposits are confirmed.
                return {**_describe_method(method), **pending, "stripe_setup_intent_id": intent.id}
            if method.customer is None:
                # Real Stripe attaches on confirmation; localstripe never does.
                method = self._client.v1.payment_methods.attach(method.id, params={"customer": customer_id})
            elif method.customer != customer_id:
                raise GatewayError("setup_intent_mismatch", "This payment method belongs to another account.")
        return {**_describe_method(method), "stripe_setup_intent_id": intent.id}

    def verify_microdeposits(
        self,
        customer_id: str,
        setup_intent_id: str,
        *,
        amounts: Sequence[int] | None = None,
        descriptor_code: str | None = None,
    ) -> dict:
        """Confirm a US bank account's micro-deposits (the two amounts in cents, or the 6-character
        code starting ``SM`` on the one deposit); the now usable method, attached to the customer.

        A wrong answer raises `GatewayError` with Stripe's code
        (``payment_method_microdeposit_verification_amounts_mismatch``, ``…_descriptor_code_mismatch``,
        ``…_attempts_exceeded`` / ``…_timeout`` once the account can no longer be verified) and its
        sentence; ``setup_failed`` when the SetupIntent already failed.
        """
        if amounts is None and not descriptor_code:
            raise ValueError("give the two amounts or the descriptor code")
        params: SetupIntentVerifyMicrodepositsParams = (
            {"amounts": list(amounts)} if amounts is not None else {"descriptor_code": descriptor_code or ""}
        )
        with _stripe_errors():
            intent = self._client.v1.setup_intents.retrieve(setup_intent_id)
            if intent.customer != customer_id:
                raise GatewayError("setup_intent_mismatch", "This bank account was set up for another account.")
            if intent.status in ("requires_payment_method", "canceled"):
                # Too many wrong answers earlier (e.g. on Stripe's page), or the deposits expired.
                raise GatewayError("setup_failed", "This bank account can no longer be verified; add it again.")
            if intent.status != "succeeded":
                self._client.v1.setup_intents.verify_microdeposits(setup_intent_id, params=params)
        return self.saved_method_from_setup_intent(customer_id, setup_intent_id)

    def attached_method(self, customer_id: str, payment_method_id: str) -> dict:
        """A method attached to ``customer_id`` outside the portal (e.g. by the office in Stripe's
        dashboard), read back from Stripe; ``unsupported_payment_method`` for types we do not take."""
        with _stripe_errors():
            method = self._client.v1.payment_methods.retrieve(payment_method_id)
        if method.customer != customer_id:
            raise GatewayError("setup_intent_mismatch", "This payment method belongs to another customer.")
        return _describe_method(method)

    def detach_method(self, payment_method_id: str) -> None:
        """Remove a saved method from its customer; a method already gone is fine."""
        with _stripe_errors():
            try:
                method = self._client.v1.payment_methods.retrieve(payment_method_id)
            except stripe.InvalidRequestError as exc:
                if exc.http_status == 404:
                    return
                raise
            if method.customer is not None:
                self._client.v1.payment_methods.detach(payment_method_id)

    # -- charges -----------------------------------------------------------------------------

    def charge(
        self,
        customer_id: str,
        payment_method_id: str,
        amount_cents: int,
        currency: str,
        metadata: Mapping[str, Any],
        off_session: bool,
        idempotency_key: str,
        *,
        method_type: str = "card",
    ) -> ChargeResult:
        """Create and confirm a PaymentIntent on a saved method; declines come back ``failed``.

        ``method_type`` is the saved method's Stripe type (``card``, ``sepa_debit``,
        ``us_bank_account``). A bank debit usually comes back ``processing``: Stripe settles it
        days later and says so by webhook (``payment_intent.succeeded`` / ``payment_failed``).
        """
        if type(amount_cents) is not int or amount_cents <= 0:
            raise ValueError(f"amount_cents must be a positive int, not {amount_cents!r}")
        if not (customer_id and payment_method_id and idempotency_key):
            raise ValueError("customer_id, payment_method_id and idempotency_key are required")
        if method_type not in _KIND_BY_TYPE:
            raise ValueError(f"unsupported payment method type {method_type!r}")
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": [method_type],
            "metadata": {key: str(value) for key, value in metadata.items()},
            "confirm": True,
        }
        if off_session:
            params["off_session"] = True  # localstripe accepts it only together with confirm
        with _stripe_errors():
            try:
                intent = self._client.v1.payment_intents.create(
                    params=cast("PaymentIntentCreateParams", params), options={"idempotency_key": idempotency_key}
                )
            except stripe.CardError as exc:
                return self._declined(exc)
        return _result_of(intent)

    def payment_intent_status(self, payment_intent_id: str) -> ChargeResult:
        """Where a PaymentIntent stands now, e.g. after the customer's 3-D Secure step."""
        with _stripe_errors():
            return _result_of(self._client.v1.payment_intents.retrieve(payment_intent_id))

    def find_payment_intent(self, customer_id: str, payment_id: str) -> str | None:
        """The PaymentIntent made for our ``payment_id`` (its ``metadata.payment_id``) on the customer, if
        any: how a charge whose answer was lost (the process died between Stripe and our commit) is
        found again. The customer's newest 100 intents are looked through."""
        if not (customer_id and payment_id):
            return None
        with _stripe_errors():
            listed = self._client.v1.payment_intents.list(params={"customer": customer_id, "limit": 100})
        for intent in listed.data:
            if intent.metadata and intent.metadata.to_dict().get("payment_id") == payment_id:
                return intent.id
        return None

    def cancel_payment_intent(self, payment_intent_id: str) -> ChargeResult:
        """Cancel a PaymentIntent nobody will finish (e.g. 3-D Secure never done); where it stands after."""
        with _stripe_errors():
            intent = self._client.v1.payment_intents.retrieve(payment_intent_id)
            if intent.status in ("requires_payment_method", "requires_confirmation", "requires_action"):
                intent = self._client.v1.payment_intents.cancel(payment_intent_id)
            return _result_of(intent)

    def _declined(self, exc: stripe.CardError) -> ChargeResult:
        error = exc.error
        intent = getattr(error, "payment_intent", None) if error else None
        intent_id = intent.id if intent else self._intent_of_charge(getattr(error, "charge", None) if error else None)
        code = exc.code or "card_declined"
        decline_code = getattr(error, "decline_code", None) if error else None
        message = exc.user_message or "The payment was declined."
        if code == "authentication_required" and intent is not None:
            # Off-session charge needing 3-D Secure (real Stripe): the customer can finish it.
            return ChargeResult(intent_id, "requires_action", intent.client_secret, code, message, decline_code)
        return ChargeResult(intent_id, "failed", None, code, message, decline_code)

    def _intent_of_charge(self, charge_id: str | None) -> str | None:
        # localstripe's 402 names only the failed charge, not the PaymentIntent.
        if not charge_id:
            return None
        try:
            intent = self._client.v1.charges.retrieve(charge_id).payment_intent
        except stripe.StripeError:
            return None
        return intent if isinstance(intent, str) or intent is None else intent.id

    # -- refunds -----------------------------------------------------------------------------

    def refund(
        self,
        payment_intent_id: str,
        amount_cents: int,
        idempotency_key: str,
        metadata: Mapping[str, Any],
    ) -> RefundResult:
        """Give a PaymentIntent's money back in full (``amount_cents``: what it charged).

        Refunds Stripe already holds for the intent count first (made by an earlier request, or in
        Stripe's dashboard): only what is left is refunded, and nothing when nothing is left.
        That makes a retry safe even where ``Idempotency-Key`` is ignored (localstripe); real Stripe
        also deduplicates on ``idempotency_key``. A refusal (e.g. the charge was disputed) raises
        `GatewayError` with Stripe's code and sentence.
        """
        if type(amount_cents) is not int or amount_cents <= 0:
            raise ValueError(f"amount_cents must be a positive int, not {amount_cents!r}")
        if not (payment_intent_id and idempotency_key):
            raise ValueError("payment_intent_id and idempotency_key are required")
        with _stripe_errors():
            earlier = [
                r
                for r in self._client.v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100}).data
                if r.status in ("succeeded", "pending", "requires_action")
            ]
            refunded = sum(r.amount for r in earlier)
            if refunded >= amount_cents:
                newest = max(earlier, key=lambda r: r.created, default=None)
                return RefundResult(newest.id if newest else None, "succeeded", 0, already_refunded=True)
            try:
                made = self._client.v1.refunds.create(
                    params={
                        "payment_intent": payment_intent_id,
                        "amount": amount_cents - refunded,
                        "metadata": {key: str(value) for key, value in metadata.items()},
                    },
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.InvalidRequestError as exc:
                if exc.code == "charge_already_refunded":  # refunded in between
                    return RefundResult(None, "succeeded", 0, already_refunded=True)
                raise
        if made.status in ("failed", "canceled"):
            reason = getattr(made, "failure_reason", None)
            raise GatewayError(
                "refund_failed",
                f"Stripe could not refund it ({reason})." if reason else "Stripe could not refund it.",
            )
        return RefundResult(made.id, made.status or "pending", made.amount)

    # -- webhooks ----------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, sig_header: str | None) -> dict:
        """The event in a webhook body, once its ``Stripe-Signature`` checks out."""
        if not self._webhook_secret:
            raise InvalidWebhook("webhook_not_configured", "No Stripe webhook secret is set.")
        try:
            stripe.WebhookSignature.verify_header(payload, sig_header, self._webhook_secret, self._webhook_tolerance)
            event = json.loads(payload)
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook("invalid_signature", str(exc.user_message or exc)) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidWebhook("invalid_payload", "The webhook body is not JSON.") from exc
        if (
            not isinstance(event, dict)
            or event.get("object") != "event"
            or not isinstance(event.get("type"), str)
            or not isinstance(event.get("data"), dict)
        ):
            raise InvalidWebhook("invalid_payload", "The webhook body is not a Stripe event.")
        return event

    # -- async twins -------------------------------------------------------------------------

    async def ensure_customer_async(self, account: Mapping[str, Any]) -> str:
        return await asyncio.to_thread(self.ensure_customer, account)

    async def create_setup_intent_async(
        self, customer_id: str, method_types: Sequence[str] | None = None
    ) -> tuple[str, str]:
        return await asyncio.to_thread(self.create_setup_intent, customer_id, method_types)

    async def saved_method_from_setup_intent_async(self, customer_id: str, setup_intent_id: str) -> dict:
        return await asyncio.to_thread(self.saved_method_from_setup_intent, customer_id, setup_intent_id)

    async def verify_microdeposits_async(self, *args: Any, **kwargs: Any) -> dict:
        return await asyncio.to_thread(self.verify_microdeposits, *args, **kwargs)

    async def attached_method_async(self, customer_id: str, payment_method_id: str) -> dict:
        return await asyncio.to_thread(self.attached_method, customer_id, payment_method_id)

    async def detach_method_async(self, payment_method_id: str) -> None:
        await asyncio.to_thread(self.detach_method, payment_method_id)

    async def charge_async(self, *args: Any, **kwargs: Any) -> ChargeResult:
        return await asyncio.to_thread(self.charge, *args, **kwargs)

    async def payment_intent_status_async(self, payment_intent_id: str) -> ChargeResult:
        return await asyncio.to_thread(self.payment_intent_status, payment_intent_id)

    async def find_payment_intent_async(self, customer_id: str, payment_id: str) -> str | None:
        return await asyncio.to_thread(self.find_payment_intent, customer_id, payment_id)

    async def cancel_payment_intent_async(self, payment_intent_id: str) -> ChargeResult:
        return await asyncio.to_thread(self.cancel_payment_intent, payment_intent_id)

    async def refund_async(self, *args: Any, **kwargs: Any) -> RefundResult:
        return await asyncio.to_thread(self.refund, *args, **kwargs)


def sign_webhook_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A valid ``Stripe-Signature`` header (``t=…,v1=…``) for ``payload``, for tests."""
    return stripe.WebhookSignature.generate_signature_header(payload.decode("utf-8"), secret, timestamp)


def _result_of(intent: Any) -> ChargeResult:
    status = intent.status
    if status == "succeeded":
        return ChargeResult(intent.id, "succeeded")
    if status in ("processing", "requires_capture"):
        return ChargeResult(intent.id, "processing")
    if status == "requires_action":
        return ChargeResult(intent.id, "requires_action", client_secret=intent.client_secret)
    # requires_payment_method (declined, or 3-D Secure failed), canceled, requires_confirmation
    error = getattr(intent, "last_payment_error", None)
    return ChargeResult(
        intent.id,
        "failed",
        error_code=getattr(error, "code", None) or "payment_failed",
        error_message=getattr(error, "message", None) or f"The payment did not go through ({status}).",
        decline_code=getattr(error, "decline_code", None),
    )


def _awaiting_microdeposits(intent: Any) -> dict | None:
    """For a SetupIntent waiting for its micro-deposits to be confirmed: the method row's
    ``status``, ``microdeposit_type`` and ``deposits_arrive_at``; otherwise None."""
    action = intent.next_action
    if intent.status != "requires_action" or action is None or action.type != "verify_with_microdeposits":
        return None
    details = action.verify_with_microdeposits
    arrival = getattr(details, "arrival_date", None)
    return {
        "status": "verification_pending",
        "microdeposit_type": getattr(details, "microdeposit_type", None) or "amounts",
        "deposits_arrive_at": datetime.fromtimestamp(arrival, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        if arrival
        else None,
    }


def _describe_method(method: Any) -> dict:
    kind = _KIND_BY_TYPE.get(method.type)
    if kind is None:
        raise GatewayError("unsupported_payment_method", f"{method.type} payment methods are not supported.")
    details = getattr(method, method.type)
    country = getattr(details, "country", None)
    if method.type == "card":
        brand, exp_month, exp_year = details.brand, details.exp_month, details.exp_year
    else:
        # us_bank_account names the bank; sepa_debit only has a bank code, which means nothing
        # to a customer, so its brand stays empty and the country (from the IBAN) is shown.
        brand = getattr(details, "bank_name", None) or ""
        exp_month = exp_year = None
        if method.type == "us_bank_account":
            country = country or "US"
    return {
        "stripe_payment_method_id": method.id,
        "kind": kind,
        "brand": brand or "",
        "last4": details.last4 or "",
        "country": (country or "").upper(),
        "exp_month": exp_month,
        "exp_year": exp_year,
        "status": "active",
        "microdeposit_type": "",
        "deposits_arrive_at": None,
    }


@contextlib.contextmanager
def _stripe_errors() -> Iterator[None]:
    """Turn the SDK's exceptions into `GatewayError`s with a stable code (and refuse to call Stripe
    while a database write transaction is open)."""
    forbid_in_write_transaction("Stripe")
    try:
        yield
    except stripe.CardError as exc:
        message = exc.user_message or "The card was declined."
        raise GatewayError(exc.code or "card_declined", message) from exc
    except stripe.InvalidRequestError as exc:
        code = exc.code or ("not_found" if exc.http_status == 404 else "invalid_request")
        raise GatewayError(code, exc.user_message or str(exc)) from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise GatewayError("stripe_misconfigured", "The Stripe keys were refused.") from exc
    except stripe.StripeError as exc:
        raise GatewayError("stripe_unavailable", "Stripe could not be reached; try again.") from exc
