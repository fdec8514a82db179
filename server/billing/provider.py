"""Which Stripe the server talks to: the configured account, or a local test-mode Stripe in dev mode.

- ``stripe_secret_key`` set: a `StripeGateway` on it (``stripe_api_base`` empty ⇒ Stripe itself).
- no key and ``dev_mode``: localstripe on loopback, started on first use (not at startup, so a
  server or a test that never touches payments never pays for the extra process), with its
  webhooks pointed back at ``{public_url}/api/stripe/webhook``. This is test mode: no real money,
  the PWA is told so by ``GET /api/payments/config`` and loads localstripe's Stripe.js stand-in.
  The launcher is dev-only (`haulport_dev.localstripe_runner`, in a checkout, with the ``dev`` extra);
  without it payments are off and the log says how to get it.
- neither: payments are off and answer ``503 payments_unavailable``.

Bank accounts (``stripe_bank_method``): ``sepa_debit`` (SEPA Direct Debit, collected in EUR),
``us_bank_account`` (US ACH, collected in USD) or ``off``. The Stripe account must have that
payment method type switched on. A tenant is offered bank payments only when its currency is the
one the method collects (Stripe refuses e.g. a SEPA debit in USD); `bank_method_for` says which.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from server.billing.gateway import GatewayError, StripeGateway
from server.documents.formatting import currency_of
from server.errors import ApiError
from server.settings import Settings

log = logging.getLogger("haulport.billing")
STRIPE_JS = "https://js.stripe.com/v3/"
DEV_WEBHOOK_SECRET = "whsec_haulport_localstripe"
LOCAL_STRIPE_MISSING = (
    "dev mode has no Stripe key and no local test-mode Stripe: card payments are off. "
    "To pay with test cards, install the dev extra in this checkout (.venv/bin/pip install -e '.[dev]') "
    "and restart, or set HAULPORT_STRIPE_SECRET_KEY to a Stripe test key."
)


def local_stripe() -> ModuleType | None:
    """`haulport_dev.localstripe_runner`, the dev-only launcher of localstripe, or None when this is
    not a checkout with the ``dev`` extra installed. Imported only by a dev-mode server with no key:
    a production server never loads it (and its package does not ship it)."""
    if importlib.util.find_spec("localstripe") is None:
        return None
    try:
        return importlib.import_module("haulport_dev.localstripe_runner")
    except ModuleNotFoundError as exc:
        if exc.name != "haulport_dev":
            raise
    checkout = Path(__file__).resolve().parents[2]  # an editable install runs from its checkout
    if not (checkout / "haulport_dev" / "localstripe_runner.py").is_file():
        return None
    sys.path.append(str(checkout))
    return importlib.import_module("haulport_dev.localstripe_runner")


# The currency each bank debit scheme collects in.
BANK_CURRENCY = {"sepa_debit": "EUR", "us_bank_account": "USD"}
BANK_NAMES = {"sepa_debit": "SEPA Direct Debit", "us_bank_account": "US bank account (ACH)"}


def payments_unavailable(message: str = "card payments are not set up for this portal") -> ApiError:
    return ApiError(503, "payments_unavailable", message)


def gateway_error(exc: GatewayError) -> ApiError:
    """A Stripe failure as an answer: 503 when Stripe cannot be used now, 422 when it refused the request."""
    if exc.code == "stripe_unavailable":
        return ApiError(503, "payment_gateway_unavailable", exc.message, headers={"Retry-After": "2"})
    if exc.code == "stripe_misconfigured":
        log.error("Stripe refused the server's keys")
        return payments_unavailable("card payments are misconfigured on the server")
    return ApiError(422, exc.code, exc.message)


class StripeProvider:
    """Owns the gateway (and, in dev mode, the localstripe process behind it)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._gateway: StripeGateway | None = None
        self._process: subprocess.Popen | None = None
        self._local_url = ""
        self._lock = asyncio.Lock()
        self._closed = False
        self._runner: ModuleType | None = None  # haulport_dev.localstripe_runner, in dev mode with no key
        if settings.stripe_secret_key:
            self.mode = "stripe"
            self._gateway = StripeGateway(
                settings.stripe_secret_key, settings.stripe_api_base or None, settings.stripe_webhook_secret
            )
        elif settings.dev_mode and (runner := local_stripe()) is not None:
            self.mode = "localstripe"
            self._runner = runner
        else:
            if settings.dev_mode:
                log.warning(LOCAL_STRIPE_MISSING)
            self.mode = "off"

    @property
    def available(self) -> bool:
        return self.mode != "off"

    @property
    def test_mode(self) -> bool:
        """No real money moves: localstripe, or Stripe with test keys."""
        key = self.settings.stripe_secret_key
        return self.mode == "localstripe" or key.startswith(("sk_test_", "rk_test_"))

    def bank_method_for(self, tenant: dict[str, Any]) -> str | None:
        """The Stripe type bank accounts are for this tenant (``sepa_debit`` | ``us_bank_account``),
        or None when bank payments are off, or cannot collect the tenant's currency."""
        method = self.settings.stripe_bank_method
        if not self.available or method == "off":
            return None
        return method if currency_of(tenant) == BANK_CURRENCY[method] else None

    def bank_unavailable(self, tenant: dict[str, Any]) -> ApiError:
        """Why this tenant cannot use bank accounts, as a 422 ``bank_unavailable``."""
        method = self.settings.stripe_bank_method
        if not self.available or method == "off":
            message = "this portal takes cards only; bank account payments are not switched on"
        else:
            message = (
                f"{BANK_NAMES[method]} collects {BANK_CURRENCY[method]}, "
                f"but this portal bills in {currency_of(tenant)}: pay by card"
            )
        return ApiError(422, "bank_unavailable", message)

    def method_type(self, tenant: dict[str, Any], method: dict[str, Any]) -> str:
        """The Stripe payment method type to charge a saved method with; 422 for a bank account
        when bank payments are off for the tenant."""
        if method["kind"] != "bank":
            return "card"
        bank = self.bank_method_for(tenant)
        if bank is None:
            raise self.bank_unavailable(tenant)
        return bank

    async def gateway(self) -> StripeGateway:
        """The gateway, starting localstripe first if this is its first use; 503 when payments are off."""
        if self._gateway is not None:
            return self._gateway
        if self.mode != "localstripe" or self._closed:
            raise payments_unavailable()
        async with self._lock:
            if self._gateway is None:
                await self._start_localstripe()
        assert self._gateway is not None
        return self._gateway

    async def _start_localstripe(self) -> None:
        runner = self._runner
        assert runner is not None
        try:
            process, base_url = await asyncio.to_thread(runner.start_localstripe)
        except (runner.LocalStripeError, OSError) as exc:
            log.error("test-mode Stripe (localstripe) did not start: %s", exc)
            raise payments_unavailable("the local test-mode Stripe could not start; see the server log") from None
        self._process, self._local_url = process, base_url
        secret = self.settings.stripe_webhook_secret or DEV_WEBHOOK_SECRET
        hook = f"{self.settings.public_url.rstrip('/')}/api/stripe/webhook"
        try:
            await asyncio.to_thread(runner.register_webhook, base_url, hook, secret, webhook_id="haulport-dev")
        except OSError as exc:  # payments still work; only 3-D Secure settlement waits for a status check
            log.warning("could not register the localstripe webhook: %s", exc)
        self._gateway = StripeGateway(runner.SECRET_KEY, base_url, secret)
        log.warning("payments in TEST MODE: local Stripe stand-in at %s (no real cards are charged)", base_url)

    async def public_config(self, tenant: dict[str, Any]) -> dict[str, Any]:
        """What the PWA needs to load Stripe.js: ``publishable_key``, ``stripe_js_url``, ``test_mode``,
        and ``bank_method``: the bank account type this tenant's customers may use (None: cards only)."""
        if not self.available:
            raise payments_unavailable()
        bank = {"bank_method": self.bank_method_for(tenant)}
        if self.mode == "localstripe" and self._runner is not None:
            await self.gateway()
            return {
                "publishable_key": self.settings.stripe_publishable_key or self._runner.PUBLISHABLE_KEY,
                "stripe_js_url": self.settings.stripe_js_url or self._runner.stripe_js_url(self._local_url),
                "test_mode": True,
                **bank,
            }
        return {
            "publishable_key": self.settings.stripe_publishable_key,
            "stripe_js_url": self.settings.stripe_js_url or STRIPE_JS,
            "test_mode": self.test_mode,
            **bank,
        }

    async def close(self) -> None:
        self._closed = True
        async with self._lock:
            if self._process is not None and self._runner is not None:
                await asyncio.to_thread(self._runner.stop_localstripe, self._process)
                self._process = None
                self._gateway = None
