"""Delivering the webhook outbox after commit: at least once, retried with backoff for 24 hours.

Every server process runs one dispatcher. A delivery is claimed by moving its ``next_attempt_at``
forward (a compare-and-set), so two processes never post it at the same moment; a process that dies
mid-delivery leaves the claim to expire and another posts it again (receivers deduplicate by ``id``).
Each attempt is logged in ``webhook_attempt`` with the receiver's status code or the error.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.db.engine import Database, forbid_in_write_transaction
from server.db.store import now_iso
from server.integrations.webhooks import signature
from server.outbound import outbound_client
from server.settings import Settings

log = logging.getLogger("haulport.webhooks")
RETRY_FOR = timedelta(hours=24)
CLAIM_FOR = timedelta(seconds=60)  # longer than one attempt can take (TIMEOUT_S)
TIMEOUT_S = 10.0
MAX_DELAY = timedelta(hours=6)
BATCH = 20
WAKE_ON = frozenset({"job", "service_request", "estimate", "payment", "rental", "message", "review"})


def _webhook_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client webhooks are posted with: through the outbound-request guard, so only public
    addresses (or those in ``outbound_allow``) are reached."""
    return outbound_client(
        settings, timeout=TIMEOUT_S, follow_redirects=False, headers={"User-Agent": "Haulport-Webhooks/1"}
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class WebhookDispatcher:
    def __init__(self, settings: Settings, db: Database, poll_s: float = 2.0, retry_base_s: float = 30.0):
        self.settings = settings
        self.db = db
        self.poll_s = poll_s
        self.retry_base_s = retry_base_s  # first retry after this; each next one 4 times later (at most 6 h)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None

    def retry_delay(self, attempts: int) -> timedelta:
        return min(timedelta(seconds=self.retry_base_s * 4 ** (attempts - 1)), MAX_DELAY)

    async def start(self) -> None:
        self._client = _webhook_http_client(self.settings)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._client is not None:
            await self._client.aclose()

    async def on_commit(self, tenant_id: str, changed: list[tuple[str, dict[str, Any]]]) -> None:
        """Hub listener: a commit that may have queued an event wakes the dispatcher."""
        if any(entity in WAKE_ON for entity, _ in changed):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_due():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the database busy or away: try again on the next round
                log.exception("webhook dispatch round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Post every delivery that is due now; returns how many were attempted."""
        now = datetime.now(UTC)
        async with self.db.read() as conn:
            due = await conn.fetch(
                "SELECT id, next_attempt_at FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at LIMIT ?",
                _iso(now),
                BATCH,
            )
        claimed = []
        for row in due:
            async with self.db.write() as conn:
                got = await conn.fetchrow(
                    "UPDATE webhook_delivery SET next_attempt_at = ? WHERE id = ? AND status = 'pending' "
                    "AND next_attempt_at = ? RETURNING *",
                    _iso(now + CLAIM_FOR),
                    row["id"],
                    row["next_attempt_at"],
                )
            if got is not None:
                claimed.append(got)
        await asyncio.gather(*(self._attempt(d) for d in claimed))
        return len(claimed)

    async def _attempt(self, delivery: dict[str, Any]) -> None:
        async with self.db.read() as conn:
            endpoint = await conn.fetchrow("SELECT * FROM webhook_endpoint WHERE id = ?", delivery["endpoint_id"])
        body = delivery["body"].encode()
        status_code, error = None, ""
        started = time.perf_counter()
        if endpoint is None or not endpoint["active"]:
            error = "the endpoint was removed or turned off"
        else:
            headers = {
                "Content-Type": "application/json",
                "Haulport-Signature": signature(endpoint["secret"], body),
                "Haulport-Delivery": delivery["id"],
                "Haulport-Event": delivery["type"],
            }
            try:
                assert self._client is not None
                forbid_in_write_transaction("webhook delivery")
                response = await self._client.post(endpoint["url"], content=body, headers=headers)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"the receiver answered {status_code}"
            except Exception as exc:  # refused, timed out, DNS, the outbound guard: all worth a retry
                error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        await self._record(
            delivery,
            endpoint is not None and endpoint["active"],
            status_code,
            error,
            int((time.perf_counter() - started) * 1000),
        )

    async def _record(
        self, delivery: dict[str, Any], retryable: bool, status_code: int | None, error: str, duration_ms: int
    ) -> None:
        now = datetime.now(UTC)
        attempts = delivery["attempts"] + 1
        if not error:
            status, next_at, delivered_at = "delivered", delivery["next_attempt_at"], _iso(now)
        else:
            next_time = now + self.retry_delay(attempts)
            give_up = not retryable or next_time > _parse(delivery["created_at"]) + RETRY_FOR
            status, next_at, delivered_at = ("failed" if give_up else "pending"), _iso(next_time), None
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO webhook_attempt (id, tenant_id, delivery_id, at, status_code, error, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                "wha_" + uuid.uuid4().hex,
                delivery["tenant_id"],
                delivery["id"],
                _iso(now),
                status_code,
                error,
                duration_ms,
            )
            await conn.execute(
                "UPDATE webhook_delivery SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, "
                "last_error = ?, delivered_at = ? WHERE id = ?",
                status,
                attempts,
                next_at,
                status_code,
                error,
                delivered_at,
                delivery["id"],
            )
        if error:
            log.info("webhook %s attempt %d: %s", delivery["id"], attempts, error)


async def resend(db: Database, tenant_id: str, delivery_id: str) -> dict[str, Any] | None:
    """Queue a delivery again now (same id and body); a failed one gets a fresh 24 hours of retries."""
    stamp = now_iso()
    async with db.write() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM webhook_delivery WHERE id = ? AND tenant_id = ?", delivery_id, tenant_id
        )
        if row is None:
            return None
        await conn.execute(
            "UPDATE webhook_delivery SET status = 'pending', next_attempt_at = ?, created_at = ? WHERE id = ?",
            stamp,
            stamp if row["status"] == "failed" else row["created_at"],
            delivery_id,
        )
        return await conn.fetchrow("SELECT * FROM webhook_delivery WHERE id = ?", delivery_id)
