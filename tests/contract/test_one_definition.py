"""One definition each: who sees which invoices, and the role groups."""

from __future__ import annotations

from sync.actor import ALL_ROLES, PORTAL_ROLES, ROLE_GROUPS, STAFF_ROLES, AccountAccess, Actor
from sync.scope import invoice_visible, present


def _customer() -> Actor:
    return Actor(
        tenant_id="t",
        tenant_slug="demo",
        person_kind="contact",
        person_id="c",
        name="Ava",
        role="customer",
        accounts={"a": AccountAccess(role="company")},
    )


def test_invoice_visibility():
    hidden, shown = {"show_pending_invoices": False}, {"show_pending_invoices": True}
    assert [invoice_visible(hidden, s) for s in ("draft", "pending", "open", "paid", "void")] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert [invoice_visible(shown, s) for s in ("draft", "pending", "open")] == [False, True, True]


def test_the_pull_presents_invoices_by_the_same_rule():
    for tenant in ({"show_pending_invoices": False}, {"show_pending_invoices": True}):
        for status in ("draft", "pending", "open", "paid", "void"):
            row = {"id": "i", "account_id": "a", "status": status}
            assert (present(_customer(), tenant, "invoice", row) is not None) == invoice_visible(tenant, status)


def test_role_groups_are_made_of_roles():
    assert all(group <= ALL_ROLES for group in ROLE_GROUPS.values())
    assert not PORTAL_ROLES & STAFF_ROLES


def test_guards_and_mutators_use_the_groups():
    from server.auth import guards
    from sync.mutators import registry

    assert registry.OFFICE is STAFF_ROLES
    assert guards.staff.__name__ == "allow_" + "_".join(sorted(STAFF_ROLES))
    assert guards.anyone_signed_in.__name__ == "allow_" + "_".join(sorted(ALL_ROLES))
