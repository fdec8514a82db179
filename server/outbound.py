"""The one guard for every request the server makes to a URL someone else gave it (Web Push, webhooks).

A URL stored by a customer could name this server's own loopback, the private network it sits in,
or a cloud metadata service (blind SSRF). ``check_public_url`` resolves the host the way the socket
would (so ``127.1``, ``0x7f000001``, ``2130706433``, ``::ffff:127.0.0.1`` and names that resolve to
loopback are all seen for what they are) and refuses unless every address it resolves to is on the
public internet. ``outbound_client`` is an ``httpx.AsyncClient`` whose transport runs that check for
every request, then connects to the address it checked, not to a second resolution of the name (no
DNS rebinding); TLS still verifies the certificate against the name (SNI).

Outside dev mode only ``https`` URLs are accepted. Dev mode also accepts ``http`` and loopback
addresses (a laptop install with a local push service). ``outbound_allow`` (hosts or CIDRs) exempts
addresses from the public-address rule, e.g. a loopback receiver in tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.db.engine import forbid_in_write_transaction

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Cloud metadata services not already covered by the link-local / private ranges.
_METADATA = (ipaddress.ip_network("100.100.100.200/32"), ipaddress.ip_network("fd00:ec2::254/128"))


class OutboundRefused(Exception):
    """The server will not connect to this URL; ``reason`` says why (for logs and 4xx messages)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Unresolvable(OutboundRefused):
    """The host name does not resolve (now): nothing to connect to."""


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal(address: IPAddress, *, dev_mode: bool = False) -> str | None:
    """Why the server must not connect to ``address``, or None when it is a public internet address."""
    inner = _embedded_ipv4(address)
    if dev_mode and inner.is_loopback:
        return None
    if any(inner in net for net in _METADATA):
        return "a cloud metadata address"
    for label, flag in (
        ("a loopback", inner.is_loopback),
        ("a link-local", inner.is_link_local),
        ("a multicast", inner.is_multicast),
        ("an unspecified", inner.is_unspecified),
        ("a reserved", inner.is_reserved),
        ("a private", inner.is_private),
    ):
        if flag:
            return f"{label} address"
    if not inner.is_global:
        return "not a public internet address"
    return None


def _allowed(host: str, addresses: Sequence[IPAddress], allow: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if host == entry.rstrip("."):
                return True
            continue
        if addresses and all(_embedded_ipv4(a) in network or a in network for a in addresses):
            return True
    return False


def check_allow_list(allow: Sequence[str]) -> None:
    """``ValueError`` naming the first entry that is neither a host name nor an address/CIDR."""
    for entry in allow:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            name = entry.strip().rstrip(".")
            if not name or len(name) > 253 or any(not (c.isalnum() or c in "-.") for c in name):
                raise ValueError(f"{entry!r} is neither a host name nor an address or CIDR") from None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve ({exc})") from None
    out: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in out:
            out.append(address)
    if not out:
        raise Unresolvable(f"{host} does not resolve")
    return out


async def check_public_url(url: str, *, dev_mode: bool, allow: Sequence[str]) -> str:
    """The address to connect to for ``url``: its host resolved, every address checked; ``OutboundRefused``
    for a scheme other than https (http too in dev mode), credentials in the URL, or a host that is (or
    resolves to any) loopback, private, link-local, multicast, reserved or metadata address."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise OutboundRefused("not a valid URL") from None
    # http stays possible for a receiver the operator allowed by name (an on-premise one, a test's)
    schemes = ("https", "http") if dev_mode or (host and _host_listed(host, allow)) else ("https",)
    if parts.scheme not in schemes:
        raise OutboundRefused(f"only {' or '.join(schemes)} URLs are allowed")
    if not host:
        raise OutboundRefused("the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("the URL must not carry a user or password")
    if host == "localhost" or host.endswith(".localhost"):
        addresses = [ipaddress.ip_address("127.0.0.1")]
    else:
        addresses = await _resolve(host, port or (443 if parts.scheme == "https" else 80))
    if _allowed(host, addresses, allow):
        return str(addresses[0])
    for address in addresses:
        reason = refusal(address, dev_mode=dev_mode)
        if reason:
            raise OutboundRefused(
                f"{host} is {reason}" if str(address) == host else f"{host} resolves to {reason} ({address})"
            )
    return str(addresses[0])


def _host_listed(host: str, allow: Sequence[str]) -> bool:
    """Whether ``host`` itself (a name or an address) is in the allow-list."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower() in {a.lower() for a in allow}
    for entry in allow:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


class CheckedTransport(httpx.AsyncBaseTransport):
    """Checks each request's URL and connects to the checked address (keeping Host and TLS name)."""

    def __init__(self, *, dev_mode: bool, allow: Sequence[str], **transport_kwargs: Any):
        self.dev_mode = dev_mode
        self.allow = tuple(allow)
        self.inner = httpx.AsyncHTTPTransport(**transport_kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        forbid_in_write_transaction("an outbound HTTP request")
        address = await check_public_url(str(request.url), dev_mode=self.dev_mode, allow=self.allow)
        host = request.url.host
        if address != host:
            request.extensions = {**request.extensions, "sni_hostname": host}
            request.url = request.url.copy_with(host=address)
            # httpx set Host from the name already; keep it (the receiver routes on it)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def outbound_client(settings: Any, **httpx_kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that only ever connects to checked public addresses (see module doc).
    Redirects are not followed unless asked; each one followed is checked again by the transport."""
    transport = CheckedTransport(dev_mode=settings.dev_mode, allow=settings.outbound_allow)
    httpx_kwargs.setdefault("follow_redirects", False)
    httpx_kwargs.setdefault("trust_env", False)  # a proxy would resolve the name itself
    return httpx.AsyncClient(transport=transport, **httpx_kwargs)
