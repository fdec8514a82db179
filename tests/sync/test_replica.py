"""The Python client's replica and sync loop: pages, resets, schema changes, the queue, retries."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from server.seed.demo import sid
from sync.actor import AccountAccess, Actor
from sync.client import Backoff, Replica, ReplicaError, SyncError
from sync.rules import Rejected
from tests.support.portal import AVA, OPS
from tests.sync.harness import BASE_URL

AVA_RES = sid("account:ava-reed")


def _page(changes, cursor="1.5.x", more=False, reset=False, schema=1, last=0) -> dict:
    return {
        "cursor": cursor,
        "more": more,
        "reset": reset,
        "schema_version": schema,
        "last_mutation_id": last,
        "changes": changes,
    }


def _put(entity, row_id, **data) -> dict:
    return {"entity": entity, "id": row_id, "op": "put", "version": 1, "data": {"id": row_id, **data}}


def _message(body: str = "hi") -> dict:
    return {"id": str(uuid.uuid4()), "body": body, "account_id": AVA_RES}


def test_pages_put_delete_and_reset(tmp_path):
    replica = Replica(tmp_path / "r.db")
    replica.apply_pull(_page([_put("site", "a", name="A"), _put("site", "b", name="B")]))
    replica.apply_pull(_page([{"entity": "site", "id": "a", "op": "del"}, _put("site", "b", name="B2")]))
    assert replica.snapshot("site") == [{"id": "b", "name": "B2"}]
    replica.apply_pull(_page([{"entity": "site", "id": "c", "op": "del"}, _put("site", "c", name="C")]))
    assert {r["id"] for r in replica.snapshot("site")} == {"b", "c"}, "within a page, the later change wins"
    replica.apply_pull(_page([_put("site", "d", name="D")], reset=True))
    assert replica.snapshot("site") == [{"id": "d", "name": "D"}], "a reset replaces the replica"
    assert replica.cursor == "1.5.x"


def test_a_new_schema_version_drops_the_replica(tmp_path):
    replica = Replica(tmp_path / "r.db")
    replica.apply_pull(_page([_put("site", "a", name="A")]))
    replica.queue("message.send", _message())
    assert replica.apply_pull(_page([_put("site", "b", name="B")], cursor="2.9.x", schema=2)) is False
    assert replica.snapshot() == [] and replica.cursor is None and replica.schema_version == 2
    assert len(replica.pending()) == 1, "the queue survives a schema change"
    assert replica.apply_pull(_page([_put("site", "b", name="B")], cursor="2.9.x", schema=2)) is True
    assert replica.snapshot("site") == [{"id": "b", "name": "B"}]


def test_confirmed_mutations_leave_the_queue_only_with_the_last_page(tmp_path):
    replica = Replica(tmp_path / "r.db")
    ids = [replica.queue("message.send", _message()) for _ in range(3)]
    assert ids == [1, 2, 3]
    replica.apply_pull(_page([], more=True, last=2))
    assert [m.id for m in replica.pending()] == [1, 2, 3], "a middle page is not yet consistent"
    replica.apply_pull(_page([], last=2))
    assert [m.id for m in replica.pending()] == [3]
    replica.drop_confirmed(3)
    assert replica.queue("message.send", _message()) == 4


def test_bad_mutations_are_refused_before_they_are_queued(tmp_path):
    replica = Replica(tmp_path / "r.db")
    with pytest.raises(Rejected) as refused:
        replica.queue("job.book", {"id": "x"})
    assert refused.value.code == "bad_args"
    assert replica.pending() == []


def test_a_locally_rejected_mutation_has_no_effect_but_later_ones_do(tmp_path):
    replica = Replica(tmp_path / "r.db")
    actor = Actor(
        tenant_id="t",
        tenant_slug="demo",
        person_kind="contact",
        person_id="p",
        name="Ava",
        role="customer",
        accounts={AVA_RES: AccountAccess(role="company", primary=True)},
    )
    replica.sign_in(BASE_URL, "token", actor)
    replica.apply_pull(
        _page(
            [
                _put("tenant", "t", slug="demo", name="Demo", features={"messaging": True}),
                _put("account", AVA_RES, name="Ava Reed"),
            ]
        )
    )
    replica.queue("message.send", {**_message(), "body": "   "})  # empty once stripped: rejected locally
    second = _message("second")
    replica.queue("message.send", second)
    assert [m["body"] for m in replica.view("message")] == ["second"]
    assert [o.error.code if o.error else "ok" for o in replica.outcomes] == ["empty_message", "ok"]
    assert replica.snapshot("message") == []


def test_another_person_on_the_same_replica_needs_an_empty_queue(tmp_path):
    replica = Replica(tmp_path / "r.db")
    ava = Actor(tenant_id="t", tenant_slug="demo", person_kind="contact", person_id="ava", name="Ava", role="customer")
    bob = Actor(tenant_id="t", tenant_slug="demo", person_kind="contact", person_id="bob", name="Bob", role="customer")
    replica.sign_in(BASE_URL, "token", ava)
    replica.queue("message.send", _message())
    with pytest.raises(ReplicaError):
        replica.sign_in(BASE_URL, "token2", bob)
    replica.drop_confirmed(1)
    client_id = replica.client_id
    replica.sign_in(BASE_URL, "token2", bob)
    assert replica.client_id != client_id and replica.last_mutation_id == 0, "a new login, a new client_id"


async def test_busy_answers_are_retried_after_retry_after(server, tmp_path):
    ava = await server.connect(AVA, tmp_path / "ava.db")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    ava.sleep = sleep
    ava.replica.queue("message.send", _message())
    server.network(ava).faults = ["busy", "busy"]
    pushed = await ava.push()
    assert pushed.applied == 1 and len(waits) == 2 and min(waits) >= 2, "Retry-After: 2 is honoured"
    await ava.aclose()


def test_backoff_grows_exponentially_with_jitter():
    backoff = Backoff(base=0.5, cap=8, rng=lambda: 1.0)
    assert [backoff.delay(n) for n in range(6)] == [0.5, 1, 2, 4, 8, 8]
    assert Backoff(rng=lambda: 0.0).delay(3) == 0.0
    assert Backoff(rng=lambda: 0.0).delay(0, retry_after=3) == 3


async def test_a_real_gap_stops_the_push_and_keeps_the_queue(server, tmp_path):
    ops = await server.connect(OPS, tmp_path / "ops.db")
    for _ in range(3):
        ops.replica.queue("message.send", {**_message(), "account_id": sid("account:harbor")})
    ops.replica.drop_confirmed(2)  # as if the server had confirmed 1 and 2, which it never saw
    with pytest.raises(SyncError) as stopped:
        await ops.push()
    assert stopped.value.code == "mutation_gap"
    assert [m.id for m in ops.replica.pending()] == [3]
    await ops.aclose()


async def test_a_truncated_batch_is_sent_again(server, tmp_path):
    ava = await server.connect(AVA, tmp_path / "ava.db")
    for _ in range(3):
        ava.replica.queue("message.send", _message())
    server.network(ava).faults = ["truncate"]
    pushed = await ava.push()
    assert pushed.applied == 3 and not ava.replica.pending()
    await ava.aclose()


async def test_pushes_go_in_batches_of_fifty(server, tmp_path):
    ava = await server.connect(AVA, tmp_path / "ava.db")
    for _ in range(120):
        ava.replica.queue("message.send", _message())
    pushed = await ava.push()
    sizes = [len(msgspec.json.decode(body)["mutations"]) for _, body in server.network(ava).sent_pushes]
    assert sizes == [50, 50, 20] and pushed.applied == 120
    await ava.aclose()
