"""Property: whatever the network and the server do, every queued mutation is applied exactly once,
and every client ends up with exactly the server's view of its scope.

Several clients (two devices of Ava, Harbor's office) queue mutations offline in random order and push
them through a transport that loses replies, duplicates requests, delivers old batches late, drops the
first mutation of a batch, answers 503, and through server restarts (a new app on the same database).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from server.db.engine import Database
from server.seed.demo import sid
from sync.client import Offline, SyncClient, SyncError
from tests.support.portal import AVA, OPS, new_client_id, pull_all
from tests.sync.harness import Server

AVA_RES, AVA_BIZ, HARBOR = sid("account:ava-reed"), sid("account:reed-landscaping"), sid("account:harbor")
HOME, TOWER_A, TOWER_B = sid("site:ava-home"), sid("site:harbor-a"), sid("site:harbor-b")
SLOTS = {"morning": sid("slot:morning"), "afternoon": sid("slot:afternoon")}
JUNK, TOILET = sid("service:junk"), sid("service:toilet")
RENTAL, EN_ROUTE_JOB = sid("rental:ava-20yd"), sid("job:ava-en-route")
PEOPLE = (AVA, AVA, OPS)  # client 0 and 1 are two devices of the same person
FAULTS = ("drop", "duplicate", "replay", "truncate", "shuffle", "busy", "offline")


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


@dataclass
class Queued:
    client: int
    id: int
    name: str
    args: dict
    creates: tuple[str, str] | None = None  # (entity, id) the mutation makes, if any


@dataclass
class Model:
    queued: list[Queued] = field(default_factory=list)
    jobs: dict[int, list[str]] = field(default_factory=dict)  # job ids each client booked
    counter: int = 0

    def fresh(self) -> str:
        self.counter += 1
        return str(uuid.uuid4())


client_index = st.integers(min_value=0, max_value=len(PEOPLE) - 1)
SESSIONS: dict = {}  # sessions by (tenant, email), reused across examples (each on a copy of the same seed)
offline_work = st.one_of(
    st.tuples(st.just("message"), client_index),
    st.tuples(
        st.just("book"),
        client_index,
        st.sampled_from([8, 9]),
        st.sampled_from(sorted(SLOTS)),
        st.sampled_from(["plain", "no_po", "promo", "bad_promo", "past"]),
    ),
    st.tuples(st.just("site"), client_index, st.booleans()),
    st.tuples(st.just("cancel"), client_index, st.integers(min_value=0, max_value=5)),
    st.tuples(st.just("pickup"), client_index),
)
network = st.one_of(
    st.tuples(st.just("push"), client_index, st.lists(st.sampled_from(FAULTS), max_size=3)),
    st.tuples(st.just("pull"), client_index),
)
# Restarts are the slowest step (a new app instance), so they come up about one step in twelve.
steps = st.one_of(
    offline_work, offline_work, offline_work, network, network, network, network, network, st.tuples(st.just("restart"))
)


def _mutation(step: tuple, model: Model, client: int) -> tuple[str, dict, tuple[str, str] | None]:
    kind, ava = step[0], PEOPLE[client] == AVA
    if kind == "message":
        message = model.fresh()
        return (
            "message.send",
            {
                "id": message,
                "body": f"note {model.counter} from client {client}",
                "account_id": AVA_RES if ava else HARBOR,
            },
            ("message", message),
        )
    if kind == "book":
        _, _, day, slot, variant = step
        job = model.fresh()
        args = {
            "id": job,
            "site_id": HOME if ava else TOWER_A,
            "service_type_id": JUNK if ava else TOILET,
            "date": _day(-1 if variant == "past" else day),
            "time_slot_id": SLOTS[slot],
        }
        if not ava and variant != "no_po":
            args["po_number"] = f"PO-{model.counter}"
        if variant in ("promo", "bad_promo"):
            args["promo_code"] = "WELCOME10" if variant == "promo" else "NOPE"
        model.jobs.setdefault(client, []).append(job)
        return "job.book", args, ("job", job)
    if kind == "site":
        if step[2]:
            site = model.fresh()
            return (
                "site.upsert",
                {
                    "id": site,
                    "name": f"Site {model.counter}",
                    "type": "commercial",
                    "account_id": AVA_BIZ if ava else HARBOR,
                },
                ("site", site),
            )
        model.fresh()
        return (
            "site.upsert",
            {
                "id": HOME if ava else TOWER_B,
                "name": "Home" if ava else "Harbor Tower B",
                "type": "residential" if ava else "commercial",
                "notes": f"edit {model.counter}",
            },
            None,
        )
    if kind == "cancel":
        mine = model.jobs.get(client, [])
        target = mine[step[2] % len(mine)] if mine and step[2] < 4 else EN_ROUTE_JOB
        return "job.cancel", {"job_id": target, "reason": "plans changed"}, None
    return "rental.request_pickup", {"rental_id": RENTAL, "date": _day(12)}, None


async def _push(client: SyncClient, server: Server, faults: list[str]) -> None:
    server.network(client).faults = list(faults)
    try:
        await client.push()
    except (Offline, SyncError):
        pass  # the reply never came: the mutations stay queued and go again later
    server.network(client).faults = []


async def _check_server(url: str, model: Model, clients: list[SyncClient]) -> None:
    db = Database(url)
    await db.start()
    try:
        async with db.read() as conn:
            rejections = await conn.fetch("SELECT client_id, mutation_id, error FROM mutation_rejection")
            seen = [(r["client_id"], r["mutation_id"]) for r in rejections]
            assert len(seen) == len(set(seen)), "a mutation was rejected twice"
            codes = {msgspec.json.decode(r["error"])["code"] for r in rejections}
            assert "id_taken" not in codes, f"a mutation ran twice: {codes}"
            for index, client in enumerate(clients):
                mine = [q for q in model.queued if q.client == index]
                last = await conn.fetchval(
                    "SELECT last_mutation_id FROM sync_client WHERE id = ?", client.replica.client_id
                )
                assert (last or 0) == len(mine), "every queued mutation was consumed, once"
            rejected = set(seen)
            for q in model.queued:
                if q.creates is None:
                    continue
                entity, row_id = q.creates
                count = await conn.fetchval(f"SELECT COUNT(*) FROM {entity} WHERE id = ?", row_id)
                was_rejected = (clients[q.client].replica.client_id, q.id) in rejected
                assert count == (0 if was_rejected else 1), (q.name, q.args, was_rejected, count)
            sent = [q for q in model.queued if q.name == "message.send"]
            ours = await conn.fetchval("SELECT COUNT(*) FROM message WHERE body LIKE 'note %'")
            assert ours == len(sent), "messages lost or doubled"
            promo = await conn.fetchrow("SELECT uses FROM promo_code WHERE code = 'WELCOME10'")
            with_promo = await conn.fetchval("SELECT COUNT(*) FROM job WHERE promo_code = 'WELCOME10'")
            assert promo["uses"] == with_promo, "a promo use was counted twice"
            for slot in SLOTS.values():
                capacity = await conn.fetchval("SELECT capacity FROM time_slot WHERE id = ?", slot)
                for day in (_day(8), _day(9)):
                    taken = await conn.fetchval(
                        "SELECT COUNT(*) FROM job WHERE time_slot_id = ? AND "
                        "scheduled_date = ? AND status <> 'cancelled'",
                        slot,
                        day,
                    )
                    assert taken <= capacity
    finally:
        await db.close()


async def _scenario(url: str, settings, tmp: Path, plan: list[tuple]) -> None:
    server = Server(msgspec.structs.replace(settings, database_url=url))
    await server.start()
    clients = [await server.connect(email, tmp / f"client{i}.db", sessions=SESSIONS) for i, email in enumerate(PEOPLE)]
    model = Model()
    try:
        for client in clients:
            await client.pull()
        for step in plan:
            kind = step[0]
            if kind == "restart":
                await server.restart()
            elif kind == "push":
                await _push(clients[step[1]], server, step[2])
            elif kind == "pull":
                await clients[step[1]].pull()
            else:
                index = step[1]
                name, args, creates = _mutation(step, model, index)
                mutation_id = clients[index].replica.queue(name, args)
                model.queued.append(Queued(index, mutation_id, name, args, creates))
        for client in clients:  # back online for good
            await client.push()
            assert not client.replica.pending(), "nothing stays queued"
        for client in clients:
            await client.pull()
        await _check_server(url, model, clients)
        for client in clients:
            headers = {"Authorization": f"Bearer {client.replica.session_token}"}
            _, fresh = await pull_all(server.test_client, headers, new_client_id())
            assert client.replica.items() == fresh, "the replica is the server's view of the scope"
            assert client.replica.items(optimistic=True) == fresh
    finally:
        for client in clients:
            await client.aclose()
            client.replica.close()
        await server.stop()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(steps, min_size=1, max_size=20))
def test_every_mutation_applies_exactly_once_and_replicas_converge(plan, fresh_database, settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clients")
    asyncio.run(_scenario(fresh_database(), settings, tmp, plan))
