"""Benchmark: how many invoice PDFs one process renders per second.

    .venv/bin/python scripts/bench/documents.py [--count 200] [--lines 10]

Renders `count` invoices of `lines` line items each, one after another in this process
(one core), and prints the rate together with the machine it ran on. Not a test: the
target (at least 20 invoices per second per core) is judged by a person reading the output.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.documents import render_invoice

TENANT = {
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
    "number": "C-1042",
    "name": "Harbor Property Group",
    "billing_address": {
        "line1": "1 Harbor Plaza",
        "line2": "Suite 400",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62702",
    },
    "net_terms_days": 30,
}
SITE = {
    "name": "Harbor Towers",
    "address": {"line1": "55 Dock St", "city": "Springfield", "region": "IL", "postal_code": "62703"},
    "building": "Tower B",
    "unit": "12",
}


def invoice(number: int, lines: int) -> dict:
    items = [
        {
            "description": f"20 yd dumpster rental, swap {i + 1} (delivery, pickup, up to 2 tons of debris)",
            "quantity": 1 + i % 3,
            "unit_price": 12_500 + 250 * i,
            "amount": (1 + i % 3) * (12_500 + 250 * i),
        }
        for i in range(lines)
    ]
    subtotal = sum(item["amount"] for item in items)
    tax = subtotal * 825 // 10_000
    return {
        "number": f"INV-{number:06d}",
        "issued_on": "2025-03-01",
        "due_on": "2025-03-31",
        "terms": "Net 30",
        "status": "open",
        "lines": items,
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
        "balance": (subtotal + tax) // 2,
        "po_number": "PO-7781",
        "allow_online_payment": True,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="invoices to render (default 200)")
    parser.add_argument("--lines", type=int, default=10, help="line items per invoice (default 10)")
    args = parser.parse_args()

    invoices = [invoice(n, args.lines) for n in range(args.count)]
    started = time.perf_counter()
    first = render_invoice(TENANT, ACCOUNT, invoices[0], SITE)
    cold = time.perf_counter() - started

    total_bytes = 0
    started = time.perf_counter()
    for inv in invoices:
        total_bytes += len(render_invoice(TENANT, ACCOUNT, inv, SITE))
    elapsed = time.perf_counter() - started

    from importlib.metadata import version

    print(f"machine:    {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}")
    print(f"python:     {platform.python_implementation()} {platform.python_version()}, borb {version('borb')}")
    print(f"first:      {cold * 1000:.1f} ms (imports, font width tables), {len(first)} bytes")
    print(f"rendered:   {args.count} invoices x {args.lines} lines in {elapsed:.2f} s, one process")
    print(f"per PDF:    {elapsed / args.count * 1000:.2f} ms, {total_bytes // args.count} bytes on average")
    print(f"max RSS:    {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    print(f"invoices/s: {args.count / elapsed:.1f}")


if __name__ == "__main__":
    main()
