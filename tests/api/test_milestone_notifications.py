"""Office edits that reach a milestone tell the customer: a bell notification always, SMS/email
as the tenant's ``notify_events`` choose, through apprise to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support.portal import AVA, IDS, OFFICE, OPS, login, new_client_id, pull_all
from tests.support.smtp import Inbox, apprise_mailto, free_port, smtp_server


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings_overrides(smtp):
    return {"notify_email_url": apprise_mailto(smtp[1])}


def mails_to(inbox: Inbox, address: str) -> list:
    return [m for m in inbox.messages if address in m["X-Envelope-To"]]


async def wait_for_mail(inbox: Inbox, address: str, subject_part: str, timeout: float = 10.0):
    # asyncio.sleep, not time.sleep: the server's effects (the email among them) run on this event loop
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mails_to(inbox, address):
            if subject_part in message["Subject"]:
                return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {address} about {subject_part!r}; got {[m['Subject'] for m in inbox.messages]}")


async def bell(client, email: str, kind: str) -> list[dict]:
    _page, rows = await pull_all(client, await login(client, email), new_client_id())
    return [r for (entity, _id), r in rows.items() if entity == "notification" and r["kind"] == kind]


async def test_dispatch_en_route_and_completion_by_the_office_reach_the_customer(smtp, client):
    inbox, _port = smtp
    office = await login(client, OFFICE)
    job = IDS("job:ava-requested")
    response = await client.patch(
        f"/api/admin/jobs/{job}", headers=office, json={"truck_id": IDS("truck:t2"), "status": "confirmed"}
    )
    assert response.status_code == 200, response.text
    mail = await wait_for_mail(inbox, AVA, "Technician dispatched")
    assert "J-0901" in mail["Subject"] and "T-2" in Inbox.text(mail)
    assert "/jobs/" + job in Inbox.text(mail)  # links straight to the job
    [note] = await bell(client, AVA, "technician_dispatched")
    assert note["account_id"] == IDS("account:ava-reed") and note["read_at"] is None

    for status, subject in (("en_route", "on the way"), ("completed", "Work complete")):
        response = await client.patch(f"/api/admin/jobs/{job}", headers=office, json={"status": status})
        assert response.status_code == 200, response.text
        await wait_for_mail(inbox, AVA, subject)
    assert len(await bell(client, AVA, "work_complete")) == 1


async def test_a_completed_harbor_job_emails_the_company_contact_and_bells_the_site_contact(smtp, client):
    inbox, _port = smtp
    office = await login(client, OFFICE)
    response = await client.patch(
        f"/api/admin/jobs/{IDS('job:harbor-in-progress')}", headers=office, json={"status": "completed"}
    )
    assert response.status_code == 200, response.text
    await wait_for_mail(inbox, OPS, "Work complete")
    assert await bell(client, "gate@harbor.example", "work_complete")  # its site: the bell
    # The email goes to the company's contacts (the site contact got only the login link `bell` asked for).
    assert not [m for m in mails_to(inbox, "gate@harbor.example") if "Work complete" in m["Subject"]]


async def test_an_invoice_becoming_open_is_sent(smtp, client):
    inbox, _port = smtp
    office = await login(client, OFFICE)
    response = await client.post(
        "/api/admin/invoices",
        headers=office,
        json={
            "account_id": IDS("account:ava-reed"),
            "status": "draft",
            "issued_on": "2030-01-01",
            "due_on": "2030-01-31",
            "lines": [{"description": "Junk removal", "quantity": 1, "unit_price": 32500}],
        },
    )
    assert response.status_code == 201, response.text
    invoice = response.json()
    await asyncio.sleep(0.3)
    assert not mails_to(inbox, AVA)  # a draft is not sent
    response = await client.patch(f"/api/admin/invoices/{invoice['id']}", headers=office, json={"status": "open"})
    assert response.status_code == 200, response.text
    mail = await wait_for_mail(inbox, AVA, f"Invoice {invoice['number']} is ready")
    assert "$325.00" in Inbox.text(mail) and "Jan 31, 2030" in Inbox.text(mail)  # the date as people write it
    assert "2030-01-31" not in Inbox.text(mail)
    assert len(await bell(client, AVA, "invoice_sent")) == 2  # the demo's INV-1001 notification and this one


async def test_switched_off_events_send_no_mail_but_still_ring_the_bell(smtp, client):
    inbox, _port = smtp
    office = await login(client, OFFICE)
    response = await client.patch(
        "/api/admin/settings", headers=office, json={"notify_events": {"technician_dispatched": False}}
    )
    assert response.status_code == 200 and response.json()["notify_events"]["en_route"] is True
    response = await client.patch(
        f"/api/admin/jobs/{IDS('job:ava-requested')}", headers=office, json={"truck_id": IDS("truck:t2")}
    )
    assert response.status_code == 200, response.text
    assert len(await bell(client, AVA, "technician_dispatched")) == 1
    response = await client.patch(
        f"/api/admin/jobs/{IDS('job:ava-requested')}", headers=office, json={"status": "en_route"}
    )  # still on: proves mail works meanwhile
    assert response.status_code == 200, response.text
    await wait_for_mail(inbox, AVA, "on the way")
    assert not [m for m in mails_to(inbox, AVA) if "dispatched" in m["Subject"]]


class TestAFailingProvider:
    @pytest.fixture
    def settings_overrides(self):
        closed = free_port()  # nothing listens there
        return {"notify_email_url": f"mailto://127.0.0.1:{closed}?from=portal@demo.example&to={{to}}&mode=insecure"}

    async def test_never_fails_the_request(self, client):
        office = await login(client, OFFICE)
        started = time.monotonic()
        response = await client.patch(
            f"/api/admin/jobs/{IDS('job:ava-requested')}", headers=office, json={"truck_id": IDS("truck:t2")}
        )
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 2  # delivery and its retries run off the request path
        assert await bell(client, AVA, "technician_dispatched")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            outbox = (await client.get("/api/dev/outbox", params={"to": AVA})).json()["messages"]
            if any("dispatched" in m["subject"] for m in outbox):
                break
            time.sleep(0.1)
        [message] = [m for m in outbox if "dispatched" in m["subject"]]
        assert message["status"] in ("queued", "failed")  # recorded, retried, never lost silently
