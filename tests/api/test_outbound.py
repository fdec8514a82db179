"""The outbound guard: the server never connects to its own loopback, a private network or a metadata
service because a URL someone stored says so (blind SSRF through Web Push, later webhooks)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from server import outbound
from server.outbound import OutboundRefused, check_public_url, outbound_client
from server.settings import SettingsError, load_settings
from tests.api.test_web_push import Browser, subscriptions
from tests.support.portal import AVA, direct_session


def _loopback_name() -> str | None:
    """A name other than localhost that /etc/hosts maps to a loopback address."""
    for line in Path("/etc/hosts").read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            if not ipaddress.ip_address(fields[0]).is_loopback:
                continue
        except ValueError:
            continue
        for name in fields[1:]:
            if name != "localhost" and not name.endswith(".localhost"):
                return name
    return None


LOOPBACK_NAME = _loopback_name()
ATTACKS = [
    "https://127.0.0.1/x",
    "https://127.1/x",
    "https://0x7f000001/x",
    "https://2130706433/x",
    "https://0177.0.0.1/x",
    "https://0/x",
    "https://0.0.0.0/x",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:7f00:1]/x",
    "https://[::]/x",
    "https://[64:ff9b::7f00:1]/x",
    "https://[2002:7f00:1::]/x",
    "https://10.1.2.3/x",
    "https://172.16.0.1/x",
    "https://192.168.1.1/x",
    "https://100.64.0.1/x",
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://169.254.169.254/latest/meta-data",
    "https://[::ffff:169.254.169.254]/x",
    "https://100.100.100.200/x",
    "https://[fd00:ec2::254]/x",
    "https://metadata.google.internal/x",
    "https://224.0.0.1/x",
    "https://255.255.255.255/x",
    "http://8.8.8.8/x",
    "ftp://8.8.8.8/x",
    "https://user:pw@8.8.8.8/x",
]
if LOOPBACK_NAME:
    ATTACKS.append(f"https://{LOOPBACK_NAME}/x")


@pytest.mark.parametrize("url", ATTACKS)
async def test_every_form_of_an_inside_address_is_refused(url):
    with pytest.raises(OutboundRefused) as refused:
        await check_public_url(url, dev_mode=False, allow=[])
    assert refused.value.reason


def test_a_name_resolving_to_loopback_is_among_the_attacks():
    assert LOOPBACK_NAME, "no name in /etc/hosts maps to loopback: the rebinding form is untested"


async def test_public_addresses_pass_and_are_returned():
    assert await check_public_url("https://8.8.8.8/x", dev_mode=False, allow=[]) == "8.8.8.8"
    assert (
        await check_public_url("https://[2606:4700:4700::1111]/x", dev_mode=False, allow=[]) == "2606:4700:4700::1111"
    )


async def test_the_allow_list_exempts_hosts_and_networks_and_dev_mode_takes_http_loopback():
    assert await check_public_url("https://127.0.0.1:9/x", dev_mode=False, allow=["127.0.0.0/8"]) == "127.0.0.1"
    assert await check_public_url("https://localhost/x", dev_mode=False, allow=["localhost"]) == "127.0.0.1"
    assert await check_public_url("http://127.0.0.1/x", dev_mode=True, allow=[]) == "127.0.0.1"
    with pytest.raises(OutboundRefused):  # dev mode: loopback yes, the private network and metadata no
        await check_public_url("http://169.254.169.254/x", dev_mode=True, allow=[])
    with pytest.raises(OutboundRefused):
        await check_public_url("http://10.0.0.1/x", dev_mode=True, allow=[])
    with pytest.raises(OutboundRefused):  # the exemption is for the listed network only
        await check_public_url("https://10.0.0.1/x", dev_mode=False, allow=["127.0.0.0/8"])


def test_a_malformed_allow_entry_stops_the_start():
    settings = load_settings(path="missing.toml", env={"HAULPORT_OUTBOUND_ALLOW": "127.0.0.1, push.test"})
    assert settings.outbound_allow == ["127.0.0.1", "push.test"]
    from server.settings import check_for_serving

    with pytest.raises(SettingsError, match="outbound_allow"):
        check_for_serving(load_settings(path="missing.toml", env={}, dev_mode=True, outbound_allow=["not a host!"]))


class Receiver:
    """A loopback HTTP server recording each request's Host header."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.hosts.append(self.headers.get("Host", ""))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


async def test_the_client_connects_to_the_address_it_checked_not_a_second_lookup(receiver, monkeypatch):
    """DNS rebinding: the name resolves to an allowed address once, then elsewhere; only one lookup counts."""
    loop = asyncio.get_running_loop()
    answers = ["127.0.0.1", "10.9.9.9"]
    lookups: list[str] = []

    async def rebinding(host, port, **kwargs):
        lookups.append(host)
        address = answers[min(len(lookups) - 1, 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)

    class Settings:
        dev_mode = True
        outbound_allow = ["127.0.0.1"]

    async with outbound_client(Settings()) as http:
        response = await http.post(f"http://rebind.test:{receiver.port}/a", content=b"x")
        assert response.status_code == 201
        assert receiver.hosts == [f"rebind.test:{receiver.port}"]  # the name kept in Host, the checked IP dialled
        with pytest.raises(OutboundRefused):  # the second lookup answers a private address: refused, not sent
            await http.post(f"http://rebind.test:{receiver.port}/b", content=b"x")
    assert receiver.hosts == [f"rebind.test:{receiver.port}"]
    assert lookups == ["rebind.test", "rebind.test"]


@pytest.fixture
def settings_overrides():
    return {"dev_mode": False}


@pytest.mark.parametrize("url", ATTACKS)
async def test_a_subscription_to_an_inside_address_is_refused_in_production(client, settings, url):
    body = Browser().subscription(url)
    response = await client.post("/api/push/subscriptions", headers=await direct_session(settings, AVA), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_subscription"
    assert await subscriptions(client) == []


async def test_a_stored_inside_subscription_is_never_contacted_at_send_time(client, settings, receiver, monkeypatch):
    """Rows written before the guard existed (or a name that resolves inside later) are checked again."""
    monkeypatch.setattr(outbound, "_resolve", _fixed_resolver("127.0.0.1"))
    pusher = client.app.state.webpush
    browser = Browser()
    status, reason = await pusher._post(
        {
            "endpoint": f"https://push.rebound.test:{receiver.port}/x",
            "keys": {"p256dh": browser.p256dh, "auth": "A" * 22},
        },
        "{}",
    )
    assert status == 403 and "outbound guard" in reason
    assert receiver.hosts == []


def _fixed_resolver(address: str):
    async def resolve(host: str, port: int):
        return [ipaddress.ip_address(address)]

    return resolve
