"""The business rules of the mutators, as the server applies them (and as the client predicts them)."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest

from server.seed.demo import sid
from sync.mutators.rentals import extension_price
from sync.rules import Rejected, advance_job
from tests.support.portal import AVA, DRIVER, GATE, OFFICE, OPS, login, new_client_id, pull_all, push

HOME, TOWER_A, TOWER_B = sid("site:ava-home"), sid("site:harbor-a"), sid("site:harbor-b")
MORNING, JUNK, TOILET = sid("slot:morning"), sid("service:junk"), sid("service:toilet")
AVA_RES, HARBOR = sid("account:ava-reed"), sid("account:harbor")


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def _booking(**overrides) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "site_id": HOME,
        "service_type_id": JUNK,
        "date": _day(20),
        "time_slot_id": MORNING,
        **overrides,
    }


async def _one(client, headers, name: str, args: dict) -> dict:
    """Push one mutation from a fresh client; its result."""
    return (await push(client, headers, new_client_id(), (1, name, args)))["results"][0]


async def _code(client, headers, name: str, args: dict) -> str:
    result = await _one(client, headers, name, args)
    return result["error"]["code"] if result["status"] == "rejected" else result["status"]


async def _row(client, office, collection: str, row_id: str) -> dict:
    return (await client.get(f"/api/admin/{collection}/{row_id}", headers=office)).json()


async def test_a_slot_takes_bookings_up_to_its_capacity(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    booked = [_booking() for _ in range(4)]
    assert [await _code(client, ava, "job.book", b) for b in booked] == ["applied"] * 4
    assert await _code(client, ava, "job.book", _booking()) == "slot_full"
    assert await _code(client, ava, "job.book", _booking(date=_day(21))) == "applied", "capacity is per day"
    assert await _code(client, ava, "job.cancel", {"job_id": booked[0]["id"]}) == "applied"
    assert await _code(client, ava, "job.book", _booking()) == "applied", "a cancelled job frees its place"
    job = await _row(client, office, "jobs", booked[1]["id"])
    assert (job["status"], job["source"], job["price"]) == ("requested", "portal", 25000)


async def test_booking_is_refused_when_the_portal_switches_it_off(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    response = await client.patch("/api/admin/settings", json={"features": {"booking": False}}, headers=office)
    assert response.status_code == 200
    assert await _code(client, ava, "job.book", _booking()) == "feature_disabled"


async def test_only_online_bookable_services_can_be_booked(client):
    ava = await login(client, AVA)
    assert (
        await _code(client, ava, "job.book", _booking(service_type_id=sid("service:septic"))) == "service_not_bookable"
    )


async def test_bookings_only_at_sites_in_scope(client):
    ava, gate = await login(client, AVA), await login(client, GATE)
    assert await _code(client, ava, "job.book", _booking(site_id=TOWER_A)) == "not_found"
    harbor = {"service_type_id": TOILET, "po_number": "PO-1"}
    assert await _code(client, gate, "job.book", _booking(site_id=TOWER_B, **harbor)) == "not_found"
    assert await _code(client, gate, "job.book", _booking(site_id=TOWER_A, **harbor)) == "applied"


async def test_promo_codes_must_be_valid(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    welcome = _booking(promo_code="welcome10")
    assert await _code(client, ava, "job.book", welcome) == "applied"
    job = await _row(client, office, "jobs", welcome["id"])
    assert (job["price"], job["discount"], job["promo_code"]) == (22500, 2500, "WELCOME10")
    assert await _code(client, ava, "job.book", _booking(promo_code="NOPE")) == "promo_invalid"
    for code, extra in (("OLD", {"valid_to": _day(-1)}), ("SOON", {"valid_from": _day(60)}), ("ONCE", {"max_uses": 1})):
        response = await client.post(
            "/api/admin/promo-codes", json={"code": code, "amount_off": 1000, **extra}, headers=office
        )
        assert response.status_code == 201, response.text
    assert await _code(client, ava, "job.book", _booking(promo_code="OLD")) == "promo_expired"
    assert await _code(client, ava, "job.book", _booking(promo_code="SOON")) == "promo_not_started"
    assert await _code(client, ava, "job.book", _booking(promo_code="ONCE")) == "applied"
    assert await _code(client, ava, "job.book", _booking(promo_code="ONCE")) == "promo_used_up"


async def test_a_booking_is_priced_from_the_catalogue_and_never_costs_more_than_quoted(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    half = _booking(load_estimate="quarter", promo_code="WELCOME10", quoted_price=15750)
    assert await _code(client, ava, "job.book", half) == "applied"
    job = await _row(client, office, "jobs", half["id"])
    assert (job["price"], job["discount"], job["quoted_price"]) == (15750, 1750, 15750), "quarter load: 175.00 - 10%"
    plain = _booking(load_estimate="full")
    assert await _code(client, ava, "job.book", plain) == "applied"
    assert (await _row(client, office, "jobs", plain["id"]))["quoted_price"] == 40000
    # The form showed 125.00 for a minimum load but the booking says a full one: the server's price is higher.
    assert await _code(client, ava, "job.book", _booking(load_estimate="full", quoted_price=12500)) == "price_changed"
    # A code the form could not check (not public) may only lower the quote.
    partner = _booking(promo_code="PARTNER20", quoted_price=25000)
    assert await _code(client, ava, "job.book", partner) == "applied"
    job = await _row(client, office, "jobs", partner["id"])
    assert (job["price"], job["quoted_price"], job["discount"]) == (23000, 23000, 2000)
    # The office may change the price afterwards; the quote stays what the customer was told.
    response = await client.patch(f"/api/admin/jobs/{partner['id']}", json={"price": 30000}, headers=office)
    assert response.status_code == 200, response.text
    assert (await _row(client, office, "jobs", partner["id"]))["quoted_price"] == 23000


async def test_a_refused_booking_is_kept_with_what_was_sent_and_the_bell_leads_to_its_draft(client):
    ava = await login(client, AVA)
    client_id = new_client_id()
    booking = _booking(promo_code="WELCOM10", description="Old sofa and a fridge")
    result = (await push(client, ava, client_id, (1, "job.book", booking)))["results"][0]
    assert (result["status"], result["error"]["code"]) == ("rejected", "promo_invalid")
    _, rows = await pull_all(client, ava, client_id)
    [rejection] = [r for (e, _), r in rows.items() if e == "mutation_rejection" and r["client_id"] == client_id]
    assert (rejection["mutation_id"], rejection["args"], rejection["error"]["code"]) == (1, booking, "promo_invalid")
    [bell] = [r for (e, _), r in rows.items() if e == "notification" and r["kind"] == "mutation_rejected"]
    assert bell["link"] == f"/drafts/{client_id}:1"
    assert "job.book" not in bell["body"] and bell["body"][0].isupper(), "no mutation name in what a person reads"


async def test_a_service_request_records_the_catalogue_price_of_its_lines(client):
    ops, office = await login(client, OPS), await login(client, OFFICE)
    base = {"site_id": TOWER_A, "requested_date": _day(5)}
    priced = {**base, "id": str(uuid.uuid4()), "lines": [{"service_type_id": TOILET, "quantity": 3}]}
    assert await _code(client, ops, "service_request.submit", priced) == "applied"
    assert (await _row(client, office, "service-requests", priced["id"]))["quoted_price"] == 3 * 9500
    unpriced = {**base, "id": str(uuid.uuid4()), "lines": [{"product_id": sid("product:toilet"), "quantity": 2}]}
    assert await _code(client, ops, "service_request.submit", unpriced) == "applied"
    assert (await _row(client, office, "service-requests", unpriced["id"]))["quoted_price"] is None


async def test_po_required_accounts_need_a_po_number(client):
    ops, office = await login(client, OPS), await login(client, OFFICE)
    harbor = {"site_id": TOWER_A, "service_type_id": TOILET}
    assert await _code(client, ops, "job.book", _booking(**harbor, po_number="  ")) == "po_required"
    booking = _booking(**harbor, po_number=" PO-9000 ")
    assert await _code(client, ops, "job.book", booking) == "applied"
    assert (await _row(client, office, "jobs", booking["id"]))["po_number"] == "PO-9000"


async def test_dates_in_the_past_are_refused(client):
    ava = await login(client, AVA)
    assert await _code(client, ava, "job.book", _booking(date=_day(-1))) == "date_in_past"
    assert (
        await _code(client, ava, "rental.request_pickup", {"rental_id": sid("rental:ava-20yd"), "date": _day(-2)})
        == "date_in_past"
    )


async def test_a_refused_booking_with_a_new_site_leaves_no_site_behind(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    site = {"id": str(uuid.uuid4()), "name": "Cabin"}
    refused = _booking(site_id=None, new_site=site, account_id=AVA_RES, service_type_id=sid("service:septic"))
    assert await _code(client, ava, "job.book", refused) == "service_not_bookable"
    assert (await client.get(f"/api/admin/sites/{site['id']}", headers=office)).status_code == 404
    booked = _booking(site_id=None, new_site=site, account_id=AVA_RES)
    assert await _code(client, ava, "job.book", booked) == "applied"
    assert (await _row(client, office, "jobs", booked["id"]))["site_id"] == site["id"]


def test_extension_price_is_the_daily_rate_times_the_days():
    assert extension_price({"daily_rate": 1500}, 3) == 4500
    assert extension_price({"daily_rate": 0}, 10) == 0


async def test_rental_extension_shows_locally_and_is_decided_by_the_server(server, tmp_path):
    ava = await server.connect(AVA, tmp_path / "ava.db")
    await ava.pull()
    rental_id = sid("rental:ava-20yd")
    before = ava.replica.get("rental", rental_id)
    ava.replica.queue("rental.extend", {"rental_id": rental_id, "days": 3})
    local = ava.replica.get("rental", rental_id)
    assert local["ends_on"] == (date.fromisoformat(before["ends_on"]) + timedelta(days=3)).isoformat()
    assert [(e["days"], e["amount"]) for e in local["extensions"]] == [(3, 3 * before["daily_rate"])]
    pushed, _ = await ava.sync()
    # Without a card charger (payments not configured here) the server rejects it, and nothing changes.
    assert [r["code"] for r in pushed.rejected] in (["payments_unavailable"], ["no_payment_method"])
    assert ava.replica.get("rental", rental_id) == before
    await ava.aclose()


async def test_site_contacts_cannot_extend_rentals(client):
    gate = await login(client, GATE)
    assert await _code(client, gate, "rental.extend", {"rental_id": sid("rental:ava-20yd"), "days": 1}) == "forbidden"


async def test_only_primary_contacts_manage_contacts(client):
    ops, gate, office = await login(client, OPS), await login(client, GATE), await login(client, OFFICE)
    helper = {
        "id": str(uuid.uuid4()),
        "name": "Hana Helper",
        "email": "hana@harbor.example",
        "role": "company",
        "portal_access": True,
        "primary": False,
    }
    assert await _code(client, ops, "contact.upsert", helper) == "applied"
    hana = await login(client, "hana@harbor.example")
    other = {"id": str(uuid.uuid4()), "name": "Ivan", "email": "ivan@harbor.example"}
    assert await _code(client, hana, "contact.upsert", other) == "not_primary_contact"
    assert await _code(client, hana, "contact.remove", {"contact_id": sid("contact:gate")}) == "not_primary_contact"
    assert await _code(client, gate, "contact.upsert", other) == "forbidden"
    tower_b_only = {**other, "role": "site", "site_ids": [TOWER_B]}
    assert await _code(client, ops, "contact.upsert", tower_b_only) == "applied"
    memberships = (await client.get("/api/admin/memberships", params={"account_id": HARBOR}, headers=office)).json()[
        "items"
    ]
    assert {m["email"] for m in memberships} >= {"hana@harbor.example", "ivan@harbor.example"}


async def test_a_contact_can_only_be_given_sites_of_the_same_account(client):
    ava = await login(client, AVA)
    contact = {
        "id": str(uuid.uuid4()),
        "name": "Yard keeper",
        "email": "yard@example.com",
        "role": "site",
        "site_ids": [sid("site:reed-yard")],
        "account_id": AVA_RES,
    }
    assert await _code(client, ava, "contact.upsert", contact) == "not_found"


async def test_linking_a_known_person_does_not_rewrite_their_login_details(client):
    ava, office = await login(client, AVA), await login(client, OFFICE)
    link = {
        "id": str(uuid.uuid4()),
        "name": "Someone Else",
        "email": "ops@harbor.example",
        "phone": "+15550100001",
        "account_id": AVA_RES,
    }
    assert await _code(client, ava, "contact.upsert", link) == "applied"
    olivia = await _row(client, office, "contacts", sid("contact:ops"))
    assert (olivia["name"], olivia["phone"]) == ("Olivia Ops", "+15550100011")


async def test_driver_status_taps_only_move_forward_and_late_ones_are_kept(client):
    driver, office, ava = await login(client, DRIVER), await login(client, OFFICE), await login(client, AVA)
    job_id, cid = sid("job:harbor-b-confirmed"), new_client_id()
    taps = [
        (1, "job.advance", {"job_id": job_id, "status": "en_route", "at": "2026-01-05T09:00:00.000Z"}),
        (2, "job.advance", {"job_id": job_id, "status": "completed", "at": "2026-01-05T11:00:00.000Z"}),
        (3, "job.advance", {"job_id": job_id, "status": "in_progress", "at": "2026-01-05T10:00:00.000Z"}),
        (4, "job.advance", {"job_id": job_id, "status": "in_progress", "at": "2026-01-05T10:00:00.000Z"}),
    ]
    result = await push(client, driver, cid, *taps)
    assert [r["status"] for r in result["results"]] == ["applied"] * 4
    job = await _row(client, office, "jobs", job_id)
    assert job["status"] == "completed"
    late = [h for h in job["status_history"] if not h["applied"]]
    assert [(h["status"], h["at"]) for h in late] == [("in_progress", "2026-01-05T10:00:00.000Z")]
    not_mine = {"job_id": sid("job:ava-confirmed"), "status": "en_route", "at": "2026-01-05T09:00:00.000Z"}
    assert await _code(client, driver, "job.advance", not_mine) == "not_found"
    assert await _code(client, ava, "job.advance", not_mine) == "forbidden"
    assert await _code(client, driver, "job.advance", {**not_mine, "job_id": job_id, "at": "yesterday"}) == "bad_args"


def test_jobs_cannot_be_cancelled_once_under_way_nor_moved_after_cancellation():
    at = "2026-01-01T00:00:00.000Z"
    with pytest.raises(Rejected) as refused:
        advance_job({"status": "en_route", "status_history": []}, "cancelled", at, "Ava")
    assert refused.value.code == "not_cancellable"
    with pytest.raises(Rejected) as refused:
        advance_job({"status": "cancelled", "status_history": []}, "en_route", at, "Drew")
    assert refused.value.code == "job_cancelled"
    late = advance_job({"status": "completed", "status_history": []}, "confirmed", at, "Drew")
    assert late == {"status_history": [{"status": "confirmed", "at": at, "by": "Drew", "applied": False}]}


async def test_a_photo_must_be_uploaded_before_it_is_attached(client):
    driver, office = await login(client, DRIVER), await login(client, OFFICE)
    job_id = sid("job:harbor-b-confirmed")
    photo = {"job_id": job_id, "photo_id": str(uuid.uuid4()), "stage": "before", "taken_at": "2026-01-05T09:00:00Z"}
    assert await _code(client, driver, "job.add_photo", photo) == "upload_missing"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = await client.post(
        "/api/uploads",
        params={"id": photo["photo_id"]},
        headers=driver,
        files={"data": ("p.png", io.BytesIO(png), "image/png")},
    )
    assert response.status_code == 201, response.text
    assert await _code(client, driver, "job.add_photo", photo) == "applied"
    assert [p["id"] for p in (await _row(client, office, "jobs", job_id))["photos"]] == [photo["photo_id"]]


async def test_rejections_reach_the_person_who_sent_them(client):
    ava = await login(client, AVA)
    cid = new_client_id()
    await push(client, ava, cid, (1, "job.book", _booking(date=_day(-3))))
    _, rows = await pull_all(client, ava, cid)
    [rejection] = [r for (e, _), r in rows.items() if e == "mutation_rejection"]
    assert (rejection["client_id"], rejection["mutation_id"], rejection["error"]["code"]) == (cid, 1, "date_in_past")
