"""Where webhooks may go: public internet addresses, and the networks an installation names.

The worker posts from inside the plant's network. A webhook URL whose host is, or resolves
to, a loopback, private, link-local, CGNAT, multicast, reserved or unspecified address
would let whoever enters it reach internal services (SSRF). Master data checks URLs with
this rule when they are entered; the worker checks every address it connects to with the
same rule (a name may resolve elsewhere by then). RECALL_WEBHOOK_ALLOWED_NETWORKS admits
networks that are not public (an intranet, a local test receiver).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from recall.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NOT_ALLOWED = "destination not allowed"
RESOLVE_TIMEOUT_SECONDS = 5.0

# Not public, though some Python versions count them global: CGNAT, IETF protocol
# assignments, the deprecated 6to4 relay anycast, IPv6 site-local.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(network)
    for network in ("100.64.0.0/10", "192.0.0.0/24", "192.88.99.0/24", "fec0::/10")
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix: IPv4 in the last 32 bits
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d
# One part of a numbers-and-dots address as inet_aton reads it: hex, octal or decimal.
_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
_LOOPBACK = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))
# Names that only mean something inside a network (RFC 6762, 8375, ICANN's .internal).
_INTERNAL_SUFFIXES = (".local", ".internal", ".lan", ".home.arpa")


class DestinationNotAllowed(Exception):
    """The worker refused to connect: the address is not public nor in an allowed network."""

    def __init__(self, host: str, address: str | None = None) -> None:
        super().__init__(f"{NOT_ALLOWED}: {host}" + (f" ({address})" if address else ""))
        self.host = host
        self.address = address


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return found


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet, including every IPv4 it embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(int(address))  # without a zone id
        if address.ipv4_mapped is not None:  # the socket reaches the IPv4 address
            return is_public(address.ipv4_mapped)
        if address in _NAT64:  # a DNS64 answer: the IPv4 address behind the translator
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
        if not all(map(is_public, embedded_ipv4(address))):
            return False
    if any(address in network for network in _NOT_PUBLIC):
        return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Destinations:
    """The rule: an address is allowed when it is public or in an allowed network."""

    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, networks: Iterable[str]) -> Destinations:
        return cls(tuple(ipaddress.ip_network(network, strict=False) for network in networks))

    def allows(self, address: IPAddress) -> bool:
        return self.admitted(address) or is_public(address)

    def admitted(self, address: IPAddress) -> bool:
        """In one of the installation's networks (an IPv4-mapped address as its IPv4)."""
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            plain = ipaddress.IPv6Address(int(address))  # without a zone id
            candidates = [plain] if plain.ipv4_mapped is None else [plain, plain.ipv4_mapped]
        return any(a in network for a in candidates for network in self.networks)


@lru_cache(maxsize=4)
def _destinations(networks: tuple[str, ...]) -> Destinations:
    return Destinations.of(networks)


def destinations() -> Destinations:
    """The rule with this process's RECALL_WEBHOOK_ALLOWED_NETWORKS."""
    return _destinations(get_settings().webhook_allowed_networks)


# Hosts as the resolver reads them ----------------------------------------------------------


def inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any numbers-and-dots spelling inet_aton(3) accepts, else None.

    `127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1` are all 127.0.0.1: the last part fills
    the bytes the earlier parts leave, each part decimal, octal (leading 0) or hex (0x).
    """
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART.fullmatch(part) for part in parts):
        return None
    values = [
        int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if p.startswith("0") else int(p)
        for p in parts
    ]
    *leading, last = values
    if any(value > 0xFF for value in leading) or last >= 1 << (8 * (5 - len(parts))):
        return None
    number = last
    for position, value in enumerate(leading):
        number |= value << (8 * (3 - position))
    return ipaddress.IPv4Address(number)


def bare_host(host: str) -> str:
    """A URL's host lower-cased, without brackets, one trailing dot or a %25 zone escape."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.replace("%25", "%")  # RFC 6874 writes the zone id's % as %25
    return host.removesuffix(".")


def literal_addresses(host: str) -> tuple[IPAddress, ...] | None:
    """The addresses a host means without asking DNS, or None when it is a name to resolve.

    IPv6 literals (with a zone id too), every inet_aton spelling of IPv4, and `localhost`
    with its subdomains (RFC 6761: always loopback).
    """
    host = bare_host(host)
    if ":" in host:
        try:
            return (ipaddress.IPv6Address(host),)
        except ValueError:
            return ()  # not an address nor a name: nothing may be reached through it
    address = inet_aton(host)
    if address is not None:
        return (address,)
    if host == "localhost" or host.endswith(".localhost"):
        return _LOOPBACK
    return None


def is_internal_name(host: str) -> bool:
    """A name that cannot be on the public internet (no dot, or an internal-only suffix)."""
    host = bare_host(host)
    return "." not in host or host.endswith(_INTERNAL_SUFFIXES)


async def resolve(host: str, port: int | None = None) -> list[IPAddress]:
    """Every address the system resolver gives for a name (off the event loop)."""
    loop = asyncio.get_running_loop()
    answers = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
    )
    addresses: list[IPAddress] = []
    for family, _, _, _, sockaddr in answers:
        if family in (socket.AF_INET, socket.AF_INET6):
            address = ipaddress.ip_address(str(sockaddr[0]))
            if address not in addresses:
                addresses.append(address)
    return addresses


def first_refused(
    addresses: Sequence[IPAddress], rule: Destinations | None = None
) -> IPAddress | None:
    """The first address the rule does not allow, if any."""
    rule = rule or destinations()
    return next((address for address in addresses if not rule.allows(address)), None)
