"""The PWA's types and constants are generated from the Python definitions, never edited by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.contract import script

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "client_pwa" / "src"


def test_generated_files_are_current():
    """Regenerating client_pwa/src/generated/ changes nothing (else: run scripts/gen_ts_types.py)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_ts_types.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_check_notices_a_hand_edit(tmp_path, monkeypatch):
    """The staleness check fails when a generated file differs from what the definitions give."""
    gen_ts_types = script("gen_ts_types")
    for name in ("wire.ts", "constants.ts"):
        (tmp_path / name).write_text((SRC / "generated" / name).read_text())
    monkeypatch.setattr(gen_ts_types, "OUT_DIR", tmp_path)
    assert gen_ts_types.main(["--check"]) == 0
    constants = tmp_path / "constants.ts"
    constants.write_text(constants.read_text().replace("export const PUSH_BATCH = 50", "export const PUSH_BATCH = 60"))
    assert gen_ts_types.main(["--check"]) == 1


def test_the_pwa_hardcodes_none_of_the_generated_constants():
    """Database name, batch size and schema version come from generated/constants.ts everywhere."""
    offenders = []
    for path in SRC.rglob("*.ts*"):
        if "generated" in path.parts:
            continue
        text = path.read_text()
        for needle in ("`haulport-${", "schema_version: 1", "slice(0, 50)", "PUSH_BATCH = ", "SCHEMA_VERSION = "):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not (SRC / "data" / "types.ts").exists(), "row types come from generated/wire.ts"
    assert offenders == []
