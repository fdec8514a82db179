"""JSON nested thousands deep is refused with 400 before any handler (it used to end in a RecursionError, 500)."""

from __future__ import annotations

import pytest

from tests.support.portal import AVA, OFFICE, login

DEEP = b'{"token": ' + b"[" * 20000 + b"]" * 20000 + b"}"


@pytest.mark.parametrize("path", ["/api/auth/session", "/api/auth/magic-link"])
async def test_a_deep_body_to_a_public_route_is_a_400(client, path):
    for body in (DEEP, b"[" * 20000, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        response = await client.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "validation_error"
        assert "nested" in response.json()["error"]["message"]


async def test_a_deep_body_to_signed_in_routes_is_a_400(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    for path, headers in (("/api/sync/push", ava), ("/api/admin/accounts", office)):
        response = await client.post(path, content=DEEP, headers={**headers, "content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "validation_error"
    response = await client.patch(
        "/api/admin/settings", content=DEEP, headers={**office, "content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_ordinary_nesting_and_brackets_inside_strings_still_pass(client):
    response = await client.post(
        "/api/auth/magic-link", json={"tenant": "demo", "email": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[@example.com"}
    )
    assert response.status_code == 202, response.text
