"""Payments (PROTOCOL.md "Payments"): saved methods, paying invoices, and the Stripe webhook.

Routes are thin: scope and role checks here, the work in `methods` (saved methods),
`payment_flow` (``POST /api/payments``), `webhooks` and `extension_charger` (``rental.extend``).
Which Stripe is used (the configured one, localstripe in dev mode, or none) is `provider`'s job.

Added to the protocol: ``GET /api/payments/config`` (what the PWA needs to load Stripe.js, and
whether this is test mode) and ``GET /api/payments/{id}`` (a payment's status; a pending one is
checked with Stripe and settled, for when a webhook cannot reach the server).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, delete, get, post
from litestar.params import FromPath, HeaderParameter

from server.auth import guards
from server.billing import methods
from server.billing.expiry import PaymentExpiry
from server.billing.extension_charger import charge_extension
from server.billing.gateway import InvalidWebhook
from server.billing.payment_flow import PaymentIn, refresh_payment, take_payment
from server.billing.provider import StripeProvider, payments_unavailable
from server.billing.receipts import deliver_payment_notice
from server.billing.webhooks import handle_event
from server.errors import ApiError, error_responses, not_found

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
# Documented as required; a missing one reaches the handler (None), which answers idempotency_key_required.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=True,
        pattern=IDEMPOTENCY_KEY.pattern,
        description="a fresh UUID per payment: the same key always means the same payment",
    ),
]
StripeSignature = Annotated[
    str | None,
    HeaderParameter(name="Stripe-Signature", required=True, description="Stripe's signature of the body (checked)"),
]


class SetupIntentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: str
    kind: Literal["card", "bank"] = "card"


class SaveMethodIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: str
    setup_intent_id: str
    default: bool = False


class VerifyMethodIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The two micro-deposit amounts in cents (``amounts``) or the code on the single deposit
    (``descriptor_code``, 6 characters starting ``SM``): exactly one of them."""

    amounts: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=99)]], msgspec.Meta(min_length=2, max_length=2)] | None
    ) = None
    descriptor_code: Annotated[str, msgspec.Meta(pattern=r"^[Ss][Mm][A-Za-z0-9]{4}$")] | None = None


def _provider(request: Request) -> StripeProvider:
    return request.app.state.stripe


def _billing_account(request: Request, account_id: str) -> None:
    """404 for an account out of scope; 403 for one the session reaches only as a site contact."""
    access = request.user.access(account_id)
    if access is None:
        raise not_found("account")
    if access.role != "company":
        raise ApiError(403, "forbidden", "payments are handled by the account's company contacts")


@get("/api/payments/config", guards=[guards.portal_or_staff])
async def payments_config(request: Request) -> dict[str, Any]:
    """``publishable_key``, ``stripe_js_url``, ``test_mode`` (no real money moves) and ``bank_method``
    (``sepa_debit`` | ``us_bank_account`` | null: which bank accounts this portal takes) for the PWA."""
    return await _provider(request).public_config(guards.tenant_of(request))


@get("/api/payments/methods", guards=[guards.company_user], responses=error_responses(404))
async def list_payment_methods(request: Request, account_id: str) -> dict[str, Any]:
    """The account's saved methods: ``{"methods": [{id, kind, brand, last4, exp_month, exp_year, expiry,
    default}]}``, oldest first."""
    _billing_account(request, account_id)
    return {"methods": await methods.list_methods(request.app.state, request.user.tenant_id, account_id)}


@post("/api/payments/setup-intent", status_code=200, guards=[guards.company_user], responses=error_responses(404, 422))
async def create_setup_intent(request: Request, data: SetupIntentIn) -> dict[str, str]:
    """A SetupIntent to save a card (``kind: card``, the default; Stripe.js ``confirmCardSetup``) or a
    bank account (``kind: bank``; ``confirmSepaDebitSetup`` for ``sepa_debit``):
    ``{"client_secret", "setup_intent_id", "method_type"}``. 422 ``bank_unavailable`` when this
    portal takes no bank accounts."""
    _billing_account(request, data.account_id)
    provider = _provider(request)
    if not provider.available:
        raise payments_unavailable()
    method_type = "card"
    if data.kind == "bank":
        method_type = provider.bank_method_for(guards.tenant_of(request)) or ""
        if not method_type:
            raise provider.bank_unavailable(guards.tenant_of(request))
    gateway = await provider.gateway()
    return await methods.create_setup_intent(
        request.app.state, gateway, request.user.tenant_id, data.account_id, method_type
    )


@post("/api/payments/methods", status_code=201, guards=[guards.company_user], responses=error_responses(404, 422))
async def save_payment_method(request: Request, data: SaveMethodIn) -> dict[str, Any]:
    """Keep the method a confirmed SetupIntent saved (idempotent); ``default: true`` makes it the default."""
    _billing_account(request, data.account_id)
    gateway = await _provider(request).gateway()
    return await methods.save_from_setup_intent(
        request.app.state, gateway, request.user.tenant_id, data.account_id, data.setup_intent_id, data.default
    )


@delete(
    "/api/payments/methods/{method_id:str}",
    status_code=204,
    guards=[guards.company_user],
    responses=error_responses(404, 422),
)
async def delete_payment_method(request: Request, method_id: FromPath[str]) -> None:
    """Detach a saved method at Stripe and forget it."""
    gateway = await _provider(request).gateway()
    await methods.delete_method(request.app.state, gateway, request.user, method_id)


@post(
    "/api/payments/methods/{method_id:str}/verify",
    status_code=200,
    guards=[guards.company_user],
    responses=error_responses(404, 422),
)
async def verify_payment_method(request: Request, method_id: FromPath[str], data: VerifyMethodIn) -> dict[str, Any]:
    """Confirm the micro-deposits Stripe sent to a US bank account saved as ``verification_pending``:
    the method, now ``active``. 422 ``verification_mismatch`` (Stripe's sentence says how many tries are
    left), ``verification_attempts_exceeded`` (the account is removed) or ``not_awaiting_verification``."""
    if (data.amounts is None) == (data.descriptor_code is None):
        raise ApiError(422, "validation_error", "give either the two deposit amounts or the deposit's code")
    gateway = await _provider(request).gateway()
    return await methods.verify_method(
        request.app.state,
        gateway,
        request.user,
        method_id,
        amounts=data.amounts,
        descriptor_code=data.descriptor_code.upper() if data.descriptor_code else None,
    )


@post(
    "/api/payments/methods/{method_id:str}/default",
    status_code=200,
    guards=[guards.company_user],
    responses=error_responses(404),
)
async def make_default_method(request: Request, method_id: FromPath[str]) -> dict[str, Any]:
    return await methods.set_default(request.app.state, request.user, method_id)


@post("/api/payments", status_code=200, guards=[guards.company_user], responses=error_responses(404, 409, 422))
async def create_payment(request: Request, data: PaymentIn, key: IdempotencyKey = None) -> dict[str, Any]:
    """Pay invoices (``mode: invoices``) or an amount oldest-invoice-first (``mode: custom``) with a
    saved method. Needs an ``Idempotency-Key`` header: the same key always means the same payment."""
    if not key:
        raise ApiError(400, "idempotency_key_required", "send an Idempotency-Key header (a fresh UUID per payment)")
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError(400, "bad_idempotency_key", "the Idempotency-Key must be 1-200 printable ASCII characters")
    _billing_account(request, data.account_id)
    tenant = guards.tenant_of(request)
    if not tenant.get("features", {}).get("invoice_payment", False):
        raise ApiError(403, "feature_disabled", "online invoice payment is switched off for this portal")
    provider = _provider(request)
    if not provider.available:
        raise payments_unavailable()
    return await take_payment(request.app.state, provider, request.user, tenant, key, data)


@get("/api/payments/{payment_id:str}", guards=[guards.company_user], responses=error_responses(404, 422))
async def read_payment(request: Request, payment_id: FromPath[str]) -> dict[str, Any]:
    """A payment's status (``succeeded`` | ``requires_action`` | ``processing`` | ``failed``)."""
    return await refresh_payment(
        request.app.state, _provider(request), request.user, guards.tenant_of(request), payment_id
    )


@post("/api/stripe/webhook", status_code=200, opt={"public": True})
async def stripe_webhook(request: Request, signature: StripeSignature = None) -> dict[str, Any]:
    """Stripe's events, signature-checked, each settled once."""
    provider = _provider(request)
    if not provider.available:
        raise payments_unavailable()
    gateway = await provider.gateway()
    payload = await request.body()
    try:
        event = gateway.parse_webhook(payload, signature)
    except InvalidWebhook as exc:
        raise ApiError(400, exc.code, exc.message) from None
    return await handle_event(request.app.state, gateway, event)


async def startup(state: Any) -> None:
    provider = StripeProvider(state.settings)
    state.stripe = provider
    state.effects.handle("charge_extension", charge_extension)
    state.effects.handle("payment_notice", deliver_payment_notice)
    state.payment_expiry = PaymentExpiry(state)
    state.effects.periodic.append(state.payment_expiry.sweep)


async def shutdown(state: Any) -> None:
    await state.stripe.close()


ROUTES = [
    payments_config,
    list_payment_methods,
    create_setup_intent,
    save_payment_method,
    delete_payment_method,
    make_default_method,
    verify_payment_method,
    create_payment,
    read_payment,
    stripe_webhook,
]
