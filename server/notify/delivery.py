"""Sending email and SMS through apprise, off the request path, with retries.

Every message is written to the ``outbox`` table first. With no provider URL configured, in
dev mode, that record is the delivery: ``GET /api/dev/outbox`` shows it so a newcomer can log
in on a fresh machine. A failing provider never fails the request that caused the message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal
from urllib.parse import quote

import apprise

from server.db.engine import Database, forbid_in_write_transaction
from server.db.store import new_id, now_iso
from server.settings import Settings

log = logging.getLogger("haulport.notify")
Channel = Literal["email", "sms"]
RETRY_DELAYS_S = (0.5, 2.0, 8.0)


class Messenger:
    """Records and delivers messages to people."""

    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self._tasks: set[asyncio.Task] = set()

    def provider_url(self, channel: Channel) -> str:
        return self.settings.notify_email_url if channel == "email" else self.settings.notify_sms_url

    async def send(
        self, tenant_id: str | None, channel: Channel, recipient: str, subject: str, body: str, link: str = ""
    ) -> str:
        """Record a message and start delivering it; returns the outbox id."""
        forbid_in_write_transaction("email/SMS delivery")
        url = self.provider_url(channel)
        status = "queued" if url else ("recorded" if self.settings.dev_mode else "undeliverable")
        message_id = new_id()
        stored_body, stored_link = body, link
        if not self.settings.dev_mode and link:  # outside dev mode the outbox keeps no usable login link
            stored_body, stored_link = body.replace(link, "[link removed]"), ""
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO outbox (id, tenant_id, channel, recipient, subject, body, link, status, attempts, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                message_id,
                tenant_id,
                channel,
                recipient,
                subject,
                stored_body,
                stored_link,
                status,
                now_iso(),
            )
        if url:
            task = asyncio.create_task(self._deliver(message_id, url, recipient, subject, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif not self.settings.dev_mode:
            log.warning("no %s provider configured; message %s not delivered", channel, message_id)
        return message_id

    async def _deliver(self, message_id: str, url: str, recipient: str, subject: str, body: str) -> None:
        target = url.replace("{to}", quote(recipient, safe="+@"))
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S), start=1):
            if delay:
                await asyncio.sleep(delay)
            sender = apprise.Apprise()
            if not sender.add(target):
                await self._mark(message_id, "bad_provider_url", attempt)
                log.error("apprise refused the provider URL for message %s", message_id)
                return
            forbid_in_write_transaction("apprise")
            try:
                ok = await sender.async_notify(body=body, title=subject)
            except Exception:  # a provider's failure must never escape into the app
                log.exception("delivery of %s failed", message_id)
                ok = False
            if ok:
                await self._mark(message_id, "sent", attempt)
                return
        await self._mark(message_id, "failed", len(RETRY_DELAYS_S) + 1)

    async def _mark(self, message_id: str, status: str, attempts: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("UPDATE outbox SET status = ?, attempts = ? WHERE id = ?", status, attempts, message_id)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for deliveries in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
