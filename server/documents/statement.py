"""Account statement maths: opening balance, dated entries with a running balance, ageing.

Pure functions over plain dicts (the sync/API row shapes from DOMAIN.md); no I/O.
The result of `build_statement` can be splatted into `render_statement`:

    render_statement(tenant, account, site, **build_statement(invoices, payments, ...))

What counts:
- invoices in any status except `draft` and `void` (never posted, or cancelled). Whether
  `pending` invoices belong on a customer's statement is the caller's choice (the tenant's
  `show_pending_invoices`): filter them out before calling if not.
- payments with status `succeeded` or `refunded`, dated by `paid_at` (falling back to `created_at`)
  in the tenant's time zone; a refunded payment also gives a ``refund`` entry (money owed again)
  dated by its `refunded_at`. So a statement for a period before the refund still shows the payment,
  and one spanning both shows the payment and its refund.
"""

from __future__ import annotations

import datetime as dt

from server.documents.formatting import local_date, zone_named

UNPOSTED_INVOICE_STATUSES = frozenset({"draft", "void"})
AGEING_BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")

_METHOD_LABELS = {"card": "card", "bank": "bank transfer", "other": "other"}


def build_statement(
    invoices: list[dict],
    payments: list[dict],
    period_from: str,
    period_to: str,
    today: str,
    *,
    timezone: str = "UTC",
) -> dict:
    """Opening balance, entries (date order, running balance), closing balance and ageing."""
    start, end = dt.date.fromisoformat(period_from), dt.date.fromisoformat(period_to)
    if start > end:
        raise ValueError(f"statement period starts after it ends: {period_from} > {period_to}")
    as_of = dt.date.fromisoformat(today)
    zone = zone_named(timezone)

    posted = [inv for inv in invoices if inv.get("status") not in UNPOSTED_INVOICE_STATUSES]
    numbers = {inv.get("id"): inv.get("number") for inv in invoices}
    settled = [pay for pay in payments if pay.get("status") in ("succeeded", "refunded")]

    opening = 0
    dated: list[tuple[tuple, dict]] = []
    for inv in posted:
        issued = _invoice_date(inv)
        if issued < period_from:
            opening += int(inv.get("total") or 0)
        elif issued <= period_to:
            entry = {
                "id": inv.get("id"),
                "date": issued,
                "kind": "invoice",
                "number": inv.get("number") or "",
                "description": _invoice_description(inv),
                "amount": int(inv.get("total") or 0),
            }
            dated.append(((issued, 0, entry["number"]), entry))
    for pay in settled:
        paid = _payment_date(pay, zone)
        if paid < period_from:
            opening -= int(pay.get("amount") or 0)
        elif paid <= period_to:
            entry = {
                "id": pay.get("id"),
                "date": paid,
                "kind": "payment",
                "number": pay.get("number") or "",
                "description": _payment_description(pay, numbers),
                "amount": -int(pay.get("amount") or 0),
            }
            dated.append(((paid, 1, entry["number"]), entry))
        if pay.get("status") != "refunded":
            continue
        back = _refund_date(pay, zone, paid)
        if back < period_from:
            opening += int(pay.get("amount") or 0)
        elif back <= period_to:
            entry = {
                "id": pay.get("id"),
                "date": back,
                "kind": "refund",
                "number": pay.get("number") or "",
                "description": f"Refund of payment {pay.get('number') or ''}".rstrip(),
                "amount": int(pay.get("amount") or 0),
            }
            dated.append(((back, 2, entry["number"]), entry))

    running = opening
    entries = []
    for _, entry in sorted(dated, key=lambda pair: pair[0]):
        running += entry["amount"]
        entries.append({**entry, "balance": running})

    return {
        "period_from": period_from,
        "period_to": period_to,
        "opening_balance": opening,
        "entries": entries,
        "closing_balance": running,
        "ageing": ageing_buckets([inv for inv in posted if _invoice_date(inv) <= period_to], as_of),
    }


def ageing_buckets(invoices: list[dict], today: dt.date) -> dict:
    """Open invoice balances by days past `due_on` (issue date if none) as of `today`."""
    buckets: dict[str, int] = dict.fromkeys(AGEING_BUCKETS, 0)
    for inv in invoices:
        balance = int(inv.get("balance") or 0)
        if balance <= 0 or inv.get("status") in UNPOSTED_INVOICE_STATUSES:
            continue
        due = dt.date.fromisoformat(inv.get("due_on") or _invoice_date(inv))
        buckets[_bucket((today - due).days)] += balance
    return buckets


def _bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "over_90"


def _invoice_date(invoice: dict) -> str:
    issued = invoice.get("issued_on")
    if not issued:
        raise ValueError(f"invoice {invoice.get('number') or invoice.get('id')} has no issued_on")
    return issued


def _payment_date(payment: dict, zone: dt.tzinfo) -> str:
    when = payment.get("paid_at") or payment.get("created_at")
    if not when:
        raise ValueError(f"payment {payment.get('number') or payment.get('id')} has no paid_at")
    return local_date(when, zone)


def _refund_date(payment: dict, zone: dt.tzinfo, paid: str) -> str:
    """When a refunded payment went back (never before it was paid)."""
    when = payment.get("refunded_at")
    return max(local_date(when, zone), paid) if when else paid


def _invoice_description(invoice: dict) -> str:
    parts = ["Invoice"]
    if invoice.get("due_on"):
        parts.append(f"due {invoice['due_on']}")
    if invoice.get("po_number"):
        parts.append(f"PO {invoice['po_number']}")
    return ", ".join(parts)


def _payment_description(payment: dict, invoice_numbers: dict) -> str:
    method = _METHOD_LABELS.get(payment.get("method") or "", payment.get("method") or "")
    text = f"Payment by {method}" if method else "Payment"
    applied = [
        invoice_numbers.get(a.get("invoice_id")) or "?"
        for a in payment.get("allocations") or []
        if int(a.get("amount") or 0) > 0
    ]
    if applied:
        text += ", applied to " + ", ".join(applied)
    if payment.get("reference"):
        text += f" (ref {payment['reference']})"
    return text
