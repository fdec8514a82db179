"""Texts people read outside the app (email, SMS, Web Push) carry dates the tenant's way, never ISO."""

from __future__ import annotations

import json

from server.documents.formatting import readable_dates
from server.notify.webpush import payload

DENVER = {"id": "t", "slug": "demo", "name": "Demo", "locale": "en-US", "timezone": "America/Denver"}
BERLIN = {"id": "t", "slug": "demo", "name": "Demo", "locale": "de-DE", "timezone": "Europe/Berlin"}


def test_a_rental_extension_text_names_its_end_as_people_write_it():
    assert readable_dates("3 more days, now ends 2026-12-10.", DENVER) == "3 more days, now ends Dec 10, 2026."
    assert readable_dates("Junk removal on 2026-12-04, Morning.", BERLIN) == "Junk removal on 04.12.2026, Morning."


def test_what_only_looks_like_a_date_is_left_alone():
    assert readable_dates("PO 2026-99-99", DENVER) == "PO 2026-99-99"
    assert readable_dates("paid 2026-12-01T10:00:00Z", DENVER) == "paid 2026-12-01T10:00:00Z"
    assert readable_dates("", DENVER) == ""


def test_a_web_push_shows_the_date_in_the_tenants_way():
    shown = json.loads(
        payload(BERLIN, {"id": "n1", "title": "Rental R-1 extended", "body": "now ends 2026-12-10.", "link": ""})
    )
    assert shown["body"] == "now ends 10.12.2026."
