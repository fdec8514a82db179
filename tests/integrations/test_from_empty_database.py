"""A business from nothing: `haulport migrate` on an empty database, `haulport tenant create`, the admin's
link by real SMTP, branding and an API key, `haulport import` of its customers and open invoices, a contact
signing in and paying (localstripe), and exactly one verified `payment.succeeded` at a loopback receiver."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from litestar.testing import AsyncTestClient

from haulport_dev.localstripe_runner import PUBLISHABLE_KEY, SECRET_KEY, flush_data
from server.app import create_app
from server.integrations.webhooks import verify_signature
from server.settings import load_settings
from tests.conftest import USE_PG, _pg_admin, _pg_url
from tests.payments.stripe_flows import pay_ok, save_card
from tests.support.localstripe_server import WEBHOOK_SECRET, localstripe_url  # noqa: F401  (fixture)
from tests.support.smtp import Inbox, apprise_mailto, smtp_server
from tests.support.webhook_receiver import loopback_allowed, webhook_receiver

ROOT = Path(__file__).resolve().parents[2]
SECRET = "from-nothing-secret-key-0123456789-abcdefgh"
FILES = {
    "accounts": "external_id,name,kind,email,net_terms_days\nCUST-1,Bob's Bakery,commercial,bob@bakery.example,30\n"
    "CUST-2,Jane Doe,residential,jane@example.com,0\n",
    "contacts": "external_id,name,email,account_external_id,primary\nP-1,Bob Baker,bob@bakery.example,CUST-1,true\n",
    "sites": "external_id,account_external_id,name,type,address\n"
    'S-1,CUST-1,Bakery,commercial,"{""line1"":""1 Main St"",""city"":""Denver""}"\n',
    "invoices": "external_id,account_external_id,site_external_id,number,issued_on,due_on,terms,status,lines\n"
    "OLD-77,CUST-1,S-1,OLD-77,2026-11-01,2026-12-01,Net 30,open,"
    '"[{""description"":""Dumpster rental, 20 yd"",""quantity"":1,""unit_price"":45000}]"\n',
}


@pytest.fixture
def empty_database(tmp_path):
    if USE_PG:
        name = f"haulport_empty_{os.getpid()}"
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"))
        yield _pg_url(name)
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    else:
        yield f"sqlite:///{tmp_path}/business.db"


def _haulport(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _link_token(inbox: Inbox, count: int, to: str) -> str:
    messages = [m for m in inbox.wait_for(count, timeout=20) if to in m["X-Envelope-To"]]
    assert messages, f"no email to {to}"
    link = re.search(r"https?://\S+token=\S+", Inbox.text(messages[-1])).group(0)
    return parse_qs(urlparse(link).query)["token"][0]


async def test_a_business_goes_from_an_empty_database_to_a_paid_invoice(empty_database, tmp_path, localstripe_url):
    flush_data(localstripe_url)
    with smtp_server() as (inbox, smtp_port), webhook_receiver() as (received, hook_url):
        values = {
            "database_url": empty_database,
            "secret_key": SECRET,
            "public_url": "http://testserver.local",
            "notify_email_url": apprise_mailto(smtp_port),
            "static_dir": str(tmp_path / "no-pwa"),
            "stripe_secret_key": SECRET_KEY,
            "stripe_api_base": localstripe_url,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_publishable_key": PUBLISHABLE_KEY,
            **loopback_allowed(),
        }
        env = {
            **os.environ,
            "HAULPORT_CONFIG": str(tmp_path / "none.toml"),
            **{f"HAULPORT_{k.upper()}": v for k, v in values.items() if isinstance(v, str)},
        }
        migrated = await asyncio.to_thread(_haulport, env, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        made = await asyncio.to_thread(
            _haulport,
            env,
            "tenant",
            "create",
            "--slug",
            "bakery-haul",
            "--name",
            "Bakery Hauling",
            "--admin-email",
            "pat@bakery-haul.example",
            "--admin-name",
            "Pat",
            "--timezone",
            "America/Denver",
        )
        assert made.returncode == 0, made.stderr
        assert "a login link was emailed to pat@bakery-haul.example" in made.stdout
        admin_token = _link_token(inbox, 1, "pat@bakery-haul.example")

        settings = load_settings(path=tmp_path / "none.toml", env={}, **values)
        async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
            session = await client.post("/api/auth/session", json={"token": admin_token})
            assert session.status_code == 200 and session.json()["role"] == "admin"
            client.cookies.clear()
            admin = {"Authorization": f"Bearer {session.json()['session_token']}"}
            branded = await client.patch(
                "/api/admin/settings",
                headers=admin,
                json={"display_name": "Bakery Hauling Co.", "primary_color": "#224488"},
            )
            assert branded.status_code == 200
            key = await client.post("/api/integrations/keys", json={"name": "Books", "scope": "read"}, headers=admin)
            api_key = {"Authorization": f"Bearer {key.json()['token']}"}
            hook = await client.post(
                "/api/integrations/webhooks", headers=admin, json={"url": hook_url, "events": ["payment.succeeded"]}
            )
            secret = hook.json()["secret"]

            for kind in ("accounts", "contacts", "sites", "invoices"):
                path = tmp_path / f"{kind}.csv"
                path.write_text(FILES[kind])
                done = await asyncio.to_thread(_haulport, env, "import", "--tenant", "bakery-haul", kind, str(path))
                assert done.returncode == 0, done.stderr
            accounts = (await client.get("/api/admin/accounts", headers=api_key)).json()["items"]
            assert {a["name"] for a in accounts} == {"Bob's Bakery", "Jane Doe"}
            bakery = next(a for a in accounts if a["name"] == "Bob's Bakery")

            asked = await client.post(
                "/api/auth/magic-link", json={"tenant": "bakery-haul", "email": "bob@bakery.example"}
            )
            assert asked.status_code == 202
            contact = await client.post(
                "/api/auth/session", json={"token": _link_token(inbox, 2, "bob@bakery.example")}
            )
            assert contact.status_code == 200, contact.text
            client.cookies.clear()
            bob = {"Authorization": f"Bearer {contact.json()['session_token']}"}
            page = (await client.get("/api/sync/pull", params={"client_id": "bob-phone-1"}, headers=bob)).json()
            [invoice] = [c["data"] for c in page["changes"] if c["entity"] == "invoice"]
            assert (invoice["number"], invoice["balance"], invoice["status"]) == ("OLD-77", 45000, "open")

            card = await save_card(client, bob, bakery["id"], localstripe_url)
            paid = await pay_ok(
                client,
                bob,
                {
                    "account_id": bakery["id"],
                    "mode": "invoices",
                    "payment_method_id": card["id"],
                    "allocations": [{"invoice_id": invoice["id"], "amount": 45000}],
                },
            )
            assert paid["status"] == "succeeded"
            deadline = time.monotonic() + 20
            while not received.requests and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # nothing else arrives
    assert len(received.requests) == 1
    hit = received.requests[0]
    assert verify_signature(secret, hit["body"], hit["headers"]["Haulport-Signature"])
    event = json.loads(hit["body"])
    assert event["type"] == "payment.succeeded" and event["tenant"] == "bakery-haul"
    assert event["data"]["id"] == paid["payment_id"] and event["data"]["amount"] == 45000
