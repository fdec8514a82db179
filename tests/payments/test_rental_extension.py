"""``rental.extend`` is accepted at once as "pending payment"; the charge to the default saved card is an
effect made after the commit, and its outcome comes back by sync: extension paid, or reverted with the reason."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

from tests.payments.stripe_flows import AVA_ACCOUNT, AVA_RENTAL, admin_row, customer_of, intents_of, run_sql, save_card
from tests.support.localstripe_server import CARD_3DS, CARD_DECLINED_AT_CHARGE
from tests.support.portal import effects_done, new_client_id, pull_all, push

DAILY_RATE = 1500  # the demo rental's extension price per day


async def _extend(client, headers, days: int = 3) -> tuple[dict, str]:
    client_id = new_client_id()
    result = await push(client, headers, client_id, (1, "rental.extend", {"rental_id": AVA_RENTAL, "days": days}))
    await effects_done(client)
    return result["results"][0], client_id


async def _declined(client, admin, ava, client_id, before, code: str, message: str | None = None) -> dict:
    """The extension was taken back: the end date is as before, the extension is declined with its reason,
    and the customer finds the rejection (with the mutation) and a bell notification."""
    rental = await admin_row(client, admin, "rentals", AVA_RENTAL)
    assert rental["ends_on"] == before["ends_on"]
    [extension] = rental["extensions"]
    assert (extension["status"], extension["payment_id"]) == ("declined", None)
    _, rows = await pull_all(client, ava, client_id)
    rejection = next(r for (e, _), r in rows.items() if e == "mutation_rejection")
    assert (rejection["client_id"], rejection["mutation_id"], rejection["name"]) == (client_id, 1, "rental.extend")
    assert rejection["error"]["code"] == code
    if message is not None:
        assert rejection["error"]["message"] == message == extension["reason"]
    bell = [r for (e, _), r in rows.items() if e == "notification" and r["kind"] == "extension_declined"]
    assert len(bell) == 1 and "R-1001" in bell[0]["title"]
    return rental


async def test_extension_is_charged_to_the_default_card_and_recorded(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    before = await admin_row(client, admin, "rentals", AVA_RENTAL)

    result, client_id = await _extend(client, ava, days=3)

    assert result["status"] == "applied", result
    rental = await admin_row(client, admin, "rentals", AVA_RENTAL)
    assert rental["ends_on"] == (date.fromisoformat(before["ends_on"]) + timedelta(days=3)).isoformat()
    [extension] = rental["extensions"]
    assert (extension["days"], extension["amount"], extension["status"]) == (3, 3 * DAILY_RATE, "paid")
    payment = await admin_row(client, admin, "payments", extension["payment_id"])
    assert (payment["status"], payment["amount"], payment["method"]) == ("succeeded", 4500, "card")
    # booked against an invoice of its own, already paid, so the statement balances
    [allocation] = payment["allocations"]
    invoice = await admin_row(client, admin, "invoices", allocation["invoice_id"])
    assert (invoice["total"], invoice["balance"], invoice["status"]) == (4500, 0, "paid")
    assert "R-1001" in invoice["lines"][0]["description"]
    assert invoice["number"] not in {f"INV-{n}" for n in range(1001, 1006)}  # the demo data's invoices
    [intent] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert (intent.id, intent.amount, intent.status) == (payment["stripe_payment_intent_id"], 4500, "succeeded")
    assert intent.metadata.to_dict()["rental_id"] == AVA_RENTAL
    # all of it reaches the customer by sync
    _, rows = await pull_all(client, ava, client_id)
    assert rows[("rental", AVA_RENTAL)]["ends_on"] == rental["ends_on"]
    assert rows[("payment", payment["id"])]["status"] == "succeeded"
    assert rows[("invoice", invoice["id"])]["status"] == "paid"


async def test_the_extension_shows_pending_payment_until_the_charge_is_made(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    before = await admin_row(client, admin, "rentals", AVA_RENTAL)
    client_id = new_client_id()
    # the dispatcher is not running: the push answers at once, without Stripe
    client.app.state.effects.run = _never
    result = await push(client, ava, client_id, (1, "rental.extend", {"rental_id": AVA_RENTAL, "days": 2}))

    assert result["results"][0]["status"] == "applied"
    _, rows = await pull_all(client, ava, client_id)
    rental = rows[("rental", AVA_RENTAL)]
    assert rental["ends_on"] == (date.fromisoformat(before["ends_on"]) + timedelta(days=2)).isoformat()
    [extension] = rental["extensions"]
    assert (extension["status"], extension["amount"], extension["payment_id"]) == ("pending", 3000, None)
    assert intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT)) == []


async def _never(effect_ids):
    return None


async def test_a_declined_card_takes_the_extension_back_with_the_reason(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_DECLINED_AT_CHARGE)
    before = await admin_row(client, admin, "rentals", AVA_RENTAL)
    payments_before = (
        await client.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)
    ).json()["items"]

    result, client_id = await _extend(client, ava)

    assert result["status"] == "applied"  # accepted; the charge comes after
    await _declined(client, admin, ava, client_id, before, "card_declined", "Your card was declined.")
    payments = (await client.get("/api/admin/payments", params={"account_id": AVA_ACCOUNT}, headers=admin)).json()[
        "items"
    ]
    assert len(payments) == len(payments_before)
    # the charge was tried once, and failed
    [intent] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert intent.status == "requires_payment_method"


async def test_without_a_saved_card_the_extension_is_rejected(client, ava, admin):
    before = await admin_row(client, admin, "rentals", AVA_RENTAL)

    result, _ = await _extend(client, ava)

    assert result["status"] == "rejected"
    assert result["error"]["code"] == "no_payment_method"
    assert await admin_row(client, admin, "rentals", AVA_RENTAL) == before


async def test_a_card_demanding_3d_secure_cannot_be_charged_off_session(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_3DS)
    before = await admin_row(client, admin, "rentals", AVA_RENTAL)

    result, client_id = await _extend(client, ava)

    assert result["status"] == "applied"
    await _declined(client, admin, ava, client_id, before, "authentication_required")


async def test_the_default_card_is_the_one_charged(client, ava, admin, localstripe_url):
    await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_DECLINED_AT_CHARGE)
    good = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, default=True)
    assert good["default"] is True

    result, _ = await _extend(client, ava, days=1)

    assert result["status"] == "applied", result
    rental = await admin_row(client, admin, "rentals", AVA_RENTAL)
    payment = await admin_row(client, admin, "payments", rental["extensions"][0]["payment_id"])
    assert (payment["status"], payment["amount"]) == ("succeeded", DAILY_RATE)


async def _retry_after_a_lost_recording(client, ava, admin, localstripe_url, monkeypatch, settings, meanwhile):
    """Extend with the charge's recording lost (the process died after Stripe's answer), run
    ``meanwhile(card)``, make the effect due again, and check the retry records Stripe's one charge."""
    from server.billing import extension_charger

    card = await save_card(client, ava, AVA_ACCOUNT, localstripe_url)
    record = extension_charger._record_charge

    async def dies(*args):
        raise RuntimeError("the process died before its commit")

    monkeypatch.setattr(extension_charger, "_record_charge", dies)
    result, _ = await _extend(client, ava, days=2)
    assert result["status"] == "applied"
    monkeypatch.setattr(extension_charger, "_record_charge", record)
    [first] = intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))
    assert first.status == "succeeded"
    await meanwhile(card)

    await run_sql(  # the effect is due again, held by nobody: the server's sweep (every 2 s) takes it
        settings,
        "UPDATE effect_outbox SET next_at = ?, lease_until = ? WHERE status = 'pending'",
        "2000-01-01T00:00:00.000Z",
        "1970-01-01T00:00:00.000Z",
    )
    deadline = time.monotonic() + 20
    while (rental := await admin_row(client, admin, "rentals", AVA_RENTAL))["extensions"][0]["status"] == "pending":
        assert time.monotonic() < deadline, "the effect was never tried again"
        await asyncio.sleep(0.2)
    [extension] = rental["extensions"]
    assert extension["status"] == "paid", extension
    payment = await admin_row(client, admin, "payments", extension["payment_id"])
    assert (payment["status"], payment["stripe_payment_intent_id"]) == ("succeeded", first.id)
    assert [i.id for i in intents_of(localstripe_url, customer_of(localstripe_url, AVA_ACCOUNT))] == [first.id]


async def test_a_retried_charge_finds_the_first_one_even_after_the_default_card_changed(
    client, ava, admin, localstripe_url, monkeypatch, settings
):
    """The charge went through but its recording was lost (the process died); before the effect is
    tried again the customer makes another card the default. The retry must find the charge Stripe
    made, not charge (or be refused for asking with) the other card, nor decline a paid extension."""

    async def another_default(_card):
        other = await save_card(client, ava, AVA_ACCOUNT, localstripe_url, CARD_DECLINED_AT_CHARGE, default=True)
        assert other["default"] is True

    await _retry_after_a_lost_recording(client, ava, admin, localstripe_url, monkeypatch, settings, another_default)


async def test_a_retried_charge_finds_the_first_one_even_after_every_card_was_removed(
    client, ava, admin, localstripe_url, monkeypatch, settings
):
    """The charge went through but its recording was lost; before the effect is tried again the
    customer removes their only card. The retry must still find the charge Stripe made and confirm
    the extension: declining it would keep the money for days the customer no longer has."""

    async def remove(card):
        removed = await client.delete(f"/api/payments/methods/{card['id']}", headers=ava)
        assert removed.status_code in (200, 204), removed.text

    await _retry_after_a_lost_recording(client, ava, admin, localstripe_url, monkeypatch, settings, remove)
