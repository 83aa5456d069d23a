"""The smallest DNS message fips-setup needs: one question, and the addresses answered.

Enough of RFC 1035 to ask a nameserver for a name's A records over UDP and
read the reply (name compression included), with no dependency.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

TYPE_A = 1
_CLASS_IN = 1
_RECURSION_DESIRED = 0x0100
_RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class DnsFormatError(ValueError):
    """A reply that is not a DNS answer to our question."""


class Reply(NamedTuple):
    """What a nameserver answered: its status and the IPv4 addresses."""

    rcode: str  # "NOERROR", "NXDOMAIN", "SERVFAIL"...
    addresses: list[str]


def query(name: str, ident: int) -> bytes:
    """A recursive query for the A records of ``name``, with id ``ident``."""
    header = struct.pack(">HHHHHH", ident, _RECURSION_DESIRED, 1, 0, 0, 0)
    labels = b""
    for label in name.rstrip(".").split("."):
        encoded = label.encode("idna")
        if not 0 < len(encoded) < 64:
            raise ValueError(f"{name!r} is not a host name")
        labels += bytes([len(encoded)]) + encoded
    return header + labels + b"\0" + struct.pack(">HH", TYPE_A, _CLASS_IN)


def read_reply(packet: bytes, ident: int) -> Reply:
    """The status and A-record addresses of ``packet``. Raises DnsFormatError."""
    if len(packet) < 12:
        raise DnsFormatError("a reply shorter than a DNS header")
    got, flags, questions, answers, _, _ = struct.unpack(">HHHHHH", packet[:12])
    if got != ident or not flags & 0x8000:
        raise DnsFormatError("not a reply to this query")
    offset = 12
    for _ in range(questions):
        offset = _skip_name(packet, offset) + 4
    addresses = []
    for _ in range(answers):
        offset = _skip_name(packet, offset)
        if offset + 10 > len(packet):
            raise DnsFormatError("a truncated answer")
        rtype, rclass, _, length = struct.unpack(">HHIH", packet[offset : offset + 10])
        offset += 10
        data = packet[offset : offset + length]
        offset += length
        if rtype == TYPE_A and rclass == _CLASS_IN and len(data) == 4:
            addresses.append(".".join(str(b) for b in data))
    return Reply(_RCODES.get(flags & 0x000F, f"RCODE{flags & 0x000F}"), addresses)


def _skip_name(packet: bytes, offset: int) -> int:
    """The offset after the (possibly compressed) name at ``offset``."""
    while True:
        if offset >= len(packet):
            raise DnsFormatError("a truncated name")
        length = packet[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:  # a pointer ends the name
            return offset + 2
        offset += 1 + length
