"""Telling the account's people that a payment went through — or that a bank debit they were told
is processing later failed, or that a payment was refunded: a bell notification (a synced row, written
in the settling transaction) and, after the commit, an email (or SMS), with the receipt link for a
payment received or refunded (the receipt then says REFUNDED).

`notices_in_tx` / `send_notice` are the pair the settling paths call (webhook, status check):
which notice a settlement deserves is decided once, in the transaction that made the change, so
each is sent exactly once however many times Stripe repeats itself."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from server.db.store import Store
from server.documents.formatting import tenant_money
from sync.effects import PaymentNotice

log = logging.getLogger("haulport.billing")


async def _company_contacts(store: Store, account_id: str) -> list[dict[str, Any]]:
    members = await store.find("membership", account_id=account_id, portal_access=True, role="company")
    return await store.find("contact", id=[m["contact_id"] for m in members]) if members else []


async def _money_and_invoices(store: Store, tenant: dict[str, Any], payment: dict[str, Any]) -> tuple[str, list[str]]:
    """The payment's amount as text and the numbers of the invoices it was applied to."""
    numbers = []
    for allocation in payment["allocations"]:
        invoice = await store.get("invoice", allocation["invoice_id"])
        if invoice is not None:
            numbers.append(invoice["number"])
    return tenant_money(payment["amount"], tenant), numbers


async def _summary(store: Store, tenant: dict[str, Any], payment: dict[str, Any]) -> tuple[str, str]:
    money, numbers = await _money_and_invoices(store, tenant, payment)
    title = f"Payment {payment['number']} received: {money}"
    body = f"Thank you. Applied to {', '.join(numbers)}." if numbers else "Thank you."
    return title, body


async def add_receipt_notifications(store: Store, tenant: dict[str, Any], payment: dict[str, Any]) -> None:
    """A ``payment_received`` bell notification for each company contact of the account."""
    title, body = await _summary(store, tenant, payment)
    for contact in await _company_contacts(store, payment["account_id"]):
        await store.insert(
            "notification",
            {
                "contact_id": contact["id"],
                "account_id": payment["account_id"],
                "kind": "payment_received",
                "title": title,
                "body": body,
                "link": f"/payments/{payment['id']}",
            },
        )


Summary = Callable[[Store, dict[str, Any], dict[str, Any]], Awaitable[tuple[str, str]]]


async def _message_contacts(
    state: Any, tenant: dict[str, Any], payment: dict[str, Any], summary: Summary, link: str, link_label: str = ""
) -> None:
    """Email (or text) ``summary``'s title and body with ``link`` to the account's company contacts."""
    async with state.db.read() as conn:
        store = Store(conn, tenant["id"])
        contacts = await _company_contacts(store, payment["account_id"])
        title, body = await summary(store, tenant, payment)
    name = tenant.get("display_name") or tenant["name"]
    text = f"{title}\n{body}\n{link_label}{link}"
    for contact in contacts:
        if contact.get("email"):
            await state.messenger.send(tenant["id"], "email", contact["email"], f"{name}: {title}", text, link)
        elif contact.get("phone"):
            await state.messenger.send(tenant["id"], "sms", contact["phone"], title, text, link)


def _receipt_link(state: Any, payment: dict[str, Any]) -> str:
    return f"{state.settings.public_url.rstrip('/')}/api/documents/payments/{payment['id']}/receipt.pdf"


async def send_receipt(state: Any, tenant: dict[str, Any], payment: dict[str, Any]) -> None:
    """Email (or text) the receipt to the account's company contacts; never raises."""
    try:
        await _message_contacts(state, tenant, payment, _summary, _receipt_link(state, payment), "Receipt: ")
    except Exception:  # a receipt must never fail the payment that caused it
        log.exception("sending the receipt of payment %s failed", payment.get("id"))


Notice = Literal["receipt", "bank_failure", "refund"] | None
# A `PaymentNotice` effect's ``notice`` (stored as text in the outbox) back as a `Notice`.
_NOTICES: dict[str, Notice] = {"receipt": "receipt", "bank_failure": "bank_failure", "refund": "refund"}


async def _failure_summary(store: Store, tenant: dict[str, Any], payment: dict[str, Any]) -> tuple[str, str]:
    money, numbers = await _money_and_invoices(store, tenant, payment)
    title = f"Bank payment {payment['number']} failed: {money}"
    reason = (payment.get("failure_reason") or "the bank did not pay it").rstrip(".")
    still_open = f" {', '.join(numbers)} {'is' if len(numbers) == 1 else 'are'} still open." if numbers else ""
    body = f"{reason}.{still_open} Please pay by card or with another bank account."
    return title, body


async def _refund_summary(store: Store, tenant: dict[str, Any], payment: dict[str, Any]) -> tuple[str, str]:
    money = tenant_money(payment["amount"], tenant)
    title = f"Payment {payment['number']} refunded: {money}"
    to = payment.get("reference") or "the card or bank account it was paid with"
    body = f"{money} is on its way back to {to}; it can take 5-10 business days to show."
    owed = []
    for allocation in payment["allocations"]:
        invoice = await store.get("invoice", allocation["invoice_id"])
        if invoice is not None and invoice["status"] in ("open", "pending") and invoice["balance"] > 0:
            owed.append(invoice["number"])
    if owed:
        body += f" {', '.join(owed)} {'is' if len(owed) == 1 else 'are'} open again."
    return title, body


async def notices_in_tx(
    store: Store, tenant: dict[str, Any], payment: dict[str, Any], change: str | None, *, asynchronous: bool
) -> Notice:
    """The notification rows a settlement calls for, written in its transaction, and the message
    `send_notice` sends after the commit emitted as a `PaymentNotice` effect (returned too).
    ``asynchronous``: the outcome came later (webhook, status check) rather than in the answer to the
    customer's own Pay request. ``refunded`` (`payments.refund` changed the payment) always tells the
    account: it is never their own doing."""
    notice = await _notice_rows(store, tenant, payment, change, asynchronous=asynchronous)
    if notice is not None:
        store.emit(PaymentNotice(payment_id=payment["id"], notice=notice))
    return notice


async def deliver_payment_notice(state: Any, tenant: dict[str, Any], effect_id: str, effect: PaymentNotice) -> str:
    """The `PaymentNotice` effect's handler."""
    async with state.db.read() as conn:
        payment = await Store(conn, tenant["id"]).get("payment", effect.payment_id)
    if payment is None:
        return "the payment is gone"
    await send_notice(state, tenant, payment, _NOTICES.get(effect.notice))
    return "sent"


async def _notice_rows(
    store: Store, tenant: dict[str, Any], payment: dict[str, Any], change: str | None, *, asynchronous: bool
) -> Notice:
    if change == "succeeded":
        await add_receipt_notifications(store, tenant, payment)
        return "receipt"
    if change == "refunded":
        title, body = await _refund_summary(store, tenant, payment)
        for contact in await _company_contacts(store, payment["account_id"]):
            await store.insert(
                "notification",
                {
                    "contact_id": contact["id"],
                    "account_id": payment["account_id"],
                    "kind": "payment_refunded",
                    "title": title,
                    "body": body,
                    "link": "/invoices?tab=payments",
                },
            )
        return "refund"
    if change == "failed" and asynchronous and payment.get("method") == "bank":
        title, body = await _failure_summary(store, tenant, payment)
        for contact in await _company_contacts(store, payment["account_id"]):
            await store.insert(
                "notification",
                {
                    "contact_id": contact["id"],
                    "account_id": payment["account_id"],
                    "kind": "payment_failed",
                    "title": title,
                    "body": body,
                    "link": "/invoices?tab=payments",
                },
            )
        return "bank_failure"
    return None


async def send_notice(state: Any, tenant: dict[str, Any], payment: dict[str, Any], notice: Notice) -> None:
    """After the commit: the receipt, the failed-debit message or the refund message; never raises."""
    if notice == "receipt":
        await send_receipt(state, tenant, payment)
    elif notice == "refund":
        try:
            await _message_contacts(state, tenant, payment, _refund_summary, _receipt_link(state, payment), "Receipt: ")
        except Exception:
            log.exception("telling the account that payment %s was refunded did not work", payment.get("id"))
    elif notice == "bank_failure":
        try:
            link = f"{state.settings.public_url.rstrip('/')}/t/{tenant['slug']}/invoices?tab=payments"
            await _message_contacts(state, tenant, payment, _failure_summary, link)
        except Exception:
            log.exception("telling the account that payment %s failed did not work", payment.get("id"))
