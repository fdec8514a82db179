"""Job milestones told by SMS/email, as the tenant's ``notify_events`` choose."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from server.db.engine import Database
from server.db.store import Store
from server.documents.formatting import readable_dates
from server.notify.delivery import Messenger
from sync.effects import Notify

log = logging.getLogger("haulport.notify")
# Event kinds that map onto the tenant's notify_events toggles.
TOGGLED = {"job_booked", "technician_dispatched", "en_route", "work_complete", "invoice_sent"}


class EventMailer:
    """Sends event messages to an account's portal contacts, off the request path."""

    def __init__(self, db: Database, messenger: Messenger, public_url: str):
        self.db, self.messenger, self.public_url = db, messenger, public_url.rstrip("/")
        self._tasks: set[asyncio.Task] = set()

    async def deliver(self, state: Any, tenant: dict[str, Any], effect_id: str, event: Notify) -> str:
        """The `Notify` effect's handler: the message, if the tenant's ``notify_events`` want it."""
        if event.kind not in TOGGLED or not tenant.get("notify_events", {}).get(event.kind):
            return "not wanted by the portal's settings"
        await self._send(tenant, [event])
        return "sent"

    async def _send(self, tenant: dict[str, Any], events: list[Notify]) -> None:
        name = tenant.get("display_name") or tenant["name"]
        try:
            for event in events:
                async with self.db.read() as conn:
                    store = Store(conn, tenant["id"])
                    members = await store.find(
                        "membership", account_id=event.account_id, portal_access=True, role="company"
                    )
                    contacts = await store.find("contact", id=[m["contact_id"] for m in members])
                link = f"{self.public_url}/t/{tenant['slug']}{event.link and '/#' + event.link}"
                title, body = readable_dates(event.title, tenant), readable_dates(event.body, tenant)
                for contact in contacts:
                    text = f"{title}\n{body}\n{link}"
                    if contact.get("email"):
                        await self.messenger.send(
                            tenant["id"], "email", contact["email"], f"{name}: {title}", text, link
                        )
                    elif contact.get("phone"):
                        await self.messenger.send(tenant["id"], "sms", contact["phone"], title, text, link)
        except Exception:  # a notification must never take the server down with it
            log.exception("sending event messages failed")

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        await self.messenger.drain(timeout)
