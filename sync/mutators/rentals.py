"""Dumpster rentals: one-click extension, pickup and swap requests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import msgspec

from sync.effects import ChargeExtension
from sync.entities import Date
from sync.mutators.common import notify, row_in_scope
from sync.mutators.context import Context
from sync.mutators.registry import COMPANY, CUSTOMER, mutator
from sync.rules import Rejected

OPEN_RENTAL = frozenset({"scheduled", "active"})


class ExtendArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rental_id: str
    days: Annotated[int, msgspec.Meta(ge=1, le=90)]


def extension_price(rental: dict, days: int) -> int:
    """What extending a rental by ``days`` costs (cents)."""
    return rental["daily_rate"] * days


@mutator("rental.extend", ExtendArgs, COMPANY)
async def extend_rental(ctx: Context, a: ExtendArgs) -> None:
    """Push the end date out at once and ask for the charge (``daily_rate × days``) after the commit.

    A paid extension stays ``pending`` until the charge is made; a declined charge takes the days back
    off (see `server.billing.extension_charger`). A free one is ``paid`` at once."""
    ctx.feature("rentals")
    rental = await row_in_scope(ctx, "rental", a.rental_id, billing=True)
    if rental["status"] not in OPEN_RENTAL:
        raise Rejected("rental_not_open", "only a scheduled or active rental can be extended")
    amount = extension_price(rental, a.days)
    if (
        amount > 0
        and ctx.tx.authoritative
        and not await ctx.tx.find("payment_method", account_id=rental["account_id"], default=True, status="active")
    ):
        raise Rejected(
            "no_payment_method",
            "extensions are charged to your default saved card or bank account: add one under Payment methods",
        )
    ends = rental.get("ends_on") or _default_end(rental, ctx.today)
    new_end = (date.fromisoformat(ends) + timedelta(days=a.days)).isoformat()
    status = "pending" if amount > 0 else "paid"
    extension = {"days": a.days, "amount": amount, "payment_id": None, "at": ctx.now, "status": status, "reason": ""}
    await ctx.tx.update("rental", rental, ends_on=new_end, extensions=[*rental["extensions"], extension])
    if amount > 0:
        ctx.emit(
            ChargeExtension(
                rental_id=rental["id"],
                account_id=rental["account_id"],
                days=a.days,
                amount=amount,
                at=ctx.now,
                contact_id=ctx.actor.person_id,
                mutation={"name": "rental.extend", "args": {"rental_id": a.rental_id, "days": a.days}},
            )
        )
        return
    await notify(
        ctx,
        "rental_extended",
        rental["account_id"],
        f"Rental {rental['rental_number']} extended",
        f"{a.days} more day{'s' if a.days != 1 else ''}, now ends {new_end}.",
        f"/rentals/{rental['id']}",
        rental["site_id"],
    )


def _default_end(rental: dict, today: str) -> str:
    start = rental.get("delivered_on") or today
    return (date.fromisoformat(start) + timedelta(days=rental["included_days"])).isoformat()


class RentalDateArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rental_id: str
    date: Date
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""


@mutator("rental.request_pickup", RentalDateArgs, CUSTOMER)
async def request_pickup(ctx: Context, a: RentalDateArgs) -> None:
    ctx.feature("rentals")
    rental = await row_in_scope(ctx, "rental", a.rental_id)
    if rental["status"] not in OPEN_RENTAL:
        raise Rejected("rental_not_open", "this rental is not open")
    if a.date < ctx.today:
        raise Rejected("date_in_past", "pick today or a later date")
    await ctx.tx.update("rental", rental, status="pickup_requested", pickup_requested_on=a.date, notes=a.notes)


@mutator("rental.request_swap", RentalDateArgs, CUSTOMER)
async def request_swap(ctx: Context, a: RentalDateArgs) -> None:
    ctx.feature("rentals")
    rental = await row_in_scope(ctx, "rental", a.rental_id)
    if rental["status"] != "active":
        raise Rejected("rental_not_active", "only an active rental can be swapped")
    if a.date < ctx.today:
        raise Rejected("date_in_past", "pick today or a later date")
    # (a site contact's replica has no prices or swaps: sync/scope.py; the server's row always has them)
    swaps = [*rental.get("swaps", []), {"on": a.date, "fee": rental.get("swap_fee", 0)}]
    await ctx.tx.update("rental", rental, swaps=swaps, notes=a.notes)
