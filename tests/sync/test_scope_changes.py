"""Scope changes are incremental: when a session's scope changes (a site added to a site contact, an
account's access removed, pending invoices shown, a job added to a driver's route) the next pull sends
the rows that entered as puts and the rows that left as deletes, without a reset; the replica it leaves
is exactly what a fresh pull of the new scope gives (rows and the fields the role may see)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from server.seed.demo import sid
from tests.support.portal import AVA, DRIVER, GATE, OPS, login, new_client_id, pull_all

HARBOR, TOWER_A, TOWER_B = sid("account:harbor"), sid("site:harbor-a"), sid("site:harbor-b")
AVA_BIZ = sid("account:reed-landscaping")
GATE_CONTACT = sid("contact:gate")


class Replica:
    """What a client holds: the rows of its pulls applied in order (a reset drops everything first)."""

    def __init__(self, client, headers: dict[str, str], limit: int):
        self.client, self.headers, self.limit = client, headers, limit
        self.client_id = new_client_id()
        self.rows: dict[tuple[str, str], Any] = {}
        self.cursor: str | None = None

    async def pull(self) -> dict[str, int]:
        """Pull to the end; returns how many pages reset, and how many puts and deletes came."""
        seen = {"reset": 0, "put": 0, "del": 0}
        while True:
            params = {"client_id": self.client_id, "limit": self.limit}
            if self.cursor:
                params["cursor"] = self.cursor
            response = await self.client.get("/api/sync/pull", params=params, headers=self.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            if page["reset"]:
                seen["reset"] += 1
                self.rows.clear()
            for change in page["changes"]:
                key = (change["entity"], change["id"])
                seen[change["op"]] += 1
                if change["op"] == "put":
                    self.rows[key] = change["data"]
                else:
                    self.rows.pop(key, None)
            self.cursor = page["cursor"]
            if not page["more"]:
                return seen

    async def matches_a_fresh_pull(self) -> None:
        _, fresh = await pull_all(self.client, self.headers, new_client_id())
        assert set(self.rows) - set(fresh) == set(), "rows that left the scope are still held"
        assert set(fresh) - set(self.rows) == set(), "rows that entered the scope did not arrive"
        changed = {k for k in fresh if fresh[k] != self.rows[k]}
        assert changed == set(), f"rows held with another view than the new scope's: {changed}"


async def _change(server, office, method: str, path: str, **json: Any) -> Any:
    return await server.call(method, path, office, json=json)


@pytest.fixture(params=[1, 4, 500], ids=["page-1", "page-4", "page-500"])
def limit(request) -> int:
    return request.param


async def test_a_site_contacts_sites_and_role_change_without_a_reset(server, limit):
    office = await server.staff()
    gate = Replica(server.test_client, await login(server.test_client, GATE), limit)
    await gate.pull()
    assert ("site", TOWER_B) not in gate.rows
    membership = f"/api/admin/memberships/{sid('membership:gate')}"

    await _change(server, office, "PATCH", membership, site_ids=[TOWER_A, TOWER_B])
    seen = await gate.pull()
    assert seen["reset"] == 0 and seen["put"] > 0
    assert ("site", TOWER_B) in gate.rows
    await gate.matches_a_fresh_pull()

    await _change(server, office, "PATCH", membership, site_ids=[TOWER_B])
    seen = await gate.pull()
    assert seen["reset"] == 0 and seen["del"] > 0
    assert ("site", TOWER_A) not in gate.rows and ("site", TOWER_B) in gate.rows
    await gate.matches_a_fresh_pull()

    # Company access: billing arrives and the account row gains its fields; back to a site: they leave.
    await _change(server, office, "PATCH", membership, role="company", site_ids=[])
    seen = await gate.pull()
    assert seen["reset"] == 0
    assert any(entity == "invoice" for entity, _ in gate.rows)
    await gate.matches_a_fresh_pull()
    await _change(server, office, "PATCH", membership, role="site", site_ids=[TOWER_A])
    seen = await gate.pull()
    assert seen["reset"] == 0 and seen["del"] > 0
    assert not any(entity == "invoice" for entity, _ in gate.rows)
    await gate.matches_a_fresh_pull()


async def test_an_account_leaves_and_comes_back(server, limit):
    office = await server.staff()
    ava = Replica(server.test_client, await login(server.test_client, AVA), limit)
    await ava.pull()
    held = {k for k, row in ava.rows.items() if k == ("account", AVA_BIZ) or row.get("account_id") == AVA_BIZ}
    assert ("account", AVA_BIZ) in held
    membership = f"/api/admin/memberships/{sid('membership:ava-biz')}"
    await _change(server, office, "PATCH", membership, portal_access=False)
    seen = await ava.pull()
    assert seen["reset"] == 0
    assert not held & set(ava.rows), "the account's rows left the replica"
    await ava.matches_a_fresh_pull()
    await _change(server, office, "PATCH", membership, portal_access=True)
    seen = await ava.pull()
    assert seen["reset"] == 0
    assert held <= set(ava.rows)
    await ava.matches_a_fresh_pull()


async def test_pending_invoices_shown_and_hidden_again(server, limit):
    office = await server.staff()
    ops = Replica(server.test_client, await login(server.test_client, OPS), limit)
    await ops.pull()
    pending = ("invoice", sid("invoice:harbor-pending"))
    assert pending not in ops.rows
    await _change(server, office, "PATCH", "/api/admin/settings", show_pending_invoices=True)
    assert (await ops.pull())["reset"] == 0
    assert pending in ops.rows
    await ops.matches_a_fresh_pull()
    await _change(server, office, "PATCH", "/api/admin/settings", show_pending_invoices=False)
    assert (await ops.pull())["reset"] == 0
    assert pending not in ops.rows
    await ops.matches_a_fresh_pull()


async def test_a_drivers_route_grows_and_shrinks_without_a_reset(server, limit):
    office = await server.staff()
    driver = Replica(server.test_client, await login(server.test_client, DRIVER), limit)
    await driver.pull()
    job = await _change(
        server,
        office,
        "POST",
        "/api/admin/jobs",
        account_id=HARBOR,
        site_id=TOWER_B,
        status="confirmed",
        scheduled_date=date.today().isoformat(),
        truck_id=sid("truck:t1"),
    )
    seen = await driver.pull()
    assert seen == {"reset": 0, "put": seen["put"], "del": 0} and seen["put"] >= 1
    assert ("job", job["id"]) in driver.rows and "price" not in driver.rows[("job", job["id"])]
    await driver.matches_a_fresh_pull()
    await _change(server, office, "PATCH", f"/api/admin/jobs/{job['id']}", truck_id=sid("truck:t2"))
    seen = await driver.pull()
    assert seen["reset"] == 0 and seen["del"] >= 1
    assert ("job", job["id"]) not in driver.rows
    await driver.matches_a_fresh_pull()


async def test_rows_moving_while_the_scope_changes(server):
    """A unit moved between sites in the same interval as the site contact's sites change, and writes
    landing between the pages of the change: the replica still ends as the fresh pull."""
    office = await server.staff()
    gate = Replica(server.test_client, await login(server.test_client, GATE), 2)
    await gate.pull()
    unit = sid("unit:101")
    await _change(server, office, "PATCH", f"/api/admin/units/{unit}", site_id=TOWER_B)
    await _change(server, office, "PATCH", f"/api/admin/memberships/{sid('membership:gate')}", site_ids=[TOWER_B])
    # one page of the change, then more writes, then the rest
    params = {"client_id": gate.client_id, "limit": 2, "cursor": gate.cursor}
    page = (await server.test_client.get("/api/sync/pull", params=params, headers=gate.headers)).json()
    assert not page["reset"] and page["more"]
    for change in page["changes"]:
        key = (change["entity"], change["id"])
        gate.rows.pop(key, None) if change["op"] == "del" else gate.rows.__setitem__(key, change["data"])
    gate.cursor = page["cursor"]
    await _change(server, office, "PATCH", f"/api/admin/units/{unit}", site_id=TOWER_A)
    await _change(server, office, "POST", "/api/admin/messages", account_id=HARBOR, body="Gate B is open")
    assert (await gate.pull())["reset"] == 0
    assert ("unit", unit) not in gate.rows
    await gate.matches_a_fresh_pull()


async def test_a_cursor_of_an_unknown_scope_still_resets(server):
    """A cursor whose scope the server never served (or forgot) cannot be continued: a full snapshot."""
    ava = Replica(server.test_client, await login(server.test_client, AVA), 500)
    await ava.pull()
    schema, seq, _ = ava.cursor.split(".")
    ava.cursor = f"{schema}.{seq}.0123456789ab"
    assert (await ava.pull())["reset"] == 1
    await ava.matches_a_fresh_pull()
    ava.cursor = f"{schema}.{seq}.{ava.cursor.split('.')[2]}.0123456789ab.{seq}"  # mid-change from an unknown scope
    assert (await ava.pull())["reset"] == 1
    await ava.matches_a_fresh_pull()


async def test_the_python_client_follows_a_scope_change_without_a_reset(server, tmp_path):
    """The reference client (sync/client) applies a scope change as the deltas it is, page by page."""
    office = await server.staff()
    gate = await server.connect(GATE, tmp_path / "gate.db")
    gate.page_limit = 3
    await gate.pull()
    assert gate.replica.get("site", TOWER_B) is None
    await _change(server, office, "PATCH", f"/api/admin/memberships/{sid('membership:gate')}", site_ids=[TOWER_B])
    report = await gate.pull()
    assert not report.reset and report.pages > 1
    assert gate.replica.get("site", TOWER_B) is not None and gate.replica.get("site", TOWER_A) is None
    held = {(r["id"]) for r in gate.replica.snapshot()}
    _, fresh = await pull_all(server.test_client, await login(server.test_client, GATE), new_client_id())
    assert held == {row_id for _, row_id in fresh}
    await gate.aclose()


async def test_scopes_older_than_the_kept_days_are_forgotten(server, server_db):
    """sync_scope does not grow forever: a person's scopes older than SCOPE_KEPT_DAYS go when a new one is
    stored (a cursor that old then resets)."""
    from server.sync_api.pull import SCOPE_KEPT_DAYS

    office = await server.staff()
    gate = Replica(server.test_client, await login(server.test_client, GATE), 500)
    await gate.pull()
    old_cursor = gate.cursor
    async with server_db.write() as conn:
        await conn.execute(
            "UPDATE sync_scope SET created_at = ? WHERE person_id = ?", "2020-01-01T00:00:00.000Z", GATE_CONTACT
        )
    await _change(server, office, "PATCH", f"/api/admin/memberships/{sid('membership:gate')}", site_ids=[TOWER_B])
    await gate.pull()  # stores the new scope, forgetting the old one
    async with server_db.read() as conn:
        dates = [
            r["created_at"]
            for r in await conn.fetch("SELECT created_at FROM sync_scope WHERE person_id = ?", GATE_CONTACT)
        ]
    assert dates and all(d > "2020-01-01T00:00:00.000Z" for d in dates), SCOPE_KEPT_DAYS
    gate.cursor = old_cursor
    assert (await gate.pull())["reset"] == 1, "a cursor of a forgotten scope resets"
    await gate.matches_a_fresh_pull()
