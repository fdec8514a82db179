"""Schemathesis against /schema/openapi.json on a real server: the server does what its schema says.

Every check runs (tests/fuzz/schemathesis.toml lists the few exceptions and why): no 5xx, only
documented status codes, content types and headers, bodies matching their response schemas,
schema-valid requests accepted and schema-invalid ones refused, auth not ignored.

Runs the schemathesis CLI (its pytest plugin does not load under this pytest version) with the
sessions of each role, each on the operations it can reach (the others only answer 403, which every
role's run already sees), so the whole run stays short.
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

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parents[1] / "test-artifacts" / "fuzz"

# (session email, operations by path regex). Office staff go last: their run changes portal settings
# (PATCH /api/admin/settings may switch the portal off, which would leave customers only 403s).
ROLES = [
    ("ava@example.com", ["--exclude-path-regex", "^/api/(admin|driver)/"]),  # customer, and public routes
    ("gate@harbor.example", ["--include-path-regex", "^/api/(sync|documents|uploads|payments)/"]),  # site contact
    ("driver@demo.example", ["--include-path-regex", "^/api/(sync|uploads|driver)/"]),
    ("admin@demo.example", ["--include-path-regex", "^/api/(integrations|data)/"]),  # admin: keys, webhooks, import
    ("office@demo.example", ["--include-path-regex", "^/api/(admin|sync|documents|uploads)/"]),
]


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


@pytest.mark.parametrize("email, operations", ROLES, ids=[email.split("@")[0] for email, _ in ROLES])
def test_the_server_conforms_to_its_schema(server, email, operations):
    token = _session_token(server, email)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{server}/schema/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            *operations,
            "--max-examples",
            "10",
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "1",
            "--report",
            "junit",
            "--report-junit-path",
            str(ARTIFACTS / f"{email.split('@')[0]}.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
