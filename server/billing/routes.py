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
from typing import Any

import msgspec
from litestar import Request, delete, get, post
from litestar.params import FromPath

from server.auth import guards
from server.billing import methods
from server.billing.extension_charger import StripeExtensionCharger
from server.billing.gateway import InvalidWebhook
from server.billing.payment_flow import PaymentIn, refresh_payment, take_payment
from server.billing.provider import StripeProvider, payments_unavailable
from server.billing.webhooks import handle_event
from server.errors import ApiError, not_found

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class AccountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: str


class SaveMethodIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: str
    setup_intent_id: str
    default: bool = False


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
    """``publishable_key``, ``stripe_js_url`` and ``test_mode`` (no real money moves) for the PWA."""
    return await _provider(request).public_config()


@get("/api/payments/methods", guards=[guards.company_user])
async def list_payment_methods(request: Request, account_id: str) -> dict[str, Any]:
    """The account's saved methods: ``{"methods": [{id, kind, brand, last4, exp_month, exp_year, expiry,
    default}]}``, oldest first."""
    _billing_account(request, account_id)
    return {"methods": await methods.list_methods(request.app.state, request.user.tenant_id, account_id)}


@post("/api/payments/setup-intent", status_code=200, guards=[guards.company_user])
async def create_setup_intent(request: Request, data: AccountIn) -> dict[str, str]:
    """A SetupIntent for Stripe.js ``confirmCardSetup``: ``{"client_secret", "setup_intent_id"}``."""
    _billing_account(request, data.account_id)
    gateway = await _provider(request).gateway()
    return await methods.create_setup_intent(request.app.state, gateway, request.user.tenant_id, data.account_id)


@post("/api/payments/methods", status_code=201, guards=[guards.company_user])
async def save_payment_method(request: Request, data: SaveMethodIn) -> dict[str, Any]:
    """Keep the method a confirmed SetupIntent saved (idempotent); ``default: true`` makes it the default."""
    _billing_account(request, data.account_id)
    gateway = await _provider(request).gateway()
    return await methods.save_from_setup_intent(request.app.state, gateway, request.user.tenant_id,
                                                data.account_id, data.setup_intent_id, data.default)


@delete("/api/payments/methods/{method_id:str}", status_code=204, guards=[guards.company_user])
async def delete_payment_method(request: Request, method_id: FromPath[str]) -> None:
    """Detach a saved method at Stripe and forget it."""
    gateway = await _provider(request).gateway()
    await methods.delete_method(request.app.state, gateway, request.user, method_id)


@post("/api/payments/methods/{method_id:str}/default", status_code=200, guards=[guards.company_user])
async def make_default_method(request: Request, method_id: FromPath[str]) -> dict[str, Any]:
    return await methods.set_default(request.app.state, request.user, method_id)


@post("/api/payments", status_code=200, guards=[guards.company_user])
async def create_payment(request: Request, data: PaymentIn) -> dict[str, Any]:
    """Pay invoices (``mode: invoices``) or an amount oldest-invoice-first (``mode: custom``) with a
    saved method. Needs an ``Idempotency-Key`` header: the same key always means the same payment."""
    key = request.headers.get("idempotency-key")
    if not key:
        raise ApiError(400, "idempotency_key_required", "send an Idempotency-Key header (a fresh UUID per payment)")
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError(400, "bad_idempotency_key", "the Idempotency-Key must be 1-200 printable ASCII characters")
    _billing_account(request, data.account_id)
    tenant = request.scope["tenant"]
    if not tenant.get("features", {}).get("invoice_payment", False):
        raise ApiError(403, "feature_disabled", "online invoice payment is switched off for this portal")
    provider = _provider(request)
    if not provider.available:
        raise payments_unavailable()
    return await take_payment(request.app.state, provider, request.user, tenant, key, data)


@get("/api/payments/{payment_id:str}", guards=[guards.company_user])
async def read_payment(request: Request, payment_id: FromPath[str]) -> dict[str, Any]:
    """A payment's status (``succeeded`` | ``requires_action`` | ``processing`` | ``failed``)."""
    return await refresh_payment(request.app.state, _provider(request), request.user, request.scope["tenant"],
                                 payment_id)


@post("/api/stripe/webhook", status_code=200, opt={"public": True})
async def stripe_webhook(request: Request) -> dict[str, Any]:
    """Stripe's events, signature-checked, each settled once."""
    provider = _provider(request)
    if not provider.available:
        raise payments_unavailable()
    gateway = await provider.gateway()
    payload = await request.body()
    try:
        event = gateway.parse_webhook(payload, request.headers.get("stripe-signature"))
    except InvalidWebhook as exc:
        raise ApiError(400, exc.code, exc.message) from None
    return await handle_event(request.app.state, gateway, event)


async def startup(state: Any) -> None:
    provider = StripeProvider(state.settings)
    state.stripe = provider
    state.charger = StripeExtensionCharger(provider) if provider.available else None


async def shutdown(state: Any) -> None:
    await state.stripe.close()


ROUTES = [payments_config, list_payment_methods, create_setup_intent, save_payment_method, delete_payment_method,
          make_default_method, create_payment, read_payment, stripe_webhook]
