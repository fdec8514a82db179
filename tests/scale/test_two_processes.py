"""Two server processes sharing Redis (and one database, one Stripe): live events published on one
reach sockets on the other, sync works across them, a payment made on one is settled by the webhook
Stripe delivers to the other.

Needs Redis at 127.0.0.1:6379: skipped without it, except in CI (``CI=true``) where it must be there.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from haulport_dev.localstripe_runner import PUBLISHABLE_KEY, SECRET_KEY, flush_data
from tests.conftest import USE_PG, _restore
from tests.live.conftest import live_socket, session_token
from tests.payments.stripe_flows import AVA_ACCOUNT, AVA_OPEN, deliver, event_for, pay, pay_ok, save_card
from tests.support.localstripe_server import (
    CARD_3DS,
    WEBHOOK_SECRET,
    authenticate_payment,
    localstripe_url,  # noqa: F401  (fixture)
    sdk_client,
)
from tests.support.portal import ADMIN, AVA, DRIVER, IDS, login, new_client_id, pull_all, push
from tests.support.smtp import free_port

REDIS_URL = os.environ.get("HAULPORT_TEST_REDIS", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.redis


def _redis_reachable() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return None
    except Exception as exc:  # any failure to talk to it means: no Redis here
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="module")
def redis_url() -> str:
    problem = _redis_reachable()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required in CI at {REDIS_URL}: {problem}")
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({problem})")
    return REDIS_URL


def _wait_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/public/tenants/demo", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up in {timeout} s")


@pytest.fixture(scope="module")
def shared_database_url(template_db, tmp_path_factory) -> str:
    """The demo database for this module's servers (starting them is the slow part), as
    ``database_url`` makes it for one test."""
    if USE_PG:
        url, snapshot = template_db
        asyncio.run(_restore(url, snapshot))
        return url
    path = tmp_path_factory.mktemp("two-processes") / "haulport.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def two_servers(shared_database_url, redis_url, localstripe_url, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Base URLs of two uvicorn processes on one database, one Redis and one (fake) Stripe."""
    database_url, tmp_path = shared_database_url, tmp_path_factory.mktemp("servers")
    env = {
        **os.environ,
        "HAULPORT_DATABASE_URL": database_url,
        "HAULPORT_REDIS_URL": redis_url,
        "HAULPORT_DEV_MODE": "true",
        "HAULPORT_SECRET_KEY": "two-process-secret-key-0123456789-abcdef",
        "HAULPORT_PUBLIC_URL": "http://127.0.0.1:8000",
        "HAULPORT_STATIC_DIR": str(tmp_path / "no-pwa"),
        "HAULPORT_CONFIG": str(tmp_path / "none.toml"),
        "HAULPORT_STRIPE_SECRET_KEY": SECRET_KEY,
        "HAULPORT_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "HAULPORT_STRIPE_API_BASE": localstripe_url,
        "HAULPORT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # Redis keeps rate-limit counters between runs: generous limits keep reruns green
        "HAULPORT_MAGIC_LINK_PER_ADDRESS": "100000",
        "HAULPORT_MAGIC_LINK_PER_IP": "100000",
    }
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "server.app:app_from_environment",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes):
            _wait_up(url, process)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_a_fix_sent_to_process_a_reaches_a_subscriber_on_process_b(two_servers):
    url_a, url_b = two_servers
    async with httpx.AsyncClient(base_url=url_a, timeout=10) as a, httpx.AsyncClient(base_url=url_b, timeout=10) as b:
        ava_token, driver_token = await session_token(b, AVA), await session_token(a, DRIVER)
        async with live_socket(url_b, ava_token) as ava, live_socket(url_a, driver_token) as driver:
            lat = round(39.5 + random.random() / 10, 6)  # a position no other test run sends
            started = time.perf_counter()
            await driver.send({"type": "gps", "fixes": [{"lat": lat, "lng": -89.65, "speed_mps": 9.0, "at": _now()}]})
            seen = await ava.next(type="gps", lat=lat)
            elapsed_ms = (time.perf_counter() - started) * 1000
            assert (seen["truck_id"], seen["job_id"]) == (IDS("truck:t1"), IDS("job:ava-en-route"))
            assert elapsed_ms < 2000, elapsed_ms
        # Offline uploads to A go live on B too.
        lat = round(39.6 + random.random() / 10, 6)
        async with live_socket(url_b, ava_token) as ava:
            response = await a.post(
                "/api/driver/gps",
                headers={"Authorization": f"Bearer {driver_token}"},
                json={"fixes": [{"lat": lat, "lng": -89.65, "at": _now()}]},
            )
            assert response.json()["broadcast"] is True
            await ava.next(type="gps", lat=lat)


async def test_a_booking_pushed_to_process_a_pokes_a_client_on_process_b(two_servers):
    url_a, url_b = two_servers
    async with httpx.AsyncClient(base_url=url_a, timeout=10) as a, httpx.AsyncClient(base_url=url_b, timeout=10) as b:
        on_a, on_b = await login(a, AVA), await login(b, AVA)
        client_id = new_client_id()
        page, _rows = await pull_all(b, on_b, client_id)
        async with live_socket(url_b, on_b["Authorization"].removeprefix("Bearer ")) as ava:
            job_id = str(uuid.uuid4())
            result = await push(
                a,
                on_a,
                new_client_id(),
                (
                    1,
                    "job.book",
                    {
                        "id": job_id,
                        "site_id": IDS("site:ava-home"),
                        "service_type_id": IDS("service:junk"),
                        "date": "2030-07-01",
                        "time_slot_id": IDS("slot:afternoon"),
                        "description": "Shed demolition",
                        "items": "shed",
                        "load_estimate": "half",
                    },
                ),
            )
            assert result["results"][0]["status"] == "applied", result
            await ava.next(type="poke")
            _page, rows = await pull_all(b, on_b, client_id, page["cursor"])
            assert ("job", job_id) in rows


async def test_several_processes_share_one_socket_scope_rule(two_servers):
    """A customer on B hears nothing of another customer's job published on A."""
    url_a, url_b = two_servers
    async with httpx.AsyncClient(base_url=url_a, timeout=10) as a, httpx.AsyncClient(base_url=url_b, timeout=10) as b:
        ops_token, driver_token = await session_token(b, "ops@harbor.example"), await session_token(a, DRIVER)
        async with live_socket(url_b, ops_token) as ops, live_socket(url_a, driver_token) as driver:
            lat = round(39.4 + random.random() / 10, 6)
            await driver.send({"type": "gps", "fixes": [{"lat": lat, "lng": -89.65, "at": _now()}]})
            seen = await ops.next(type="gps", lat=lat)
            assert seen["job_id"] == IDS("job:harbor-in-progress")  # T-1 also carries Ava's job: not shown here
            await asyncio.sleep(0.3)
            await ops.none(0.2, type="gps", job_id=IDS("job:ava-en-route"))


async def test_a_payment_made_on_process_a_is_settled_by_the_webhook_on_process_b(two_servers, localstripe_url):
    """3-D Secure card payment started on A; Stripe's event reaches B (a load balancer may send it
    anywhere); a client on B is poked and pulls the paid balance; the same event at A changes nothing."""
    url_a, url_b = two_servers
    flush_data(localstripe_url)
    async with httpx.AsyncClient(base_url=url_a, timeout=20) as a, httpx.AsyncClient(base_url=url_b, timeout=20) as b:
        on_a, on_b = await login(a, AVA), await login(b, AVA)
        client_id = new_client_id()
        page, rows = await pull_all(b, on_b, client_id)
        balance = rows[("invoice", AVA_OPEN)]["balance"]
        card = await save_card(a, on_a, AVA_ACCOUNT, localstripe_url, CARD_3DS)
        answer = await pay_ok(
            a,
            on_a,
            {
                "account_id": AVA_ACCOUNT,
                "mode": "invoices",
                "payment_method_id": card["id"],
                "allocations": [{"invoice_id": AVA_OPEN, "amount": 5000}],
            },
        )
        assert answer["status"] == "requires_action"
        await asyncio.to_thread(authenticate_payment, localstripe_url, answer["client_secret"])
        async with live_socket(url_b, on_b["Authorization"].removeprefix("Bearer ")) as ava:
            intent_id = answer["client_secret"].split("_secret_")[0]
            event = await asyncio.to_thread(event_for, localstripe_url, "payment_intent.succeeded", intent_id)
            assert (await deliver(b, event)).json() == {"received": True}
            await ava.next(type="poke")
            _page, rows = await pull_all(b, on_b, client_id, page["cursor"])
        assert rows[("invoice", AVA_OPEN)]["balance"] == balance - 5000
        assert rows[("payment", answer["payment_id"])]["status"] == "succeeded"
        assert (await deliver(a, event)).json() == {"received": True, "duplicate": True}


async def test_twenty_payments_at_once_for_one_balance_charge_it_once(two_servers, localstripe_url):
    """20 payments for the whole of one invoice, each with its own Idempotency-Key, sent at once and
    split over both processes: Stripe charges the balance once, the other 19 are refused before Stripe
    is asked (409 ``over_balance``, while the winner is pending and once the invoice is paid), nothing
    answers 5xx."""
    url_a, url_b = two_servers
    async with httpx.AsyncClient(base_url=url_a, timeout=60) as a, httpx.AsyncClient(base_url=url_b, timeout=60) as b:
        on_a, on_b, admin = await login(a, AVA), await login(b, AVA), await login(a, ADMIN)
        card = await save_card(a, on_a, AVA_ACCOUNT, localstripe_url)
        created = await a.post(
            "/api/admin/invoices",
            headers=admin,
            json={
                "account_id": AVA_ACCOUNT,
                "status": "open",
                "issued_on": "2026-11-25",
                "due_on": "2026-12-25",
                "lines": [{"description": "Roll-off rental", "quantity": 1, "unit_price": 80700}],
            },
        )
        assert created.status_code == 201, created.text
        invoice = created.json()
        body = {
            "account_id": AVA_ACCOUNT,
            "mode": "invoices",
            "payment_method_id": card["id"],
            "allocations": [{"invoice_id": invoice["id"], "amount": 80700}],
        }

        responses = await asyncio.gather(*(pay(a if i % 2 else b, on_a if i % 2 else on_b, body) for i in range(20)))

        assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
        won = [r.json() for r in responses if r.status_code == 200]
        refused = [r.json()["error"] for r in responses if r.status_code != 200]
        assert [w["status"] for w in won] == ["succeeded"], won
        # refused before Stripe is asked: 409 over_balance while the winner's charge is pending and
        # once it has settled (a paid invoice has nothing left to pay)
        assert len(refused) == 19 and {e["code"] for e in refused} == {"over_balance"}, refused
        assert all(r.status_code == 409 for r in responses if r.status_code != 200)
        # Stripe's side: one charge, of the balance, for the one payment that won
        intents = await asyncio.to_thread(
            lambda: sdk_client(localstripe_url).v1.payment_intents.list(params={"limit": 100})
        )
        mine = [
            i for i in intents.data if i.metadata and i.metadata.to_dict().get("payment_id") in {won[0]["payment_id"]}
        ]
        payments = (await a.get("/api/admin/payments", headers=admin, params={"account_id": AVA_ACCOUNT})).json()
        for_invoice = {
            p["id"] for p in payments["items"] if any(x["invoice_id"] == invoice["id"] for x in p["allocations"])
        }
        assert for_invoice == {won[0]["payment_id"]}
        charged = [
            i
            for i in intents.data
            if i.status == "succeeded" and i.metadata and i.metadata.to_dict().get("payment_id") in for_invoice
        ]
        assert [i.amount for i in charged] == [80700] and [i.id for i in mine] == [i.id for i in charged]
        paid = (await a.get(f"/api/admin/invoices/{invoice['id']}", headers=admin)).json()
        assert (paid["balance"], paid["status"]) == (0, "paid")
