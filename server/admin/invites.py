"""Staff invitations: a new staff user gets a login link by email, sent after the write commits."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from server.auth.tokens import issue
from server.documents.formatting import tenant_zone

log = logging.getLogger("haulport.admin")
DAY = 86400
ROLE_WORDS = {"admin": "an admin", "office": "office staff", "driver": "a driver"}


def tenant_today(tenant: dict[str, Any]) -> str:
    """Today's date (YYYY-MM-DD) where the business is."""
    return dt.datetime.now(tenant_zone(tenant)).date().isoformat()


async def send_invite(state: Any, tenant: dict[str, Any], staff: dict[str, Any], invited_by: str) -> None:
    """Email ``staff`` a login link to the console (or the driver app), valid as long as a portal link."""
    token, _ = issue(
        state.settings.secret_key,
        "link",
        staff["id"],
        "staff",
        tenant["id"],
        staff["token_version"],
        state.settings.link_ttl_days * DAY,
    )
    link = f"{state.settings.public_url.rstrip('/')}/t/{tenant['slug']}/login?token={token}"
    name = tenant.get("display_name") or tenant["name"]
    where = "the driver app" if staff["role"] == "driver" else "the office console"
    text = (
        f"Hi {staff['name']}, {invited_by} added you to {name} as {ROLE_WORDS[staff['role']]}.\n"
        f"Open this link to sign in to {where}: {link}\n"
        f"The link works for {state.settings.link_ttl_days} days; after that, ask for a new one on the sign-in page."
    )
    try:
        await state.messenger.send(tenant["id"], "email", staff["email"], f"You're invited to {name}", text, link)
    except Exception:  # the staff user exists either way; the admin can resend from the sign-in page
        log.exception("recording the invitation of staff user %s failed", staff["id"])
