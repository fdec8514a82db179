"""The same client's pushes arriving at the same time (a retry racing the original) apply each mutation once."""

from __future__ import annotations

import asyncio
import uuid

from server.auth.actor import load_actor
from server.auth.tokens import Claims
from server.seed.demo import sid
from server.sync_api.push import apply_push
from sync.messages import Mutation, PushRequest
from sync.mutators.registry import load_all


async def test_concurrent_copies_of_a_push_apply_each_mutation_once(server_db):
    load_all()
    claims = Claims(typ="session", sub=sid("contact:ava"), kind="contact", tid=sid("tenant:demo"), ver=1, exp=0, iat=0)
    async with server_db.read() as conn:
        actor, tenant = await load_actor(conn, claims)
    client_id = uuid.uuid4().hex
    mutations = [
        Mutation(
            id=i,
            name="message.send",
            args={"id": str(uuid.uuid4()), "body": f"race {i}", "account_id": sid("account:ava-reed")},
        )
        for i in range(1, 21)
    ]
    mutations.append(Mutation(id=21, name="job.cancel", args={"job_id": sid("job:ava-en-route")}))  # rejected
    request = PushRequest(client_id=client_id, mutations=mutations)
    # The copies interleave between mutations: the later ones run a mutation the first already applied,
    # fail the compare-and-set of last_mutation_id, roll back and report it skipped.
    answers = await asyncio.gather(*(apply_push(server_db, actor, tenant, request) for _ in range(4)))
    for response, _ in answers:
        assert response.last_mutation_id == 21
    statuses: dict[int, list[str]] = {}
    for response, _ in answers:
        for result in response.results:
            statuses.setdefault(result.id, []).append(result.status)
    for mutation_id, seen in statuses.items():
        assert seen.count("skipped") == len(seen) - 1, (mutation_id, seen)
    assert statuses[21].count("rejected") == 1
    async with server_db.read() as conn:
        messages = await conn.fetchval("SELECT COUNT(*) FROM message WHERE body LIKE 'race %'")
        rejections = await conn.fetchval("SELECT COUNT(*) FROM mutation_rejection WHERE client_id = ?", client_id)
    assert (messages, rejections) == (20, 1)
