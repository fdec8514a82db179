"""Invoice, order receipt, service report, payment receipt and account statement PDFs.

Plain dicts in (the row shapes of DOMAIN.md; money in integer cents), PDF bytes out. No
database, no web framework and no network: the caller loads the rows and checks scope.
"""

from __future__ import annotations

import datetime as dt
import uuid

from server.documents.canvas import GREY, Color
from server.documents.formatting import format_quantity, parse_instant, thumbnail
from server.documents.sheet import BAD, GOOD, Column, Sheet, address_lines

MAX_ITEM_ROWS = 50  # a receipt lists this many items at most (the rest counted in one row)
_NEUTRAL: Color = (0.45, 0.48, 0.53)
_PAYMENT_METHODS = {"card": "Card", "bank": "Bank transfer", "other": "Other"}
_LOAD_ESTIMATES = {
    "min": "Minimum load",
    "quarter": "Quarter truck",
    "half": "Half truck",
    "three_quarter": "Three-quarter truck",
    "full": "Full truck",
}


def render_invoice(tenant: dict, account: dict, invoice: dict, site: dict | None, *, today: str | None = None) -> bytes:
    """An invoice PDF; given `today` (YYYY-MM-DD), an open invoice past due shows as overdue."""
    sheet = Sheet(tenant, "Invoice", invoice.get("number") or "")
    total, balance = int(invoice.get("total") or 0), int(invoice.get("balance") or 0)
    sheet.letterhead(
        [
            ("Invoice no.", invoice.get("number") or ""),
            ("Issued", sheet.date(invoice.get("issued_on"))),
            ("Due", sheet.date(invoice.get("due_on"))),
            ("Terms", invoice.get("terms") or _terms_from_account(account)),
            ("PO number", invoice.get("po_number") or ""),
            ("Account no.", account.get("number") or ""),
        ],
        badge=_invoice_badge(invoice, today, sheet.accent),
    )
    sheet.blocks([("Bill to", _party_lines(account)), ("Service site", _site_lines(site))])

    rows = [
        [
            line.get("description") or "",
            format_quantity(line.get("quantity")),
            sheet.money(line.get("unit_price")),
            sheet.money(line.get("amount")),
        ]
        for line in invoice.get("lines") or []
    ]
    sheet.table(
        [
            Column("Description", 0.55),
            Column("Qty", 0.1, "right"),
            Column("Unit price", 0.17, "right"),
            Column("Amount", 0.18, "right"),
        ],
        rows or [["(no line items)", "", "", ""]],
    )
    sheet.totals(
        [
            ("Subtotal", sheet.money(invoice.get("subtotal"))),
            ("Tax", sheet.money(invoice.get("tax"))),
            ("Total", sheet.money(total)),
            ("Amount paid", sheet.money(total - balance)),
            ("Balance due", sheet.money(balance)),
        ]
    )
    if invoice.get("allow_online_payment") and balance > 0 and invoice.get("status") != "void":
        sheet.paragraph("Pay online any time from your customer portal.", color=GREY)
    return sheet.finish("Thank you for your business.")


def _job_facts(sheet: Sheet, job: dict, account: dict) -> list[tuple[str, str]]:
    return [
        ("Job no.", job.get("number") or ""),
        ("Scheduled", sheet.date(job.get("scheduled_date"))),
        ("Window", _window(job, sheet.zone)),
        ("Completed", sheet.date(job.get("completed_at"))),
        ("PO number", job.get("po_number") or ""),
        ("Account no.", account.get("number") or ""),
    ]


def _truck_text(job: dict, truck: dict | None) -> str:
    truck = truck or job.get("truck") or {}
    return " · ".join(p for p in (truck.get("name") or job.get("truck_name"), truck.get("plate")) if p)


def render_order_receipt(
    tenant: dict,
    account: dict,
    job: dict,
    site: dict | None,
    service_type: dict | None,
    *,
    truck: dict | None = None,
) -> bytes:
    """An order receipt: what was ordered, where and when, and what it costs (the quoted price, any
    promo discount, the total); its status history after."""
    sheet = Sheet(tenant, "Order receipt", job.get("number") or "")
    status = job.get("status") or ""
    sheet.letterhead(
        _job_facts(sheet, job, account),
        badge=(_label(status).upper(), _status_color(status, sheet.accent)) if status else None,
    )
    sheet.blocks([("Customer", _party_lines(account)), ("Service address", _site_lines(site))])

    sheet.heading("Order")
    service = (service_type or {}).get("name") or "Service"
    load = _LOAD_ESTIMATES.get(job.get("load_estimate") or "", "")
    price, discount = int(job.get("price") or 0), int(job.get("discount") or 0)
    rows = [[" · ".join(p for p in (service, load) if p), sheet.money(price + discount)]]
    if discount:
        code = job.get("promo_code") or ""
        rows.append([f"Promo code {code}".strip() if code else "Discount", sheet.money(-discount)])
    sheet.table([Column("Description", 0.75), Column("Amount", 0.25, "right")], rows)
    sheet.totals([("Total", sheet.money(price))])
    if job.get("description"):
        sheet.details([("Description", job.get("description") or "")])

    items = [_item_row(item) for item in _items(job.get("items"))]
    if items:
        sheet.heading("Items")
        sheet.table([Column("Item", 0.8), Column("Qty", 0.2, "right")], items, max_rows=MAX_ITEM_ROWS)

    _status_history(sheet, job)
    return sheet.finish("Thank you for choosing us.")


def render_service_report(
    tenant: dict,
    account: dict,
    job: dict,
    site: dict | None,
    service_type: dict | None,
    *,
    truck: dict | None = None,
    photos: dict[str, bytes] | None = None,
) -> bytes:
    """A service report: the work done, by whom and when (on the way, started, completed), the crew's
    before and after photos as thumbnails, and the notes. `photos` maps a photo's URL to its bytes
    (loaded by the caller; a photo without bytes is listed, never fetched)."""
    sheet = Sheet(tenant, "Service report", job.get("number") or "")
    status = job.get("status") or ""
    sheet.letterhead(
        [
            ("Job no.", job.get("number") or ""),
            ("Service date", sheet.date(job.get("scheduled_date") or job.get("completed_at"))),
            ("PO number", job.get("po_number") or ""),
            ("Account no.", account.get("number") or ""),
        ],
        badge=(_label(status).upper(), _status_color(status, sheet.accent)) if status else None,
    )
    sheet.blocks([("Customer", _party_lines(account)), ("Service address", _site_lines(site))])

    sheet.heading("Work")
    reached = _first_at(job, "en_route")
    started = _first_at(job, "in_progress")
    sheet.details(
        [
            ("Service", (service_type or {}).get("name") or ""),
            ("Crew", _crew(job.get("crew"))),
            ("Truck", _truck_text(job, truck)),
            ("On the way", sheet.datetime(reached)),
            ("Started", sheet.datetime(started)),
            ("Completed", sheet.datetime(job.get("completed_at") or _first_at(job, "completed"))),
            ("Load", _LOAD_ESTIMATES.get(job.get("load_estimate") or "", "")),
            (
                "Items",
                job["items"]
                if isinstance(job.get("items"), str)
                else ", ".join(r[0] for r in map(_item_row, job.get("items") or [])),
            ),
        ]
    )

    stored = photos or {}
    for stage, title in (("before", "Before"), ("during", "During the work"), ("after", "After")):
        shots = [p for p in job.get("photos") or [] if p.get("stage") == stage]
        if not shots:
            continue
        thumbs, missing = [], 0
        for shot in sorted(shots, key=lambda p: p.get("taken_at") or ""):
            small = thumbnail(stored[shot["url"]]) if shot.get("url") in stored else None
            if small is None:
                missing += 1
                continue
            thumbs.append((f"{title} · {sheet.datetime(shot.get('taken_at'))}", *small))
        # The heading stays with its first row of thumbnails (at most 1.4 times as tall as wide).
        sheet.room_for((sheet.content_width - 36) / 4 * 1.4 + 60 if thumbs else 40)
        sheet.heading(f"{title} ({len(shots)} {'photo' if len(shots) == 1 else 'photos'})")
        if thumbs:
            sheet.photos(thumbs, per_row=4)
        if missing:
            sheet.paragraph(
                f"{missing} {'photo is' if missing == 1 else 'photos are'} in your customer portal.", color=GREY
            )

    sheet.heading("Notes")
    sheet.paragraph(job.get("description") or "No notes for this visit.")
    return sheet.finish("Thank you for choosing us.")


def _first_at(job: dict, status: str) -> str | None:
    times = sorted(e.get("at") or "" for e in job.get("status_history") or [] if e.get("status") == status)
    return times[0] if times and times[0] else None


def _status_history(sheet: Sheet, job: dict) -> None:
    history = sorted(job.get("status_history") or [], key=lambda event: event.get("at") or "")
    if history:
        sheet.heading("Status history")
        sheet.table(
            [Column("Status", 0.3), Column("When", 0.3), Column("By", 0.4)],
            [
                [_label(event.get("status") or ""), sheet.datetime(event.get("at")), _by(event.get("by"))]
                for event in history
            ],
            wrap_column=2,
        )


def render_payment_receipt(tenant: dict, account: dict, payment: dict, invoices: list[dict]) -> bytes:
    """A payment receipt: amount, method and how it was applied to invoices. A refunded payment's
    receipt says so (badge, date, a "Refunded" total and a closing sentence); its "Applied to" table
    still lists what the payment had paid, with each invoice's balance as it is now (owed again)."""
    sheet = Sheet(tenant, "Payment receipt", payment.get("number") or "")
    status = payment.get("status") or ""
    refunded = status == "refunded"
    refunded_on = sheet.date(payment.get("refunded_at")) if refunded else ""
    method = _PAYMENT_METHODS.get(payment.get("method") or "", _label(payment.get("method") or ""))
    facts = [
        ("Payment no.", payment.get("number") or ""),
        ("Date", sheet.date(payment.get("paid_at") or payment.get("created_at"))),
        ("Method", method),
        ("Reference", payment.get("reference") or ""),
        ("Account no.", account.get("number") or ""),
    ]
    if refunded:
        facts.insert(2, ("Refunded on", refunded_on or "-"))
    sheet.letterhead(
        facts,
        badge=(
            (_PAYMENT_BADGES.get(status, _label(status).upper()), _status_color(status, sheet.accent))
            if status
            else None
        ),
    )
    sheet.blocks([("Received from", _party_lines(account))])

    by_id = {invoice.get("id"): invoice for invoice in invoices}
    allocations = [a for a in payment.get("allocations") or [] if int(a.get("amount") or 0)]
    if allocations:
        sheet.heading("Applied to")
        rows = []
        for allocation in allocations:
            invoice = by_id.get(allocation.get("invoice_id")) or {}
            rows.append(
                [
                    invoice.get("number") or str(allocation.get("invoice_id") or ""),
                    sheet.date(invoice.get("issued_on")),
                    sheet.money(invoice.get("total")) if invoice else "",
                    sheet.money(allocation.get("amount")),
                    sheet.money(invoice.get("balance")) if invoice else "",
                ]
            )
        sheet.table(
            [
                Column("Invoice", 0.28),
                Column("Issued", 0.16),
                Column("Invoice total", 0.18, "right"),
                Column("Applied", 0.19, "right"),
                Column("Balance now", 0.19, "right"),
            ],
            rows,
        )

    amount = int(payment.get("amount") or 0)
    applied = sum(int(a.get("amount") or 0) for a in allocations)
    rows = [("Applied to invoices", sheet.money(applied))]
    if amount - applied:
        rows.append(("Unapplied credit", sheet.money(amount - applied)))
    if refunded:
        rows.append(("Amount received", sheet.money(amount)))
        rows.append(("Refunded", sheet.money(-amount)))
        rows.append(("Amount kept", sheet.money(0)))
        sheet.totals(rows)
        to = payment.get("reference") or "the card or bank account it was paid with"
        when = f" on {refunded_on}" if refunded_on else ""
        sheet.paragraph(
            f"This payment was refunded in full{when}: {sheet.money(amount)} went back to {to}. "
            "The invoices it paid are owed again."
        )
        return sheet.finish("This payment was refunded.")
    rows.append(("Amount received" if status in ("succeeded", "") else "Amount", sheet.money(amount)))
    sheet.totals(rows)
    return sheet.finish("Thank you for your payment.")


def render_statement(
    tenant: dict,
    account: dict,
    site: dict | None,
    period_from: str,
    period_to: str,
    opening_balance: int,
    entries: list[dict],
    closing_balance: int,
    ageing: dict,
) -> bytes:
    """An account statement for a period; `build_statement` computes its numbers."""
    sheet = Sheet(tenant, "Statement", account.get("number") or "")
    sheet.letterhead(
        [
            ("Account no.", account.get("number") or ""),
            ("Period", f"{sheet.date(period_from)} to {sheet.date(period_to)}"),
            ("Amount due", sheet.money(closing_balance)),
        ]
    )
    sheet.blocks([("Account", _party_lines(account)), ("Site", _site_lines(site))])

    rows = [[sheet.date(period_from), "", "", "Opening balance", "", sheet.money(opening_balance)]]
    for entry in entries:
        rows.append(
            [
                sheet.date(entry.get("date")),
                _label(entry.get("kind") or ""),
                entry.get("number") or "",
                entry.get("description") or "",
                sheet.money(entry.get("amount")),
                sheet.money(entry.get("balance")),
            ]
        )
    rows.append([sheet.date(period_to), "", "", "Closing balance", "", sheet.money(closing_balance)])
    sheet.table(
        [
            Column("Date", 0.12),
            Column("Type", 0.09),
            Column("Number", 0.17),
            Column("Description", 0.30),
            Column("Amount", 0.16, "right"),
            Column("Balance", 0.16, "right"),
        ],
        rows,
        wrap_column=3,
        bold_rows=frozenset({0, len(rows) - 1}),
        max_rows=2000,  # a statement lists its period in full up to 2,000 entries
    )

    invoiced = sum(e.get("amount") or 0 for e in entries if (e.get("amount") or 0) > 0)
    credited = sum(e.get("amount") or 0 for e in entries if (e.get("amount") or 0) < 0)
    sheet.totals(
        [
            ("Opening balance", sheet.money(opening_balance)),
            ("Invoiced", sheet.money(invoiced)),
            ("Payments and credits", sheet.money(credited)),
            ("Closing balance", sheet.money(closing_balance)),
        ]
    )

    sheet.heading("Ageing of open invoices")
    buckets = ["current", "1_30", "31_60", "61_90", "over_90"]
    sheet.table(
        [
            Column("Current", 1 / 6, "right"),
            Column("1-30 days", 1 / 6, "right"),
            Column("31-60 days", 1 / 6, "right"),
            Column("61-90 days", 1 / 6, "right"),
            Column("Over 90 days", 1 / 6, "right"),
            Column("Total open", 1 / 6, "right"),
        ],
        [[sheet.money(ageing.get(b)) for b in buckets] + [sheet.money(sum(int(ageing.get(b) or 0) for b in buckets))]],
    )
    return sheet.finish("Please contact us with any questions about your account.")


# -- small pieces ------------------------------------------------------------------------

_PAYMENT_BADGES = {"succeeded": "PAID", "pending": "PENDING", "failed": "FAILED", "refunded": "REFUNDED"}


def _label(code: str) -> str:
    """A status or kind code for people: en_route → "En route"."""
    return code.replace("_", " ").capitalize()


def _status_color(status: str, accent: Color) -> Color:
    if status in ("paid", "succeeded", "completed"):
        return GOOD
    if status in ("void", "overdue", "failed", "cancelled"):
        return BAD
    if status in ("draft", "pending", "requested", "refunded"):
        return _NEUTRAL
    return accent


def _invoice_badge(invoice: dict, today: str | None, accent: Color) -> tuple[str, Color] | None:
    status = invoice.get("status") or ""
    total, balance = int(invoice.get("total") or 0), int(invoice.get("balance") or 0)
    due = invoice.get("due_on")
    if status == "open" and balance > 0 and today and due and due < today:
        status = "overdue"
    if not status:
        return None
    text = status.upper()
    if status in ("open", "overdue") and 0 < balance < total:
        text = f"{text} · PARTIALLY PAID"
    return text, _status_color(status, accent)


def _terms_from_account(account: dict) -> str:
    days = account.get("net_terms_days")
    if days is None:
        return ""
    return "Due on receipt" if int(days) == 0 else f"Net {int(days)}"


def _party_lines(account: dict) -> list[str]:
    return [account.get("name") or "", *address_lines(account.get("billing_address"))]


def _site_lines(site: dict | None) -> list[str]:
    # The site's access_code is deliberately left off: documents get forwarded and printed.
    if not site:
        return []
    place = ", ".join(p for p in (site.get("building"), f"Unit {site['unit']}" if site.get("unit") else "") if p)
    return [site.get("name") or "", *address_lines(site.get("address")), place]


def _window(job: dict, zone: dt.tzinfo) -> str:
    start, end = job.get("window_start"), job.get("window_end")
    if not start and not end:
        return ""
    return f"{_clock(start, zone)}-{_clock(end, zone)}".strip("-")


def _clock(value: str | None, zone: dt.tzinfo) -> str:
    """An instant as local "HH:MM"; a bare time ("08:00") passes through."""
    if not value:
        return ""
    if "T" not in value:
        return value[:5]
    return parse_instant(value).astimezone(zone).strftime("%H:%M")


def _crew(crew) -> str:
    if not crew:
        return ""
    if isinstance(crew, str):
        return crew
    return ", ".join(member.get("name", "") if isinstance(member, dict) else str(member) for member in crew)


def _by(by) -> str:
    """Who changed the status; bare ids mean nothing to a customer, so they are left blank."""
    if isinstance(by, dict):
        return by.get("name") or by.get("kind") or ""
    text = str(by or "")
    try:
        uuid.UUID(text)
    except ValueError:
        return _label(text) if text.islower() and " " not in text else text
    return ""


def _items(items) -> list:
    """A job's items: the text a customer typed, one item a line (never one per character), or a list."""
    if isinstance(items, str):
        return [line.strip() for line in items.splitlines() if line.strip()]
    return list(items or [])


def _item_row(item) -> list[str]:
    if isinstance(item, dict):
        text = item.get("description") or item.get("name") or item.get("label") or ""
        return [text, format_quantity(item.get("quantity", item.get("qty")))]
    return [str(item), ""]
