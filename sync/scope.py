"""Who sees which rows, and which fields of them.

A ``Scope`` says which changelog entries a session may pull; ``present`` turns a stored row
into the view the session's role may see (or ``None`` when the row is hidden from it).
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.actor import Actor
from sync.cursor import fingerprint

# What a site contact sees of its account: work at its sites, no billing.
SITE_CONTACT_ENTITIES = frozenset(
    {
        "account",
        "site",
        "system",
        "unit",
        "job",
        "recurring_series",
        "service_request",
        "supply_request",
        "unit_issue",
        "review",
        "rental",
        "message",
    }
)
ACCOUNT_WIDE = frozenset({"account", "message"})  # rows of an account with no site
ROW_KEYS = ("id", "tenant_id", "created_at", "updated_at", "version")
SECRET_FIELDS = {
    "account": ("stripe_customer_id",),
    "payment": ("stripe_payment_intent_id", "stripe_refund_id"),
    "payment_method": ("stripe_payment_method_id", "stripe_setup_intent_id"),
}
SITE_CONTACT_FIELDS = {
    "account": ROW_KEYS + ("number", "name", "kind"),
}
SITE_CONTACT_HIDDEN = {
    "rental": ("daily_rate", "swap_fee", "extensions", "swaps"),
    "job": ("price", "discount", "promo_code", "quoted_price"),
    "service_request": ("quoted_price",),
}
DRIVER_FIELDS = {
    "account": ROW_KEYS + ("number", "name", "kind", "phone"),
}
DRIVER_HIDDEN = {"job": ("price", "discount", "promo_code", "po_number", "quoted_price")}
# A customer sees a public promo code's terms (to show its effect before booking), not its bookkeeping.
PROMO_HIDDEN = ("uses", "max_uses")


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: str
    person_id: str
    all_accounts: bool = False  # office staff
    company_accounts: tuple[str, ...] = ()
    site_accounts: tuple[str, ...] = ()
    site_ids: tuple[str, ...] = ()
    # drivers: exactly these rows (jobs on their truck, the jobs' sites and accounts)
    rows: dict[str, tuple[str, ...]] | None = None
    sites: tuple[tuple[str, str], ...] = ()  # (account, site) of each site a site contact reaches
    show_pending: bool = False
    fingerprint: str = ""


# A scope is a union of disjoint *parts*, each an exact match on the changelog's scope columns (one index
# range each, server/sync_api/pull.py). Parts are compared between two scopes of a session to send only
# what entered and what left (docs/PROTOCOL-EXTENSIONS.md "Scope changes"); a part's identity includes
# whatever changes the view of its rows (an account's role, whether pending invoices are shown).
Part = tuple[str, ...]
SITE_ONLY_ENTITIES = tuple(sorted(SITE_CONTACT_ENTITIES - ACCOUNT_WIDE))


def scope_parts(scope: Scope) -> list[Part]:
    """The disjoint parts of ``scope``: every changelog entry it selects matches exactly one of them."""
    parts: list[Part] = [("contact", scope.person_id)]
    if scope.all_accounts:
        return [("all",), *parts]
    parts.append(("tenant",))
    pending = "pending" if scope.show_pending else "no-pending"
    parts.extend(("company", a, pending) for a in scope.company_accounts)
    for a in scope.site_accounts:
        parts.extend(("account-entity", a, e) for e in sorted(ACCOUNT_WIDE))
    parts.extend(("site", a, s) for a, s in scope.sites)
    for entity, ids in sorted((scope.rows or {}).items()):
        parts.extend(("row", entity, i) for i in ids)
    return parts


def part_matches(part: Part, entry: dict[str, Any]) -> bool:
    """Whether a changelog entry (its id, entity, row_id and scope columns) falls in ``part``."""
    kind = part[0]
    if kind == "contact":
        return entry["contact_id"] == part[1]
    if entry["contact_id"] is not None:
        return False
    if kind == "all":
        return True
    if kind == "tenant":
        return entry["account_id"] is None
    if kind == "company":
        return entry["account_id"] == part[1]
    if kind == "account-entity":
        return entry["account_id"] == part[1] and entry["entity"] == part[2]
    if kind == "site":
        return entry["site_id"] == part[2] and entry["account_id"] == part[1] and entry["entity"] in SITE_ONLY_ENTITIES
    if kind == "row":
        return entry["id"] == f"{part[1]}:{part[2]}"
    return False


# The only fields of the tenant a scope depends on (the server keeps a session's scope while these stay).
SCOPE_TENANT_FIELDS = ("show_pending_invoices",)


def scope_for(actor: Actor, tenant: dict[str, Any], driver_rows: dict[str, tuple[str, ...]] | None = None) -> Scope:
    """The pull scope of a session. ``driver_rows`` is the driver's route, looked up by the server.
    Of the tenant it reads only ``SCOPE_TENANT_FIELDS``."""
    show_pending = bool(tenant.get("show_pending_invoices"))
    if actor.is_staff:
        fp = fingerprint(actor.role, actor.tenant_id, show_pending)
        return Scope(tenant_id=actor.tenant_id, person_id=actor.person_id, all_accounts=True, fingerprint=fp)
    if actor.role == "driver":
        rows = {k: tuple(sorted(v)) for k, v in (driver_rows or {}).items()}
        fp = fingerprint("driver", actor.tenant_id, actor.truck_id, sorted(rows.items()))
        return Scope(tenant_id=actor.tenant_id, person_id=actor.person_id, rows=rows, fingerprint=fp)
    company = tuple(sorted(a for a, acc in actor.accounts.items() if acc.role == "company"))
    site_accounts = tuple(sorted(a for a, acc in actor.accounts.items() if acc.role == "site"))
    site_ids = tuple(sorted({s for a in site_accounts for s in actor.accounts[a].site_ids}))
    fp = fingerprint(actor.role, actor.tenant_id, company, site_accounts, site_ids, show_pending)
    return Scope(
        tenant_id=actor.tenant_id,
        person_id=actor.person_id,
        company_accounts=company,
        site_accounts=site_accounts,
        site_ids=site_ids,
        sites=tuple(sorted((a, s) for a in site_accounts for s in set(actor.accounts[a].site_ids))),
        show_pending=show_pending,
        fingerprint=fp,
    )


def _drop(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in fields}


def needs_view(actor: Actor, entity: str) -> bool:
    """Whether ``present`` may change rows of ``entity`` for this session (else they are sent as stored).

    Invoices are the exception: whether one is shown depends only on its status (``invoice_visible``),
    which the server can check without decoding the whole row.
    """
    if actor.is_staff:
        return False
    if actor.role == "driver" or entity in SECRET_FIELDS or entity == "promo_code":
        return True
    if entity in SITE_CONTACT_FIELDS or entity in SITE_CONTACT_HIDDEN:
        return any(a.role == "site" for a in actor.accounts.values())
    return False


# Which invoices a customer sees (the PWA's copy is generated): never drafts; pending ones only when
# the tenant shows pending invoices (``show_pending_invoices``).
INVOICE_NEVER_SHOWN = frozenset({"draft"})
INVOICE_SHOWN_IF_PENDING_SHOWN = frozenset({"pending"})


def invoice_visible(tenant: dict[str, Any], status: str) -> bool:
    """Whether a customer (any non-staff session) sees an invoice of this status."""
    if status in INVOICE_NEVER_SHOWN:
        return False
    return status not in INVOICE_SHOWN_IF_PENDING_SHOWN or bool(tenant.get("show_pending_invoices"))


def present(actor: Actor, tenant: dict[str, Any], entity: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The row as this session may see it, or None if it may not see it at all."""
    if actor.is_staff:
        return data
    if entity == "invoice" and not invoice_visible(tenant, data["status"]):
        return None
    if entity == "promo_code":
        return _drop(data, PROMO_HIDDEN) if data.get("public") and actor.role != "driver" else None
    data = _drop(data, SECRET_FIELDS.get(entity, ()))
    if actor.role == "driver":
        if entity in DRIVER_FIELDS:
            return {k: v for k, v in data.items() if k in DRIVER_FIELDS[entity]}
        return _drop(data, DRIVER_HIDDEN.get(entity, ()))
    account_id = data["id"] if entity == "account" else data.get("account_id")
    access = actor.access(account_id)
    if access is not None and access.role == "site":
        if entity in SITE_CONTACT_FIELDS:
            return {k: v for k, v in data.items() if k in SITE_CONTACT_FIELDS[entity]}
        return _drop(data, SITE_CONTACT_HIDDEN.get(entity, ()))
    return data
