"""The rule for where a webhook may go (recall.outbound), over every spelling of a host."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall.errors import InvalidInput
from recall.masterdata import check_webhook_url
from recall.outbound import Destinations, embedded_ipv4, inet_aton, is_public, literal_addresses

PUBLIC_ONLY = Destinations()

NOT_PUBLIC_HOSTS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "0x7f.1",
    "0x7f.0.0.1",
    "0X7F.0.0.1",
    "0177.0.0.1",
    "0177.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::]",
    "0.0.0.0",
    "0",
    "localhost",
    "localhost.",
    "LOCALHOST",
    "api.localhost",
    "169.254.169.254",
    "[fe80::1%25eth0]",
    "[fe80::1]",
    "10.0.0.1",
    "012.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "[ff02::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fec0::1]",
    "[2001:db8::1]",
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[2002:a00:1::]",  # 6to4 of 10.0.0.1
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[::ffff:169.254.169.254]",
    "[::ffff:100.64.0.1]",
]

PUBLIC_HOSTS = [
    "8.8.8.8",
    "0x8.0x8.0x8.0x8",
    "134744072",  # 8.8.8.8 as one number
    "93.184.216.34",
    "[2606:4700:4700::1111]",
    "[::ffff:8.8.8.8]",
    "[64:ff9b::808:808]",  # NAT64 of a public address
    "[2002:808:808::1]",  # 6to4 of a public address
]


@pytest.mark.parametrize("host", NOT_PUBLIC_HOSTS)
def test_every_spelling_of_a_non_public_address_is_refused(host):
    addresses = literal_addresses(host)
    assert addresses, host
    assert not all(PUBLIC_ONLY.allows(address) for address in addresses)


@pytest.mark.parametrize("host", PUBLIC_HOSTS)
def test_public_addresses_are_allowed(host):
    addresses = literal_addresses(host)
    assert addresses
    assert all(PUBLIC_ONLY.allows(address) for address in addresses)


@pytest.mark.parametrize("host", ["example.com", "hooks.apotek.co.id", "1.2.3.256", "0x.1"])
def test_names_are_left_to_the_resolver(host):
    assert literal_addresses(host) is None


def test_an_allowed_network_admits_its_addresses_in_any_spelling():
    local = Destinations.of(["127.0.0.0/8", "10.20.0.0/16"])
    for host in ("127.1", "0x7f.0.0.1", "[::ffff:127.0.0.1]", "10.20.3.4", "012.20.3.4"):
        assert all(local.allows(a) for a in literal_addresses(host) or ()), host
    for host in ("10.21.0.1", "169.254.169.254", "[::1]", "192.168.0.1"):
        assert not all(local.allows(a) for a in literal_addresses(host) or ()), host


def test_the_settings_networks_are_read_as_networks():
    assert Destinations.of(["10.0.0.1/8"]).networks == (ipaddress.ip_network("10.0.0.0/8"),)


# The resolver's reading of numbers-and-dots hosts --------------------------------------


def spelled(number: int, parts: int, bases: list[str]) -> str:
    """An IPv4 address as inet_aton reads it, in `parts` parts written in the given bases."""
    octets = number.to_bytes(4, "big")
    values = [*octets[: parts - 1], int.from_bytes(octets[parts - 1 :], "big")]
    return ".".join(
        hex(value) if base == "x" else ("0" + oct(value)[2:]) if base == "o" else str(value)
        for value, base in zip(values, bases, strict=False)
    )


NOT_PUBLIC_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8")
]


@given(
    network=st.sampled_from(NOT_PUBLIC_NETWORKS),
    offset=st.integers(min_value=0),
    parts=st.integers(min_value=1, max_value=4),
    bases=st.lists(st.sampled_from("dxo"), min_size=4, max_size=4),
)
def test_non_public_addresses_are_refused_however_they_are_written(network, offset, parts, bases):
    address = network[offset % network.num_addresses]
    host = spelled(int(address), parts, bases)
    assert socket.inet_aton(host) == address.packed  # the resolver reads it so
    assert literal_addresses(host) == (address,)
    assert not PUBLIC_ONLY.allows(address)
    assert not PUBLIC_ONLY.allows(ipaddress.IPv6Address(f"::ffff:{address}"))


@given(st.text(alphabet="0123456789abcdefxX.", max_size=24))
def test_inet_aton_reads_numbers_and_dots_as_the_c_library_does(text):
    try:
        expected = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    assert inet_aton(text) == expected


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_an_ipv6_address_is_no_more_public_than_the_ipv4_address_it_carries(number):
    v4 = ipaddress.IPv4Address(number)
    carriers = [
        ipaddress.IPv6Address(f"::ffff:{v4}"),
        ipaddress.IPv6Address((0x2002 << 112) | (number << 80)),  # 6to4
        ipaddress.IPv6Address((0x64FF9B << 96) | number),  # NAT64
    ]
    for carrier in carriers:
        if not is_public(v4):
            assert not is_public(carrier), carrier
        assert v4 in embedded_ipv4(carrier) or carrier.ipv4_mapped == v4


@pytest.mark.parametrize(
    "url", ["http://%31%32%37.0.0.1/", "http://127.0.0.1\\@hooks.example/", "http://a%2eb.example/"]
)
def test_hosts_that_url_parsers_read_differently_are_refused(url):
    # The worker's URL parser (httpx) and the entry check's must agree on the host.
    with pytest.raises(InvalidInput) as refused:
        check_webhook_url(url)
    assert refused.value.field == "webhook_url"
