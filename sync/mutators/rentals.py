"""Dumpster rentals: one-click extension, pickup and swap requests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import msgspec

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
    """Charge the card on file ``daily_rate × days`` and push the end date out; rejected if the charge fails."""
    ctx.feature("rentals")
    rental = await row_in_scope(ctx, "rental", a.rental_id, billing=True)
    if rental["status"] not in OPEN_RENTAL:
        raise Rejected("rental_not_open", "only a scheduled or active rental can be extended")
    amount = extension_price(rental, a.days)
    payment_id = None
    if ctx.tx.authoritative:
        if ctx.charger is None:
            raise Rejected("payments_unavailable", "card payments are not set up for this portal")
        account = await ctx.tx.get("account", rental["account_id"])
        payment_id = await ctx.charger.charge_extension(ctx, account, rental, a.days, amount)
    ends = rental.get("ends_on") or _default_end(rental, ctx.today)
    new_end = (date.fromisoformat(ends) + timedelta(days=a.days)).isoformat()
    extensions = [*rental["extensions"], {"days": a.days, "amount": amount, "payment_id": payment_id, "at": ctx.now}]
    await ctx.tx.update("rental", rental, ends_on=new_end, extensions=extensions)
    await notify(ctx, "rental_extended", rental["account_id"], f"Rental {rental['rental_number']} extended",
                 f"{a.days} more day(s), now ends {new_end}.", f"/rentals/{rental['id']}", rental["site_id"])


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
    swaps = [*rental["swaps"], {"on": a.date, "fee": rental["swap_fee"]}]
    await ctx.tx.update("rental", rental, swaps=swaps, notes=a.notes)
