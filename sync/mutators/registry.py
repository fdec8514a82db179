"""The one registry of named mutators (``job.book`` …) and how a mutation is run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from sync.actor import COMPANY_ROLES, CUSTOMER_ROLES, DRIVER_ROLES, STAFF_ROLES
from sync.mutators.context import Context
from sync.rules import Rejected

# Who may run a mutator (the role groups of sync/actor.py).
CUSTOMER, COMPANY, DRIVER, OFFICE = CUSTOMER_ROLES, COMPANY_ROLES, DRIVER_ROLES, STAFF_ROLES


@dataclass(frozen=True)
class Mutator:
    name: str
    args: type[msgspec.Struct]
    run: Callable[[Context, Any], Awaitable[None]]
    roles: frozenset[str]


MUTATORS: dict[str, Mutator] = {}


def mutator(name: str, args: type[msgspec.Struct], roles: frozenset[str] = CUSTOMER):
    """Register ``fn`` as the mutator called ``name`` taking ``args``, allowed for ``roles``."""

    def register(fn):
        MUTATORS[name] = Mutator(name, args, fn, roles)
        return fn

    return register


def parse_args(name: str, raw: Any) -> msgspec.Struct:
    """The mutation's args as its struct; ``Rejected`` for unknown names or bad args."""
    m = MUTATORS.get(name)
    if m is None:
        raise Rejected("unknown_mutation", f"there is no mutation called {name!r}")
    try:
        return msgspec.convert(raw, m.args)
    except msgspec.ValidationError as exc:
        raise Rejected("bad_args", f"{name}: {exc}") from None


async def run_mutation(ctx: Context, name: str, raw_args: Any) -> None:
    """Check the role, decode the args, run the mutator. Raises ``Rejected`` on any rule broken."""
    args = parse_args(name, raw_args)
    m = MUTATORS[name]
    if ctx.actor.read_only:
        raise Rejected("read_only", "a read-only session cannot change anything")
    if ctx.actor.role not in m.roles:
        raise Rejected("forbidden", f"{name} is not allowed for a {ctx.actor.role.replace('_', ' ')} session")
    await m.run(ctx, args)


def load_all() -> None:
    """Import every mutator module so the registry is complete."""
    from sync.mutators import accounts, driver, jobs, rentals, requests  # noqa: F401
