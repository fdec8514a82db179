"""scripts/driver_sim.py drives its route against a real server, including an offline stretch."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.live.conftest import live_socket, session_token
from tests.support.portal import AVA, IDS, OFFICE, login

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "driver_sim.py"


def load_driver_sim():
    spec = importlib.util.spec_from_file_location("driver_sim", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["driver_sim"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


async def test_the_simulated_driver_does_its_route_and_uploads_what_it_buffered(server, http):
    base, app = server
    sim = load_driver_sim()
    lines: list[str] = []
    async with live_socket(base, await session_token(http, AVA)) as ava:
        driver = sim.Driver(
            base, "driver@demo.example", "demo", speedup=400, offline_after_s=40, offline_for_s=30, log=lines.append
        )
        stats = await driver.run()
        seen = await ava.next(type="gps", job_id=IDS("job:ava-en-route"))
        assert seen["eta_s"] is not None
    assert stats.fixes_buffered >= 25 and stats.fixes_uploaded == stats.fixes_buffered, lines
    assert stats.fixes_streamed > 50 and not stats.rejected, (stats, lines)
    assert any("network back" in line for line in lines)
    office = await login(http, OFFICE)
    for job in ("job:ava-en-route", "job:harbor-in-progress", "job:harbor-b-confirmed"):
        row = (await http.get(f"/api/admin/jobs/{IDS(job)}", headers=office)).json()
        assert row["status"] == "completed", (job, row["status_history"])
    async with app.state.db.read() as conn:
        stored = await conn.fetchval("SELECT COUNT(*) AS n FROM gps_fix WHERE truck_id = ?", IDS("truck:t1"))
    assert stored >= stats.fixes_streamed + stats.fixes_uploaded - 5  # a few may share a millisecond
