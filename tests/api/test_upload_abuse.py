"""``POST /api/uploads`` and ``GET /api/uploads/{id}`` against hostile clients: files lying about their
type, oversized and endless bodies, broken multipart, path-traversing file names, sessions that may
not upload or may not see, and whether a served upload could ever be rendered as a page."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from server.app import create_app
from tests.support.live_server import running_server
from tests.support.portal import AVA, DRIVER, IDS, OFFICE, OPS, login, new_client_id, push

LIMIT = 4096  # upload_max_bytes in these tests; Litestar refuses bodies over LIMIT + 64 KiB itself
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture
def settings_overrides():
    return {"upload_max_bytes": LIMIT}


def _upload(client, headers, files, upload_id: str | None = None, **kwargs):
    params = {"id": upload_id} if upload_id else {}
    return client.post("/api/uploads", params=params, headers=headers, files=files, **kwargs)


def _error(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code, response.text


@pytest.fixture
async def driver(client):
    return await login(client, DRIVER)


async def test_a_real_image_is_stored_under_a_server_name_and_served_as_an_inert_image(client, driver):
    response = await _upload(client, driver, {"data": ("photo.png", PNG, "image/png")})
    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body["id"])  # the server's name, not the client's
    assert body == {
        "id": body["id"],
        "url": f"/api/uploads/{body['id']}",
        "size": len(PNG),
        "content_type": "image/png",
    }
    served = await client.get(body["url"], headers=driver)
    assert served.status_code == 200 and served.content == PNG
    _assert_inert(served, "image/png", body["id"])


def _assert_inert(response, content_type: str, upload_id: str) -> None:
    """Served so that no browser renders it as a document or runs anything in it."""
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    extension = content_type.split("/")[1].replace("jpeg", "jpg")
    assert response.headers["content-disposition"] == f'inline; filename="{upload_id}.{extension}"'
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp


@pytest.mark.parametrize(
    "declared, content, code",
    [
        ("image/png", HTML, "not_an_image"),  # claims PNG, is HTML
        ("image/png", b"<?php system($_GET['c']); ?>", "not_an_image"),
        ("image/jpeg", PNG, "not_an_image"),  # another image type than it says
        ("image/gif", b"GIF88a" + b"\x00" * 20, "not_an_image"),
        ("image/webp", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20, "not_an_image"),  # RIFF, but a WAV
        ("image/svg+xml", SVG, "not_an_image"),  # SVG runs script: never taken
        ("text/html", PNG, "not_an_image"),  # PNG bytes declared as a page
        ("application/octet-stream", PNG, "not_an_image"),
        ("image/png, text/html", PNG, "not_an_image"),
    ],
)
async def test_files_lying_about_their_type_are_refused(client, driver, declared, content, code):
    response = await _upload(client, driver, {"data": ("x.png", content, declared)})
    _error(response, 415, code)


async def test_a_file_part_without_a_type_is_refused(client, driver):
    body = b'--x\r\nContent-Disposition: form-data; name="data"; filename="x.png"\r\n\r\n' + PNG + b"\r\n--x--\r\n"
    response = await client.post(
        "/api/uploads", content=body, headers={**driver, "Content-Type": "multipart/form-data; boundary=x"}
    )
    _error(response, 415, "not_an_image")


@pytest.mark.parametrize(
    "declared, content",
    [
        ("image/png", PNG + HTML),  # a PNG/HTML polyglot
        ("image/gif", b"GIF89a/*" + b"\x00" * 8 + b"*/=1;alert(1)//" + HTML),  # a GIF/JavaScript polyglot
        ("image/jpeg", JPEG + SVG),
        ("image/webp", WEBP + HTML),
    ],
)
async def test_polyglots_are_only_ever_served_as_images(client, driver, declared, content):
    response = await _upload(client, driver, {"data": ("evil.html", content, declared)})
    assert response.status_code == 201, response.text
    upload = response.json()
    assert upload["content_type"] == declared
    served = await client.get(upload["url"], headers=driver)
    assert served.status_code == 200 and served.content == content
    _assert_inert(served, declared, upload["id"])


async def test_size_limits(client, driver):
    exactly = PNG + b"\x00" * (LIMIT - len(PNG))
    assert (await _upload(client, driver, {"data": ("a.png", exactly, "image/png")})).status_code == 201
    over = await _upload(client, driver, {"data": ("a.png", exactly + b"\x00", "image/png")})
    _error(over, 413, "too_large")
    assert over.json()["error"]["details"] == {"max_bytes": LIMIT}
    # Far over: Litestar stops reading at LIMIT + 64 KiB.
    huge = await _upload(client, driver, {"data": ("a.png", PNG + b"\x00" * (LIMIT + 70_000), "image/png")})
    _error(huge, 413)
    _error(await _upload(client, driver, {"data": ("empty.png", b"", "image/png")}), 400, "empty_file")


@asynccontextmanager
async def _streaming(settings) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A client that streams request bodies as the app reads them (the test client reads them whole
    first), on an app running in this test's event loop; and a driver's session."""
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            yield http, await login(http, DRIVER)


async def test_an_endless_chunked_body_is_cut_off_near_the_limit(settings):
    sent = 0

    async def endless():
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="data"; filename="a.png"\r\n'
        yield b"Content-Type: image/png\r\n\r\n" + PNG
        while sent < 50_000_000:  # 50 MB unless the server stops reading
            sent += 16_384
            yield b"\x00" * 16_384

    async with _streaming(settings) as (http, driver):
        response = await http.post(
            "/api/uploads", content=endless(), headers={**driver, "Content-Type": "multipart/form-data; boundary=b"}
        )
    _error(response, 413)
    assert sent < LIMIT + 65_536 + 2 * 16_384, f"the server read {sent} bytes"


async def test_a_huge_declared_length_is_refused_before_reading(settings):
    sent = 0

    async def short():
        nonlocal sent
        sent += 10
        yield b"--b\r\nxxxxx"

    async with _streaming(settings) as (http, driver):
        response = await http.post(
            "/api/uploads",
            content=short(),
            headers={**driver, "Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(10**12)},
        )
        _error(response, 413)
        assert sent == 0, "nothing of the body was read"
        bad_length = await http.post(
            "/api/uploads",
            content=short(),
            headers={**driver, "Content-Type": "multipart/form-data; boundary=b", "Content-Length": "lots"},
        )
        _error(bad_length, 400)


def _raw_request(port: int, head: bytes, body_chunks, timeout: float = 10.0) -> tuple[bytes, int]:
    """Send ``head`` then ``body_chunks`` until the server answers; returns (status line, bytes of body sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        for chunk in body_chunks:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            except ConnectionError:
                break
            if answer:
                break
            try:
                sock.sendall(chunk)
            except (BlockingIOError, ConnectionError):
                break
            sent += len(chunk)
        sock.settimeout(timeout)
        try:
            while b"\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except (TimeoutError, ConnectionError):
            pass
    return answer.split(b"\r\n", 1)[0], sent


def _session(base: str, email: str) -> str:
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/magic-link", json={"tenant": "demo", "email": email})
        link = http.get("/api/dev/outbox", params={"to": email}).json()["messages"][0]["link"]
        token = parse_qs(urlparse(link).query)["token"][0]
        return "Bearer " + http.post("/api/auth/session", json={"token": token}).json()["session_token"]


def test_a_real_server_answers_huge_and_endless_bodies_without_reading_them(database_url):
    """Over a socket to uvicorn: a Content-Length of a terabyte with a short body, and a chunked body
    that never ends. Both get 413 long before the client could have sent what it announced."""
    with running_server(database_url, HAULPORT_UPLOAD_MAX_BYTES=str(LIMIT)) as base:
        token = _session(base, DRIVER)
        port = int(base.rsplit(":", 1)[1])
        common = (
            f"POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
        )
        status, _ = _raw_request(port, (common + f"Content-Length: {10**12}\r\n\r\n").encode() + b"--b\r\n", [])
        assert status.startswith(b"HTTP/1.1 413"), status

        def endless():
            yield b"100\r\n" + b"\x00" * 256 + b"\r\n"
            for _ in range(100_000):  # 100 MB of chunks unless the server stops us
                yield b"4000\r\n" + b"\x00" * 16_384 + b"\r\n"

        status, sent = _raw_request(port, (common + "Transfer-Encoding: chunked\r\n\r\n").encode(), endless())
        assert status.startswith(b"HTTP/1.1 413"), status
        # The server answers once it has read about LIMIT + 64 KiB and then hangs up; what the client got
        # to send meanwhile sat in the kernel's socket buffers (a few MB on loopback), not in the server.
        assert sent < 20 * 1024 * 1024, f"the client got to send {sent} bytes"


@pytest.mark.parametrize(
    "files_or_body",
    [
        {"note": (None, "hello")},  # no file at all
        {"data": (None, "not a file, a text field")},
        {"photo": ("a.png", PNG, "image/png")},  # a file, but not in field "data"
        [("data", ("a.png", PNG, "image/png")), ("data", ("b.png", PNG, "image/png"))],  # two files in "data"
    ],
)
async def test_missing_or_several_file_parts_are_refused(client, driver, files_or_body):
    response = await _upload(client, driver, files_or_body)
    _error(response, 400)


PNG_PART = b'Content-Disposition: form-data; name="data"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n' + PNG


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data; boundary=right", b"--wrong\r\n" + PNG_PART + b"\r\n--wrong--\r\n"),  # wrong boundary
        ("multipart/form-data", b"--x\r\n\r\n" + PNG),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\n" + PNG_PART),  # never closed
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="data"\r\n\r\n'
            + b"\xff\xfe\x89PNG binary in a text field\r\n--x--\r\n",
        ),
        ("multipart/form-data; boundary=x", b"--x\r\nno headers at all" * 50),
        ("multipart/form-data; boundary=x", b""),
        ("multipart/form-data; boundary=" + "x" * 5000, b"--" + b"x" * 5000 + b"--\r\n"),
    ],
)
async def test_malformed_multipart_is_a_400(client, driver, content_type, body):
    response = await client.post("/api/uploads", headers={**driver, "Content-Type": content_type}, content=body)
    _error(response, 400)


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", b'{"data": "iVBORw0KGgo="}'),
        ("application/x-www-form-urlencoded", b"data=%89PNG"),
        ("image/png", PNG),  # the raw image, not in a form
        (None, PNG),
    ],
)
async def test_bodies_that_are_not_multipart_are_a_415(client, driver, content_type, body):
    headers = {**driver, **({"Content-Type": content_type} if content_type else {})}
    response = await client.post("/api/uploads", headers=headers, content=body)
    _error(response, 415, "not_multipart")


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/passwd",
        "C:\\boot.ini",
        "a.png\x00.html",
        "x" * 5000 + ".png",
        "<script>alert(1)</script>.png",
        "%2e%2e%2fetc%2fpasswd",
        "photo.png\r\nX-Injected: 1",
    ],
)
async def test_file_names_are_never_used(client, driver, filename):
    response = await _upload(client, driver, {"data": (filename, PNG, "image/png")})
    if response.status_code != 201:  # a name the multipart parser cannot take is a 400, never a 5xx
        _error(response, 400)
        return
    upload = response.json()
    uuid.UUID(upload["id"])
    served = await client.get(upload["url"], headers=driver)
    _assert_inert(served, "image/png", upload["id"])
    assert "passwd" not in response.text + str(served.headers) and "script" not in str(served.headers)


@pytest.mark.parametrize(
    "upload_id",
    [
        "../../etc/passwd",
        "a/b/c/d/e/f",
        "short",
        "x" * 65,
        "abc def ghi",
        "abcdefgh\n",
        "abcdefgh%00",
        "..%2f..%2fsecret",
    ],
)
async def test_client_made_ids_must_be_plain(client, driver, upload_id):
    response = await _upload(client, driver, {"data": ("a.png", PNG, "image/png")}, upload_id=upload_id)
    _error(response, 400, "validation_error")


async def test_an_id_is_one_upload_of_one_person(client, driver):
    upload_id = str(uuid.uuid4())
    first = await _upload(client, driver, {"data": ("a.png", PNG, "image/png")}, upload_id=upload_id)
    assert first.status_code == 201 and first.json()["id"] == upload_id
    retried = await _upload(client, driver, {"data": ("b.gif", GIF, "image/gif")}, upload_id=upload_id)
    assert retried.status_code == 201 and retried.json() == first.json(), "a retry is the same upload"
    office = await login(client, OFFICE)
    taken = await _upload(client, office, {"data": ("c.png", PNG + b"other", "image/png")}, upload_id=upload_id)
    _error(taken, 409, "id_taken")
    served = await client.get(f"/api/uploads/{upload_id}", headers=office)
    assert served.status_code == 200 and served.content == PNG, "nobody overwrites someone's upload"


async def test_who_may_upload_and_who_may_see_an_upload(client, driver):
    upload = (await _upload(client, driver, {"data": ("a.png", PNG, "image/png")})).json()

    anonymous = await _upload(client, {}, {"data": ("a.png", PNG, "image/png")})
    _error(anonymous, 401)
    _error(await client.get(upload["url"]), 401)

    office = await login(client, OFFICE)
    view = await client.post(f"/api/admin/accounts/{IDS('account:ava-reed')}/portal-view", headers=office)
    read_only = {"Authorization": f"Bearer {view.json()['session_token']}"}
    _error(await _upload(client, read_only, {"data": ("a.png", PNG, "image/png")}), 403, "read_only")

    # Another tenant's session: uploads into its own tenant, never sees ours, cannot take our ids.
    acme = await login(client, AVA, tenant="acme")
    _error(await client.get(upload["url"], headers=acme), 404, "not_found")
    _error(await _upload(client, acme, {"data": ("a.png", PNG, "image/png")}, upload_id=upload["id"]), 409, "id_taken")
    own = await _upload(client, acme, {"data": ("a.png", PNG, "image/png")})
    assert own.status_code == 201
    demo_office = await client.get(own.json()["url"], headers=office)
    _error(demo_office, 404, "not_found")

    # In the same tenant, a customer sees a driver's upload only once it is a photo of one of their jobs.
    ops = await login(client, OPS)
    _error(await client.get(upload["url"], headers=ops), 404, "not_found")
    assert (await client.get(upload["url"], headers=office)).status_code == 200  # staff see every upload
    photo = {
        "job_id": IDS("job:harbor-b-confirmed"),
        "photo_id": upload["id"],
        "stage": "before",
        "taken_at": "2026-01-05T09:00:00Z",
    }
    pushed = await push(client, driver, new_client_id(), (1, "job.add_photo", photo))
    assert pushed["results"][0]["status"] == "applied", pushed
    served = await client.get(upload["url"], headers=ops)
    assert served.status_code == 200 and served.content == PNG
    _assert_inert(served, "image/png", upload["id"])
    _error(await client.get(upload["url"], headers=await login(client, AVA)), 404, "not_found")  # not her job


async def test_cookie_sessions_cannot_be_made_to_upload_from_another_site(client):
    headers = await login(client, DRIVER)
    client.cookies.set("haulport_session", headers["Authorization"].removeprefix("Bearer "))
    forged = await client.post(
        "/api/uploads", files={"data": ("a.png", PNG, "image/png")}, headers={"Origin": "https://evil.example"}
    )
    _error(forged, 403, "csrf_failed")
    no_origin = await client.post("/api/uploads", files={"data": ("a.png", PNG, "image/png")})
    _error(no_origin, 403, "csrf_failed")
    client.cookies.clear()


@pytest.mark.parametrize(
    "path",
    [
        "/api/uploads/..%2f..%2fetc%2fpasswd",
        "/api/uploads/%00%00%00%00%00%00%00%00",
        "/api/uploads/" + "a" * 65,
        "/api/uploads/abc",
    ],
)
async def test_reading_odd_ids_is_a_4xx(client, driver, path):
    response = await client.get(path, headers=driver)
    assert response.status_code in (400, 404), response.text
    assert response.json()["error"]["code"] in ("validation_error", "not_found")
