"""``POST /api/admin/payments/{id}/refund``: give a succeeded payment back in full, through Stripe.

Full refunds only (our choice): a refund gives the customer the whole payment back and puts every
allocation back on its invoice (`payments.refund`). A partial refund would need the office to say
which invoices it reopens and by how much, and the PWA, receipts and statements to show a payment
that is half given back; an office that wants to give part of a payment back credits the invoice
instead (edits its lines) or refunds part in Stripe's dashboard, which leaves the books as they are
(see `webhooks`). What Stripe already refunded for the payment counts: refunding after a partial
dashboard refund gives back what is left, so "refunded" always means "all of it went back". A refund
says the money went back, not that nothing is owed: to forgive an invoice too (e.g. a rental extension
refunded as a goodwill gesture), the office voids it afterwards.

The same three short steps as `payment_flow`, so no database write transaction waits on Stripe:

1. **claim** (one write transaction): check the payment (404 not this tenant's, 409
   ``payment_not_refundable`` unless it ``succeeded``, 422 ``not_a_stripe_payment`` for one Stripe
   never charged) and insert a ``payment_attempt`` row keyed ``refund:{payment_id}``. Of several
   requests at once (a double click, two office staff) exactly one inserts it; the others wait for
   its outcome and answer the same. A refunded payment answers at once, unchanged.
2. **refund at Stripe** with the idempotency key ``haulport-refund-{payment_id}`` (real Stripe
   deduplicates on it; localstripe does not, which is why step 1 exists). The gateway counts the
   refunds Stripe already holds for the PaymentIntent, so a claim taken over from a request that
   died mid-call never refunds twice either.
3. **record** (one write transaction): `payments.refund` (balances back, invoices ``open`` again,
   payment ``refunded``), the customer's notice (`receipts.notices_in_tx`), and the answer on the
   claim. Changes reach clients through sync.

Stripe unreachable ⇒ 503 ``payment_gateway_unavailable`` and the claim is released (retry at
once); Stripe refusing (a disputed charge, …) ⇒ 422 with Stripe's code and sentence, also released.
A refund Stripe accepts as ``pending`` (bank debits, some cards) is recorded as refunded at once: the
money is on its way and the office has committed to it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from server.billing.gateway import GatewayError, RefundResult
from server.billing.payments import not_refundable, refund
from server.billing.provider import StripeProvider, gateway_error, payments_unavailable
from server.billing.receipts import notices_in_tx
from server.db.store import Store, now_iso
from server.effects.work import unit_of_work
from server.errors import ApiError, not_found

STALE_CLAIM_S = 120  # an unanswered claim this old belongs to a request that died
WAIT_FOR_OTHER_S = 30  # how long a duplicate request waits for the first one's outcome


def _claim_id(payment_id: str) -> str:
    return f"refund:{payment_id}"


def _stale_before() -> str:
    then = datetime.now(UTC) - timedelta(seconds=STALE_CLAIM_S)
    return then.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_refundable(payment: dict[str, Any] | None) -> dict[str, Any]:
    if payment is None:
        raise not_found("payment")
    if payment["status"] not in ("succeeded", "refunded"):
        raise not_refundable(payment)
    if payment["status"] == "succeeded" and not payment.get("stripe_payment_intent_id"):
        raise ApiError(
            422,
            "not_a_stripe_payment",
            f"payment {payment['number']} was not taken through Stripe; give it back the way it was "
            "paid and adjust the invoices",
            {"payment_id": payment["id"]},
        )
    return payment


async def _claim(state: Any, tenant_id: str, payment_id: str) -> tuple[dict[str, Any], bool]:
    """``(payment, owned)``: ``owned`` when this request is to refund it at Stripe now; otherwise the
    payment is already refunded, or another request holds the claim (``payment`` as it is now)."""
    async with state.db.write() as conn:
        store = Store(conn, tenant_id)
        await store.lock()
        payment = _check_refundable(await store.get("payment", payment_id))
        if payment["status"] == "refunded":
            return payment, False
        claim_id = _claim_id(payment_id)
        claimed = await conn.fetchrow(
            "INSERT INTO payment_attempt (id, tenant_id, payment_id, request_hash, response, created_at) "
            "VALUES (?, ?, ?, 'refund', NULL, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
            claim_id,
            tenant_id,
            payment_id,
            now_iso(),
        )
        if claimed is not None:
            return payment, True
        held = await conn.fetchrow("SELECT created_at FROM payment_attempt WHERE id = ?", claim_id)
        if held["created_at"] < _stale_before():  # its owner died: carry on in its place
            await conn.execute("UPDATE payment_attempt SET created_at = ? WHERE id = ?", now_iso(), claim_id)
            return payment, True
        return payment, False


async def _release(state: Any, payment_id: str) -> None:
    async with state.db.write() as conn:
        await conn.execute("DELETE FROM payment_attempt WHERE id = ?", _claim_id(payment_id))


async def _wait_for_other(state: Any, tenant_id: str, payment_id: str) -> dict[str, Any]:
    """The payment once the request holding the claim has recorded the refund (or given up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_OTHER_S
    delay = 0.05
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)
        async with state.db.read() as conn:
            payment = await Store(conn, tenant_id).get("payment", payment_id)
            held = await conn.fetchrow("SELECT id FROM payment_attempt WHERE id = ?", _claim_id(payment_id))
        if payment is not None and payment["status"] == "refunded":
            return payment
        if held is None:  # the other request failed and let go: say so rather than refund behind its back
            raise ApiError(
                409,
                "refund_not_made",
                "the refund was not made (Stripe could not do it just now); try again",
                {"payment_id": payment_id},
            )
        if loop.time() > deadline:
            raise ApiError(
                409,
                "refund_in_progress",
                "this refund is still being made; retry shortly",
                headers={"Retry-After": "2"},
            )


async def _record(state: Any, tenant: dict[str, Any], payment_id: str, result: RefundResult) -> dict[str, Any]:
    async with unit_of_work(state, tenant["id"]) as store:
        payment = await store.must_get("payment", payment_id)
        # A webhook may have recorded it meanwhile (``charge.refunded``): then nothing changes here.
        payment, changed = await refund(store, payment, result.refund_id or "")
        await notices_in_tx(store, tenant, payment, "refunded" if changed else None, asynchronous=True)
        await store.conn.execute(
            "UPDATE payment_attempt SET response = ? WHERE id = ?",
            json.dumps({"status": payment["status"], "stripe_refund_id": result.refund_id}),
            _claim_id(payment_id),
        )
    return payment


async def refund_payment(
    state: Any, provider: StripeProvider, tenant: dict[str, Any], payment_id: str
) -> dict[str, Any]:
    """Refund a succeeded payment in full at Stripe and in the books, at most once; the payment row
    (as the office API shows it)."""
    async with state.db.read() as conn:
        payment = _check_refundable(await Store(conn, tenant["id"]).get("payment", payment_id))
    if payment["status"] == "refunded":
        return payment
    if not provider.available:
        raise payments_unavailable()
    gateway = await provider.gateway()
    payment, owned = await _claim(state, tenant["id"], payment_id)
    if payment["status"] == "refunded":
        return payment
    if not owned:
        return await _wait_for_other(state, tenant["id"], payment_id)
    try:
        result = await gateway.refund_async(
            payment["stripe_payment_intent_id"],
            payment["amount"],
            f"haulport-refund-{payment_id}",
            {"payment_id": payment_id, "tenant_id": tenant["id"], "payment_number": payment["number"]},
        )
    except GatewayError as exc:
        await _release(state, payment_id)
        raise gateway_error(exc) from None
    except Exception:  # a bug, not Stripe's answer: let a retry start afresh (the gateway counts what Stripe has)
        await _release(state, payment_id)
        raise
    return await _record(state, tenant, payment_id, result)
