"""Sites, contacts, chat messages and notifications of an account."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from sync.effects import Live
from sync.entities import Address, Email, Phone
from sync.mutators.common import account_in_scope, require_primary, row_in_scope
from sync.mutators.context import Context, check_uuid
from sync.mutators.registry import COMPANY, CUSTOMER, OFFICE, mutator
from sync.rules import Rejected

SiteType = Literal["residential", "commercial", "construction", "event", "other"]


class SiteArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    account_id: str | None = None
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    type: SiteType = "residential"
    address: Address = msgspec.field(default_factory=Address)
    building: Annotated[str, msgspec.Meta(max_length=200)] = ""
    unit: Annotated[str, msgspec.Meta(max_length=100)] = ""
    access_code: Annotated[str, msgspec.Meta(max_length=100)] = ""
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""


async def write_site(ctx: Context, a: SiteArgs) -> dict:
    """Create a site (company contacts) or edit one in scope; used by ``site.upsert`` and bookings."""
    fields = {k: v for k, v in msgspec.structs.asdict(a).items() if k not in ("id", "account_id")}
    fields["address"] = msgspec.to_builtins(a.address)
    existing = await ctx.tx.get("site", a.id) if isinstance(a.id, str) else None
    if existing is not None:
        site = await row_in_scope(ctx, "site", a.id)
        return await ctx.tx.update("site", site, **fields)
    if a.account_id is None and len(ctx.actor.accounts) == 1:
        a.account_id = next(iter(ctx.actor.accounts))
    access = ctx.actor.access(a.account_id)
    if access is None or access.role != "company":
        raise Rejected("not_found", "that account does not exist or you cannot add sites to it")
    await account_in_scope(ctx, a.account_id)
    number = await ctx.tx.next_number("site", "S")
    return await ctx.insert("site", {"id": a.id, "account_id": a.account_id, "number": number, **fields})


@mutator("site.upsert", SiteArgs)
async def upsert_site(ctx: Context, a: SiteArgs) -> None:
    await write_site(ctx, a)


class MessageArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    account_id: str | None = None


@mutator("message.send", MessageArgs, CUSTOMER | OFFICE)
async def send_message(ctx: Context, a: MessageArgs) -> None:
    """A chat message in the account's thread (from the customer, or from the office)."""
    ctx.feature("messaging")
    if not a.body.strip():
        raise Rejected("empty_message", "write something first")
    account_id = a.account_id or (next(iter(ctx.actor.accounts)) if len(ctx.actor.accounts) == 1 else None)
    await account_in_scope(ctx, account_id)
    staff = ctx.actor.is_staff
    await ctx.insert(
        "message",
        {
            "id": a.id,
            "account_id": account_id,
            "author_kind": "staff" if staff else "contact",
            "author_id": ctx.actor.person_id,
            "author_name": ctx.actor.name,
            "body": a.body.strip(),
            "read_by_staff_at": ctx.now if staff else None,
            "read_by_customer_at": None if staff else ctx.now,
        },
    )


class MarkReadArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: Annotated[list[str], msgspec.Meta(max_length=1000)] = []
    all: bool = False
    account_id: str | None = None


@mutator("message.mark_read", MarkReadArgs, CUSTOMER | OFFICE)
async def mark_messages_read(ctx: Context, a: MarkReadArgs) -> None:
    """Read receipts: the other side's messages become read by this side."""
    field = "read_by_staff_at" if ctx.actor.is_staff else "read_by_customer_at"
    other = "contact" if ctx.actor.is_staff else "staff"
    if a.all:
        await account_in_scope(ctx, a.account_id)
        messages = await ctx.tx.find("message", account_id=a.account_id, author_kind=other)
    else:
        messages = [m for i in a.ids if (m := await ctx.tx.get("message", i)) is not None]
    for message in messages:
        if ctx.actor.access(message["account_id"]) is None or message[field] is not None:
            continue
        await ctx.tx.update("message", message, **{field: ctx.now})
        ctx.emit(
            Live(
                event={
                    "type": "read",
                    "account_id": message["account_id"],
                    "message_id": message["id"],
                    "by": "staff" if ctx.actor.is_staff else "customer",
                }
            )
        )


class NotificationReadArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: Annotated[list[str], msgspec.Meta(max_length=1000)] = []
    all: bool = False


@mutator("notification.mark_read", NotificationReadArgs, CUSTOMER)
async def mark_notifications_read(ctx: Context, a: NotificationReadArgs) -> None:
    if a.all:
        rows = await ctx.tx.find("notification", contact_id=ctx.actor.person_id, read_at=None)
    else:
        rows = [n for i in a.ids if (n := await ctx.tx.get("notification", i)) is not None]
    for row in rows:
        if row["contact_id"] == ctx.actor.person_id and row["read_at"] is None:
            await ctx.tx.update("notification", row, read_at=ctx.now)


class ContactArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    account_id: str | None = None
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    email: Email | None = None
    phone: Phone | None = None
    role: Literal["company", "site"] = "company"
    site_ids: Annotated[list[str], msgspec.Meta(max_length=500)] = []
    portal_access: bool = True
    primary: bool = False


def _only_account(ctx: Context, account_id: str | None) -> str | None:
    if account_id is None and len(ctx.actor.accounts) == 1:
        return next(iter(ctx.actor.accounts))
    return account_id


async def _address_owner(ctx: Context, email: str | None, phone: str | None) -> dict | None:
    """The contact who signs in with this email (or, without one, this phone), if any."""
    if email:
        same = await ctx.tx.find("contact", email=email)
        if same:
            return sorted(same, key=lambda c: c.get("created_at") or "")[0]
    if phone:
        same = await ctx.tx.find("contact", phone=phone)
        if same:
            return sorted(same, key=lambda c: c.get("created_at") or "")[0]
    return None


async def _identity_is_theirs(ctx: Context, contact_id: str, account_id: str) -> bool:
    """Whether a contact's email and phone belong to the person rather than to this account: they are
    on another account too, or they have signed in. Then only they (by a verified link) or the office
    change them."""
    if not ctx.tx.authoritative:  # a client's replica cannot know; the server decides
        return False
    memberships = await ctx.tx.find("membership", contact_id=contact_id)
    if any(m["account_id"] != account_id for m in memberships):
        return True
    signed_in = getattr(ctx.tx, "has_signed_in", None)
    return signed_in is not None and await signed_in("contact", contact_id)


async def _refuse_staff_address(ctx: Context, email: str | None) -> None:
    if email and ctx.tx.authoritative and await ctx.tx.find("staff_user", email=email):
        raise Rejected("address_taken", "that email address belongs to a member of staff; use another one")


@mutator("contact.upsert", ContactArgs, COMPANY)
async def upsert_contact(ctx: Context, a: ContactArgs) -> None:
    """Primary contacts add or edit the account's contacts and their portal access.

    Adding someone by an address another person already signs in with adds that person to this account
    (a membership showing only what was typed here); their own name, email and phone are not touched or
    shown. The email and phone of a person on other accounts too, or who has signed in, cannot be changed
    here (``address_owned``): only by that person (a link to the new address) or the office. Staff
    addresses cannot be claimed (``address_taken``)."""
    account_id = require_primary(ctx, _only_account(ctx, a.account_id))
    await account_in_scope(ctx, account_id)
    if not (a.email or a.phone):
        raise Rejected("email_or_phone", "a contact needs an email or a phone number")
    for site_id in a.site_ids:
        site = await row_in_scope(ctx, "site", site_id)
        if site["account_id"] != account_id:
            raise Rejected("not_found", "that site is not one of this account's sites")
    if a.role == "site" and not a.site_ids:
        raise Rejected("site_ids_required", "a site contact needs at least one site")
    email = a.email.strip().lower() if a.email else None
    typed = {"name": a.name.strip(), "email": email, "phone": a.phone}
    access = {
        "role": a.role,
        "site_ids": a.site_ids if a.role == "site" else [],
        "portal_access": a.portal_access,
        "primary": a.primary and a.role == "company",
    }
    # (A client's replica has the account's memberships but no other person's contact row: the
    # membership says whether this is an edit.)
    contact = await ctx.tx.get("contact", a.id)
    membership = next(iter(await ctx.tx.find("membership", account_id=account_id, contact_id=a.id)), None)
    if contact is not None and membership is None:
        raise Rejected("not_found", "that contact is not on this account")
    if membership is None:  # adding someone
        await _refuse_staff_address(ctx, email)
        owner = await _address_owner(ctx, email, a.phone) if ctx.tx.authoritative else None
        if owner is None:
            contact = await ctx.insert("contact", {"id": check_uuid(a.id, "id"), **typed})
        else:
            contact = owner
            if await ctx.tx.find("membership", account_id=account_id, contact_id=owner["id"]):
                raise Rejected("already_a_contact", "someone with that address is already a contact of this account")
        await ctx.tx.insert("membership", {"contact_id": contact["id"], "account_id": account_id, **access, **typed})
        return
    # editing one of this account's contacts (``contact`` is None only in a client's replica)
    if (email, a.phone) != (membership["email"], membership["phone"]):
        if await _identity_is_theirs(ctx, a.id, account_id):
            raise Rejected(
                "address_owned",
                f"{membership['name'] or 'this person'} signs in with this address: only "
                "they or the office can change it",
            )
        await _refuse_staff_address(ctx, email)
        owner = await _address_owner(ctx, email, a.phone) if ctx.tx.authoritative else None
        if owner is not None and owner["id"] != a.id:
            raise Rejected("address_taken", "another person already signs in with that address")
        if contact is not None:
            await ctx.tx.update("contact", contact, **typed)
    elif typed["name"] != membership["name"] and not await _identity_is_theirs(ctx, a.id, account_id):
        if contact is not None:
            await ctx.tx.update("contact", contact, name=typed["name"])
    # Access is per membership (sessions read it on every request): no other account's access changes.
    await ctx.tx.update("membership", membership, **access, **typed)


class RemoveContactArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    contact_id: str
    account_id: str | None = None


@mutator("contact.remove", RemoveContactArgs, COMPANY)
async def remove_contact(ctx: Context, a: RemoveContactArgs) -> None:
    account_id = require_primary(ctx, _only_account(ctx, a.account_id))
    if a.contact_id == ctx.actor.person_id:
        raise Rejected("cannot_remove_self", "you cannot remove yourself from the account")
    memberships = await ctx.tx.find("membership", account_id=account_id, contact_id=a.contact_id)
    if not memberships:
        raise Rejected("not_found", "that contact is not on this account")
    # Only this membership ends: the person keeps every other account (sessions read memberships on
    # every request, and their live sockets are told to look again).
    for membership in memberships:
        await ctx.tx.delete("membership", membership)
