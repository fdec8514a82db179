"""A batch commits in chunks, each mutation behind a savepoint: a rejected mutation in the middle undoes
only its own writes, is recorded as rejected, and every other mutation is applied exactly once; the
client's last_mutation_id ends at the batch's last id, and a retry of the batch changes nothing."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from server.auth.actor import load_actor
from server.auth.tokens import Claims
from server.seed.demo import sid
from server.sync_api.push import CHUNK, apply_push
from sync.messages import Mutation, PushRequest
from sync.mutators.registry import CUSTOMER, MUTATORS, load_all, mutator
from sync.rules import Rejected

ACCOUNT = sid("account:ava-reed")


class _HalfArgs(msgspec.Struct, kw_only=True):
    id: str
    body: str


@pytest.fixture
def half_done_mutator():
    """A mutator that writes a message and a changelog entry, then is rejected: its writes must vanish."""
    load_all()

    @mutator("test.write_then_reject", _HalfArgs, CUSTOMER)
    async def write_then_reject(ctx, a: _HalfArgs) -> None:
        await ctx.insert("message", {"id": a.id, "account_id": ACCOUNT, "author_kind": "contact", "body": a.body})
        raise Rejected("half_done", "wrote a row, then found it could not go on")

    yield "test.write_then_reject"
    MUTATORS.pop("test.write_then_reject", None)


async def _ava(db):
    claims = Claims(typ="session", sub=sid("contact:ava"), kind="contact", tid=sid("tenant:demo"), ver=1, exp=0, iat=0)
    async with db.read() as conn:
        return await load_actor(conn, claims)


def _message(i: int, marker: str) -> Mutation:
    return Mutation(
        id=i, name="message.send", args={"id": str(uuid.uuid4()), "body": f"{marker} #{i}", "account_id": ACCOUNT}
    )


async def test_a_rejected_mutation_mid_batch_leaves_the_others_applied_once(server_db, half_done_mutator):
    actor, tenant = await _ava(server_db)
    client_id = uuid.uuid4().hex
    marker = f"batch-{uuid.uuid4().hex[:8]}"
    total = CHUNK + 20  # two transactions: the rejections sit in the first, one right at its end
    rejected_ids = {3, CHUNK, CHUNK + 7}
    mutations = []
    for i in range(1, total + 1):
        if i == CHUNK + 7:
            mutations.append(Mutation(id=i, name="job.cancel", args={"job_id": sid("job:ava-en-route")}))
        elif i in rejected_ids:
            mutations.append(
                Mutation(id=i, name=half_done_mutator, args={"id": str(uuid.uuid4()), "body": f"{marker} undone"})
            )
        else:
            mutations.append(_message(i, marker))
    async with server_db.read() as conn:
        seq_before = await conn.fetchval("SELECT seq FROM sync_counter WHERE tenant_id = ?", actor.tenant_id)

    response, outcome = await apply_push(
        server_db, actor, tenant, PushRequest(client_id=client_id, mutations=mutations)
    )

    assert response.last_mutation_id == total and not response.stopped_at_gap
    statuses = {r.id: r.status for r in response.results}
    assert statuses == {i: "rejected" if i in rejected_ids else "applied" for i in range(1, total + 1)}
    codes = {r.id: r.error.code for r in response.results if r.error}
    assert codes[3] == codes[CHUNK] == "half_done" and codes[CHUNK + 7] != "half_done"
    async with server_db.read() as conn:
        bodies = [r["body"] for r in await conn.fetch("SELECT body FROM message WHERE body LIKE ?", f"{marker}%")]
        rejections = await conn.fetch(
            "SELECT mutation_id FROM mutation_rejection WHERE client_id = ? ORDER BY mutation_id", client_id
        )
        last = await conn.fetchval("SELECT last_mutation_id FROM sync_client WHERE id = ?", client_id)
        seq_after = await conn.fetchval("SELECT seq FROM sync_counter WHERE tenant_id = ?", actor.tenant_id)
        head = await conn.fetchval("SELECT MAX(seq) FROM changelog WHERE tenant_id = ?", actor.tenant_id)
        logged = await conn.fetchval(
            "SELECT COUNT(*) FROM changelog WHERE tenant_id = ? AND entity = 'message' AND data LIKE ?",
            actor.tenant_id,
            f"%{marker}%",
        )
    applied = total - len(rejected_ids)
    assert sorted(bodies) == sorted(f"{marker} #{i}" for i in range(1, total + 1) if i not in rejected_ids)
    assert logged == applied  # the undone message left no changelog entry either
    assert [r["mutation_id"] for r in rejections] == sorted(rejected_ids)
    assert last == total
    # The counter held in memory was written back: it is the changelog's head, and it moved forward.
    assert seq_after == head and seq_after > (seq_before or 0)
    assert not any(row.get("body", "").endswith("undone") for entity, row in outcome.changed if entity == "message")

    # The client retries the whole batch (its answer was lost): nothing is applied or recorded again.
    again, _ = await apply_push(server_db, actor, tenant, PushRequest(client_id=client_id, mutations=mutations))
    assert again.last_mutation_id == total
    assert {r.status for r in again.results} == {"skipped"}
    async with server_db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM message WHERE body LIKE ?", f"{marker}%") == applied
        assert await conn.fetchval("SELECT COUNT(*) FROM mutation_rejection WHERE client_id = ?", client_id) == len(
            rejected_ids
        )


async def test_a_gap_stops_the_batch_after_what_came_before_it(server_db):
    load_all()
    actor, tenant = await _ava(server_db)
    client_id = uuid.uuid4().hex
    marker = f"gap-{uuid.uuid4().hex[:8]}"
    mutations = [_message(i, marker) for i in (1, 2, 3, 5, 6)]
    response, _ = await apply_push(server_db, actor, tenant, PushRequest(client_id=client_id, mutations=mutations))
    assert response.stopped_at_gap and response.last_mutation_id == 3
    assert [(r.id, r.status) for r in response.results] == [(1, "applied"), (2, "applied"), (3, "applied")]
    async with server_db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM message WHERE body LIKE ?", f"{marker}%") == 3


async def test_an_id_taken_mid_batch_rejects_that_mutation_alone(server_db):
    """On PostgreSQL new rows are sent together later in the chunk: a taken id fails that write, and the
    chunk runs again without deferring, so only the mutation that reused the id is rejected."""
    load_all()
    actor, tenant = await _ava(server_db)
    client_id = uuid.uuid4().hex
    marker = f"taken-{uuid.uuid4().hex[:8]}"
    mutations = [_message(i, marker) for i in range(1, 11)]
    mutations[6] = Mutation(id=7, name="message.send", args={**mutations[1].args, "body": f"{marker} again"})
    response, _ = await apply_push(server_db, actor, tenant, PushRequest(client_id=client_id, mutations=mutations))
    assert response.last_mutation_id == 10
    assert {r.id: (r.status, r.error.code if r.error else None) for r in response.results} == {
        i: ("rejected", "id_taken") if i == 7 else ("applied", None) for i in range(1, 11)
    }
    async with server_db.read() as conn:
        bodies = sorted(r["body"] for r in await conn.fetch("SELECT body FROM message WHERE body LIKE ?", f"{marker}%"))
    assert bodies == sorted(f"{marker} #{i}" for i in range(1, 11) if i != 7)
