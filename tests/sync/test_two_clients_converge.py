"""Two Python clients of the same account, one offline for a while, converge with nothing lost or doubled."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from server.seed.demo import sid
from sync.client import Offline
from tests.support.portal import AVA, new_client_id, pull_all

AVA_RES, AVA_BIZ = sid("account:ava-reed"), sid("account:reed-landscaping")
HOME, MORNING, AFTERNOON, JUNK = sid("site:ava-home"), sid("slot:morning"), sid("slot:afternoon"), sid("service:junk")


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def _new() -> str:
    return str(uuid.uuid4())


async def _count(db, sql: str, *args) -> int:
    async with db.read() as conn:
        return await conn.fetchval(sql, *args)


async def test_offline_client_converges_with_online_one(server, server_db, tmp_path):
    laptop = await server.connect(AVA, tmp_path / "laptop.db")
    phone = await server.connect(AVA, tmp_path / "phone.db")
    await laptop.pull()
    await phone.pull()
    messages_before = await _count(server_db, "SELECT COUNT(*) FROM message")

    # The phone loses its network and keeps working.
    server.network(phone).offline = True
    home = phone.replica.get("site", HOME)
    new_site, booked_offline, booked_at_new_site = _new(), _new(), _new()
    offline_messages = [_new(), _new()]
    q = phone.replica.queue
    q("message.send", {"id": offline_messages[0], "body": "Gate code changed to 1234", "account_id": AVA_RES})
    q(
        "job.book",
        {
            "id": booked_offline,
            "site_id": HOME,
            "service_type_id": JUNK,
            "date": _day(9),
            "time_slot_id": MORNING,
            "description": "Old piano",
        },
    )
    q("site.upsert", {**{k: home[k] for k in ("id", "name", "type", "address")}, "notes": "Dog in the yard"})
    q("site.upsert", {"id": new_site, "account_id": AVA_BIZ, "name": "North lot", "type": "commercial"})
    q(
        "job.book",
        {
            "id": booked_at_new_site,
            "site_id": new_site,
            "service_type_id": JUNK,
            "date": _day(10),
            "time_slot_id": AFTERNOON,
        },
    )
    q("message.send", {"id": offline_messages[1], "body": "Also a fridge", "account_id": AVA_RES})
    with pytest.raises(Offline):
        await phone.sync()
    assert [m.id for m in phone.replica.pending()] == [1, 2, 3, 4, 5, 6], "nothing queued is lost while offline"

    # Offline, the phone already shows its own changes (the optimistic view).
    assert {booked_offline, booked_at_new_site} <= {j["id"] for j in phone.replica.view("job")}
    assert phone.replica.get("site", HOME)["notes"] == "Dog in the yard"
    assert phone.replica.get("site", new_site)["name"] == "North lot"
    assert set(offline_messages) <= {m["id"] for m in phone.replica.view("message")}
    assert not set(offline_messages) & {m["id"] for m in phone.replica.snapshot("message")}

    # Meanwhile the laptop books, writes and renames the home site online.
    booked_online, online_message = _new(), _new()
    laptop.replica.queue(
        "job.book",
        {"id": booked_online, "site_id": HOME, "service_type_id": JUNK, "date": _day(9), "time_slot_id": MORNING},
    )
    laptop.replica.queue("message.send", {"id": online_message, "body": "See you Tuesday", "account_id": AVA_RES})
    pushed, _ = await laptop.sync()
    assert pushed.applied == 2

    # Back online; the first reply gets lost on the way (the server applied the batch anyway).
    server.network(phone).offline = False
    server.network(phone).faults = ["drop"]
    pushed, _ = await phone.sync()
    assert not phone.replica.pending()
    assert pushed.rejected == [] and pushed.skipped == 6, "the retry found everything already applied"
    await laptop.pull()

    assert await _count(server_db, "SELECT COUNT(*) FROM message") == messages_before + 3
    for job_id in (booked_offline, booked_at_new_site, booked_online):
        assert await _count(server_db, "SELECT COUNT(*) FROM job WHERE id = ?", job_id) == 1
    assert await _count(server_db, "SELECT COUNT(*) FROM mutation_rejection") == 0
    assert (
        await _count(server_db, "SELECT last_mutation_id FROM sync_client WHERE id = ?", phone.replica.client_id) == 6
    )

    # Both replicas hold exactly the server's view of Ava's scope.
    token = phone.replica.session_token
    _, fresh = await pull_all(server.test_client, {"Authorization": f"Bearer {token}"}, new_client_id())
    assert phone.replica.items() == fresh
    assert laptop.replica.items() == fresh
    assert phone.replica.items(optimistic=True) == fresh
    site = fresh[("site", HOME)]
    assert site["notes"] == "Dog in the yard"
    assert fresh[("job", booked_at_new_site)]["site_id"] == new_site
    for client in (phone, laptop):
        await client.aclose()


async def test_a_rejected_mutation_is_consumed_and_explained(server, tmp_path):
    ava = await server.connect(AVA, tmp_path / "ava.db")
    await ava.pull()
    mutation = ava.replica.queue(
        "job.book",
        {
            "id": _new(),
            "site_id": HOME,
            "service_type_id": sid("service:septic"),
            "date": _day(9),
            "time_slot_id": MORNING,
        },
    )
    assert ava.replica.refresh()[0].error.code == "service_not_bookable", "the replay predicts the rejection"
    pushed, _ = await ava.sync()
    assert [r["code"] for r in pushed.rejected] == ["service_not_bookable"]
    assert not ava.replica.pending()
    rejections = ava.replica.view("mutation_rejection")
    assert [(r["mutation_id"], r["error"]["code"]) for r in rejections] == [(mutation, "service_not_bookable")]
    assert any(n["kind"] == "mutation_rejected" for n in ava.replica.view("notification"))
    await ava.aclose()


async def test_queue_survives_reopening_the_replica(server, tmp_path):
    ava = await server.connect(AVA, tmp_path / "ava.db")
    await ava.pull()
    server.network(ava).offline = True
    first = ava.replica.queue("message.send", {"id": _new(), "body": "one", "account_id": AVA_RES})
    await ava.aclose()
    ava.replica.close()

    from sync.client import Replica, SyncClient
    from tests.sync.harness import BASE_URL, no_sleep

    reopened = Replica(tmp_path / "ava.db")
    assert [m.id for m in reopened.pending()] == [first]
    second = reopened.queue("message.send", {"id": _new(), "body": "two", "account_id": AVA_RES})
    assert second == first + 1
    client = SyncClient(reopened, BASE_URL, transport=server.network(ava), sleep=no_sleep)
    server.network(ava).offline = False
    pushed, _ = await client.sync()
    assert pushed.applied == 2 and not reopened.pending()
    third = reopened.queue("message.send", {"id": _new(), "body": "three", "account_id": AVA_RES})
    assert third == 3, "ids keep counting after the queue was emptied"
    await client.aclose()
