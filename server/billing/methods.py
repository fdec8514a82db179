"""Saved payment methods: the account's Stripe customer, SetupIntents, and ``payment_method`` rows.

A saved method is a synced ``payment_method`` row (its Stripe id is a secret field the clients
never see); its ``id`` is what ``POST /api/payments`` takes as ``payment_method_id``. The first
method an account saves becomes its default; the default is what ``rental.extend`` charges.

Cards and bank accounts (``kind: bank``) are saved the same way: a SetupIntent for the kind's
Stripe type (``card``, or the tenant's bank type from `StripeProvider.bank_method_for`), confirmed
by Stripe.js (``confirmCardSetup`` / ``confirmSepaDebitSetup`` / ``confirmUsBankAccountSetup``),
then kept here.

US bank accounts (ACH) are typed in by the customer, so Stripe proves them with two micro-deposits
that reach the account in one or two business days. Saving one before that keeps a
``verification_pending`` row: listed (with how and from when to verify), never the default, never
charged (422 ``method_unverified``). `verify_method` sends the customer's amounts (or the code on
the single deposit) to Stripe; right ⇒ ``active`` (and the default if the account has none), wrong
⇒ 422 with Stripe's sentence and attempts left, too many wrong ⇒ 422 and the row is removed (the
account must be added again). Verifying on Stripe's hosted page instead ends in the same place via
the ``setup_intent.succeeded`` / ``setup_intent.setup_failed`` webhooks.
"""

from __future__ import annotations

from typing import Any

from server.billing.gateway import GatewayError, StripeGateway
from server.billing.provider import gateway_error
from server.db.store import Store
from server.effects.work import unit_of_work
from server.errors import ApiError, not_found


def method_view(row: dict[str, Any]) -> dict[str, Any]:
    """A saved method as the API shows it (no Stripe ids)."""
    expiry = (
        f"{row['exp_month']:02d}/{row['exp_year'] % 100:02d}" if row.get("exp_month") and row.get("exp_year") else None
    )
    return {
        "id": row["id"],
        "account_id": row["account_id"],
        "kind": row["kind"],
        "brand": row["brand"],
        "last4": row["last4"],
        "country": row.get("country") or "",
        "exp_month": row["exp_month"],
        "exp_year": row["exp_year"],
        "expiry": expiry,
        "default": row["default"],
        "status": row.get("status") or "active",
        "microdeposit_type": row.get("microdeposit_type") or "",
        "deposits_arrive_at": row.get("deposits_arrive_at"),
        "created_at": row["created_at"],
    }


async def list_methods(state: Any, tenant_id: str, account_id: str) -> list[dict[str, Any]]:
    async with state.db.read() as conn:
        rows = await Store(conn, tenant_id).find("payment_method", order_by="created_at", account_id=account_id)
    return [method_view(r) for r in rows]


async def customer_for(state: Any, gateway: StripeGateway, tenant_id: str, account_id: str) -> str:
    """The account's Stripe customer id, creating the customer (and storing its id) on first use."""
    async with state.db.read() as conn:
        account = await Store(conn, tenant_id).get("account", account_id)
    if account is None:
        raise not_found("account")
    if account["stripe_customer_id"]:
        return account["stripe_customer_id"]
    try:
        customer = await gateway.ensure_customer_async({**account, "tenant_id": tenant_id})
    except GatewayError as exc:
        raise gateway_error(exc) from None
    async with unit_of_work(state, tenant_id) as store:
        account = await store.must_get("account", account_id)
        if account["stripe_customer_id"]:  # someone else was quicker; theirs stays
            return account["stripe_customer_id"]
        await store.update("account", account, stripe_customer_id=customer)
    return customer


async def create_setup_intent(
    state: Any, gateway: StripeGateway, tenant_id: str, account_id: str, method_type: str = "card"
) -> dict[str, str]:
    """A SetupIntent on the account's customer for one Stripe type (``card``, ``sepa_debit`` …)."""
    customer = await customer_for(state, gateway, tenant_id, account_id)
    try:
        setup_intent_id, client_secret = await gateway.create_setup_intent_async(customer, [method_type])
    except GatewayError as exc:
        raise gateway_error(exc) from None
    return {"client_secret": client_secret, "setup_intent_id": setup_intent_id, "method_type": method_type}


async def upsert_method(
    store: Store, account_id: str, described: dict[str, Any], make_default: bool = False
) -> dict[str, Any]:
    """The row of a method Stripe saved for the account; saving the same method twice is one row."""
    existing = await store.find(
        "payment_method", account_id=account_id, stripe_payment_method_id=described["stripe_payment_method_id"]
    )
    active = described.get("status", "active") == "active"
    if existing:
        row = existing[0]
        if active and row.get("status") == "verification_pending":  # its micro-deposits were confirmed
            row = await store.update(
                "payment_method", row, status="active", microdeposit_type="", deposits_arrive_at=None
            )
            make_default = make_default or not await _has_default(store, account_id)
        return await make_default_method(store, row) if active and make_default and not row["default"] else row
    has_default = await _has_default(store, account_id)
    row = await store.insert("payment_method", {**described, "account_id": account_id, "default": False})
    return await make_default_method(store, row) if active and (make_default or not has_default) else row


async def _has_default(store: Store, account_id: str) -> bool:
    return bool(await store.find("payment_method", account_id=account_id, default=True))


async def forget_unverifiable(store: Store, stripe_setup_intent_id: str) -> dict[str, Any] | None:
    """Remove the pending bank account whose SetupIntent can no longer be verified; the row, if any."""
    rows = await store.find(
        "payment_method", stripe_setup_intent_id=stripe_setup_intent_id, status="verification_pending"
    )
    if rows:
        await store.delete("payment_method", rows[0])
    return rows[0] if rows else None


async def make_default_method(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    for other in await store.find("payment_method", account_id=row["account_id"], default=True):
        if other["id"] != row["id"]:
            await store.update("payment_method", other, default=False)
    return row if row["default"] else await store.update("payment_method", row, default=True)


async def save_from_setup_intent(
    state: Any, gateway: StripeGateway, tenant_id: str, account_id: str, setup_intent_id: str, make_default: bool
) -> dict[str, Any]:
    """After Stripe.js confirmed the SetupIntent: attach its method to the customer and keep a row."""
    async with state.db.read() as conn:
        account = await Store(conn, tenant_id).get("account", account_id)
    if account is None:
        raise not_found("account")
    if not account["stripe_customer_id"]:
        raise ApiError(422, "setup_intent_mismatch", "this payment method was set up for another account")
    try:
        described = await gateway.saved_method_from_setup_intent_async(account["stripe_customer_id"], setup_intent_id)
    except GatewayError as exc:
        raise gateway_error(exc) from None
    async with unit_of_work(state, tenant_id) as store:
        row = await upsert_method(store, account_id, described, make_default)
    return method_view(row)


async def _method_in_scope(state: Any, actor: Any, method_id: str) -> dict[str, Any]:
    async with state.db.read() as conn:
        row = await Store(conn, actor.tenant_id).get("payment_method", method_id)
    if row is None or not actor.sees_billing(row["account_id"]):
        raise not_found("payment method")
    return row


async def delete_method(state: Any, gateway: StripeGateway, actor: Any, method_id: str) -> None:
    """Detach the method at Stripe, then forget it; the newest remaining one inherits the default."""
    row = await _method_in_scope(state, actor, method_id)
    try:
        await gateway.detach_method_async(row["stripe_payment_method_id"])
    except GatewayError as exc:
        raise gateway_error(exc) from None
    async with unit_of_work(state, actor.tenant_id) as store:
        row = await store.get("payment_method", method_id)
        if row is None:
            return
        await store.delete("payment_method", row)
        if row["default"]:
            rest = await store.find("payment_method", order_by="-created_at", account_id=row["account_id"])
            if rest:
                await store.update("payment_method", rest[0], default=True)


async def set_default(state: Any, actor: Any, method_id: str) -> dict[str, Any]:
    await _method_in_scope(state, actor, method_id)
    async with unit_of_work(state, actor.tenant_id) as store:
        row = await store.get("payment_method", method_id)
        if row is None:
            raise not_found("payment method")
        if row.get("status", "active") != "active":
            raise ApiError(422, "method_unverified", "confirm this bank account's two small deposits first")
        row = await make_default_method(store, row)
    return method_view(row)


# Stripe's answers after which the account can never be verified: it must be added again.
VERIFY_FAILED_FOR_GOOD = {
    "payment_method_microdeposit_verification_attempts_exceeded": "too many wrong answers",
    "payment_method_microdeposit_verification_timeout": "the deposits were not confirmed in time",
    "setup_failed": "its verification already failed",
}


async def verify_method(
    state: Any,
    gateway: StripeGateway,
    actor: Any,
    method_id: str,
    *,
    amounts: list[int] | None = None,
    descriptor_code: str | None = None,
) -> dict[str, Any]:
    """Confirm a pending US bank account's micro-deposits (see the module docstring)."""
    row = await _method_in_scope(state, actor, method_id)
    if row.get("status") != "verification_pending" or not row.get("stripe_setup_intent_id"):
        raise ApiError(422, "not_awaiting_verification", "this payment method is already verified")
    async with state.db.read() as conn:
        account = await Store(conn, actor.tenant_id).must_get("account", row["account_id"])
    try:
        described = await gateway.verify_microdeposits_async(
            account["stripe_customer_id"],
            row["stripe_setup_intent_id"],
            amounts=amounts,
            descriptor_code=descriptor_code,
        )
    except GatewayError as exc:
        if exc.code in VERIFY_FAILED_FOR_GOOD:
            async with unit_of_work(state, actor.tenant_id) as store:
                await forget_unverifiable(store, row["stripe_setup_intent_id"])
            raise ApiError(
                422,
                "verification_attempts_exceeded",
                f"this bank account could not be verified ({VERIFY_FAILED_FOR_GOOD[exc.code]}) and has "
                "been removed; add it again or pay another way",
            ) from None
        if exc.code.startswith("payment_method_microdeposit_verification_"):
            raise ApiError(422, "verification_mismatch", exc.message) from None
        raise gateway_error(exc) from None
    async with unit_of_work(state, actor.tenant_id) as store:
        row = await upsert_method(store, row["account_id"], described)
    return method_view(row)
