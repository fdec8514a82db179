"""Schemathesis against /schema/openapi.json on a real server: nothing a client sends is a 5xx.

Runs the schemathesis CLI (its pytest plugin does not load under this pytest version) with the
sessions of a customer and of office staff, so authenticated routes are fuzzed too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.support.live_server import running_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz"


def _session_token(base: str, email: str) -> str:
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/magic-link", json={"tenant": "demo", "email": email})
        link = http.get("/api/dev/outbox", params={"to": email}).json()["messages"][0]["link"]
        token = parse_qs(urlparse(link).query)["token"][0]
        return http.post("/api/auth/session", json={"token": token}).json()["session_token"]


@pytest.fixture(scope="module")
def server(template_db, tmp_path_factory):
    if isinstance(template_db, tuple):
        pytest.skip("the fuzz run serves its own SQLite copy; the PostgreSQL run covers the API tests")
    path = tmp_path_factory.mktemp("fuzz") / "haulport.db"
    shutil.copy(template_db, path)
    with running_server(f"sqlite:///{path}") as base:
        yield base


@pytest.mark.parametrize("email", ["ava@example.com", "gate@harbor.example", "office@demo.example"])
def test_no_request_makes_the_server_fail(server, email):
    token = _session_token(server, email)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server}/schema/openapi.json",
         "--checks", "not_a_server_error", "--header", f"Authorization: Bearer {token}",
         "--max-examples", "10", "--phases", "examples,coverage,fuzzing", "--seed", "1", "--report", "junit",
         "--report-junit-path", str(ARTIFACTS / f"{email.split('@')[0]}.xml")],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
