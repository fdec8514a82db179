"""What a payment pays for, and what happens to invoices when it settles.

Pure bookkeeping over a `Store` (one transaction); no Stripe calls here.

- `plan_invoice_allocations`: the ``invoices`` mode — chosen invoices, each with an amount
  (partial amounts allowed), checked against the account, visibility, payability and balance.
- `plan_custom_allocations`: the ``custom`` mode — one amount, applied to the oldest open
  invoice first (by issue date, then due date, then number) up to the total open balance.
- `settle`: a Stripe outcome onto the payment row. Succeeded ⇒ each allocation comes off its
  invoice's balance (an invoice reaching 0 becomes ``paid``). Settling twice changes nothing,
  so the route and the webhook may both settle the same PaymentIntent in either order.

- `refund`: the counterpart of `settle` for a succeeded payment given back in full (office console,
  or Stripe's dashboard via ``charge.refunded``): each allocation goes back on its invoice's balance
  (a ``paid`` invoice is ``open`` again; ``overdue`` stays derived from ``due_on``), the payment becomes
  ``refunded``. Refunding twice changes nothing. Stripe is asked first, by `server.billing.refunds`.

Balances are checked when the payment is planned and again when it settles: if another payment
paid an invoice in between, the allocation is cut to what is still owed and the rest stays on the
payment as unapplied credit (the receipt shows it), never a negative balance.

Reservations: a ``pending`` payment leaves the invoice's ``balance`` untouched — the books say what
has been received — but its amount is *reserved* from the moment it is recorded, before Stripe is
asked: `reserved_by_invoice` counts it and the planners refuse to allocate it a second time
(``409 over_balance``; ``payment_processing`` when a bank debit holds the whole balance, which the
PWA shows as "Processing"). A card payment waiting for 3-D Secure expires after
``pending_payment_expiry_s`` (`server.billing.expiry`). When a payment clears, `settle` applies it;
when it fails or expires the reservation simply ends, so the invoice is payable again in full.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from server.db.store import Store, now_iso
from server.errors import ApiError
from server.integrations.webhooks import record_webhook_event
from sync.scope import invoice_visible

MAX_CENTS = 10**11


class Outcome(Protocol):
    """A Stripe outcome: `server.billing.gateway.ChargeResult` or one read from a webhook."""

    @property
    def payment_intent_id(self) -> str | None: ...
    @property
    def status(self) -> Literal["succeeded", "requires_action", "processing", "failed"]: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def error_message(self) -> str | None: ...


def invoice_payable(tenant: dict[str, Any], invoice: dict[str, Any]) -> bool:
    """Open (or visible pending) invoices that allow online payment and still owe something."""
    return (
        invoice["status"] in ("open", "pending")
        and invoice_visible(tenant, invoice["status"])
        and bool(invoice.get("allow_online_payment"))
        and invoice["balance"] > 0
    )


def _amount_error(message: str, **details: Any) -> ApiError:
    return ApiError(422, "invalid_amount", message, details)


async def reserved_by_invoice(store: Store, account_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """Cents per invoice that the account's pending payments hold (``(all, bank debits processing)``).

    A payment reserves what it allocates from the moment it is recorded ``pending`` — before Stripe
    is asked — until it settles: succeeded (then the invoices' balances carry it), failed, or expired
    (`server.billing.expiry`). So no two payments can be planned for the same cents, whatever the
    concurrency: planning happens under the tenant's writer lock."""
    everything: dict[str, int] = {}
    bank: dict[str, int] = {}
    for payment in await store.find("payment", account_id=account_id, status="pending"):
        debit = payment.get("method") == "bank" and bool(payment.get("stripe_payment_intent_id"))
        for allocation in payment["allocations"]:
            invoice_id = allocation["invoice_id"]
            everything[invoice_id] = everything.get(invoice_id, 0) + allocation["amount"]
            if debit:
                bank[invoice_id] = bank.get(invoice_id, 0) + allocation["amount"]
    return everything, bank


def over_balance(message: str, **details: Any) -> ApiError:
    """More than is still open (after what pending payments hold) was asked for: nothing was charged."""
    return ApiError(409, "over_balance", message, details)


async def plan_invoice_allocations(
    store: Store, tenant: dict[str, Any], account_id: str, requested: list[tuple[str, int]]
) -> list[dict[str, Any]]:
    """``[(invoice_id, amount)]`` checked and returned as allocations."""
    if not requested:
        raise ApiError(422, "no_allocations", "choose at least one invoice to pay")
    reserved_by, processing = await reserved_by_invoice(store, account_id)
    seen: set[str] = set()
    out = []
    for invoice_id, amount in requested:
        if invoice_id in seen:
            raise ApiError(422, "duplicate_invoice", "each invoice may appear once", {"invoice_id": invoice_id})
        seen.add(invoice_id)
        invoice = await store.get("invoice", invoice_id)
        if invoice is None or invoice["account_id"] != account_id or not invoice_visible(tenant, invoice["status"]):
            raise ApiError(
                404,
                "invoice_not_found",
                "that invoice does not exist or is not this account's",
                {"invoice_id": invoice_id},
            )
        if invoice["status"] == "paid":  # nothing is left to pay: any amount is over the balance
            raise over_balance(
                f"invoice {invoice['number']} is paid; nothing is left to pay", invoice_id=invoice_id, open=0
            )
        if invoice["status"] not in ("open", "pending"):
            raise ApiError(
                422,
                "invoice_not_payable",
                f"invoice {invoice['number']} is {invoice['status']}",
                {"invoice_id": invoice_id, "status": invoice["status"]},
            )
        if not invoice.get("allow_online_payment"):
            raise ApiError(
                422,
                "online_payment_not_allowed",
                f"invoice {invoice['number']} cannot be paid online; please contact us",
                {"invoice_id": invoice_id},
            )
        if amount <= 0:
            raise _amount_error("each amount must be more than zero", invoice_id=invoice_id)
        reserved = reserved_by.get(invoice_id, 0)
        left = max(invoice["balance"] - reserved, 0)
        if left <= 0 and processing.get(invoice_id, 0) >= invoice["balance"]:
            raise ApiError(
                422,
                "payment_processing",
                f"invoice {invoice['number']} is being paid by a bank debit that is still processing",
                {"invoice_id": invoice_id, "processing": processing[invoice_id]},
            )
        if amount > left:
            details: dict[str, Any] = {"invoice_id": invoice_id, "open": left}
            if reserved:
                details["reserved"] = reserved
            raise over_balance(
                f"invoice {invoice['number']} has only {left} cents left to pay"
                + (f" ({reserved} cents are being paid already)" if reserved else ""),
                **details,
            )
        out.append({"invoice_id": invoice_id, "amount": amount})
    return out


async def plan_custom_allocations(
    store: Store, tenant: dict[str, Any], account_id: str, amount: int | None
) -> list[dict[str, Any]]:
    """One amount spread over the open invoices, oldest first (bank debits still processing are
    not owed again)."""
    if amount is None or amount <= 0:
        raise _amount_error("the amount must be more than zero")
    reserved, _ = await reserved_by_invoice(store, account_id)
    payable = [i for i in await store.find("invoice", account_id=account_id) if invoice_payable(tenant, i)]
    owed = {i["id"]: i["balance"] - reserved.get(i["id"], 0) for i in payable}
    invoices = [i for i in payable if owed[i["id"]] > 0]
    invoices.sort(key=lambda i: (i.get("issued_on") or "", i.get("due_on") or "", i.get("number") or ""))
    open_balance = sum(owed[i["id"]] for i in invoices)
    if amount > open_balance:
        raise over_balance("that is more than the open balance", open_balance=open_balance)
    out, left = [], amount
    for invoice in invoices:
        if left == 0:
            break
        take = min(left, owed[invoice["id"]])
        out.append({"invoice_id": invoice["id"], "amount": take})
        left -= take
    return out


async def apply_to_invoices(store: Store, allocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Take the allocations off their invoices' balances; returns what was actually applied."""
    applied = []
    for allocation in allocations:
        invoice = await store.get("invoice", allocation["invoice_id"])
        if invoice is None or invoice["status"] in ("void", "draft"):
            continue
        take = min(allocation["amount"], invoice["balance"])
        if take <= 0:
            continue
        balance = invoice["balance"] - take
        await store.update("invoice", invoice, balance=balance, status="paid" if balance == 0 else invoice["status"])
        applied.append({"invoice_id": invoice["id"], "amount": take})
    return applied


Change = Literal["succeeded", "failed"] | None


async def settle(store: Store, payment: dict[str, Any], outcome: Outcome) -> tuple[dict[str, Any], Change]:
    """Record a Stripe outcome on a payment read in this transaction; ``(payment, change)`` where
    ``change`` is ``"succeeded"`` / ``"failed"`` when this call moved the payment there, else None.

    A succeeded payment never changes again here; a failed one only moves to succeeded (Stripe
    says the money moved, e.g. after a timeout we took for a failure). ``processing`` (a bank
    debit on its way) changes nothing but the PaymentIntent id: the payment stays ``pending``.
    """
    if payment["status"] in ("succeeded", "refunded"):
        return payment, None
    changes: dict[str, Any] = {}
    if outcome.payment_intent_id and payment.get("stripe_payment_intent_id") != outcome.payment_intent_id:
        changes["stripe_payment_intent_id"] = outcome.payment_intent_id
    if outcome.status == "succeeded":
        applied = await apply_to_invoices(store, payment["allocations"])
        payment = await store.update(
            "payment", payment, **changes, status="succeeded", paid_at=now_iso(), allocations=applied, failure_reason=""
        )
        await record_webhook_event(store, "payment.succeeded", payment)
        return payment, "succeeded"
    change: Change = None
    if outcome.status == "failed" and payment["status"] != "failed":
        changes.update(status="failed", failure_reason=failure_text(outcome))
        change = "failed"
    if changes:
        payment = await store.update("payment", payment, **changes)
    return payment, change


async def restore_to_invoices(store: Store, allocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put the allocations back on their invoices' balances (what `apply_to_invoices` took off);
    returns what was put back. A ``paid`` invoice owing again is ``open`` (``pending`` ones that were
    paid were sent out, so ``open`` too). Void and draft invoices are owed nothing, so they are left
    alone; a balance never exceeds the invoice's total (the office may have lowered it since)."""
    restored = []
    for allocation in allocations:
        invoice = await store.get("invoice", allocation["invoice_id"])
        if invoice is None or invoice["status"] in ("void", "draft") or allocation["amount"] <= 0:
            continue
        balance = min(invoice["total"], invoice["balance"] + allocation["amount"])
        if balance == invoice["balance"]:
            continue
        status = "open" if invoice["status"] == "paid" else invoice["status"]
        await store.update("invoice", invoice, balance=balance, status=status)
        restored.append({"invoice_id": invoice["id"], "amount": balance - invoice["balance"]})
    return restored


def not_refundable(payment: dict[str, Any]) -> ApiError:
    """409 for a payment whose status cannot be refunded (pending, failed)."""
    status = payment["status"]
    why = {"pending": "it has not gone through yet", "failed": "no money was taken"}.get(status, f"it is {status}")
    return ApiError(
        409,
        "payment_not_refundable",
        f"payment {payment['number']} cannot be refunded: {why}",
        {"payment_id": payment["id"], "status": status},
    )


async def refund(store: Store, payment: dict[str, Any], stripe_refund_id: str = "") -> tuple[dict[str, Any], bool]:
    """Record a full refund of a payment read in this transaction; ``(payment, changed)``.

    Only a ``succeeded`` payment can be refunded (`not_refundable` otherwise); one already
    ``refunded`` is returned unchanged, so the office route and the webhook may both record the same
    refund in either order. The payment keeps its ``allocations`` (what it had paid, for the receipt).
    """
    if payment["status"] == "refunded":
        return payment, False
    if payment["status"] != "succeeded":
        raise not_refundable(payment)
    await restore_to_invoices(store, payment["allocations"])
    changes: dict[str, Any] = {"status": "refunded", "refunded_at": now_iso()}
    if stripe_refund_id:
        changes["stripe_refund_id"] = stripe_refund_id
    payment = await store.update("payment", payment, **changes)
    await record_webhook_event(store, "payment.refunded", payment)
    return payment, True


async def next_free_number(store: Store, entity: str, prefix: str) -> str:
    """The next ``{prefix}-n`` for ``entity`` not already taken (imported or seeded rows may hold some)."""
    while True:
        number = await store.next_number(entity, prefix)
        if not await store.find(entity, limit=1, number=number):
            return number


def failure_text(outcome: Outcome) -> str:
    return outcome.error_message or f"the payment did not go through ({outcome.error_code or 'failed'})"


def method_reference(method: dict[str, Any]) -> str:
    """How a payment's method is shown: "Visa •••• 4242", "Stripe Test Bank •••• 6789", "Bank DE •••• 3000"."""
    last4 = method.get("last4") or "????"
    if method.get("kind") == "bank":
        name = (method.get("brand") or "").title() or " ".join(filter(None, ["Bank", method.get("country") or ""]))
        return f"{name} •••• {last4}"
    return f"{(method.get('brand') or 'Card').title()} •••• {last4}"
