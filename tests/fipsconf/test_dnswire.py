"""The DNS question fips-setup asks and the replies it reads (RFC 1035 wire format)."""

from __future__ import annotations

import struct

import pytest

from fipsconf.dnswire import DnsFormatError, query, read_reply

QUESTION = b"\x03app\x08ddog-gov\x03com\x00" + struct.pack(">HH", 1, 1)


def test_the_query() -> None:
    packet = query("app.ddog-gov.com.", 0x1234)
    assert packet == struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + QUESTION


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(ValueError):
        query("a..b", 1)


def reply(ident: int, flags: int, answers: list[bytes]) -> bytes:
    header = struct.pack(">HHHHHH", ident, flags, 1, len(answers), 0, 0)
    return header + QUESTION + b"".join(answers)


def a_record(address: bytes, name: bytes = b"\xc0\x0c", rtype: int = 1) -> bytes:
    return name + struct.pack(">HHIH", rtype, 1, 60, len(address)) + address


def test_addresses_with_compressed_names() -> None:
    cname = b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 60, 2) + b"\xc0\x0c"
    packet = reply(
        7, 0x8180, [cname, a_record(bytes([10, 1, 2, 3])), a_record(bytes([10, 1, 2, 4]))]
    )
    got = read_reply(packet, 7)
    assert (got.rcode, got.addresses) == ("NOERROR", ["10.1.2.3", "10.1.2.4"])


def test_nxdomain() -> None:
    got = read_reply(reply(7, 0x8183, []), 7)
    assert (got.rcode, got.addresses) == ("NXDOMAIN", [])


@pytest.mark.parametrize(
    "packet",
    [
        b"\x00\x07",  # shorter than a header
        reply(8, 0x8180, []),  # another query's id
        reply(7, 0x0100, []),  # a query, not a reply
        reply(7, 0x8180, [b"\xc0\x0c\x00\x01"]),  # a truncated answer
        struct.pack(">HHHHHH", 7, 0x8180, 1, 0, 0, 0) + b"\x03app",  # a truncated name
    ],
)
def test_what_is_not_our_answer(packet: bytes) -> None:
    with pytest.raises(DnsFormatError):
        read_reply(packet, 7)
