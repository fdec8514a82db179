"""One person cannot fill the database with uploads: at most ``upload_quota_count`` files and
``upload_quota_bytes`` bytes in any 24 hours (429 ``upload_quota`` / 413 ``upload_quota_bytes``, with
``Retry-After`` and the limits in ``details``), held under 50 uploads at once; other people keep
theirs, and retrying an upload already stored is not a new one."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.db.engine import Database
from tests.support.asgi import concurrent_client
from tests.support.portal import DRIVER, OPS, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR"
COUNT, BYTES = 10, 40_000


@pytest.fixture
def settings_overrides():
    return {"upload_max_bytes": 20_000, "upload_quota_count": COUNT, "upload_quota_bytes": BYTES}


def _image(size: int) -> bytes:
    return PNG + b"\x00" * (size - len(PNG))


def _send(client, headers, size: int, upload_id: str | None = None):
    params = {"id": upload_id} if upload_id else {}
    return client.post(
        "/api/uploads", params=params, headers=headers, files={"data": ("a.png", _image(size), "image/png")}
    )


async def test_fifty_parallel_uploads_store_only_the_quota_and_the_rest_get_429(settings):
    async with concurrent_client(settings) as client:
        driver = await login(client, DRIVER)
        responses = await asyncio.gather(*(_send(client, driver, 1000) for _ in range(50)))
        codes = [r.status_code for r in responses]
        assert codes.count(201) == COUNT and codes.count(429) == 50 - COUNT, codes
        refused = next(r for r in responses if r.status_code == 429)
        error = refused.json()["error"]
        assert error["code"] == "upload_quota" and "24 hours" in error["message"]
        assert error["details"] == {"max_uploads": COUNT, "window_hours": 24}
        assert int(refused.headers["retry-after"]) >= 1
        # Someone else's uploads are their own.
        other = await login(client, OPS)
        assert (await _send(client, other, 1000)).status_code == 201


async def test_fifty_parallel_big_uploads_stop_at_the_byte_quota_with_413(settings):
    async with concurrent_client(settings) as client:
        driver = await login(client, DRIVER)
        size = 15_000  # two fit in 40,000 bytes, a third does not
        responses = await asyncio.gather(*(_send(client, driver, size) for _ in range(50)))
        codes = [r.status_code for r in responses]
        assert codes.count(201) == BYTES // size and codes.count(413) == 50 - BYTES // size, codes
        error = next(r for r in responses if r.status_code == 413).json()["error"]
        assert error["code"] == "upload_quota_bytes"
        assert error["details"] == {"max_bytes": BYTES, "used_bytes": 2 * size, "window_hours": 24}
        # A smaller file that still fits is taken.
        assert (await _send(client, driver, BYTES - 2 * size)).status_code == 201


async def test_retrying_a_stored_upload_is_not_counted_again(client):
    driver = await login(client, DRIVER)
    ids = [str(uuid.uuid4()) for _ in range(COUNT)]
    for upload_id in ids:
        assert (await _send(client, driver, 1000, upload_id)).status_code == 201
    for upload_id in ids:  # a flaky network resends each one: the stored upload comes back
        again = await _send(client, driver, 1000, upload_id)
        assert again.status_code == 201 and again.json()["id"] == upload_id
    assert (await _send(client, driver, 1000)).status_code == 429


async def test_uploads_older_than_a_day_no_longer_count(client, settings):
    driver = await login(client, DRIVER)
    for _ in range(COUNT):
        assert (await _send(client, driver, 1000)).status_code == 201
    assert (await _send(client, driver, 1000)).status_code == 429
    db = Database(settings.database_url)  # the app's pool belongs to the test client's event loop
    await db.start()
    try:
        async with db.write() as conn:
            await conn.execute("UPDATE upload SET created_at = ?", "2020-01-01T00:00:00.000Z")
    finally:
        await db.close()
    assert (await _send(client, driver, 1000)).status_code == 201
