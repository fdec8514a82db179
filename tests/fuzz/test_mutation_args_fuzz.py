"""Every registered mutator, pushed arbitrary args through the real ``POST /api/sync/push`` as a
customer, a driver and the office.

Args are valid-shaped (each field of the mutator's args struct, ids from the seeded database, dates
around today), valid-shaped with one field broken (wrong type, missing, unknown, huge, NUL, nested
junk), or any JSON at all. Whatever they are:
- the server never answers 5xx;
- a mutation whose args are a JSON object is consumed: answered 200 as ``applied`` or ``rejected``
  (and then kept as a ``mutation_rejection`` row with its code and message), whatever is in the object,
  so no mutation can jam a client's queue; args that are not an object make the push itself malformed:
  400 ``{"error": {"code", "message"}}``, and nothing is consumed;
- the client's ``last_mutation_id`` moves by exactly one per consumed mutation, and pushing the same
  mutation again skips it (nothing applied twice, nothing silently dropped).
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from litestar.testing import TestClient

from server.app import create_app
from server.settings import load_settings
from sync.mutators.registry import MUTATORS, load_all
from tests.conftest import _restore
from tests.support.portal import AVA, DRIVER, OFFICE

load_all()
ROLES = {"customer": AVA, "driver": DRIVER, "office": OFFICE}
ROLE_OF = {
    "customer": "customer",
    "site_contact": "customer",
    "driver": "driver",
    "admin": "office",
    "office": "office",
}  # a mutator's allowed role -> the session here that has it
# Which rows an id field names, so valid-shaped args often point at real rows ("ids": either kind).
ID_TABLES = {
    "account_id": ("account",),
    "site_id": ("site",),
    "job_id": ("job",),
    "rental_id": ("rental",),
    "invoice_id": ("invoice",),
    "estimate_id": ("estimate",),
    "unit_id": ("unit",),
    "contact_id": ("contact",),
    "time_slot_id": ("time_slot",),
    "service_type_id": ("service_type",),
    "system_id": ("system",),
    "product_id": ("product",),
    "supply_item_id": ("supply_item",),
    "ids": ("message", "notification"),
}
TODAY = date.today()


# --- the app, once for the module -------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_client(template_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mutation-fuzz")
    if isinstance(template_db, tuple):
        url, snapshot = template_db
        asyncio.run(_restore(url, snapshot))
    else:
        shutil.copy(template_db, tmp / "haulport.db")
        url = f"sqlite:///{tmp / 'haulport.db'}"
    settings = load_settings(
        path=Path(__file__).parent / "missing.toml",
        env={},
        database_url=url,
        dev_mode=True,
        secret_key="test-secret-key-0123456789-abcdefghijkl",
        public_url="http://testserver.local",
        static_dir=str(tmp / "no-pwa"),
        magic_link_per_address=1000,
        magic_link_per_ip=10000,
    )
    with TestClient(create_app(settings), base_url="http://testserver.local") as client:
        yield client


def _query(client: TestClient, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run ``sql`` on the app's own database, in the app's event loop."""

    async def run() -> list[dict[str, Any]]:
        async with client.app.state.db.read() as conn:
            return await conn.fetch(sql, *args)

    return client.blocking_portal.call(run)


def _login(client: TestClient, email: str) -> dict[str, str]:
    client.post("/api/auth/magic-link", json={"tenant": "demo", "email": email})
    link = client.get("/api/dev/outbox", params={"to": email}).json()["messages"][0]["link"]
    token = link.split("token=", 1)[1]
    session = client.post("/api/auth/session", json={"token": token}).json()["session_token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {session}"}


@pytest.fixture(scope="module")
def sessions(app_client) -> dict[str, dict[str, str]]:
    return {role: _login(app_client, email) for role, email in ROLES.items()}


@pytest.fixture(scope="module")
def known_ids(app_client) -> dict[str, list[str]]:
    """Field name -> ids of the rows it may name (every id under "*")."""
    tables = {t for ts in ID_TABLES.values() for t in ts}
    ids = {t: sorted(r["id"] for r in _query(app_client, f"SELECT id FROM {t}")) for t in tables}
    known = {field: sorted(i for t in ts for i in ids[t]) for field, ts in ID_TABLES.items()}
    known["*"] = sorted({i for t in tables for i in ids[t]})
    return known


# --- args -----------------------------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)
nasty_strings = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "../../etc/passwd",
        "'; DROP TABLE job; --",
        "%s%s%n",
        "<script>alert(1)</script>",
        "\u202etxt.exe",
        "🙂" * 50,
        "\ufeff",
        "null",
        "true",
        "0",
        "-1",
        "NaN",
        "1e999",
        "2026-02-30",
        "9999-99-99",
        "2026-01-01T00:00:00",
        "00000000-0000-0000-0000-000000000000",
    ]
)
huge_strings = st.builds(
    lambda char, n: char * n, st.sampled_from(["x", "é", "🙂", "\x00"]), st.integers(min_value=1_000, max_value=200_000)
)
garbage = st.one_of(
    json_values,
    nasty_strings,
    huge_strings,
    st.integers(min_value=-(2**200), max_value=2**200),
    st.just([]),
    st.just({}),
    st.lists(json_values, min_size=50, max_size=60),
)


def _ids(name: str, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    """Ids for field ``name``: a new row's id is fresh; others mostly name rows of the right kind."""
    if name == "id":
        return st.one_of(st.uuids().map(str), st.uuids().map(str), st.sampled_from(known["*"]), nasty_strings)
    rows = known.get(name) or known["*"]
    return st.one_of(
        st.sampled_from(rows), st.sampled_from(rows), st.sampled_from(known["*"]), st.uuids().map(str), nasty_strings
    )


def _typed(info: Any, name: str, known: dict[str, list[str]]) -> st.SearchStrategy:
    """Values of the msgspec type ``info`` (field ``name``), leaning on realistic ones."""
    inspect = msgspec.inspect
    if isinstance(info, inspect.Metadata):
        return _typed(info.type, name, known)
    if isinstance(info, inspect.StructType):
        fields = {f.encode_name: _typed(f.type, f.name, known) for f in info.fields}
        required = {f.encode_name for f in info.fields if f.required}
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
    if isinstance(info, inspect.UnionType):
        return st.one_of([_typed(t, name, known) for t in info.types])
    if isinstance(info, inspect.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, inspect.NoneType):
        return st.none()
    if isinstance(info, inspect.BoolType):
        return st.booleans()
    if isinstance(info, inspect.IntType):
        low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else -1000)
        high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else 1000)
        return st.integers(min_value=low, max_value=high)
    if isinstance(info, inspect.FloatType):
        return st.floats(min_value=-180, max_value=180, allow_nan=False)
    if isinstance(info, (inspect.ListType, inspect.SetType, inspect.VarTupleType)):
        return st.lists(_typed(info.item_type, name, known), max_size=min(info.max_length or 4, 4))
    if isinstance(info, inspect.DictType):
        return st.dictionaries(text, _typed(info.value_type, name, known), max_size=3)
    if isinstance(info, inspect.StrType):
        if name == "id" or name.endswith("_id") or name == "ids":
            return _ids(name, known)
        if name == "date" or name.endswith("_date") or name == "date_":
            return st.dates(min_value=TODAY - timedelta(days=5), max_value=TODAY + timedelta(days=60)).map(str)
        if name in ("at", "taken_at") or name.endswith("_at"):
            return st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)).map(
                lambda d: d.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            )
        if name == "email":
            return st.one_of(st.emails(), text)
        if name == "phone":
            return st.one_of(st.integers(min_value=10**9, max_value=10**12).map(lambda n: f"+{n}"), text)
        if name.endswith("_time") or name in ("start", "end"):
            return st.sampled_from(["08:00", "12:30", "17:00", "23:59"])
        return st.text(
            st.characters(blacklist_categories=("Cs",)),
            min_size=info.min_length or 0,
            max_size=min(info.max_length or 60, 60),
        )
    return json_values


def _broken(args: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``args`` with one thing wrong: a field replaced by garbage, dropped, or one field too many."""
    options = [st.tuples(text, garbage).map(lambda kv: {**args, kv[0] or "extra": kv[1]})]
    if args:
        keys = sorted(args)
        options += [
            st.tuples(st.sampled_from(keys), garbage).map(lambda kv: {**args, kv[0]: kv[1]}),
            st.sampled_from(keys).map(lambda k: {f: v for f, v in args.items() if f != k}),
        ]
    return st.one_of(options)


def args_for(name: str, known: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    shaped = _typed(msgspec.inspect.type_info(MUTATORS[name].args), "", known)
    return st.one_of(
        shaped,
        shaped,
        shaped,
        shaped.flatmap(_broken),
        shaped.flatmap(_broken),
        st.one_of(json_values, st.dictionaries(text, garbage, max_size=5)),
    )


def roles_for(name: str) -> st.SearchStrategy[str]:
    """Mostly a session that may send the mutation, sometimes any (to be refused as ``forbidden``)."""
    allowed = sorted({ROLE_OF[r] for r in MUTATORS[name].roles})
    return st.one_of(st.sampled_from(allowed), st.sampled_from(allowed), st.sampled_from(sorted(ROLES)))


# --- the property ----------------------------------------------------------------------------------


def _is_error(response) -> bool:
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


@pytest.mark.parametrize("name", sorted(MUTATORS))
def test_any_args_are_consumed_or_refused_never_a_5xx(app_client, sessions, known_ids, name):
    clients = {role: [uuid.uuid4().hex, 0] for role in ROLES}  # role -> [client_id, last_mutation_id]

    @hsettings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(role=roles_for(name), args=args_for(name, known_ids))
    def check(role: str, args: Any) -> None:
        client_id, last = clients[role]
        headers = sessions[role]
        mutation = {"id": last + 1, "name": name, "args": args, "created_at": "2026-01-01T00:00:00Z"}
        body = {"client_id": client_id, "schema_version": 1, "mutations": [mutation]}
        response = app_client.post("/api/sync/push", json=body, headers=headers)
        assert response.status_code < 500, response.text
        if not isinstance(args, dict):
            assert response.status_code == 400 and _is_error(response), response.text
            again = app_client.post("/api/sync/push", json={**body, "mutations": []}, headers=headers)
            assert again.status_code == 200 and again.json()["last_mutation_id"] == last, (
                "a refused push consumes nothing"
            )
            return
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["last_mutation_id"] == last + 1, answer
        [result] = answer["results"]
        assert result["id"] == last + 1 and result["status"] in ("applied", "rejected"), answer
        kept = _query(
            app_client,
            "SELECT error FROM mutation_rejection WHERE client_id = ? AND mutation_id = ?",
            client_id,
            last + 1,
        )
        if result["status"] == "rejected":
            error = result["error"]
            assert isinstance(error["code"], str) and error["code"] and isinstance(error["message"], str), answer
            assert len(kept) == 1, "a rejection is kept for the person who sent it"
        else:
            assert not kept
        clients[role][1] = last + 1
        retried = app_client.post("/api/sync/push", json=body, headers=headers)
        assert retried.status_code == 200, retried.text
        assert retried.json()["results"] == [{"id": last + 1, "status": "skipped"}], "never applied twice"
        assert retried.json()["last_mutation_id"] == last + 1

    check()


def _with_nuls(info: Any) -> Any:
    """A value of the msgspec type ``info`` with a NUL character in every string (PostgreSQL refuses them)."""
    inspect = msgspec.inspect
    if isinstance(info, inspect.Metadata):
        return _with_nuls(info.type)
    if isinstance(info, inspect.StructType):
        return {f.encode_name: _with_nuls(f.type) for f in info.fields}
    if isinstance(info, inspect.UnionType):
        return _with_nuls(next(t for t in info.types if not isinstance(t, inspect.NoneType)))
    if isinstance(info, inspect.LiteralType):
        return info.values[0]
    if isinstance(info, (inspect.ListType, inspect.SetType, inspect.VarTupleType)):
        return [_with_nuls(info.item_type)]
    if isinstance(info, inspect.DictType):
        return {"k\x00": _with_nuls(info.value_type)}
    if isinstance(info, inspect.BoolType):
        return True
    if isinstance(info, (inspect.IntType, inspect.FloatType)):
        return 1
    return "a\x00b"


@pytest.mark.parametrize("name", sorted(MUTATORS))
def test_nul_characters_anywhere_are_rejected_not_refused(app_client, sessions, name):
    """Every string NUL-laden, pushed by each session: consumed (mostly rejected) on SQLite and PostgreSQL
    alike, never a push refused as a whole, which would jam the client's queue."""
    args = _with_nuls(msgspec.inspect.type_info(MUTATORS[name].args))
    for role in ROLES:
        mutation = {"id": 1, "name": name, "args": args, "created_at": "2026-01-01T00:00:00Z"}
        body = {"client_id": uuid.uuid4().hex, "schema_version": 1, "mutations": [mutation]}
        response = app_client.post("/api/sync/push", json=body, headers=sessions[role])
        assert response.status_code == 200, response.text
        assert response.json()["last_mutation_id"] == 1
        assert response.json()["results"][0]["status"] in ("applied", "rejected")  # e.g. mark_read with all: true
