"""Who is acting: the session's person, role and the accounts (and sites) in scope."""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

Role = Literal["customer", "site_contact", "staff_readonly", "driver", "admin", "office"]

# The role groups: the one list the server's guards, the mutators and the PWA (generated) use.
ALL_ROLES = frozenset(get_args(Role))
PORTAL_ROLES = frozenset({"customer", "site_contact", "staff_readonly"})  # sessions of the customer portal
CUSTOMER_ROLES = frozenset({"customer", "site_contact"})  # portal sessions that may change things
COMPANY_ROLES = frozenset({"customer"})  # a company contact: sees and pays the account's billing
COMPANY_VIEWER_ROLES = COMPANY_ROLES | {"staff_readonly"}  # may read the account's billing
STAFF_ROLES = frozenset({"admin", "office"})  # the office console
ADMIN_ROLES = frozenset({"admin"})
DRIVER_ROLES = frozenset({"driver"})
ROLE_GROUPS: dict[str, frozenset[str]] = {
    "all": ALL_ROLES,
    "portal": PORTAL_ROLES,
    "customer": CUSTOMER_ROLES,
    "company": COMPANY_ROLES,
    "company_viewer": COMPANY_VIEWER_ROLES,
    "staff": STAFF_ROLES,
    "admin": ADMIN_ROLES,
    "driver": DRIVER_ROLES,
}


class AccountAccess(msgspec.Struct, frozen=True, kw_only=True):
    """How a session reaches one account."""

    role: Literal["company", "site"]
    site_ids: tuple[str, ...] = ()
    primary: bool = False
    name: str = ""
    kind: str = ""


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: str
    tenant_slug: str
    person_kind: Literal["contact", "staff"]
    person_id: str
    name: str
    role: Role
    accounts: dict[str, AccountAccess] = {}
    read_only: bool = False
    truck_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def access(self, account_id: str | None) -> AccountAccess | None:
        """This session's access to an account, or None when out of scope."""
        if self.is_staff:
            return AccountAccess(role="company", primary=True)
        return self.accounts.get(account_id) if account_id else None

    def may_see_site(self, account_id: str | None, site_id: str | None) -> bool:
        access = self.access(account_id)
        if access is None:
            return False
        return access.role == "company" or (site_id is not None and site_id in access.site_ids)

    def sees_billing(self, account_id: str | None) -> bool:
        access = self.access(account_id)
        return access is not None and access.role == "company"
