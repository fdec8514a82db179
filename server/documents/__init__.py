"""Printable documents (invoices, receipts, statements) rendered to PDF with borb.

Framework-free: plain dicts in, PDF bytes out. See `render` for the documents and
`statement` for the statement maths.
"""

from server.documents.canvas import ensure_ready
from server.documents.formatting import format_money
from server.documents.render import (
    render_invoice,
    render_order_receipt,
    render_payment_receipt,
    render_service_report,
    render_statement,
)
from server.documents.statement import ageing_buckets, build_statement

__all__ = [
    "ageing_buckets",
    "build_statement",
    "ensure_ready",
    "format_money",
    "render_invoice",
    "render_order_receipt",
    "render_payment_receipt",
    "render_service_report",
    "render_statement",
]
