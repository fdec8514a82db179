"""The PWA's optimistic layer (client_pwa/src/data/overlay.ts) does what the Python mutators do.

scripts/gen_conformance.py runs every mutator over seeded replicas and writes the fixtures;
client_pwa/tests/conformance.test.ts (vitest) replays them through overlay.ts. Here: the fixtures
are current, and the vitest suite passes (until the test command runs vitest itself).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract import script

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "client_pwa"


def test_fixtures_are_current():
    """Regenerating the fixtures changes nothing (else: run scripts/gen_conformance.py and commit)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_conformance.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_mutator_has_an_applied_and_a_refused_case():
    gen_conformance = script("gen_conformance")
    from sync.mutators.registry import MUTATORS, load_all

    load_all()
    names = {case[2] for case in gen_conformance.CASES}
    assert set(MUTATORS) <= names


@pytest.mark.skipif(
    os.environ.get("CI") != "true" and (shutil.which("npx") is None or not (PWA / "node_modules").exists()),
    reason="the PWA's packages are not installed (required in CI)",
)
def test_overlay_passes_the_conformance_suite():
    done = subprocess.run(
        ["npx", "vitest", "run", "tests/conformance.test.ts"],
        cwd=PWA,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "true", "NO_COLOR": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def _fixtures() -> list[dict]:
    return json.loads((PWA / "tests" / "conformance" / "fixtures.json").read_text())["fixtures"]


def test_no_mutator_crashes_over_a_replica():
    """A client replays every mutator over rows as its session sees them (site contacts get no prices,
    nobody gets other people's contact rows): none may fail for a reason other than a rule."""
    crashed = [f["name"] for f in _fixtures() if f.get("rejected") == "local_error"]
    assert crashed == []


def test_editing_a_contact_changes_its_membership_in_the_replica():
    """Editing a contact (whose contact row a customer's replica does not hold) updates the membership
    the replica has, rather than adding a second one."""
    [edit] = [f for f in _fixtures() if f["name"] == "contact.upsert: edits a contact's access"]
    assert [(c["entity"], c["op"], c["id"]) for c in edit["changes"]] == [
        ("membership", "put", script("gen_conformance").uid(204))
    ]
    assert edit["changes"][0]["row"]["primary"] is True
