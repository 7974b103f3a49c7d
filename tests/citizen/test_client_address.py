"""Which address the per-client limit counts: X-Forwarded-For is believed from trusted proxies only, and
then only the hop the proxies themselves appended (the client can write anything left of it)."""

from __future__ import annotations

import ipaddress

import pytest
from starlette.requests import Request

from api.clients import client_address

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 1234)})


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("203.0.113.9", ("198.51.100.1",), PROXIES, "203.0.113.9"),  # not a proxy: the header is ignored
    ("127.0.0.1", ("198.51.100.1",), [], "127.0.0.1"),  # none trusted by default, not even localhost
    ("10.0.0.2", ("198.51.100.1",), PROXIES, "198.51.100.1"),
    ("10.0.0.2", ("6.6.6.6, 198.51.100.1, 10.0.0.7",), PROXIES, "198.51.100.1"),  # the left part is the client's
    ("10.0.0.2", ("6.6.6.6", "198.51.100.1"), PROXIES, "198.51.100.1"),  # several headers: one list
    ("10.0.0.2", ("10.0.0.8, 10.0.0.9",), PROXIES, "10.0.0.2"),  # only proxies: the peer
    ("10.0.0.2", (), PROXIES, "10.0.0.2"),
    ("fd00::1", ("2001:db8::5",), PROXIES, "2001:db8::/64"),  # IPv6: the subscriber's /64 is one client
    ("2001:db8:0:1::a", (), [], "2001:db8:0:1::/64"),
    ("2001:db8:0:1:ffff::b", (), [], "2001:db8:0:1::/64"),  # another address of the same /64: the same client
    ("::ffff:198.51.100.7", (), [], "198.51.100.7"),  # an IPv4 client on a dual-stack socket
    ("testclient", (), [], "testclient"),  # not an address (test clients): as it is
])
def test_client_address(peer: str, forwarded: tuple[str, ...], trusted: list, client: str) -> None:  # type: ignore[type-arg]
    assert client_address(request(peer, *forwarded), trusted_proxies=trusted) == client
