"""The driver's face of the PWA: a day's route that keeps working in dead zones.

A driver loses signal, taps a job forward and photographs it; when the phone is back online the
server has the status change and the photo exactly once, the GPS fixes buffered meanwhile are
uploaded, and the customer's own portal shows the new status, the photo and the truck on the map.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from server.seed.demo import sid
from tests.support.browser import (  # noqa: F401  (own_server, new_context: fixtures)
    DESKTOP,
    PHONE,
    api_headers,
    eventually,
    link_token,
    new_context,
    own_server,
    png_bytes,
    screenshot,
    sign_in,
    sqlite_rows,
    wait_for_worker,
)

pytestmark = pytest.mark.browser

AVA, DRIVER, OFFICE = "ava@example.com", "driver@demo.example", "office@demo.example"
EN_ROUTE_JOB = sid("job:ava-en-route")  # J-0903: Ava's garage clean-out, truck T-1, en route today
NEAR_AVA = {"latitude": 39.7900, "longitude": -89.6500}
DEAD_ZONE = {"latitude": 39.7950, "longitude": -89.6470}


def driver_phone(new_context, geolocation=NEAR_AVA):
    return new_context(**PHONE, geolocation=geolocation, permissions=["geolocation"])


def job(base: str, headers: dict, job_id: str) -> dict:
    return httpx.get(f"{base}/api/admin/jobs/{job_id}", headers=headers).json()


def test_driver_offline_status_and_photo_reach_server_once_and_customer_sees_them(
    new_context, own_server, database_url
):
    server = own_server
    office = api_headers(server, OFFICE)

    # The customer follows the job in their portal; the driver is on the road with the app.
    customer = new_context(**DESKTOP)
    ava = sign_in(customer, server, AVA, f"jobs/{EN_ROUTE_JOB}")
    expect(ava.get_by_text("Garage clean-out")).to_be_visible()

    phone = driver_phone(new_context)
    driver = sign_in(phone, server, DRIVER)
    card = driver.locator("li.driver-job[data-job='J-0903']")
    expect(card).to_contain_text("Ava Reed")
    expect(card.get_by_role("link", name=re.compile(r"Call \(555\) 010-0001"))).to_have_attribute(
        "href", "tel:+15550100001"
    )
    expect(card).to_contain_text("Driveway on the left side.")
    expect(driver.get_by_text("Sharing your location")).to_be_visible()
    expect(driver.locator(".sync-chip")).to_have_text("Up to date", timeout=15_000)
    screenshot(driver, "driver-route")

    # The customer's live map saw the truck (the driver's GPS went out on the live socket).
    expect(ava.locator(".eta")).to_contain_text("Arriving in about", timeout=15_000)
    expect(ava.locator(".truck-map [role=img]")).to_have_count(2)  # the site and the truck, labelled
    online_fixes = sqlite_rows(database_url, "SELECT COUNT(*) FROM gps_fix")[0][0]
    assert online_fixes >= 1

    # Dead zone: start the work, take a "before" photo, keep driving.
    phone.set_offline(True)
    expect(driver.get_by_role("img", name="Offline")).to_be_visible()
    card.get_by_role("link", name="Details & photos").click()
    driver.get_by_role("button", name="Arrived — start work").click()
    expect(driver.locator(".driver-job .badge").first).to_have_text("In progress")
    expect(driver.get_by_text("Waiting to send").first).to_be_visible()
    driver.locator("input[data-stage='before']").set_input_files(
        files=[{"name": "before.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(driver.get_by_text("Waiting to upload")).to_be_visible()
    driver.wait_for_timeout(3_500)  # fixes are kept at most every 3 s
    phone.set_geolocation(DEAD_ZONE)
    expect(driver.locator(".gps-banner")).to_contain_text("upload when you are back online", timeout=10_000)
    screenshot(driver, "driver-job-offline")

    # Nothing reached the server while offline.
    assert job(server, office, EN_ROUTE_JOB)["status"] == "en_route"
    assert job(server, office, EN_ROUTE_JOB)["photos"] == []

    # Signal again: the tap, the photo and the buffered positions arrive.
    phone.set_offline(False)
    eventually(
        lambda: (
            job(server, office, EN_ROUTE_JOB)["status"] == "in_progress" and job(server, office, EN_ROUTE_JOB)["photos"]
        ),
        what="the status change and the photo on the server",
    )
    expect(driver.get_by_text("Waiting to upload")).to_have_count(0, timeout=15_000)
    expect(driver.locator(".sync-chip")).to_have_text("Up to date", timeout=15_000)
    eventually(
        lambda: (
            sqlite_rows(database_url, "SELECT COUNT(*) FROM gps_fix WHERE lat = ?", DEAD_ZONE["latitude"])[0][0] >= 1
        ),
        what="the fix taken offline stored on the server",
    )
    driver.wait_for_timeout(2_000)  # any duplicate push or upload would have landed by now

    row = job(server, office, EN_ROUTE_JOB)
    assert row["status"] == "in_progress"
    assert [h["status"] for h in row["status_history"]].count("in_progress") == 1
    assert len(row["photos"]) == 1 and row["photos"][0]["stage"] == "before"
    photo = httpx.get(f"{server}{row['photos'][0]['url']}", headers=office)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    tap = next(h for h in row["status_history"] if h["status"] == "in_progress")
    assert tap["at"] < row["updated_at"], "the status carries the time of the tap, not of the upload"

    # The customer's portal shows the new status and the photo.
    expect(ava.locator(".section-head .badge")).to_have_text("In progress", timeout=20_000)
    image = ava.get_by_role("img", name="Before photo 1")
    expect(image).to_be_visible(timeout=20_000)
    ava.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    screenshot(ava, "customer-job-after-driver")
    screenshot(driver, "driver-job-synced")


def test_driver_app_opens_from_a_cold_start_with_no_network(new_context, own_server):
    server = own_server
    phone = driver_phone(new_context)
    driver = sign_in(phone, server, DRIVER)
    expect(driver.locator("li.driver-job[data-job='J-0904']")).to_be_visible()
    expect(driver.locator(".sync-chip")).to_have_text("Up to date", timeout=15_000)
    wait_for_worker(driver)

    phone.set_offline(True)
    driver.reload()
    card = driver.locator("li.driver-job[data-job='J-0904']")
    expect(card).to_contain_text("Harbor Property Group")
    expect(card).to_contain_text("4821#")  # the gate code is there when it matters most
    card.get_by_role("button", name="Complete job").click()
    card.get_by_role("button", name="Tap again to complete").click()  # completing asks for a second tap
    expect(card.locator(".badge").first).to_have_text("Completed")
    screenshot(driver, "driver-cold-start-offline")


def test_driver_never_gets_the_office_console(new_context, own_server):
    server = own_server
    phone = driver_phone(new_context)
    page = phone.new_page()
    chunks: list[str] = []
    page.on("request", lambda request: chunks.append(request.url))
    token_page = sign_in(phone, server, DRIVER)
    token_page.close()
    page.goto(f"{server}/t/demo/settings")
    expect(page.locator("li.driver-job").first).to_be_visible()
    expect(page.get_by_text("Portal settings")).to_have_count(0)
    assert not [url for url in chunks if "office-app" in url]
    # The server is the authority anyway.
    driver = api_headers(server, DRIVER)
    assert httpx.get(f"{server}/api/admin/settings", headers=driver).status_code == 403


def test_customer_downloads_neither_staff_face(new_context, own_server):
    server = own_server
    context = new_context(**DESKTOP)
    page = context.new_page()
    chunks: list[str] = []
    page.on("request", lambda request: chunks.append(request.url))
    page.goto(f"{server}/t/demo/login?token={link_token(server, AVA)}")
    expect(page.locator(".bottom-nav")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(1_000)
    assert not [url for url in chunks if "office-app" in url or "driver-app" in url]


def test_a_job_added_to_the_route_arrives_without_reloading_the_whole_day(new_context, own_server):
    """The office puts a new job on the driver's truck: the app shows it, and takes it away again when
    the job moves to another truck, each time by a delta — no pull along the way resets the replica."""
    server = own_server
    office = api_headers(server, OFFICE)
    phone = driver_phone(new_context)
    driver = sign_in(phone, server, DRIVER)
    expect(driver.locator("li.driver-job[data-job='J-0904']")).to_be_visible()
    expect(driver.locator(".sync-chip")).to_have_text("Up to date", timeout=15_000)
    pulls: list[dict] = []
    driver.on("response", lambda r: pulls.append(r.json()) if "/api/sync/pull" in r.url and r.ok else None)

    made = httpx.post(
        f"{server}/api/admin/jobs",
        headers=office,
        json={
            "account_id": sid("account:harbor"),
            "site_id": sid("site:harbor-b"),
            "status": "confirmed",
            "scheduled_date": __import__("datetime").date.today().isoformat(),
            "truck_id": sid("truck:t1"),
        },
    )
    assert made.status_code == 201, made.text
    card = driver.locator(f"li.driver-job[data-job='{made.json()['number']}']")
    expect(card).to_be_visible(timeout=30_000)
    expect(driver.locator("li.driver-job[data-job='J-0904']")).to_be_visible()
    screenshot(driver, "driver-route-job-added")

    moved = httpx.patch(
        f"{server}/api/admin/jobs/{made.json()['id']}", headers=office, json={"truck_id": sid("truck:t2")}
    )
    assert moved.status_code == 200, moved.text
    expect(card).to_have_count(0, timeout=30_000)
    expect(driver.locator("li.driver-job[data-job='J-0904']")).to_be_visible()
    assert pulls, "the app pulled the changes"
    assert not [p for p in pulls if p.get("reset")], "no pull reset the replica"
    assert any(c["op"] == "del" and c["id"] == made.json()["id"] for p in pulls for c in p["changes"])
