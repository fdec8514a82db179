"""``rental.extend``'s charge: the account's default saved method, off-session, inside the push.

The mutator runs inside the push's write transaction (``ctx.tx`` is the `Store`), so the charge
is a network call made while that transaction is open. Whatever goes wrong — no default method,
a decline, 3-D Secure demanded, Stripe unreachable — is raised as `Rejected`, and the push rolls the
mutation's writes back: nothing is extended and nothing is recorded.

Bookkeeping (our choice): each paid extension gets its own invoice ("Rental R-1001 extension:
3 days"), issued today, and the payment is allocated to it, so the account's statement shows a
charge and its payment that cancel out instead of an unexplained credit. A card charge settles
at once (invoice ``paid``).

A default *bank account* is allowed too (our choice): the extension is granted at once and the
debit comes back ``processing``, leaving the payment ``pending`` and the extension's invoice
``open`` (its amount reserved, so it is not offered for payment again) until the webhook settles
it. If the debit later fails, the invoice stays open — owed like any other invoice — and the
account is told (`receipts.notices_in_tx`). Refusing bank accounts here would leave customers who
pay by bank unable to extend without calling the office; the business carries the same risk as
with net terms. Bank payments switched off for the tenant ⇒ rejected ``bank_unavailable``.

A free extension (``daily_rate`` 0) charges nothing and records no payment.

Known limit: if the push's transaction does not commit after Stripe charged (the process dies, or
the push discards the attempt and runs the mutation again), the charge has no record here: its
PaymentIntent's metadata names the rental and the intended payment id, and the webhook logs it as
matching no payment. The Stripe idempotency key is per attempt, because the context does not carry
the mutation id, so running that mutation again charges again.
"""

from __future__ import annotations

from typing import Any

from server.billing.gateway import GatewayError
from server.billing.payments import method_reference, next_free_number, settle
from server.billing.provider import StripeProvider
from server.db.store import new_id
from server.errors import ApiError
from sync.mutators.context import Context
from sync.rules import Rejected


class StripeExtensionCharger:
    """`sync.mutators.context.ExtensionCharger` over Stripe."""

    def __init__(self, provider: StripeProvider):
        self.provider = provider

    async def charge_extension(self, ctx: Context, account: dict[str, Any], rental: dict[str, Any],
                               days: int, amount: int) -> str:
        if amount <= 0:
            return None  # type: ignore[return-value]  # nothing to charge
        store = ctx.tx
        defaults = await store.find("payment_method", account_id=account["id"], default=True)
        if not defaults or not account.get("stripe_customer_id"):
            raise Rejected("no_payment_method",
                           "extensions are charged to your default saved card or bank account: "
                           "add one under Payment methods")
        method = defaults[0]
        try:
            method_type = self.provider.method_type(ctx.tenant, method)
            gateway = await self.provider.gateway()
        except ApiError as exc:
            raise Rejected(exc.code if exc.code == "bank_unavailable" else "payments_unavailable",
                           exc.message) from None
        payment_id = new_id()
        try:
            result = await gateway.charge_async(
                account["stripe_customer_id"], method["stripe_payment_method_id"], amount,
                ctx.tenant.get("currency") or "USD",
                {"payment_id": payment_id, "tenant_id": ctx.actor.tenant_id, "account_id": account["id"],
                 "rental_id": rental["id"], "purpose": "rental_extension"},
                True, f"haulport-payment-{payment_id}", method_type=method_type)
        except GatewayError as exc:
            what = "bank account" if method["kind"] == "bank" else "card"
            raise Rejected("payment_error", f"the {what} could not be charged: {exc.message}") from None
        if result.status == "failed":
            reason = result.error_message or ("the debit was refused" if method["kind"] == "bank"
                                              else "your card was declined")
            if result.decline_code:
                reason = f"{reason} ({result.decline_code.replace('_', ' ')})"
            raise Rejected("card_declined" if method["kind"] == "card" else "payment_declined", reason)
        if result.status == "requires_action":
            raise Rejected("authentication_required",
                           "your bank wants to confirm this charge: extend from the portal with the card at hand, "
                           "or save another card")
        invoice = await store.insert("invoice", {
            "number": await next_free_number(store, "invoice", "INV"), "account_id": account["id"],
            "site_id": rental["site_id"], "issued_on": ctx.today, "due_on": ctx.today, "terms": "Paid on order",
            "status": "open", "subtotal": amount, "tax": 0, "total": amount, "balance": amount,
            "allow_online_payment": True,
            "lines": [{"description": f"Rental {rental['rental_number']} extension: {days} day(s)",
                       "quantity": days, "unit_price": rental["daily_rate"], "amount": amount}]})
        payment = await store.insert("payment", {
            "id": payment_id, "number": await next_free_number(store, "payment", "PAY"), "account_id": account["id"],
            "amount": amount, "method": method["kind"], "status": "pending", "reference": method_reference(method),
            "stripe_payment_intent_id": result.payment_intent_id or "",
            "allocations": [{"invoice_id": invoice["id"], "amount": amount}]})
        await settle(store, payment, result)  # type: ignore[arg-type]
        return payment_id
