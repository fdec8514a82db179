"""Business rules shared by the mutators, the office API and the clients' optimistic layer."""

from __future__ import annotations

from typing import Any

JOB_FLOW = ("requested", "confirmed", "en_route", "in_progress", "completed")
CANCELLABLE = frozenset({"requested", "confirmed"})


class Rejected(Exception):
    """A mutation or request broke a business rule: a stable ``code`` and a human ``message``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class IdTaken(Exception):
    """A create used an id that already exists (in any tenant)."""


def status_rank(status: str) -> int:
    return JOB_FLOW.index(status) if status in JOB_FLOW else len(JOB_FLOW)


def advance_job(job: dict[str, Any], status: str, at: str, by: str) -> dict[str, Any]:
    """The job's changes for a status event: monotonic, late (older) events only recorded in history.

    Returns the fields to update. Raises ``Rejected`` for impossible moves (e.g. anything after
    cancellation, or cancelling once the truck is on its way).
    """
    current = job["status"]
    history = list(job.get("status_history") or [])
    if status == "cancelled":
        if current not in CANCELLABLE:
            raise Rejected("not_cancellable", f"a job that is {current.replace('_', ' ')} can no longer be cancelled")
        history.append({"status": status, "at": at, "by": by, "applied": True})
        return {"status": status, "status_history": history}
    if status not in JOB_FLOW:
        raise Rejected("bad_status", f"unknown job status {status!r}")
    if current == "cancelled":
        raise Rejected("job_cancelled", "this job was cancelled")
    if status_rank(status) <= status_rank(current):
        # A late or repeated event: keep it for the record, never move the job backwards.
        if not any(h["status"] == status and h["at"] == at for h in history):
            history.append({"status": status, "at": at, "by": by, "applied": False})
        return {"status_history": history}
    history.append({"status": status, "at": at, "by": by, "applied": True})
    changes: dict[str, Any] = {"status": status, "status_history": history}
    if status == "completed":
        changes["completed_at"] = at
    return changes


def invoice_totals(lines: list[dict[str, Any]], tax: int) -> dict[str, Any]:
    """Line amounts, subtotal and total (cents) for invoice or estimate lines."""
    out_lines = []
    subtotal = 0
    for line in lines:
        amount = round(line.get("quantity", 1) * line.get("unit_price", 0))
        out_lines.append({**line, "amount": amount})
        subtotal += amount
    return {"lines": out_lines, "subtotal": subtotal, "total": subtotal + tax}


def service_price(service: dict[str, Any], load_estimate: str | None) -> int:
    """The catalogue price of a booking of ``service`` (cents): by load estimate where it has one."""
    prices = service.get("load_prices") or {}
    if load_estimate and load_estimate in prices:
        return prices[load_estimate]
    return service.get("base_price") or 0


def request_price(lines: list[dict[str, Any]], services: dict[str, dict[str, Any]]) -> int | None:
    """The catalogue price of a service request's lines (service base price × quantity) where the
    catalogue has one; None when no line has a priced service."""
    priced = [
        services[line["service_type_id"]]["base_price"] * line.get("quantity", 1)
        for line in lines
        if line.get("service_type_id") in services and services[line["service_type_id"]].get("base_price")
    ]
    return sum(priced) if priced else None


def promo_discount(promo: dict[str, Any] | None, price: int, on_date: str) -> int:
    """The discount a promo code gives on ``price``; ``Rejected`` when the code is not valid."""
    if promo is None:
        raise Rejected("promo_invalid", "that promo code does not exist")
    if promo.get("valid_from") and on_date < promo["valid_from"]:
        raise Rejected("promo_not_started", "that promo code is not valid yet")
    if promo.get("valid_to") and on_date > promo["valid_to"]:
        raise Rejected("promo_expired", "that promo code has expired")
    if promo.get("max_uses") is not None and promo.get("uses", 0) >= promo["max_uses"]:
        raise Rejected("promo_used_up", "that promo code has been used up")
    if promo.get("percent_off"):
        return price * promo["percent_off"] // 100
    return min(price, promo.get("amount_off") or 0)
