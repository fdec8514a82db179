"""Figures the office console opens with: today's work, what waits for an answer, money owed, unread
messages; and every customer's balance for the customer list."""

from __future__ import annotations

import msgspec
from litestar import Request, get

from server.admin.invites import tenant_today
from server.auth import guards


class Waiting(msgspec.Struct, kw_only=True):
    bookings: int
    service_requests: int
    supply_requests: int
    unit_issues: int
    total: int


class Dashboard(msgspec.Struct, kw_only=True):
    today: str
    jobs_today: dict[str, int]  # job status → how many jobs are scheduled today in it
    waiting: Waiting
    overdue_cents: int
    overdue_invoices: int
    open_cents: int
    unread_messages: int
    reviews: int
    average_rating: float | None


class Balance(msgspec.Struct, kw_only=True):
    account_id: str
    open_cents: int
    open_invoices: int
    overdue_cents: int
    overdue_invoices: int


class Balances(msgspec.Struct, kw_only=True):
    today: str
    items: list[Balance]


async def _count(conn, sql: str, *args) -> int:
    return int(await conn.fetchval(sql, *args) or 0)


@get("/api/admin/dashboard", guards=[guards.staff])
async def dashboard(request: Request) -> Dashboard:
    """Today's jobs by status, requests waiting for an answer, open and overdue totals, unread messages
    and the average review."""
    tenant_id = request.user.tenant_id
    today = tenant_today(guards.tenant_of(request))
    async with request.app.state.db.read() as conn:
        rows = await conn.fetch(
            "SELECT status, COUNT(*) AS n FROM job WHERE tenant_id = ? AND scheduled_date = ? GROUP BY status",
            tenant_id,
            today,
        )
        waiting = {
            "bookings": await _count(
                conn, "SELECT COUNT(*) FROM job WHERE tenant_id = ? AND status = 'requested'", tenant_id
            ),
            "service_requests": await _count(
                conn, "SELECT COUNT(*) FROM service_request WHERE tenant_id = ? AND status = 'submitted'", tenant_id
            ),
            "supply_requests": await _count(
                conn, "SELECT COUNT(*) FROM supply_request WHERE tenant_id = ? AND status = 'submitted'", tenant_id
            ),
            "unit_issues": await _count(
                conn, "SELECT COUNT(*) FROM unit_issue WHERE tenant_id = ? AND status <> 'resolved'", tenant_id
            ),
        }
        money = await conn.fetchrow(
            "SELECT COALESCE(SUM(balance), 0) AS open_cents, "
            "COALESCE(SUM(CASE WHEN due_on < ? THEN balance ELSE 0 END), 0) AS overdue_cents, "
            "COALESCE(SUM(CASE WHEN due_on < ? THEN 1 ELSE 0 END), 0) AS overdue_invoices "
            "FROM invoice WHERE tenant_id = ? AND status = 'open' AND balance > 0",
            today,
            today,
            tenant_id,
        )
        unread = await _count(
            conn,
            "SELECT COUNT(*) FROM message WHERE tenant_id = ? AND author_kind = 'contact' AND read_by_staff_at IS NULL",
            tenant_id,
        )
        reviews = await conn.fetchrow(
            "SELECT COUNT(*) AS n, AVG(rating) AS average FROM review WHERE tenant_id = ?", tenant_id
        )
    return Dashboard(
        today=today,
        jobs_today={r["status"]: int(r["n"]) for r in rows},
        waiting=Waiting(**waiting, total=sum(waiting.values())),
        overdue_cents=int(money["overdue_cents"]),
        overdue_invoices=int(money["overdue_invoices"]),
        open_cents=int(money["open_cents"]),
        unread_messages=unread,
        reviews=int(reviews["n"]),
        average_rating=round(float(reviews["average"]), 2) if reviews["average"] is not None else None,
    )


@get("/api/admin/balances", guards=[guards.staff])
async def balances(request: Request) -> Balances:
    """What every customer with open invoices owes, and how much of it is past due."""
    today = tenant_today(guards.tenant_of(request))
    async with request.app.state.db.read() as conn:
        rows = await conn.fetch(
            "SELECT account_id, SUM(balance) AS open_cents, COUNT(*) AS open_invoices, "
            "SUM(CASE WHEN due_on < ? THEN balance ELSE 0 END) AS overdue_cents, "
            "SUM(CASE WHEN due_on < ? THEN 1 ELSE 0 END) AS overdue_invoices "
            "FROM invoice WHERE tenant_id = ? AND status = 'open' AND balance > 0 GROUP BY account_id",
            today,
            today,
            request.user.tenant_id,
        )
    return Balances(
        today=today,
        items=[
            Balance(
                account_id=r["account_id"],
                open_cents=int(r["open_cents"]),
                open_invoices=int(r["open_invoices"]),
                overdue_cents=int(r["overdue_cents"]),
                overdue_invoices=int(r["overdue_invoices"]),
            )
            for r in rows
        ],
    )


ROUTES = [dashboard, balances]
