"""Scope checks and notifications shared by the mutators."""

from __future__ import annotations

from typing import Any

from sync.effects import Notify
from sync.mutators.context import Context
from sync.rules import Rejected


def _missing(what: str) -> Rejected:
    return Rejected("not_found", f"that {what} does not exist or is not yours")


async def account_in_scope(ctx: Context, account_id: str | None, billing: bool = False) -> dict[str, Any]:
    """The account, if this session may act for it (``billing``: as a company contact)."""
    access = ctx.actor.access(account_id)
    if access is None or (billing and access.role != "company"):
        raise _missing("account")
    account = await ctx.tx.get("account", account_id) if account_id is not None else None
    if account is None:
        if ctx.tx.authoritative:
            raise _missing("account")
        account = {"id": account_id, "po_required": False}
    return account


async def row_in_scope(ctx: Context, entity: str, row_id: str, billing: bool = False) -> dict[str, Any]:
    """A row of an account in scope; site contacts only reach rows of their sites."""
    row = await ctx.tx.get(entity, row_id) if isinstance(row_id, str) else None
    what = entity.replace("_", " ")
    if row is None:
        raise _missing(what)
    account_id = row["id"] if entity == "account" else row.get("account_id")
    site_id = row["id"] if entity == "site" else row.get("site_id")
    if not ctx.actor.may_see_site(account_id, site_id):
        raise _missing(what)
    if billing and not ctx.actor.sees_billing(account_id):
        raise _missing(what)
    return row


def require_primary(ctx: Context, account_id: str | None) -> str:
    """The account's id, if this session is one of its primary contacts."""
    access = ctx.actor.access(account_id)
    if account_id is None or access is None or access.role != "company" or not access.primary:
        raise Rejected("not_primary_contact", "only the account's primary contacts can manage contacts")
    return account_id


async def notify(
    ctx: Context, kind: str, account_id: str, title: str, body: str, link: str = "", site_id: str | None = None
) -> None:
    """A bell notification for everyone on the account who can see it, and an SMS/email event."""
    if not ctx.tx.authoritative:
        return
    for membership in await ctx.tx.find("membership", account_id=account_id, portal_access=True):
        if membership["role"] == "site" and (site_id is None or site_id not in membership["site_ids"]):
            continue
        await ctx.tx.insert(
            "notification",
            {
                "contact_id": membership["contact_id"],
                "account_id": account_id,
                "kind": kind,
                "title": title,
                "body": body,
                "link": link,
            },
        )
    ctx.emit(Notify(kind=kind, account_id=account_id, title=title, body=body, link=link))
