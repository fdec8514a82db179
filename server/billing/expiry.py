"""Ending reservations nobody will finish: card payments left pending past ``pending_payment_expiry_s``.

A pending payment holds what it allocates (`payments.reserved_by_invoice`). One whose customer never
finished 3-D Secure, or whose request died before Stripe was asked, would hold it for good. The
dispatcher's sweep (`server.effects.dispatcher`) runs `PaymentExpiry.sweep` now and then, in every
server process; for each card payment pending longer than the setting it asks Stripe where the
PaymentIntent stands (outside any transaction), cancels it if it still waits for the customer, and
settles what Stripe says: succeeded stays succeeded, anything else fails with "expired". A payment
with no PaymentIntent recorded may still have been charged — the request died between Stripe's answer
and its commit — so Stripe is asked for an intent made for it (`StripeGateway.find_payment_intent`,
by ``metadata.payment_id``) before it is failed: expiring it blindly would free what it holds for a
second charge. Bank debits are left alone: they take days, and their webhook settles them.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from server.billing.gateway import ChargeResult, GatewayError
from server.billing.payments import settle
from server.billing.receipts import notices_in_tx
from server.db.store import Store
from server.effects.outbox import later
from server.effects.work import unit_of_work

log = logging.getLogger("haulport.billing")
CHECK_EVERY_S = 30.0
EXPIRED = "The payment was not confirmed in time, so nothing was charged. You can pay again."


class PaymentExpiry:
    def __init__(self, state: Any):
        self.state = state
        self._next = 0.0

    async def sweep(self, force: bool = False) -> int:
        """Expire what is due (at most every `CHECK_EVERY_S` unless ``force``); returns how many settled."""
        if not force and time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + CHECK_EVERY_S
        expiry_s = self.state.settings.pending_payment_expiry_s
        cutoff = later(-expiry_s)
        async with self.state.db.read() as conn:
            due = await conn.fetch(
                "SELECT p.id, p.tenant_id, p.stripe_payment_intent_id, a.stripe_customer_id FROM payment p "
                "LEFT JOIN account a ON a.id = p.account_id WHERE p.status = 'pending' "
                "AND p.method = 'card' AND p.created_at < ? ORDER BY p.created_at LIMIT 50",
                cutoff,
            )
        settled = 0
        for row in due:
            intent_id = row["stripe_payment_intent_id"]
            if not intent_id:
                found = await self._lost_charge(row["stripe_customer_id"], row["id"])
                if found is False:
                    continue
                intent_id = found
            outcome = await self._outcome(intent_id)
            if outcome is None:
                continue
            settled += await self._settle(row["tenant_id"], row["id"], outcome)
        return settled

    async def _lost_charge(self, customer_id: str | None, payment_id: str) -> str | None | Literal[False]:
        """A payment without a PaymentIntent id: was it charged, and its answer lost with the request
        that died before recording it? The intent's id if Stripe has one for it, None if not, False if
        Stripe cannot be asked now (try again next round)."""
        provider = getattr(self.state, "stripe", None)
        if not customer_id:
            return None  # no Stripe customer: Stripe was never asked
        if provider is None or not provider.available:
            return False
        try:
            gateway = await provider.gateway()
            return await gateway.find_payment_intent_async(customer_id, payment_id)
        except Exception:  # Stripe unreachable, payments off or misconfigured: next round
            log.warning("could not look for the charge of payment %s", payment_id, exc_info=True)
            return False

    async def _outcome(self, payment_intent_id: str | None) -> ChargeResult | None:
        if not payment_intent_id:  # Stripe holds no intent for it: it was never charged
            return ChargeResult(None, "failed", error_code="payment_expired", error_message=EXPIRED)
        provider = getattr(self.state, "stripe", None)
        if provider is None or not provider.available:
            return None
        try:
            gateway = await provider.gateway()
            result = await gateway.cancel_payment_intent_async(payment_intent_id)
        except GatewayError as exc:
            log.warning("could not expire payment intent %s: %s", payment_intent_id, exc)
            return None
        except Exception:  # payments off or misconfigured: try again next round
            log.warning("could not expire payment intent %s", payment_intent_id, exc_info=True)
            return None
        if result.status in ("succeeded", "processing"):
            return result
        return ChargeResult(payment_intent_id, "failed", error_code="payment_expired", error_message=EXPIRED)

    async def _settle(self, tenant_id: str, payment_id: str, outcome: ChargeResult) -> int:
        async with self.state.db.read() as conn:
            tenant = await Store(conn, tenant_id).get("tenant", tenant_id)
        async with unit_of_work(self.state, tenant_id) as store:
            payment = await store.get("payment", payment_id)
            if payment is None or payment["status"] != "pending":
                return 0
            payment, change = await settle(store, payment, outcome)
            await notices_in_tx(store, tenant or {}, payment, change, asynchronous=True)
        return 1 if change else 0
