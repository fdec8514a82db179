"""Stripe webhook events, each settled exactly once.

The event id goes into ``stripe_event`` in the same write transaction as its effects, so a
replayed (or concurrently redelivered) event changes nothing, and an event whose handling fails is
not recorded and Stripe's retry gets another go. Effects go through the `Store`, so the changed
invoices and payments reach clients by sync.

- ``payment_intent.succeeded`` / ``payment_intent.payment_failed`` / ``payment_intent.processing``:
  the payment named by the intent's ``metadata.payment_id`` (else found by intent id) is settled
  with `payments.settle`; a newly succeeded payment also gets its receipt notification, and a bank
  debit that fails after it was reported processing tells the account (`receipts.notices_in_tx`).
- ``charge.refunded`` (real Stripe, e.g. a refund made in Stripe's dashboard; localstripe emits
  none): the payment of the charge's ``payment_intent`` gets the same bookkeeping as the office
  console's refund (`payments.refund`: balances back, invoices ``open`` again, payment ``refunded``,
  the account told). Only a full refund counts (``amount_refunded >= amount``): a partial one is
  acknowledged and logged but changes nothing here — Haulport's payments are refunded whole (see
  `refunds`), so the office records a partial refund by hand (e.g. a credit on the invoice); a later
  event refunding the rest marks the payment refunded. A refund the office console already recorded
  changes nothing (the payment is ``refunded`` already). A refunded charge whose payment we had not
  yet settled (events out of order, or a timeout taken for a failure) is settled first — the charge
  went through — then refunded, without a receipt, so the books end where Stripe's are.
- ``setup_intent.succeeded`` (real Stripe; the test launcher's localstripe only after micro-deposits): the saved method is recorded
  for the account owning the intent's customer, like ``POST /api/payments/methods`` does.
- ``payment_method.attached`` (real Stripe): the same for a card or bank account attached to the
  customer outside the portal — e.g. a US bank account the office added in Stripe, which customers
  never entered through the portal. Saving it twice is one row. A US bank account saved in the
  portal as ``verification_pending`` becomes ``active`` on its ``setup_intent.succeeded``.
- ``setup_intent.setup_failed``: a pending US bank account whose micro-deposits can no longer be
  confirmed (too many wrong tries, or they expired) is removed.
Other events are acknowledged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import msgspec

from server.billing.gateway import GatewayError, StripeGateway
from server.billing.methods import forget_unverifiable, upsert_method
from server.billing.payments import refund, settle
from server.billing.receipts import notices_in_tx
from server.db.store import Store, now_iso
from server.effects.outbox import enqueue

log = logging.getLogger("haulport.billing")
PAYMENT_INTENT_EVENTS = frozenset(
    {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.processing"}
)


class IntentOutcome(msgspec.Struct, frozen=True):
    """A PaymentIntent from a webhook body, read the way `gateway.ChargeResult` reads one."""

    payment_intent_id: str | None
    status: Literal["succeeded", "requires_action", "processing", "failed"]
    error_code: str | None = None
    error_message: str | None = None


def outcome_of(intent: dict[str, Any]) -> IntentOutcome:
    status = intent.get("status")
    if status == "succeeded":
        return IntentOutcome(intent["id"], "succeeded")
    if status in ("processing", "requires_capture"):
        return IntentOutcome(intent["id"], "processing")
    if status == "requires_action":
        return IntentOutcome(intent["id"], "requires_action")
    error = intent.get("last_payment_error") or {}
    return IntentOutcome(
        intent["id"],
        "failed",
        error.get("code") or "payment_failed",
        error.get("message") or f"the payment did not go through ({status})",
    )


async def _claim_event(conn: Any, event: dict[str, Any]) -> bool:
    row = await conn.fetchrow(
        "INSERT INTO stripe_event (id, type, received_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
        event["id"],
        event["type"],
        now_iso(),
    )
    return row is not None


async def _find_payment(conn: Any, intent: dict[str, Any]) -> tuple[str, str] | None:
    """``(tenant_id, payment_id)`` of the payment this intent pays."""
    payment_id = (intent.get("metadata") or {}).get("payment_id")
    row = None
    if isinstance(payment_id, str) and payment_id:
        row = await conn.fetchrow(
            "SELECT id, tenant_id, stripe_payment_intent_id FROM payment WHERE id = ?", payment_id
        )
        if row is not None and row["stripe_payment_intent_id"] not in ("", None, intent["id"]):
            row = None  # names our payment, but that was paid by another intent
    if row is None:
        row = await conn.fetchrow("SELECT id, tenant_id FROM payment WHERE stripe_payment_intent_id = ?", intent["id"])
    return None if row is None else (row["tenant_id"], row["id"])


def _fully_refunded(charge: dict[str, Any]) -> bool:
    amount, refunded = charge.get("amount"), charge.get("amount_refunded")
    if isinstance(amount, int) and isinstance(refunded, int) and amount > 0:
        return refunded >= amount
    return charge.get("refunded") is True


def _refund_id(charge: dict[str, Any]) -> str:
    """The newest refund's id when the event lists them (older API versions do), else ""."""
    refunds = charge.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    ids = [(r.get("created") or 0, r.get("id")) for r in listed or [] if isinstance(r, dict)]
    newest = max(ids, default=(0, None))[1]
    return newest if isinstance(newest, str) else ""


async def _refund_charge(
    store: Store, payment: dict[str, Any], charge: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """``charge.refunded`` onto its payment; ``(payment, "refunded" | None)``."""
    if not _fully_refunded(charge):
        log.warning(
            "Stripe refunded %s of %s cents of payment %s: partial refunds are not recorded",
            charge.get("amount_refunded"),
            charge.get("amount"),
            payment["number"],
        )
        return payment, None
    if payment["status"] in ("pending", "failed"):
        payment, _ = await settle(store, payment, IntentOutcome(charge["payment_intent"], "succeeded"))
    payment, changed = await refund(store, payment, _refund_id(charge))
    return payment, "refunded" if changed else None


async def handle_event(state: Any, gateway: StripeGateway, event: dict[str, Any]) -> dict[str, Any]:
    """Settle one verified event; ``{"received": true, "duplicate"?: true}``."""
    kind = event["type"]
    obj = event["data"].get("object") or {}
    described = None
    if kind in ("setup_intent.succeeded", "payment_method.attached") and obj.get("customer") and obj.get("id"):
        try:  # read before the transaction: no Stripe call while holding the write lock
            if kind == "setup_intent.succeeded":
                described = await gateway.saved_method_from_setup_intent_async(obj["customer"], obj["id"])
            else:
                described = await gateway.attached_method_async(obj["customer"], obj["id"])
        except GatewayError as exc:
            log.warning("%s %s not recorded: %s", kind, obj.get("id"), exc)
            return {"received": True, "ignored": True}
    tenant: dict[str, Any] | None = None
    store: Store | None = None
    effect_ids: list[str] = []
    async with state.db.write() as conn:
        if not await _claim_event(conn, event):
            return {"received": True, "duplicate": True}
        if kind in PAYMENT_INTENT_EVENTS and obj.get("id"):
            found = await _find_payment(conn, obj)
            if found is None:
                log.warning(
                    "Stripe %s for %s matches no payment here (metadata %s)", kind, obj.get("id"), obj.get("metadata")
                )
            else:
                store = Store(conn, found[0])
                await store.lock()
                tenant = await store.must_get("tenant", found[0])
                payment = await store.must_get("payment", found[1])
                payment, change = await settle(store, payment, outcome_of(obj))
                await notices_in_tx(store, tenant, payment, change, asynchronous=True)
        elif kind == "charge.refunded" and isinstance(obj.get("payment_intent"), str) and obj["payment_intent"]:
            metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            found = await _find_payment(conn, {"id": obj["payment_intent"], "metadata": metadata})
            if found is None:
                log.warning(
                    "Stripe refunded charge %s of %s, which matches no payment here",
                    obj.get("id"),
                    obj["payment_intent"],
                )
            else:
                store = Store(conn, found[0])
                await store.lock()
                tenant = await store.must_get("tenant", found[0])
                payment, change = await _refund_charge(store, await store.must_get("payment", found[1]), obj)
                await notices_in_tx(store, tenant, payment, change, asynchronous=True)
        elif described is not None:
            account = await conn.fetchrow(
                "SELECT id, tenant_id FROM account WHERE stripe_customer_id = ?", obj["customer"]
            )
            if account is not None:
                store = Store(conn, account["tenant_id"])
                await store.lock()
                await upsert_method(store, account["id"], described)
        elif kind == "setup_intent.setup_failed" and obj.get("customer") and obj.get("id"):
            account = await conn.fetchrow(
                "SELECT id, tenant_id FROM account WHERE stripe_customer_id = ?", obj["customer"]
            )
            if account is not None:
                store = Store(conn, account["tenant_id"])
                await store.lock()
                await forget_unverifiable(store, obj["id"])
        if store is not None:
            effect_ids = await enqueue(conn, store.tenant_id, f"stripe:{event.get('id')}", store.effects)
    if store is not None:
        await state.effects.after_commit(store.tenant_id, store.changed, store.effects, effect_ids, store.left)
    return {"received": True}
