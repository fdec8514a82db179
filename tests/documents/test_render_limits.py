"""Rendering is bounded per person: one customer firing 50 document requests at once gets one
rendered and ``429 render_busy`` for the rest, while someone else's document is served at the same
time; a render past its time answers ``503 busy`` with ``Retry-After`` instead of hanging. And a job
booked with a 5,000-character ``items`` text renders as a short receipt, through the API."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta

import pytest

from server.documents import render_order_receipt
from server.documents import routes as document_routes
from server.seed.demo import sid
from tests.documents.test_document_routes import pdf_text
from tests.support.asgi import concurrent_client
from tests.support.portal import AVA, GATE, IDS, login, new_client_id, push

AVA_JOB = f"/api/documents/jobs/{sid('job:ava-completed')}/receipt.pdf"
GATE_JOB = f"/api/documents/jobs/{sid('job:harbor-in-progress')}/receipt.pdf"


@pytest.fixture
def slow_render(monkeypatch):
    """Each job receipt takes a second longer (in its worker thread), like a heavy document does."""

    def slow(*args, **kwargs):
        time.sleep(1.0)
        return render_order_receipt(*args, **kwargs)

    monkeypatch.setattr(document_routes, "render_order_receipt", slow)


async def test_one_person_renders_one_document_at_a_time_and_others_are_served_meanwhile(settings, slow_render):
    async with concurrent_client(settings) as client:
        ava, gate = await login(client, AVA), await login(client, GATE)
        responses = await asyncio.gather(
            *(client.get(AVA_JOB, headers=ava) for _ in range(50)), client.get(GATE_JOB, headers=gate)
        )
        ava_codes = sorted(r.status_code for r in responses[:50])
        assert ava_codes == [200] + [429] * 49, ava_codes
        refused = next(r for r in responses[:50] if r.status_code == 429)
        assert refused.json()["error"]["code"] == "render_busy" and int(refused.headers["retry-after"]) >= 1
        assert responses[50].status_code == 200  # the other person was not held up by the first one's flood
        assert (await client.get(AVA_JOB, headers=ava)).status_code == 200  # and after it, the next one renders


async def test_a_render_past_its_time_answers_503_busy_and_keeps_its_turn_until_it_ends(settings, slow_render):
    async with concurrent_client(settings) as client:
        client.app.state.render_timeout_s = 0.3
        ava = await login(client, AVA)
        late = await client.get(AVA_JOB, headers=ava)
        assert late.status_code == 503, late.text
        assert late.json()["error"]["code"] == "busy" and int(late.headers["retry-after"]) >= 1
        again = await client.get(AVA_JOB, headers=ava)  # the thread still renders: not a second one beside it
        assert again.status_code == 429
        await asyncio.sleep(1.0)
        client.app.state.render_timeout_s = 20.0
        assert (await client.get(AVA_JOB, headers=ava)).status_code == 200


async def test_a_job_booked_with_5000_characters_of_items_gets_a_short_receipt(client, tmp_path):
    ava = await login(client, AVA)
    job_id = str(uuid.uuid4())
    args = {
        "id": job_id,
        "site_id": IDS("site:ava-home"),
        "service_type_id": IDS("service:junk"),
        "date": (date.today() + timedelta(days=30)).isoformat(),
        "time_slot_id": IDS("slot:afternoon"),
        "items": "Couch " + "y" * 4994,
    }
    pushed = await push(client, ava, new_client_id(), (1, "job.book", args))
    assert pushed["results"][0]["status"] == "applied", pushed
    response = await client.get(f"/api/documents/jobs/{job_id}/receipt.pdf", headers=ava)
    assert response.status_code == 200
    pages = response.content.count(b"/Type /Page ") + response.content.count(b"/Type /Page>")
    assert pages <= 2
    assert "Couch" in pdf_text(response.content, tmp_path)
