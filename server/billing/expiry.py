"""Ending reservations nobody will finish: card payments left pending past ``pending_payment_expiry_s``.

A pending payment holds what it allocates (`payments.reserved_by_invoice`). One whose customer never
finished 3-D Secure, or whose request died before Stripe was asked, would hold it for good. The
dispatcher's sweep (`server.effects.dispatcher`) runs `PaymentExpiry.sweep` now and then, in every
server process; for each card payment pending longer than the setting it asks Stripe where the
PaymentIntent stands (outside any transaction), cancels it if it still waits for the customer, and
settles what Stripe says: succeeded stays succeeded, anything else fails with "expired". Bank debits
are left alone: they take days, and their webhook settles them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

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
                "SELECT id, tenant_id, stripe_payment_intent_id FROM payment WHERE status = 'pending' "
                "AND method = 'card' AND created_at < ? ORDER BY created_at LIMIT 50",
                cutoff,
            )
        settled = 0
        for row in due:
            outcome = await self._outcome(row["stripe_payment_intent_id"])
            if outcome is None:
                continue
            settled += await self._settle(row["tenant_id"], row["id"], outcome)
        return settled

    async def _outcome(self, payment_intent_id: str | None) -> ChargeResult | None:
        if not payment_intent_id:  # Stripe never got it (or its answer was lost with the request)
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
