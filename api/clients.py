"""Who is calling: the client address the per-client limits count.

`X-Forwarded-For` is believed only from the configured reverse proxies (`MOTCUA_TRUSTED_PROXIES`, none by
default): anybody can write the header, so from any other peer it is ignored. Behind trusted proxies the
client is the right-most address that is not itself a trusted proxy (each proxy appends the address it
saw; what is left of it was written by the client and is not believed). The server runs uvicorn without
its own proxy-header handling (`motcua serve`), so the peer address seen here is the socket's."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import Request
from pydantic import IPvAnyNetwork

from workflows.core import ratelimit
from workflows.wiring import Wiring


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, proxies: Sequence[IPvAnyNetwork]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in proxies)


def client_address(request: Request, *, trusted_proxies: Sequence[IPvAnyNetwork]) -> str:
    """The client's address as far as it can be known (see the module's docstring), an IPv6 address as its
    /64 network: one subscriber holds a whole /64, and counting each of its addresses apart would give it
    2**64 clients."""
    return _as_client(_address(request, trusted_proxies=trusted_proxies))


def _address(request: Request, *, trusted_proxies: Sequence[IPvAnyNetwork]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, trusted_proxies):
            return hop
    return peer


def _as_client(address: str) -> str:
    parsed = _parse(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped) if isinstance(parsed, ipaddress.IPv6Address) else address


def client_of(request: Request, wiring: Wiring) -> str:
    """The caller's pseudonym: a keyed hash of its address (X-Forwarded-For believed from
    MOTCUA_TRUSTED_PROXIES only)."""
    host = client_address(request, trusted_proxies=wiring.settings.trusted_proxies)
    return ratelimit.client_key(secret=wiring.settings.crypto.hmac_key.get_secret_value(), client=host)
