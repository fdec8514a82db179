"""A pull with a plain query is answered by ``serve_plain_pull`` (``server/sync_api/routes.py``) rather than
through Litestar's parameter and response machinery. It must answer exactly what the declared handler
answers: the same status, body and headers; and any query it does not take as is goes to that handler,
which validates it and says what is wrong."""

from __future__ import annotations

import pytest

import server.sync_api.routes as routes
from tests.support.portal import AVA, DRIVER, GATE, OFFICE, login, new_client_id


@pytest.fixture
def taken(monkeypatch):
    """The queries the plain path took (its parse of each) or left (None), in order."""
    seen: list = []
    parse = routes._plain_query

    def spy(raw: bytes):
        seen.append(parse(raw))
        return seen[-1]

    monkeypatch.setattr(routes, "_plain_query", spy)
    return seen


def _encoded(value: str) -> str:
    """The same value percent-encoded: the plain path leaves it to the declared handler."""
    return "".join(f"%{ord(c):02X}" for c in value)


def _headers(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() != "date"}


@pytest.mark.parametrize("email", [AVA, GATE, DRIVER, OFFICE], ids=["customer", "site-contact", "driver", "office"])
async def test_a_plain_pull_answers_what_the_declared_handler_answers(client, taken, email):
    headers, client_id = await login(client, email), new_client_id()
    cursor = None
    for limit in (3, 1000):  # a first page with more to come, then the rest from its cursor
        query = f"client_id={client_id}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        plain = await client.get(f"/api/sync/pull?{query}", headers=headers)
        declared = await client.get(f"/api/sync/pull?{query.replace(client_id, _encoded(client_id))}", headers=headers)
        assert taken[-2] is not None and taken[-1] is None  # one answer of each path
        assert plain.status_code == declared.status_code == 200
        assert plain.content == declared.content
        assert _headers(plain) == _headers(declared)
        assert plain.headers["content-type"] == "application/json"
        assert plain.headers["x-content-type-options"] == "nosniff"
        cursor = plain.json()["cursor"]
        assert plain.json()["changes"], "each page holds rows"


@pytest.mark.parametrize(
    "query, status",
    [
        ("client_id=short", 400),  # under 8 characters
        ("client_id=" + "x" * 65, 400),
        ("client_id=abcdefgh&limit=0", 400),
        ("client_id=abcdefgh&limit=50001", 400),
        ("client_id=abcdefgh&limit=ten", 400),
        ("limit=10", 400),  # no client id
        ("client_id=abcd%20efgh", 400),  # not an id
        ("client_id=abcdefgh&client_id=abcdefgi", 200),  # Litestar takes one of them
        ("client_id=abcdefgh&cursor=", 200),  # an empty cursor: from the start
        ("client_id=abcdefgh&other=1", 200),  # unknown parameters are ignored
    ],
)
async def test_what_the_plain_path_leaves_is_answered_by_the_declared_handler(client, taken, query, status):
    headers = await login(client, AVA)
    response = await client.get(f"/api/sync/pull?{query}", headers=headers)
    assert taken[-1] is None
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["code"] and response.json()["error"]["message"]


async def test_the_plain_path_refuses_what_the_session_check_refuses(client):
    no_session = await client.get(f"/api/sync/pull?client_id={new_client_id()}")
    assert no_session.status_code == 401
    assert no_session.json()["error"]["code"] == "not_authenticated"
    bad = await client.get(f"/api/sync/pull?client_id={new_client_id()}", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_token"
