"""Concurrent writers: no lost updates, capacity rules hold (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

from tests.support.asgi import concurrent_client
from tests.support.portal import AVA, IDS, OFFICE, login, new_client_id, push


async def test_fifty_concurrent_bookings_never_overfill_a_slot(settings):
    async with concurrent_client(settings) as client:  # the pushes really run at the same time
        headers = await login(client, AVA)
        day = (date.today() + timedelta(days=30)).isoformat()
        args = {
            "site_id": IDS("site:ava-home"),
            "service_type_id": IDS("service:junk"),
            "date": day,
            "time_slot_id": IDS("slot:afternoon"),
            "description": "sofa",
        }
        results = await asyncio.gather(
            *[
                push(client, headers, new_client_id(), (1, "job.book", {**args, "id": str(uuid.uuid4())}))
                for _ in range(50)
            ]
        )
    statuses = sorted(r["results"][0]["status"] for r in results)
    assert statuses.count("applied") == 4  # the afternoon slot takes 4 jobs a day
    rejected = [r["results"][0]["error"]["code"] for r in results if r["results"][0]["status"] == "rejected"]
    assert rejected == ["slot_full"] * 46


async def test_concurrent_office_edits_of_one_record_keep_every_change(client):
    office = await login(client, OFFICE)
    account = IDS("account:harbor")
    edits = [
        {"email": "billing@harbor.example"},
        {"phone": "+15550109999"},
        {"net_terms_days": 45},
        {"po_required": False},
        {"name": "Harbor Property Group LLC"},
    ]
    responses = await asyncio.gather(
        *[client.patch(f"/api/admin/accounts/{account}", json=e, headers=office) for e in edits]
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    final = (await client.get(f"/api/admin/accounts/{account}", headers=office)).json()
    for edit in edits:
        for key, value in edit.items():
            assert final[key] == value
    assert final["version"] == 1 + len(edits)
