"""The bounded probes: what each outcome of an HTTP request or a DNS question is called."""

from __future__ import annotations

import socket
import struct
from typing import Any, ClassVar, Optional

import pytest
import requests

from installer import net


class FakeUdp:
    """A UDP socket answering with the packets (or the failure) the test chooses.

    Each reply gets the query's id; ``stray`` first sends one with another id,
    which must be ignored.
    """

    replies: ClassVar[list[bytes]] = []
    failure: ClassVar[Optional[BaseException]] = None
    sent: ClassVar[list[tuple[Any, bytes]]] = []

    def __init__(self, family: int, kind: int) -> None:
        self.peer: Any = None
        self.ident = 0
        self.stray = True

    def __enter__(self) -> FakeUdp:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def settimeout(self, seconds: float) -> None:
        pass

    def connect(self, peer: Any) -> None:
        self.peer = peer

    def send(self, data: bytes) -> None:
        FakeUdp.sent.append((self.peer, data))
        self.ident = struct.unpack(">H", data[:2])[0]

    def recv(self, size: int) -> bytes:
        if FakeUdp.failure is not None:
            raise FakeUdp.failure
        packet = FakeUdp.replies[0]
        if self.stray:  # someone else's reply first
            self.stray = False
            return struct.pack(">H", (self.ident + 1) % 65536) + packet[2:]
        FakeUdp.replies.pop(0)
        return struct.pack(">H", self.ident) + packet[2:]


@pytest.fixture
def udp(monkeypatch: pytest.MonkeyPatch) -> type[FakeUdp]:
    FakeUdp.replies, FakeUdp.failure, FakeUdp.sent = [], None, []
    monkeypatch.setattr(net.socket, "socket", FakeUdp)
    return FakeUdp


def answer_packet(address: bytes) -> bytes:
    question = b"\x03app\x08ddog-gov\x03com\x00" + struct.pack(">HH", 1, 1)
    record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + address
    return struct.pack(">HHHHHH", 0, 0x8180, 1, 1, 0, 0) + question + record


def test_a_nameserver_that_answers(udp: type[FakeUdp]) -> None:
    udp.replies = [answer_packet(bytes([10, 0, 0, 7]))]
    answer = net.dns_query("10.0.0.53", 53, "app.ddog-gov.com", 1.0)
    assert (answer.rcode, answer.addresses, answer.problem, answer.resolves) == (
        "NOERROR",
        ["10.0.0.7"],
        "",
        True,
    )
    [(peer, _)] = udp.sent
    assert peer == ("10.0.0.53", 53)


@pytest.mark.parametrize(
    ("failure", "problem"),
    [
        (socket.timeout(), "no reply within 0.5 s"),
        (ConnectionRefusedError(), "nothing answers on that port (connection refused)"),
        (OSError(101, "Network is unreachable"), "Network is unreachable"),
    ],
)
def test_a_nameserver_that_does_not(
    udp: type[FakeUdp], failure: BaseException, problem: str
) -> None:
    udp.failure = failure
    answer = net.dns_query("fd00::53", 53, "app.ddog-gov.com", 0.5)
    assert (answer.problem, answer.resolves) == (problem, False)


class FakeResponse:
    status_code = 503
    reason = "Service Unavailable"

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("raised", "problem"),
    [
        (requests.exceptions.ConnectTimeout("x"), net.CONNECT_TIMEOUT),
        (requests.exceptions.ReadTimeout("x"), net.READ_TIMEOUT),
        (
            requests.exceptions.ConnectionError(
                "HTTPConnectionPool(host='localhost', port=9804): Max retries exceeded"
                " (Caused by NewConnectionError('[Errno 111] Connection refused'))"
            ),
            net.REFUSED,
        ),
        (
            requests.exceptions.ConnectionError(
                "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
            ),
            net.RESET,
        ),
        (
            requests.exceptions.ConnectionError(
                "('Connection aborted.', RemoteDisconnected('Remote end closed connection"
                " without response'))"
            ),
            net.EMPTY,
        ),
        (requests.exceptions.InvalidURL("bad"), net.OTHER),
    ],
)
def test_http_outcomes(monkeypatch: pytest.MonkeyPatch, raised: Exception, problem: str) -> None:
    def get(self: requests.Session, url: str, **kwargs: Any) -> Any:
        assert self.trust_env is False  # no proxy from the environment
        assert kwargs["allow_redirects"] is False
        raise raised

    monkeypatch.setattr(requests.Session, "get", get)
    answer = net.http_get("http://localhost:9804/", {}, 1.0, 2.0)
    assert (answer.status, answer.problem) == (None, problem)


def test_an_http_status(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def get(self: requests.Session, url: str, **kwargs: Any) -> FakeResponse:
        seen.update(kwargs, url=url)
        return FakeResponse()

    monkeypatch.setattr(requests.Session, "get", get)
    answer = net.http_get("http://localhost:9804/x", {"DD-API-KEY": "k"}, 1.0, 2.0)
    assert (answer.status, answer.problem, answer.detail) == (503, "", "Service Unavailable")
    assert seen["timeout"] == (1.0, 2.0) and seen["headers"] == {"DD-API-KEY": "k"}
