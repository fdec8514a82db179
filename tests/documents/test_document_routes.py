"""PDF documents over the API: each one within scope, 404 outside it, and saying the right things."""

from __future__ import annotations

import pytest

from server.seed.demo import sid
from tests.support.portal import ADMIN, AVA, GATE, OPS, login

AVA_ACCOUNT, HARBOR = sid("account:ava-reed"), sid("account:harbor")
WAREHOUSE, TOWER_A = sid("site:harbor-warehouse"), sid("site:harbor-a")


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The text of every page, read back with borb."""
    from borb.pdf.toolkit.pipeline import Pipeline
    from borb.pdf.toolkit.sink.get_text import GetText
    from borb.pdf.toolkit.source.operator.source import Source
    from borb.pdf.visitor.pdf import PDF

    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    pages = Pipeline([Source(), GetText()]).process(PDF.read(path))
    return "\n".join(pages[index] for index in sorted(pages))


async def fetch_pdf(client, headers, url: str, tmp_path, **params) -> str:
    response = await client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private"
    assert response.content.startswith(b"%PDF")
    return pdf_text(response.content, tmp_path)


async def test_invoice_pdf_shows_number_customer_lines_and_balance(client, tmp_path):
    ava = await login(client, AVA)
    text = await fetch_pdf(client, ava, f"/api/documents/invoices/{sid('invoice:ava-open')}.pdf", tmp_path)
    for expected in ("INV-1001", "Ava Reed", "Junk removal, half truck", "$325.00", "Demo Junk & Dumpster"):
        assert expected in text


async def test_partly_paid_invoice_shows_its_balance_and_po(client, tmp_path):
    ops = await login(client, OPS)
    text = await fetch_pdf(client, ops, f"/api/documents/invoices/{sid('invoice:harbor-partial')}.pdf", tmp_path)
    for expected in ("INV-1003", "Harbor Property Group", "PO-7701", "$440.00", "$240.00"):
        assert expected in text


async def test_job_receipt_pdf(client, tmp_path):
    ava = await login(client, AVA)
    text = await fetch_pdf(client, ava, f"/api/documents/jobs/{sid('job:ava-completed')}/receipt.pdf", tmp_path)
    for expected in ("ORDER RECEIPT", "J-0880", "Junk removal", "Ava Reed", "Completed", "Total"):
        assert expected in text
    assert "$" in text  # the order's amounts


async def test_service_report_pdf(client, tmp_path):
    ava = await login(client, AVA)
    text = await fetch_pdf(client, ava, f"/api/documents/jobs/{sid('job:ava-completed')}/report.pdf", tmp_path)
    for expected in (
        "SERVICE REPORT",
        "J-0880",
        "Junk removal",
        "Ava Reed",
        "Crew",
        "Completed",
        "Notes",
        "Yard waste",
    ):
        assert expected in text, expected
    assert "Job receipt" not in text and "$" not in text  # a report of the work, not a bill


async def test_payment_receipt_pdf(client, tmp_path):
    ava = await login(client, AVA)
    text = await fetch_pdf(client, ava, f"/api/documents/payments/{sid('payment:ava-paid')}/receipt.pdf", tmp_path)
    for expected in ("PAY-1001", "$180.00", "INV-0990", "Visa •••• 4242"):
        assert expected in text


async def test_account_statement_reconciles_with_invoices_and_payments(client, tmp_path):
    ops = await login(client, OPS)
    admin = await login(client, ADMIN)
    invoices = (await client.get("/api/admin/invoices", params={"account_id": HARBOR}, headers=admin)).json()["items"]
    payments = (await client.get("/api/admin/payments", params={"account_id": HARBOR}, headers=admin)).json()["items"]
    shown = [i for i in invoices if i["status"] not in ("draft", "void", "pending")]  # pending ones are hidden here
    closing = sum(i["total"] for i in shown) - sum(p["amount"] for p in payments if p["status"] == "succeeded")
    assert closing == sum(i["balance"] for i in shown) == 104800

    text = await fetch_pdf(client, ops, "/api/documents/statement.pdf", tmp_path, account_id=HARBOR)

    for expected in (
        "STATEMENT",
        "Harbor Property Group",
        "INV-1002",
        "INV-1003",
        "PAY-1002",
        "Opening balance",
        "Closing balance",
        "$808.00",
        "$1,248.00",
        "$1,048.00",
        "Ageing",
    ):
        assert expected in text  # 808.00 + 440.00 = 1,248.00 running, less 200.00 paid = 1,048.00
    assert "INV-1004" not in text  # pending, and this tenant does not show pending invoices


async def test_site_statement_and_its_period(client, tmp_path):
    ops = await login(client, OPS)
    text = await fetch_pdf(client, ops, "/api/documents/statement.pdf", tmp_path, account_id=HARBOR, site_id=WAREHOUSE)
    assert "INV-1003" in text and "PAY-1002" in text and "$240.00" in text
    assert "INV-1002" not in text  # another site's

    text = await fetch_pdf(
        client,
        ops,
        "/api/documents/statement.pdf",
        tmp_path,
        account_id=HARBOR,
        **{"from": "2000-01-01", "to": "2000-12-31"},
    )
    assert "Jan 1, 2000 to Dec 31, 2000" in text and "INV-1002" not in text

    bad = await client.get("/api/documents/statement.pdf", headers=ops, params={"account_id": HARBOR, "from": "soon"})
    assert bad.status_code == 400
    backwards = await client.get(
        "/api/documents/statement.pdf",
        headers=ops,
        params={"account_id": HARBOR, "from": "2026-02-01", "to": "2026-01-01"},
    )
    assert backwards.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        f"/api/documents/invoices/{sid('invoice:harbor-overdue')}.pdf",  # another customer's
        f"/api/documents/invoices/{sid('acme:invoice:open')}.pdf",  # another business's, same person
        f"/api/documents/invoices/{sid('invoice:does-not-exist')}.pdf",
        f"/api/documents/jobs/{sid('job:harbor-completed')}/receipt.pdf",
        f"/api/documents/jobs/{sid('job:harbor-completed')}/report.pdf",
        f"/api/documents/payments/{sid('payment:harbor-partial')}/receipt.pdf",
        f"/api/documents/statement.pdf?account_id={HARBOR}",
        f"/api/documents/statement.pdf?account_id={sid('acme:account:ava')}",
        f"/api/documents/statement.pdf?account_id={AVA_ACCOUNT}&site_id={WAREHOUSE}",  # a site of another account
    ],
)
async def test_documents_out_of_scope_are_not_found(client, url):
    ava = await login(client, AVA)
    response = await client.get(url, headers=ava)
    assert response.status_code == 404, response.text


async def test_the_other_business_serves_its_own_documents_only(client, tmp_path):
    ava_acme = await login(client, AVA, tenant="acme")
    text = await fetch_pdf(client, ava_acme, f"/api/documents/invoices/{sid('acme:invoice:open')}.pdf", tmp_path)
    assert "INV-5001" in text and "Acme" in text
    response = await client.get(f"/api/documents/invoices/{sid('invoice:ava-open')}.pdf", headers=ava_acme)
    assert response.status_code == 404


async def test_site_contacts_get_job_receipts_of_their_sites_only(client, tmp_path):
    gate = await login(client, GATE)
    text = await fetch_pdf(client, gate, f"/api/documents/jobs/{sid('job:harbor-in-progress')}/receipt.pdf", tmp_path)
    assert "J-0904" in text
    for url in (
        f"/api/documents/invoices/{sid('invoice:harbor-overdue')}.pdf",  # an invoice of its own site
        f"/api/documents/payments/{sid('payment:harbor-partial')}/receipt.pdf",
        f"/api/documents/statement.pdf?account_id={HARBOR}",
        f"/api/documents/statement.pdf?account_id={HARBOR}&site_id={TOWER_A}",
        f"/api/documents/jobs/{sid('job:harbor-b-confirmed')}/receipt.pdf",  # another site's job
    ):
        assert (await client.get(url, headers=gate)).status_code == 404, url


async def test_pending_invoices_only_when_the_tenant_shows_them(client, tmp_path):
    ops, admin = await login(client, OPS), await login(client, ADMIN)
    url = f"/api/documents/invoices/{sid('invoice:harbor-pending')}.pdf"
    assert (await client.get(url, headers=ops)).status_code == 404
    assert "INV-1004" in await fetch_pdf(client, admin, url, tmp_path)  # the office sees every invoice

    await client.patch("/api/admin/settings", json={"show_pending_invoices": True}, headers=admin)
    assert "INV-1004" in await fetch_pdf(client, ops, url, tmp_path)


async def test_staff_read_only_view_reads_the_customers_documents(client, tmp_path):
    admin = await login(client, ADMIN)
    view = (await client.post(f"/api/admin/accounts/{AVA_ACCOUNT}/portal-view", headers=admin)).json()
    read_only = {"Authorization": f"Bearer {view['session_token']}"}
    assert "INV-1001" in await fetch_pdf(
        client, read_only, f"/api/documents/invoices/{sid('invoice:ava-open')}.pdf", tmp_path
    )
    response = await client.get(f"/api/documents/invoices/{sid('invoice:biz-open')}.pdf", headers=read_only)
    assert response.status_code == 404  # Ava's other account is not in this view


async def test_documents_need_a_session(client):
    response = await client.get(f"/api/documents/invoices/{sid('invoice:ava-open')}.pdf")
    assert response.status_code == 401
