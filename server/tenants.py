"""Onboarding from nothing: ``haulport tenant create`` makes a tenant and its first admin and sends
the admin a login link; ``haulport tenant list`` shows the tenants of this database."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from server.auth.tokens import issue
from server.db.engine import Database
from server.db.store import InvalidRow, Store, new_id
from server.notify.delivery import Messenger
from server.settings import Settings
from sync.entities import EMAIL_PATTERN

DAY = 86400
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class OnboardingError(Exception):
    """What is wrong with the tenant asked for, in words the operator can act on."""


def check_request(slug: str, name: str, admin_email: str, currency: str, timezone: str) -> None:
    if not SLUG.fullmatch(slug):
        raise OnboardingError("--slug: use lowercase letters, digits and dashes (it becomes the portal's address)")
    if not name.strip():
        raise OnboardingError("--name: give the business's name")
    if not re.fullmatch(EMAIL_PATTERN, admin_email):
        raise OnboardingError(f"--admin-email: {admin_email!r} is not an email address")
    if not CURRENCY.fullmatch(currency):
        raise OnboardingError(f"--currency: {currency!r} is not a three-letter currency code such as USD")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise OnboardingError(f"--timezone: {timezone!r} is not a time zone such as America/Denver") from None


def login_link(settings: Settings, slug: str, staff: dict[str, Any], tenant_id: str) -> str:
    token, _ = issue(
        settings.secret_key,
        "link",
        staff["id"],
        "staff",
        tenant_id,
        staff["token_version"],
        settings.link_ttl_days * DAY,
    )
    return f"{settings.public_url.rstrip('/')}/t/{slug}/login?token={token}"


async def create_tenant(
    settings: Settings,
    slug: str,
    name: str,
    admin_email: str,
    admin_name: str = "",
    currency: str = "USD",
    timezone: str = "UTC",
) -> dict[str, Any]:
    """Create the tenant and its first admin, and send the admin a login link.

    Answers ``{"tenant", "admin", "link", "delivery"}``: ``delivery`` is ``sent`` (through the configured
    email provider), ``failed`` (the provider refused; the link is printed instead) or ``printed`` (no
    provider configured)."""
    admin_email = admin_email.strip().lower()
    check_request(slug, name, admin_email, currency, timezone)
    db = Database(settings.database_url)
    await db.start()
    try:
        async with db.write() as conn:
            if await conn.fetchval("SELECT id FROM tenant WHERE slug = ?", slug) is not None:
                raise OnboardingError(f"--slug: a tenant called {slug!r} already exists")
            tenant_id = new_id()
            store = Store(conn, tenant_id)
            await store.lock()
            try:
                tenant = await store.insert(
                    "tenant",
                    {
                        "id": tenant_id,
                        "slug": slug,
                        "name": name.strip(),
                        "display_name": name.strip(),
                        "currency": currency,
                        "timezone": timezone,
                        "email": admin_email,
                    },
                )
                admin = await store.insert(
                    "staff_user",
                    {"name": admin_name.strip() or admin_email.split("@")[0], "email": admin_email, "role": "admin"},
                )
            except InvalidRow as exc:
                raise OnboardingError(str(exc)) from None
        link = login_link(settings, slug, admin, tenant_id)
        delivery = "printed"
        if settings.notify_email_url:
            messenger = Messenger(settings, db)
            text = (
                f"Hi {admin['name']}, your Haulport office for {tenant['name']} is ready.\n"
                f"Open this link to sign in and set up your portal: {link}\n"
                f"The link works for {settings.link_ttl_days} days."
            )
            message_id = await messenger.send(
                tenant_id, "email", admin_email, f"Sign in to {tenant['name']}", text, link
            )
            await messenger.drain(timeout=60)
            async with db.read() as conn:
                status = await conn.fetchval("SELECT status FROM outbox WHERE id = ?", message_id)
            delivery = "sent" if status == "sent" else "failed"
        return {"tenant": tenant, "admin": admin, "link": link, "delivery": delivery}
    finally:
        await db.close()


async def list_tenants(settings: Settings) -> list[dict[str, Any]]:
    """Every tenant with its admins and customer accounts counted."""
    db = Database(settings.database_url)
    await db.start()
    try:
        async with db.read() as conn:
            return await conn.fetch(
                "SELECT t.slug, t.name, t.currency, t.timezone, t.created_at, "
                "(SELECT COUNT(*) FROM staff_user s WHERE s.tenant_id = t.id AND s.role = 'admin') AS admins, "
                "(SELECT COUNT(*) FROM account a WHERE a.tenant_id = t.id) AS accounts "
                "FROM tenant t ORDER BY t.slug"
            )
    finally:
        await db.close()
