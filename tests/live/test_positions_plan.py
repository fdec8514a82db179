"""A new live socket reads the trucks of its own accounts' active jobs through an index on the job's
account: it must not walk every job of the tenant (10,000 sockets connecting at once would each do it)."""

from __future__ import annotations

import sqlite3

import pytest

from server.live import tracker
from tests.conftest import USE_PG


@pytest.mark.skipif(USE_PG, reason="SQLite's plan (PostgreSQL chooses by its statistics)")
def test_a_customers_active_jobs_are_found_through_the_account_index(database_url):
    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    try:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {tracker.accounts_jobs_sql(2)}", ("t", "a", "b")).fetchall()
    finally:
        conn.close()
    steps = " | ".join(row[-1] for row in plan)
    assert "SEARCH j USING INDEX job_account_status" in steps, steps
