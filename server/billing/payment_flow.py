"""``POST /api/payments``: claim the Idempotency-Key, record the payment, charge it, settle it.

Three short steps so that no database write transaction waits on Stripe:

1. **claim** (one write transaction): insert the ``payment_attempt`` row whose primary key is
   ``{account_id}:{Idempotency-Key}``, check what is being paid, insert the ``pending`` payment.
   The primary key is the lock: of several requests with one key (double clicks, retries) exactly
   one inserts the row; the others wait for its response and answer the same. A request that fails
   its checks rolls the claim back with it, so nothing is burnt.
2. **charge**: create and confirm a PaymentIntent on the saved method, with Stripe's own
   idempotency key ``haulport-payment-{payment_id}`` (real Stripe deduplicates on it; localstripe
   does not, which is why step 1 exists).
3. **settle** (one write transaction): the outcome onto the payment and its invoices
   (`payments.settle`), and the answer stored on the attempt for replays.

If Stripe cannot be reached in step 2, the payment stays ``pending``, the claim is released for an
immediate retry with the same key (which resends the same Stripe idempotency key) and the answer is
``503 payment_gateway_unavailable``. A claim whose owner died mid-charge is taken over after
`STALE_CLAIM_S`; the taker first looks for a PaymentIntent Stripe made for the payment (the dead
request may have charged before it could record it) and settles that one instead of charging again.

A saved bank account is charged the same way, with ``payment_method_types`` = the portal's bank
type (``sepa_debit`` / ``us_bank_account``). Stripe answers ``processing``: the payment stays
``pending`` (its amount reserved on the invoices, see `payments`), the answer says ``processing``,
and the ``payment_intent.succeeded`` / ``payment_failed`` webhook settles it later (`webhooks`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec

from server.billing.gateway import ChargeResult, GatewayError
from server.billing.payments import (
    failure_text,
    method_reference,
    next_free_number,
    plan_custom_allocations,
    plan_invoice_allocations,
    settle,
)
from server.billing.provider import StripeProvider
from server.billing.receipts import notices_in_tx
from server.db.store import Store, now_iso
from server.effects.work import unit_of_work
from server.errors import ApiError, not_found

STALE_CLAIM_S = 120  # an unanswered claim this old belongs to a request that died
WAIT_FOR_OTHER_S = 30  # how long a duplicate request waits for the first one's answer
RELEASED = "1970-01-01T00:00:00.000Z"
TAKEN_OVER = "_taken_over"  # marks a payment `_claim` took over from a request that died


class AllocationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    invoice_id: str
    amount: int


class PaymentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: str
    mode: Literal["invoices", "custom"]
    allocations: list[AllocationIn] = []
    amount: int | None = None
    payment_method_id: str | None = None


def _fingerprint(person_id: str, data: PaymentIn) -> str:
    return hashlib.sha256(person_id.encode() + b"\n" + msgspec.json.encode(data)).hexdigest()


def _stale_before() -> str:
    then = datetime.now(UTC) - timedelta(seconds=STALE_CLAIM_S)
    return then.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def answer_for(payment: dict[str, Any], result: ChargeResult | None = None) -> dict[str, Any]:
    """The API's answer about a payment (``result``: the charge just made, for its client_secret)."""
    status = {"succeeded": "succeeded", "failed": "failed", "refunded": "succeeded"}.get(payment["status"])
    if status is None:
        status = result.status if result is not None and result.status != "failed" else "processing"
    out: dict[str, Any] = {
        "payment_id": payment["id"],
        "status": status,
        "number": payment["number"],
        "amount": payment["amount"],
        "allocations": payment["allocations"],
    }
    if status == "requires_action" and result is not None and result.client_secret:
        out["client_secret"] = result.client_secret
    if status == "failed":
        code = (result.error_code if result is not None else None) or "payment_failed"
        out["error"] = {"code": code, "message": payment["failure_reason"] or "the payment did not go through"}
        if result is not None and result.decline_code:
            out["error"]["decline_code"] = result.decline_code
    return out


async def _replay(state: Any, tenant_id: str, attempt: dict[str, Any]) -> dict[str, Any]:
    """The stored answer, brought up to date with the payment (a webhook may have settled it since)."""
    stored = json.loads(attempt["response"])
    async with state.db.read() as conn:
        payment = await Store(conn, tenant_id).get("payment", attempt["payment_id"])
    if payment is None:
        return stored
    if payment["status"] in ("succeeded", "refunded"):
        stored.pop("client_secret", None)
        stored.pop("error", None)
        stored.update(status="succeeded", allocations=payment["allocations"])
    elif payment["status"] == "failed" and stored.get("status") != "failed":
        stored.pop("client_secret", None)
        stored.update(status="failed", error={"code": "payment_failed", "message": payment["failure_reason"]})
    return stored


async def _claim(
    state: Any,
    provider: StripeProvider,
    actor: Any,
    tenant: dict[str, Any],
    attempt_id: str,
    fingerprint: str,
    data: PaymentIn,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """``(payment, method, None)`` when this request owns the key now, ``(None, None, attempt)`` when
    another request does."""
    async with unit_of_work(state, actor.tenant_id) as store:
        claimed = await store.conn.fetchrow(
            "INSERT INTO payment_attempt (id, tenant_id, payment_id, request_hash, response, created_at) "
            "VALUES (?, ?, NULL, ?, NULL, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
            attempt_id,
            actor.tenant_id,
            fingerprint,
            now_iso(),
        )
        if claimed is None:
            attempt = await store.conn.fetchrow("SELECT * FROM payment_attempt WHERE id = ?", attempt_id)
            assert attempt is not None  # the row the insert ran into, in this transaction
            if attempt["request_hash"] != fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different payment; make a new key",
                )
            if attempt["response"] is None and attempt["payment_id"] and attempt["created_at"] < _stale_before():
                # the request holding it died or released it: carry on with its payment
                await store.conn.execute(
                    "UPDATE payment_attempt SET created_at = ? WHERE id = ?", now_iso(), attempt_id
                )
                payment = await store.must_get("payment", attempt["payment_id"])
                try:
                    method = await _method_for(store, data)
                except ApiError:  # removed meanwhile: the payment can still be finished or failed
                    method = None
                return {**payment, TAKEN_OVER: True}, method, None
            return None, None, attempt
        account = await store.get("account", data.account_id)
        if account is None:
            raise not_found("account")
        if data.mode == "invoices":
            allocations = await plan_invoice_allocations(
                store, tenant, data.account_id, [(a.invoice_id, a.amount) for a in data.allocations]
            )
        else:
            allocations = await plan_custom_allocations(store, tenant, data.account_id, data.amount)
        method = await _method_for(store, data)
        provider.method_type(tenant, method)  # 422 bank_unavailable before anything is recorded
        payment = await store.insert(
            "payment",
            {
                "number": await next_free_number(store, "payment", "PAY"),
                "account_id": data.account_id,
                "amount": sum(a["amount"] for a in allocations),
                "method": method["kind"],
                "status": "pending",
                "reference": method_reference(method),
                "allocations": allocations,
            },
        )
        await store.conn.execute("UPDATE payment_attempt SET payment_id = ? WHERE id = ?", payment["id"], attempt_id)
    return payment, method, None


async def _method_for(store: Store, data: PaymentIn) -> dict[str, Any]:
    if data.payment_method_id:
        method = await store.get("payment_method", data.payment_method_id)
        if method is None or method["account_id"] != data.account_id:
            raise ApiError(422, "no_payment_method", "that saved payment method is not this account's")
        if method.get("status", "active") != "active":
            raise ApiError(
                422,
                "method_unverified",
                "this bank account can be used once you confirm the two small deposits we sent to it",
            )
        return method
    found = await store.find("payment_method", account_id=data.account_id, default=True)
    if not found:
        raise ApiError(422, "no_payment_method", "save a card or bank account first")
    return found[0]


async def _wait_for_answer(state: Any, tenant_id: str, attempt: dict[str, Any]) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + WAIT_FOR_OTHER_S
    delay = 0.05
    while attempt["response"] is None:
        if asyncio.get_running_loop().time() > deadline or attempt["created_at"] == RELEASED:
            raise ApiError(
                409,
                "payment_in_progress",
                "this payment is still being processed; retry shortly",
                headers={"Retry-After": "2"},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)
        async with state.db.read() as conn:
            attempt = await conn.fetchrow("SELECT * FROM payment_attempt WHERE id = ?", attempt["id"])
    return await _replay(state, tenant_id, attempt)


async def take_payment(
    state: Any, provider: StripeProvider, actor: Any, tenant: dict[str, Any], key: str, data: PaymentIn
) -> dict[str, Any]:
    """Pay invoices with a saved method, at most once per Idempotency-Key."""
    gateway = await provider.gateway()
    attempt_id = f"{data.account_id}:{key}"
    payment, method, attempt = await _claim(
        state, provider, actor, tenant, attempt_id, _fingerprint(actor.person_id, data), data
    )
    if attempt is not None:
        return await _wait_for_answer(state, actor.tenant_id, attempt)
    assert payment is not None
    taken_over = bool(payment.pop(TAKEN_OVER, False))
    async with state.db.read() as conn:
        account = await Store(conn, actor.tenant_id).must_get("account", payment["account_id"])
    if taken_over and payment["status"] == "pending" and not payment["stripe_payment_intent_id"]:
        # the request that died may have charged before recording it: Stripe's intent for this
        # payment is the answer (asking again with other parameters — another default card since —
        # would be refused by Stripe's idempotency check, or charge another card)
        try:
            earlier = await gateway.find_payment_intent_async(account["stripe_customer_id"] or "", payment["id"])
        except GatewayError:
            await _release(state, attempt_id)
            raise ApiError(
                503,
                "payment_gateway_unavailable",
                "the payment processor could not be reached; try again in a moment",
                headers={"Retry-After": "2"},
            ) from None
        if earlier is not None:
            payment = {**payment, "stripe_payment_intent_id": earlier}
    if payment["status"] != "pending" or payment["stripe_payment_intent_id"]:
        # taken over from a request that died after charging: ask Stripe, never charge again
        result = await _outcome_so_far(gateway, payment)
    elif method is None or not account["stripe_customer_id"]:
        result = ChargeResult(
            None,
            "failed",
            error_code="no_payment_method",
            error_message="the saved payment method is gone; choose another",
        )
    elif method["kind"] == "bank" and provider.bank_method_for(tenant) is None:
        # a claim taken over after the bank option was switched off: fail it rather than guess
        result = ChargeResult(
            None, "failed", error_code="bank_unavailable", error_message=provider.bank_unavailable(tenant).message
        )
    else:
        try:
            result = await gateway.charge_async(
                account["stripe_customer_id"],
                method["stripe_payment_method_id"],
                payment["amount"],
                tenant.get("currency") or "USD",
                {
                    "payment_id": payment["id"],
                    "tenant_id": actor.tenant_id,
                    "account_id": account["id"],
                    "payment_number": payment["number"],
                },
                False,
                f"haulport-payment-{payment['id']}",
                method_type=provider.method_type(tenant, method),
            )
        except GatewayError as exc:
            if exc.code == "stripe_unavailable":
                await _release(state, attempt_id)
                raise ApiError(
                    503,
                    "payment_gateway_unavailable",
                    "the payment processor could not be reached; try again in a moment",
                    headers={"Retry-After": "2"},
                ) from None
            result = ChargeResult(None, "failed", error_code=exc.code, error_message=exc.message)
    return await _settle_and_answer(state, tenant, attempt_id, payment["id"], result)


async def _outcome_so_far(gateway: Any, payment: dict[str, Any]) -> ChargeResult:
    if payment["status"] in ("succeeded", "refunded"):
        return ChargeResult(payment["stripe_payment_intent_id"] or None, "succeeded")
    if payment["status"] == "failed":
        return ChargeResult(
            payment["stripe_payment_intent_id"] or None,
            "failed",
            error_code="payment_failed",
            error_message=payment["failure_reason"],
        )
    try:
        return await gateway.payment_intent_status_async(payment["stripe_payment_intent_id"])
    except GatewayError:
        return ChargeResult(payment["stripe_payment_intent_id"], "processing")


async def _release(state: Any, attempt_id: str) -> None:
    async with state.db.write() as conn:
        await conn.execute("UPDATE payment_attempt SET created_at = ? WHERE id = ?", RELEASED, attempt_id)


async def _settle_and_answer(
    state: Any, tenant: dict[str, Any], attempt_id: str, payment_id: str, result: ChargeResult
) -> dict[str, Any]:
    if result.status == "failed" and not result.error_message:
        result = msgspec.structs.replace(result, error_message=failure_text(result))
    async with unit_of_work(state, tenant["id"]) as store:
        payment = await store.must_get("payment", payment_id)
        payment, change = await settle(store, payment, result)
        await notices_in_tx(store, tenant, payment, change, asynchronous=False)
        answer = answer_for(payment, result)
        await store.conn.execute("UPDATE payment_attempt SET response = ? WHERE id = ?", json.dumps(answer), attempt_id)
    return answer


async def refresh_payment(
    state: Any, provider: StripeProvider, actor: Any, tenant: dict[str, Any], payment_id: str
) -> dict[str, Any]:
    """``GET /api/payments/{id}``: a payment's status; a pending one is asked of Stripe and settled."""
    async with state.db.read() as conn:
        payment = await Store(conn, actor.tenant_id).get("payment", payment_id)
    if payment is None or not actor.sees_billing(payment["account_id"]):
        raise not_found("payment")
    if payment["status"] != "pending" or not payment["stripe_payment_intent_id"] or not provider.available:
        return answer_for(payment)
    gateway = await provider.gateway()
    try:
        result = await gateway.payment_intent_status_async(payment["stripe_payment_intent_id"])
    except GatewayError:
        return answer_for(payment)
    async with unit_of_work(state, actor.tenant_id) as store:
        payment = await store.must_get("payment", payment_id)
        payment, change = await settle(store, payment, result)
        await notices_in_tx(store, tenant, payment, change, asynchronous=True)
    return answer_for(payment, result)
