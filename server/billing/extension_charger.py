"""``rental.extend``'s charge: the `ChargeExtension` effect, carried out after the push committed.

The mutator pushes the rental's end out at once and records the extension ``pending``; its
transaction stores the effect in the outbox (`server.effects`), so the customer's push never waits on
Stripe and no write transaction is open while Stripe is asked. This handler then:

1. reads the rental, the account and its default saved method;
2. charges it off-session with Stripe's ``Idempotency-Key`` ``haulport-effect-{effect id}`` — the
   effect id is made from the mutation's ``(client_id, mutation_id, index)``, so a retry of the
   push, a crash at any point or a dispatcher taking the effect over asks Stripe with the same key
   and Stripe answers with the first PaymentIntent instead of charging again. Before charging, the
   customer's PaymentIntents are looked through for one made for this payment
   (`StripeGateway.find_payment_intent`): a retry after the customer changed the default card would
   otherwise ask with other parameters, which Stripe refuses for a used key;
3. records the outcome in one transaction with the effect's own outcome:
   - charged (or a bank debit processing): the extension becomes ``paid``, with its own invoice
     ("Rental R-1001 extension: 3 days", issued today) and the payment allocated to it, so the
     statement shows a charge and its payment that cancel out; the payment's id is derived from the
     effect id too, so recording twice is impossible;
   - declined (or 3-D Secure demanded, no saved method, payments switched off): the days come back
     off ``ends_on``, the extension becomes ``declined`` with the reason, and the customer gets a
     bell notification and the rejection the PWA shows for any refused action (a
     ``mutation_rejection`` row for the mutation), so they can add a card and try again;
   - Stripe unreachable: tried again later (`RetryLater`), the extension staying ``pending``.

A default *bank account* is allowed (our choice): the extension is granted and the debit comes back
``processing``, leaving the payment ``pending`` and the extension's invoice ``open`` (its amount
reserved, so it is not offered for payment again) until the webhook settles it; a debit that fails
later leaves the invoice owed like any other (`receipts.notices_in_tx`).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from server.billing.gateway import ChargeResult, GatewayError
from server.billing.payments import method_reference, next_free_number, settle
from server.billing.receipts import notices_in_tx
from server.db.store import Store, now_iso
from server.effects.dispatcher import RetryLater
from server.effects.outbox import finish
from server.effects.work import unit_of_work
from server.errors import ApiError
from sync.actor import Actor
from sync.effects import ChargeExtension
from sync.mutators.common import notify
from sync.mutators.context import Context

_PAYMENT_IDS = uuid.UUID("6d1c2a8e-5b0f-4b7e-9a51-3f0c8e2d7a10")


def payment_id_for(effect_id: str) -> str:
    """The payment an extension's charge records: one per effect, whoever records it."""
    return str(uuid.uuid5(_PAYMENT_IDS, effect_id))


def _extension(rental: dict[str, Any] | None, at: str) -> dict[str, Any] | None:
    for extension in (rental or {}).get("extensions") or []:
        if extension.get("at") == at:
            return extension
    return None


def _system_context(store: Store, tenant: dict[str, Any]) -> Context:
    actor = Actor(
        tenant_id=tenant["id"],
        tenant_slug=tenant["slug"],
        person_kind="staff",
        person_id="system",
        name=tenant.get("display_name") or tenant["name"],
        role="admin",
    )
    return Context(actor=actor, tenant=tenant, tx=store, now=now_iso(), effects=store.effects)


async def charge_extension(state: Any, tenant: dict[str, Any], effect_id: str, effect: ChargeExtension) -> str | None:
    """The `ChargeExtension` effect's handler (see the module docstring)."""
    async with state.db.read() as conn:
        store = Store(conn, tenant["id"])
        rental = await store.get("rental", effect.rental_id)
        account = await store.get("account", effect.account_id)
        defaults = await store.find("payment_method", account_id=effect.account_id, default=True)
    extension = _extension(rental, effect.at)
    if rental is None or extension is None or extension.get("status") != "pending":
        return "nothing to charge"
    provider = getattr(state, "stripe", None)
    if provider is None or not provider.available:
        return await _decline(
            state, tenant, effect_id, effect, "payments_unavailable", "card payments are not set up for this portal"
        )
    if not defaults and account and account.get("stripe_customer_id"):
        # No saved method now, but this may be a retry of a charge Stripe made before the process
        # died and the customer then removed their card: that charge is the answer, not a decline.
        if await _charged_before(state, tenant, effect_id, effect, provider, account["stripe_customer_id"]):
            return None
    if not defaults or not account or not account.get("stripe_customer_id"):
        return await _decline(
            state,
            tenant,
            effect_id,
            effect,
            "no_payment_method",
            "extensions are charged to your default saved card or bank account: add one under Payment methods",
        )
    method = defaults[0]
    try:
        method_type = provider.method_type(tenant, method)
        gateway = await provider.gateway()
    except ApiError as exc:
        if exc.status >= 500:
            raise RetryLater(exc.message) from None
        return await _decline(state, tenant, effect_id, effect, exc.code, exc.message)
    payment_id = payment_id_for(effect_id)
    try:
        # Tried before (a process died after Stripe's answer, or a dispatcher took the effect over)?
        # Then the charge Stripe made is the answer: asking again with other parameters (another
        # default card since) would be refused by Stripe's idempotency check, or charge another card.
        earlier = await gateway.find_payment_intent_async(account["stripe_customer_id"], payment_id)
    except GatewayError as exc:
        raise RetryLater(exc.message) from None
    try:
        if earlier is not None:
            result = await gateway.payment_intent_status_async(earlier)
        else:
            result = await gateway.charge_async(
                account["stripe_customer_id"],
                method["stripe_payment_method_id"],
                effect.amount,
                tenant.get("currency") or "USD",
                {
                    "payment_id": payment_id,
                    "tenant_id": tenant["id"],
                    "account_id": account["id"],
                    "rental_id": rental["id"],
                    "purpose": "rental_extension",
                    "effect_id": effect_id,
                },
                True,
                f"haulport-effect-{effect_id}",
                method_type=method_type,
            )
    except GatewayError as exc:
        if exc.code in ("stripe_unavailable", "stripe_misconfigured"):
            raise RetryLater(exc.message) from None
        what = "bank account" if method["kind"] == "bank" else "card"
        return await _decline(
            state, tenant, effect_id, effect, "payment_error", f"the {what} could not be charged: {exc.message}"
        )
    if result.status == "failed":
        reason = result.error_message or (
            "the debit was refused" if method["kind"] == "bank" else "your card was declined"
        )
        if result.decline_code:
            reason = f"{reason} ({result.decline_code.replace('_', ' ')})"
        return await _decline(
            state,
            tenant,
            effect_id,
            effect,
            "card_declined" if method["kind"] == "card" else "payment_declined",
            reason,
        )
    if result.status == "requires_action":
        return await _decline(
            state,
            tenant,
            effect_id,
            effect,
            "authentication_required",
            "your bank wants to confirm this charge: extend again from the portal with the card "
            "at hand, or save another card",
        )
    await _record_charge(state, tenant, effect_id, effect, method, payment_id, result)
    return None


async def _charged_before(
    state: Any, tenant: dict[str, Any], effect_id: str, effect: ChargeExtension, provider: Any, customer_id: str
) -> bool:
    """Whether an earlier attempt of this effect charged at Stripe (then recorded now, as made)."""
    payment_id = payment_id_for(effect_id)
    try:
        gateway = await provider.gateway()
        earlier = await gateway.find_payment_intent_async(customer_id, payment_id)
        if earlier is None:
            return False
        result = await gateway.payment_intent_status_async(earlier)
    except ApiError as exc:
        if exc.status >= 500:
            raise RetryLater(exc.message) from None
        return False
    except GatewayError as exc:
        raise RetryLater(exc.message) from None
    if result.status in ("failed", "requires_action"):
        return False
    # The method it was charged to is gone from the account: it is shown as a card with no number.
    await _record_charge(state, tenant, effect_id, effect, {"kind": "card"}, payment_id, result)
    return True


async def _record_charge(
    state: Any,
    tenant: dict[str, Any],
    effect_id: str,
    effect: ChargeExtension,
    method: dict[str, Any],
    payment_id: str,
    result: ChargeResult,
) -> None:
    async with unit_of_work(state, tenant["id"]) as store:
        rental = await store.get("rental", effect.rental_id)
        extension = _extension(rental, effect.at)
        if (
            rental is None
            or extension is None
            or extension.get("status") != "pending"
            or await store.get("payment", payment_id) is not None
        ):
            await finish(store.conn, effect_id, "already recorded")
            return
        invoice = await store.insert(
            "invoice",
            {
                "number": await next_free_number(store, "invoice", "INV"),
                "account_id": rental["account_id"],
                "site_id": rental["site_id"],
                "issued_on": now_iso()[:10],
                "due_on": now_iso()[:10],
                "terms": "Paid on order",
                "status": "open",
                "subtotal": effect.amount,
                "tax": 0,
                "total": effect.amount,
                "balance": effect.amount,
                "allow_online_payment": True,
                "lines": [
                    {
                        "description": f"Rental {rental['rental_number']} extension: {_days(effect.days)}",
                        "quantity": effect.days,
                        "unit_price": rental["daily_rate"],
                        "amount": effect.amount,
                    }
                ],
            },
        )
        payment = await store.insert(
            "payment",
            {
                "id": payment_id,
                "number": await next_free_number(store, "payment", "PAY"),
                "account_id": rental["account_id"],
                "amount": effect.amount,
                "method": method["kind"],
                "status": "pending",
                "reference": method_reference(method),
                "stripe_payment_intent_id": result.payment_intent_id or "",
                "allocations": [{"invoice_id": invoice["id"], "amount": effect.amount}],
            },
        )
        payment, change = await settle(store, payment, result)
        await notices_in_tx(store, tenant, payment, change, asynchronous=True)
        extensions = [
            {**e, "status": "paid", "payment_id": payment_id} if e is extension else e for e in rental["extensions"]
        ]
        rental = await store.update("rental", rental, extensions=extensions)
        await notify(
            _system_context(store, tenant),
            "rental_extended",
            rental["account_id"],
            f"Rental {rental['rental_number']} extended",
            f"{_days(effect.days)} more, now ends {rental['ends_on']}.",
            f"/rentals/{rental['id']}",
            rental["site_id"],
        )
        await finish(store.conn, effect_id, f"charged: payment {payment['number']} ({result.status})")


def _days(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


async def _decline(
    state: Any, tenant: dict[str, Any], effect_id: str, effect: ChargeExtension, code: str, reason: str
) -> None:
    """Take the extension back and tell the customer why, with the outcome, in one transaction."""
    async with unit_of_work(state, tenant["id"]) as store:
        rental = await store.get("rental", effect.rental_id)
        extension = _extension(rental, effect.at)
        if rental is None or extension is None or extension.get("status") != "pending":
            await finish(store.conn, effect_id, "already settled")
            return
        ends_on = rental.get("ends_on")
        if ends_on:
            ends_on = (date.fromisoformat(ends_on) - timedelta(days=effect.days)).isoformat()
        extensions = [
            {**e, "status": "declined", "reason": reason} if e is extension else e for e in rental["extensions"]
        ]
        await store.update("rental", rental, ends_on=ends_on, extensions=extensions)
        client_id, mutation_id = _mutation_of(effect_id)
        await store.insert(
            "mutation_rejection",
            {
                "contact_id": effect.contact_id,
                "client_id": client_id,
                "mutation_id": mutation_id,
                "name": effect.mutation.get("name", "rental.extend"),
                "args": effect.mutation.get("args", {}),
                "error": {"code": code, "message": reason},
            },
        )
        await store.insert(
            "notification",
            {
                "contact_id": effect.contact_id,
                "account_id": effect.account_id,
                "kind": "extension_declined",
                "title": f"Rental {rental['rental_number']} was not extended",
                "body": f"We could not charge the {_days(effect.days)} extension: {reason}.",
                "link": f"/rentals/{rental['id']}",
            },
        )
        await finish(store.conn, effect_id, f"declined: {code}: {reason}")
    return None


def _mutation_of(effect_id: str) -> tuple[str, int]:
    """``(client_id, mutation_id)`` of a mutation's effect id ``m:{client_id}:{mutation_id}:{index}``."""
    parts = effect_id.split(":")
    if len(parts) == 4 and parts[0] == "m" and parts[2].isdigit():
        return parts[1], int(parts[2])
    return "", 0
