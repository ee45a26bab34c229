"""Who is asking: the client's address, seen through `settings.TRUSTED_PROXIES` proxies.

The login and API token limits count failures per client address. Behind proxies, REMOTE_ADDR
is the nearest proxy's for every visitor; each proxy appends the address it was reached from to
X-Forwarded-For, so with N trusted proxies the client is the N-th address from the right.
Whatever stands left of it was written by the client and is not believed.

An IPv6 client is counted by its /64 network: one subscriber usually has a whole /64, and could
otherwise take a fresh address for every guess.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPV6_CLIENT_PREFIX = 64


def client_address(request: HttpRequest) -> str | None:
    """The client's address as text (an IPv6 one as its /64's first address), or None when
    nothing valid is known (e.g. a Unix socket and no proxy header)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            # Fewer hops than proxies: the request skipped the outer ones, and the leftmost
            # address is the one a trusted proxy saw.
            found = _normalized(hops[-min(proxies, len(hops))])
            if found:
                return found
    return _normalized(remote)


def _normalized(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        network = ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network.network_address)
    return str(address)
