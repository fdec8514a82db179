"""The demo data's dates are days where the demo business is: between midnight UTC and midnight in
Chicago the portal's "today" (the tenant's own) and the data's "today" must still agree."""

from __future__ import annotations

import datetime as real

import pytest

from server.seed import demo


class _LateEveningInChicago(real.datetime):
    """03:16 UTC on 3 December is 21:16 on 2 December in Chicago."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        moment = real.datetime(2026, 12, 3, 3, 16, tzinfo=real.UTC)
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


def test_the_demo_days_are_the_demo_tenants_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "datetime", _LateEveningInChicago)
    rows = demo.demo_rows()
    [tenant] = [r for _, entity, r in rows if entity == "tenant" and r["slug"] == "demo"]
    assert tenant["timezone"] == "America/Chicago"
    [rental] = [r for _, entity, r in rows if entity == "rental" and r["rental_number"] == "R-1001"]
    assert rental["delivered_on"] == "2026-11-29"  # three days before 2 December, Chicago's date
    assert rental["ends_on"] == "2026-12-06"
