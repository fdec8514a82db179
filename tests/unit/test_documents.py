"""Printed documents: every PDF opens and says what it should; statement maths adds up;
rendering leaves the process (signal handlers, network) alone."""

from __future__ import annotations

import datetime
import signal
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.documents import (
    build_statement,
    format_money,
    render_invoice,
    render_order_receipt,
    render_payment_receipt,
    render_service_report,
    render_statement,
)
from server.documents.formatting import format_date, format_datetime, format_phone, locale_problem, zone_named

TENANT = {
    "slug": "demo",
    "name": "Demo Junk & Dumpster",
    "display_name": "Demo Junk & Dumpster",
    "logo_url": "https://cdn.example.com/demo/logo.png",
    "primary_color": "#E4572E",
    "timezone": "America/Chicago",
    "currency": "USD",
    "phone": "+15550100000",
    "email": "office@demo.example",
    "address": {"line1": "100 Haul Way", "city": "Springfield", "region": "IL", "postal_code": "62701"},
}
ACCOUNT = {
    "id": "acc-1",
    "number": "C-1042",
    "name": "Harbor Property Group",
    "kind": "commercial",
    "billing_address": {"line1": "1 Harbor Plaza", "city": "Springfield", "region": "IL", "postal_code": "62702"},
    "net_terms_days": 30,
}
SITE = {
    "id": "site-1",
    "name": "Harbor Towers",
    "address": {"line1": "55 Dock St", "city": "Springfield", "region": "IL", "postal_code": "62703"},
    "building": "Tower B",
    "unit": "12",
    "access_code": "4411#",
}


def make_invoice(**overrides) -> dict:
    lines = [
        {"description": "20 yd dumpster rental", "quantity": 1, "unit_price": 45_000, "amount": 45_000},
        {"description": "Overage, per ton", "quantity": 1.5, "unit_price": 8_000, "amount": 12_000},
    ]
    invoice = {
        "id": "inv-1",
        "number": "INV-2025-0042",
        "account_id": "acc-1",
        "issued_on": "2025-03-01",
        "due_on": "2025-03-31",
        "terms": "Net 30",
        "status": "open",
        "lines": lines,
        "subtotal": 57_000,
        "tax": 4_703,
        "total": 61_703,
        "balance": 21_703,
        "po_number": "PO-7781",
        "allow_online_payment": True,
    }
    return {**invoice, **overrides}


JOB = {
    "id": "job-1",
    "number": "J-1007",
    "status": "completed",
    "scheduled_date": "2025-03-02",
    "window_start": "2025-03-02T14:00:00Z",
    "window_end": "2025-03-02T18:00:00Z",
    "crew": ["Sam Lee", "Jo Park"],
    "description": "Garage clean-out",
    "items": ["Sofa", {"name": "Refrigerator", "quantity": 1}],
    "load_estimate": "half",
    "status_history": [
        {"status": "confirmed", "at": "2025-02-27T16:10:00Z", "by": "office"},
        {"status": "requested", "at": "2025-02-27T15:00:00Z", "by": "portal"},
        {"status": "completed", "at": "2025-03-02T15:05:00Z", "by": "3f1c2d1e-1111-4222-8333-444455556666"},
    ],
    "completed_at": "2025-03-02T15:05:00Z",
    "price": 22_500,
    "discount": 2_500,
    "promo_code": "WELCOME10",
}
PAYMENT = {
    "id": "pay-1",
    "number": "PAY-0099",
    "amount": 50_000,
    "method": "card",
    "status": "succeeded",
    "reference": "Visa 4242",
    "paid_at": "2025-03-10T17:00:00Z",
    "allocations": [{"invoice_id": "inv-1", "amount": 40_000}],
}


def pdf_text(pdf: bytes, tmp_path) -> str:
    """Read the PDF back with borb and return the text of all its pages."""
    from borb.pdf.toolkit.pipeline import Pipeline
    from borb.pdf.toolkit.sink.get_text import GetText
    from borb.pdf.toolkit.source.operator.source import Source
    from borb.pdf.visitor.pdf import PDF

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    document = PDF.read(path)
    assert document is not None
    pages = Pipeline([Source(), GetText()]).process(document)
    return "\n".join(pages[index] for index in sorted(pages))


def page_count(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>")


# -- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (123_456, "USD", "$1,234.56"),
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (-500, "USD", "-$5.00"),
        (100_000_000, "CAD", "$1,000,000.00"),
        (1_999, "EUR", "€19.99"),
        (1_999, "gbp", "£19.99"),
        (1_999, "CHF", "19.99 CHF"),
        (None, "USD", "$0.00"),
    ],
)
def test_money_is_shown_from_integer_cents(cents, currency, shown):
    assert format_money(cents, currency) == shown


def test_money_defaults_to_dollars():
    assert format_money(250) == "$2.50"


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "shown"),
    [
        (123_456, "EUR", "de-DE", "1.234,56\xa0€"),
        (-500, "EUR", "de-DE", "-5,00\xa0€"),
        (123_456, "EUR", "fr-FR", "1\xa0234,56\xa0€"),  # CLDR's narrow space made printable
        (123_456, "GBP", "en-GB", "£1,234.56"),
        (123_456, "CHF", "de-CH", "CHF\xa01'234.56"),
        (123_456, "USD", "en-US", "$1,234.56"),
    ],
)
def test_money_is_written_the_way_the_tenants_locale_writes_it(cents, currency, locale, shown):
    assert format_money(cents, currency, locale) == shown


def test_dates_and_times_are_written_the_way_the_tenants_locale_writes_them():
    chicago, berlin = zone_named("America/Chicago"), zone_named("Europe/Berlin")
    assert format_date("2025-03-31", chicago) == "Mar 31, 2025"
    assert format_date("2025-03-31", berlin, "de-DE") == "31.03.2025"
    assert format_date("2025-04-01T03:00:00Z", chicago) == "Mar 31, 2025"  # the local date of an instant
    assert format_datetime("2025-02-27T15:00:00Z", chicago) == "Feb 27, 2025, 9:00 AM"
    assert format_datetime("2025-02-27T15:00:00Z", berlin, "de-DE") == "27.02.2025, 16:00"
    assert format_date("", chicago) == ""


@pytest.mark.parametrize(
    ("phone", "country", "shown"),
    [
        ("+15550100000", "US", "(555) 010-0000"),
        ("+15550100000", "CA", "(555) 010-0000"),
        ("+15550100000", "DE", "+1 555 010 0000"),
        ("+4930123456", "DE", "030 123456"),
        ("+491701234567", "DE", "0170 1234567"),
        ("+4930123456", "US", "+49 30123456"),
        ("+33123456789", "FR", "01 23 45 67 89"),
        ("+442079460000", "GB", "020 7946 0000"),
        ("+61412345678", "AU", "0412 345 678"),
        ("555-1234", "US", "555-1234"),
        ("", "US", ""),
    ],
)
def test_phone_numbers_read_the_national_way_in_the_tenants_country(phone, country, shown):
    assert format_phone(phone, country) == shown


def test_locale_and_currency_settings_are_checked():
    assert locale_problem("de-DE", "EUR") is None
    assert locale_problem("xx-QQ", None)[0] == "unknown_locale"
    assert locale_problem(None, "ABC")[0] == "unknown_currency"


# -- documents ----------------------------------------------------------------------------


def test_invoice_pdf_shows_number_lines_and_balance(tmp_path):
    text = pdf_text(render_invoice(TENANT, ACCOUNT, make_invoice(), SITE), tmp_path)
    for expected in [
        "Demo Junk & Dumpster",
        "INV-2025-0042",
        "Mar 31, 2025",
        "Net 30",
        "PO-7781",
        "Harbor Property Group",
        "Harbor Towers",
        "20 yd dumpster rental",
        "1.5",
        "$450.00",
        "$617.03",  # total
        "$400.00",  # amount paid
        "$217.03",  # balance
        "https://cdn.example.com/demo/logo.png",
    ]:
        assert expected in text, expected


def test_invoice_never_prints_the_site_access_code(tmp_path):
    text = pdf_text(render_invoice(TENANT, ACCOUNT, make_invoice(), SITE), tmp_path)
    assert "4411#" not in text


def test_open_invoice_past_due_shows_as_overdue(tmp_path):
    overdue = render_invoice(TENANT, ACCOUNT, make_invoice(), SITE, today="2025-04-15")
    on_time = render_invoice(TENANT, ACCOUNT, make_invoice(), SITE, today="2025-03-15")
    assert "OVERDUE" in pdf_text(overdue, tmp_path)
    assert "OVERDUE" not in pdf_text(on_time, tmp_path)


def test_paid_invoice_shows_paid_and_zero_balance(tmp_path):
    text = pdf_text(render_invoice(TENANT, ACCOUNT, make_invoice(status="paid", balance=0), None), tmp_path)
    assert "PAID" in text
    assert "$0.00" in text


def test_long_invoice_continues_on_further_pages_with_the_header_repeated(tmp_path):
    lines = [{"description": f"Haul #{i}", "quantity": 1, "unit_price": 100, "amount": 100} for i in range(120)]
    pdf = render_invoice(TENANT, ACCOUNT, make_invoice(lines=lines), SITE)
    text = pdf_text(pdf, tmp_path)
    assert page_count(pdf) >= 3
    assert "Haul #0" in text and "Haul #119" in text
    assert "(continued)" in text
    assert text.count("DESCRIPTION") == page_count(pdf)
    assert f"page {page_count(pdf)} of {page_count(pdf)}" in text


def test_awkward_text_does_not_break_the_pdf(tmp_path):
    tenant = {**TENANT, "display_name": "Müller (Süd) \\ Entsorgung – €", "logo_url": "javascript:alert(1)"}
    invoice = make_invoice(
        number="RE-(2025", lines=[{"description": "Tür ) ✓ 🚛\n(x)", "quantity": 1, "unit_price": 1, "amount": 1}]
    )
    pdf = render_invoice(tenant, ACCOUNT, invoice, SITE)
    text = pdf_text(pdf, tmp_path)
    assert "Müller (Süd) \\ Entsorgung – €" in text
    assert "RE-(2025" in text
    assert b"/URI" not in pdf  # only http(s) logo URLs become links


def test_other_currencies_print_on_a4_with_their_symbol(tmp_path):
    pdf = render_invoice({**TENANT, "currency": "EUR"}, ACCOUNT, make_invoice(), SITE)
    assert b"/MediaBox [0 0 595 842]" in pdf
    assert "€617.03" in pdf_text(pdf, tmp_path)


def test_job_receipt_shows_service_crew_items_and_history(tmp_path):
    pdf = render_order_receipt(
        TENANT, ACCOUNT, JOB, SITE, {"name": "Junk removal"}, truck={"name": "T-1", "plate": "IL 4X-221"}
    )
    text = pdf_text(pdf, tmp_path)
    for expected in [
        "ORDER RECEIPT",
        "$250.00",  # the service before the promo
        "Promo code WELCOME10",
        "-$25.00",
        "$225.00",  # the total
        "J-1007",
        "COMPLETED",
        "Junk removal",
        "Half truck",
        "Refrigerator",
        "55 Dock St",
    ]:
        assert expected in text, expected
    # window and history in the tenant's time zone (America/Chicago, UTC-6 in early March)
    assert "08:00-12:00" in text
    assert text.index("Feb 27, 2025, 9:00 AM") < text.index("Feb 27, 2025, 10:10 AM")
    assert "3f1c2d1e" not in text and "4411#" not in text


def test_a_euro_tenant_in_germany_gets_german_amounts_dates_and_phone_numbers(tmp_path):
    tenant = TENANT | {"currency": "EUR", "locale": "de-DE", "country": "DE", "phone": "+4930123456"}
    tenant["timezone"] = "Europe/Berlin"
    text = pdf_text(render_invoice(tenant, ACCOUNT, make_invoice(total=123_456, balance=123_456), SITE), tmp_path)
    for expected in ["1.234,56", "450,00", "31.03.2025", "01.03.2025", "030 123456"]:
        assert expected in text, expected
    assert "$" not in text and "2025-03-31" not in text and "+4930123456" not in text
    text = pdf_text(render_payment_receipt(tenant, ACCOUNT, PAYMENT, [make_invoice()]), tmp_path)
    assert "500,00" in text and "10.03.2025" in text


def test_service_report_has_its_title_crew_times_photos_and_notes(tmp_path):
    from tests.support.browser import png_bytes

    job = JOB | {
        "status_history": [
            *JOB["status_history"],
            {"status": "en_route", "at": "2025-03-02T14:10:00Z", "by": "driver"},
            {"status": "in_progress", "at": "2025-03-02T14:30:00Z", "by": "driver"},
        ],
        "photos": [
            {"id": "a", "url": "/api/uploads/a", "stage": "before", "taken_at": "2025-03-02T14:31:00Z"},
            {"id": "b", "url": "/api/uploads/b", "stage": "after", "taken_at": "2025-03-02T15:01:00Z"},
            {"id": "c", "url": "https://photos.example/c.jpg", "stage": "after", "taken_at": "2025-03-02T15:02:00Z"},
        ],
    }
    photos = {"/api/uploads/a": png_bytes(64, 48), "/api/uploads/b": png_bytes(40, 80, (20, 120, 200))}
    pdf = render_service_report(
        TENANT, ACCOUNT, job, SITE, {"name": "Junk removal"}, truck={"name": "T-1", "plate": "IL 4X-221"}, photos=photos
    )
    text = pdf_text(pdf, tmp_path)
    for expected in [
        "SERVICE REPORT",
        "J-1007",
        "Sam Lee, Jo Park",
        "T-1 · IL 4X-221",
        "Mar 2, 2025, 8:10 AM",  # on the way (America/Chicago)
        "Mar 2, 2025, 8:30 AM",  # started
        "Mar 2, 2025, 9:05 AM",  # completed
        "Before (1 photo)",
        "After (2 photos)",
        "1 photo is in your customer portal.",  # the one stored elsewhere is never fetched
        "Garage clean-out",
    ]:
        assert expected in text, expected
    assert "Job receipt" not in text and "$" not in text
    assert pdf.count(b"/Subtype /Image") == 2 and pdf.count(b"/DCTDecode") == 2


def test_a_photo_that_is_not_an_image_is_left_out_of_the_report(tmp_path):
    job = JOB | {
        "photos": [{"id": "a", "url": "/api/uploads/a", "stage": "before", "taken_at": "2025-03-02T14:31:00Z"}]
    }
    pdf = render_service_report(TENANT, ACCOUNT, job, SITE, None, photos={"/api/uploads/a": b"not an image"})
    assert b"/Subtype /Image" not in pdf
    assert "1 photo is in your customer portal." in pdf_text(pdf, tmp_path)


def test_job_receipt_renders_with_the_bare_minimum(tmp_path):
    text = pdf_text(
        render_order_receipt({"name": "Acme"}, {"name": "Ava Reed"}, {"number": "J-1"}, None, None), tmp_path
    )
    assert "J-1" in text and "Acme" in text


def test_payment_receipt_shows_amount_allocations_and_unapplied_credit(tmp_path):
    text = pdf_text(render_payment_receipt(TENANT, ACCOUNT, PAYMENT, [make_invoice()]), tmp_path)
    for expected in ["PAY-0099", "Mar 10, 2025", "Card", "Visa 4242", "INV-2025-0042", "$400.00", "$100.00", "$500.00"]:
        assert expected in text, expected
    assert "Unapplied credit" in text


def test_statement_pdf_shows_entries_closing_balance_and_ageing(tmp_path):
    invoices = [
        make_invoice(),
        make_invoice(
            id="inv-0",
            number="INV-2025-0031",
            issued_on="2025-01-10",
            due_on="2025-02-09",
            total=15_000,
            balance=15_000,
        ),
    ]
    statement = build_statement(
        invoices, [PAYMENT], "2025-02-15", "2025-03-31", "2025-04-20", timezone="America/Chicago"
    )
    text = pdf_text(render_statement(TENANT, ACCOUNT, SITE, **statement), tmp_path)
    for expected in [
        "Opening balance",
        "$150.00",
        "INV-2025-0042",
        "PAY-0099",
        "-$500.00",
        "Closing balance",
        "$267.03",
        "OVER 90 DAYS",
    ]:
        assert expected in text, expected


# -- the process is left alone ------------------------------------------------------------


def render_everything() -> list[bytes]:
    statement = build_statement([make_invoice()], [PAYMENT], "2025-03-01", "2025-03-31", "2025-03-31")
    return [
        render_invoice(TENANT, ACCOUNT, make_invoice(), SITE),
        render_order_receipt(TENANT, ACCOUNT, JOB, SITE, None),
        render_service_report(TENANT, ACCOUNT, JOB, SITE, None),
        render_payment_receipt(TENANT, ACCOUNT, PAYMENT, [make_invoice()]),
        render_statement(TENANT, ACCOUNT, None, **statement),
    ]


def test_rendering_leaves_the_signal_handlers_alone(tmp_path):
    from borb.pdf.license.usage_statistics import UsageStatistics

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    pdfs = render_everything()
    # borb's own reader reports usage too; after rendering it must be opted out as well
    pdf_text(pdfs[0], tmp_path)
    after = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert after == before
    assert not any("UsageStatistics" in getattr(handler, "__qualname__", "") for handler in after)
    assert UsageStatistics._UsageStatistics__HAS_OPTED_IN is False


def test_rendering_makes_no_network_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("documents must render offline")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert all(pdf.startswith(b"%PDF") for pdf in render_everything())


def test_invoices_render_side_by_side_in_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    numbers = [f"INV-T{n:03d}" for n in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(
            pool.map(lambda number: render_invoice(TENANT, ACCOUNT, make_invoice(number=number), SITE), numbers)
        )
    for number, pdf in zip(numbers, pdfs):
        text = pdf_text(pdf, tmp_path)
        assert number in text
        assert [other for other in numbers if other != number and other in text] == []


# -- statement maths ----------------------------------------------------------------------


def inv(number, issued_on, total, *, due_on=None, balance=None, status="open", id=None):
    return {
        "id": id or number,
        "number": number,
        "issued_on": issued_on,
        "due_on": due_on or issued_on,
        "total": total,
        "balance": total if balance is None else balance,
        "status": status,
    }


def pay(number, paid_at, amount, *, status="succeeded", allocations=()):
    return {
        "id": number,
        "number": number,
        "paid_at": paid_at,
        "amount": amount,
        "status": status,
        "method": "card",
        "allocations": list(allocations),
    }


def test_opening_balance_is_invoices_before_the_period_less_payments_before_it():
    statement = build_statement(
        [inv("I1", "2025-01-05", 10_000), inv("I2", "2025-01-31", 5_000), inv("I3", "2025-02-01", 7_000)],
        [pay("P1", "2025-01-20T12:00:00Z", 4_000), pay("P2", "2025-02-03T12:00:00Z", 1_000)],
        "2025-02-01",
        "2025-02-28",
        "2025-02-28",
    )
    assert statement["opening_balance"] == 10_000 + 5_000 - 4_000
    assert [e["number"] for e in statement["entries"]] == ["I3", "P2"]
    assert statement["closing_balance"] == 11_000 + 7_000 - 1_000


def test_entries_are_in_date_order_with_a_running_balance():
    statement = build_statement(
        [inv("I2", "2025-03-20", 2_000), inv("I1", "2025-03-05", 10_000)],
        [pay("P1", "2025-03-05T18:00:00Z", 3_000), pay("P2", "2025-03-25T18:00:00Z", 9_000)],
        "2025-03-01",
        "2025-03-31",
        "2025-03-31",
    )
    entries = statement["entries"]
    assert [(e["date"], e["kind"], e["number"], e["amount"], e["balance"]) for e in entries] == [
        ("2025-03-05", "invoice", "I1", 10_000, 10_000),  # an invoice comes before a payment on the same day
        ("2025-03-05", "payment", "P1", -3_000, 7_000),
        ("2025-03-20", "invoice", "I2", 2_000, 9_000),
        ("2025-03-25", "payment", "P2", -9_000, 0),
    ]
    assert statement["closing_balance"] == 0
    assert set(entries[0]) >= {"date", "kind", "number", "description", "amount", "balance"}


def test_period_bounds_are_inclusive():
    statement = build_statement(
        [
            inv("I1", "2025-03-01", 100),
            inv("I2", "2025-03-31", 200),
            inv("I3", "2025-04-01", 400),
            inv("I0", "2025-02-28", 800),
        ],
        [],
        "2025-03-01",
        "2025-03-31",
        "2025-03-31",
    )
    assert [e["number"] for e in statement["entries"]] == ["I1", "I2"]
    assert statement["opening_balance"] == 800
    assert statement["closing_balance"] == 1_100


def test_drafts_voids_and_unsettled_payments_are_left_out():
    statement = build_statement(
        [
            inv("D", "2025-03-02", 1_000, status="draft"),
            inv("V", "2025-03-02", 2_000, status="void"),
            inv("V0", "2025-01-02", 2_000, status="void"),
            inv("OK", "2025-03-02", 4_000),
            inv("PAID", "2025-03-03", 8_000, status="paid", balance=0),
        ],
        [
            pay("PEND", "2025-03-04T12:00:00Z", 100, status="pending"),
            pay("FAIL", "2025-03-04T12:00:00Z", 200, status="failed"),
            pay("GOOD", "2025-03-04T12:00:00Z", 8_000),
        ],
        "2025-03-01",
        "2025-03-31",
        "2025-03-31",
    )
    assert [e["number"] for e in statement["entries"]] == ["OK", "PAID", "GOOD"]
    assert statement["opening_balance"] == 0
    assert statement["closing_balance"] == 4_000
    assert statement["ageing"]["1_30"] == 4_000  # due 2025-03-02, 29 days before 2025-03-31


def test_a_refunded_payment_shows_as_paid_then_given_back():
    refunded = {**pay("P1", "2025-03-10T12:00:00Z", 3_000, status="refunded"), "refunded_at": "2025-04-02T09:00:00Z"}
    invoices = [inv("I1", "2025-03-05", 10_000)]

    march = build_statement(invoices, [refunded], "2025-03-01", "2025-03-31", "2025-03-31")
    both = build_statement(invoices, [refunded], "2025-03-01", "2025-04-30", "2025-04-30")
    april = build_statement(invoices, [refunded], "2025-04-01", "2025-04-30", "2025-04-30")

    # the month it was paid reads as it did then
    assert [(e["kind"], e["amount"], e["balance"]) for e in march["entries"]] == [
        ("invoice", 10_000, 10_000),
        ("payment", -3_000, 7_000),
    ]
    assert [(e["date"], e["kind"], e["description"], e["amount"], e["balance"]) for e in both["entries"]] == [
        ("2025-03-05", "invoice", "Invoice, due 2025-03-05", 10_000, 10_000),
        ("2025-03-10", "payment", "Payment by card", -3_000, 7_000),
        ("2025-04-02", "refund", "Refund of payment P1", 3_000, 10_000),
    ]
    assert (april["opening_balance"], april["closing_balance"]) == (7_000, 10_000)
    # refunded the same day it was paid: the refund comes after the payment
    same_day = {**refunded, "refunded_at": "2025-03-10T13:00:00Z"}
    entries = build_statement(invoices, [same_day], "2025-03-01", "2025-03-31", "2025-03-31")["entries"]
    assert [e["kind"] for e in entries] == ["invoice", "payment", "refund"] and entries[-1]["balance"] == 10_000


def test_payments_are_dated_in_the_tenants_time_zone():
    # 03:00 UTC on 1 March is still 28 February in Chicago: before the period.
    statement = build_statement(
        [inv("I1", "2025-02-10", 5_000)],
        [pay("P1", "2025-03-01T03:00:00Z", 5_000)],
        "2025-03-01",
        "2025-03-31",
        "2025-03-31",
        timezone="America/Chicago",
    )
    assert statement["opening_balance"] == 0
    assert statement["entries"] == []
    in_utc = build_statement(
        [inv("I1", "2025-02-10", 5_000)],
        [pay("P1", "2025-03-01T03:00:00Z", 5_000)],
        "2025-03-01",
        "2025-03-31",
        "2025-03-31",
    )
    assert in_utc["opening_balance"] == 5_000
    assert in_utc["entries"][0]["date"] == "2025-03-01"


def test_payment_description_names_the_invoices_it_paid():
    statement = build_statement(
        [inv("INV-7", "2025-03-01", 5_000, id="i7")],
        [pay("P1", "2025-03-02T12:00:00Z", 5_000, allocations=[{"invoice_id": "i7", "amount": 5_000}])],
        "2025-03-01",
        "2025-03-31",
        "2025-03-31",
    )
    assert statement["entries"][1]["description"] == "Payment by card, applied to INV-7"


@pytest.mark.parametrize(
    ("due_on", "bucket"),
    [
        ("2025-06-30", "current"),  # due in the future
        ("2025-06-01", "current"),  # due today
        ("2025-05-31", "1_30"),  # 1 day late
        ("2025-05-02", "1_30"),  # 30 days
        ("2025-05-01", "31_60"),  # 31 days
        ("2025-04-02", "31_60"),  # 60 days
        ("2025-04-01", "61_90"),  # 61 days
        ("2025-03-03", "61_90"),  # 90 days
        ("2025-03-02", "over_90"),  # 91 days
    ],
)
def test_ageing_buckets_open_balances_by_days_past_due(due_on, bucket):
    statement = build_statement(
        [inv("I1", "2025-01-01", 10_000, due_on=due_on, balance=2_500)], [], "2025-01-01", "2025-06-30", "2025-06-01"
    )
    expected = dict.fromkeys(["current", "1_30", "31_60", "61_90", "over_90"], 0)
    expected[bucket] = 2_500
    assert statement["ageing"] == expected


def test_ageing_skips_settled_invoices_and_those_issued_after_the_period():
    statement = build_statement(
        [
            inv("PAID", "2025-01-01", 1_000, balance=0, status="paid"),
            inv("LATER", "2025-04-02", 2_000),
            inv("OPEN", "2025-01-01", 4_000, due_on="2025-01-31"),
            inv("NODUE", "2025-03-01", 8_000),
        ],
        [],
        "2025-01-01",
        "2025-03-31",
        "2025-03-31",
    )
    # OPEN: 59 days past due; NODUE: due on issue, 30 days ago; LATER: after the period
    assert statement["ageing"] == {"current": 0, "1_30": 8_000, "31_60": 4_000, "61_90": 0, "over_90": 0}


def test_invoice_without_due_date_ages_from_its_issue_date():
    invoice = inv("I1", "2025-03-01", 1_000)
    invoice["due_on"] = None
    assert build_statement([invoice], [], "2025-03-01", "2025-03-31", "2025-03-11")["ageing"]["1_30"] == 1_000


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="starts after it ends"):
        build_statement([], [], "2025-03-31", "2025-03-01", "2025-03-31")


def test_a_posted_invoice_without_an_issue_date_is_refused():
    with pytest.raises(ValueError, match="INV-9 has no issued_on"):
        build_statement(
            [{"number": "INV-9", "status": "open", "total": 1}], [], "2025-03-01", "2025-03-31", "2025-03-31"
        )


def test_an_empty_account_has_an_empty_statement():
    statement = build_statement([], [], "2025-03-01", "2025-03-31", "2025-03-31")
    assert statement["opening_balance"] == statement["closing_balance"] == 0
    assert statement["entries"] == []
    assert set(statement["ageing"].values()) == {0}


day = st.dates(min_value=__import__("datetime").date(2024, 1, 1), max_value=__import__("datetime").date(2025, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    invoice_rows=st.lists(st.tuples(day, st.integers(0, 1_000_000)), max_size=12),
    payment_rows=st.lists(st.tuples(day, st.integers(1, 1_000_000), st.none() | st.integers(0, 90)), max_size=12),
    bounds=st.tuples(day, day).map(sorted),
)
def test_statement_always_reconciles(invoice_rows, payment_rows, bounds):
    """Closing balance = invoiced − paid + refunded, each up to the period's end (refunds ``days_later``)."""
    invoices = [inv(f"I{i}", d.isoformat(), total) for i, (d, total) in enumerate(invoice_rows)]
    payments = [pay(f"P{i}", f"{d.isoformat()}T12:00:00Z", amount) for i, (d, amount, _) in enumerate(payment_rows)]
    for payment, (d, _, days_later) in zip(payments, payment_rows):
        if days_later is not None:
            back = d + datetime.timedelta(days=days_later)
            payment.update(status="refunded", refunded_at=f"{back.isoformat()}T15:00:00Z")
    period_from, period_to = (d.isoformat() for d in bounds)
    statement = build_statement(invoices, payments, period_from, period_to, period_to)

    entries = statement["entries"]
    assert statement["closing_balance"] == statement["opening_balance"] + sum(e["amount"] for e in entries)
    assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)
    assert all(period_from <= e["date"] <= period_to for e in entries)
    running = statement["opening_balance"]
    for entry in entries:
        running += entry["amount"]
        assert entry["balance"] == running
    invoiced_to_date = sum(total for d, total in invoice_rows if d.isoformat() <= period_to)
    paid_to_date = sum(amount for d, amount, _ in payment_rows if d.isoformat() <= period_to)
    refunded_to_date = sum(
        amount
        for d, amount, later in payment_rows
        if later is not None and (d + datetime.timedelta(days=later)).isoformat() <= period_to
    )
    assert statement["closing_balance"] == invoiced_to_date - paid_to_date + refunded_to_date


# --- bounded work: no field a customer types makes a document without end ---------------------------


def test_a_5000_character_items_text_is_one_row_not_one_per_character(tmp_path):
    job = {**JOB, "items": "Old couch and chairs " + "x" * 4980}
    pdf = render_order_receipt(TENANT, ACCOUNT, job, SITE, None)
    text = pdf_text(pdf, tmp_path)
    assert "Old couch and chairs" in text
    assert page_count(pdf) <= 2


def test_items_typed_one_per_line_are_rows_and_stop_at_a_cap(tmp_path):
    job = {**JOB, "items": "Sofa\nFridge\n\n  Mattress  \n"}
    text = pdf_text(render_order_receipt(TENANT, ACCOUNT, job, SITE, None), tmp_path)
    assert text.index("Sofa") < text.index("Fridge") < text.index("Mattress")
    many = {**JOB, "items": "x\n" * 2500}
    pdf = render_order_receipt(TENANT, ACCOUNT, many, SITE, None)
    assert page_count(pdf) <= 3
    assert "more not shown" in pdf_text(pdf, tmp_path)


def test_an_invoice_with_thousands_of_lines_stops_at_the_row_cap(tmp_path):
    line = {"description": "Pickup", "quantity": 1, "unit_price": 100, "amount": 100}
    pdf = render_invoice(TENANT, ACCOUNT, make_invoice(lines=[line] * 5000), SITE)
    assert page_count(pdf) <= 10
    assert "4,801 more not shown" in pdf_text(pdf, tmp_path)
