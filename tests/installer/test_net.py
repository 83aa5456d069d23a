"""The bounded probes: what each outcome of an HTTP request or a DNS question is called."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any, ClassVar, Iterator, Optional

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


# --- the one HTTP request: http:// on loopback, no redirect, no proxy, body unread ------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9804/",
        "http://LOCALHOST:9804/api/v1/validate",
        "http://127.0.0.1:9804/",
        "http://127.9.8.7:10001/",
        "http://[::1]:9804/",
        "http://localhost:9804",
    ],
)
def test_loopback_http_urls_may_be_requested(url: str) -> None:
    assert net.loopback_http_problem(url) == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost:9804/",  # TLS: never
        "HTTP://localhost:9804/",
        "http://10.0.0.5:9804/",
        "http://192.0.2.1:9804/",
        "http://intake.ddog-gov.com:9804/",
        "http://localhost@evil.example:9804/",  # userinfo
        "http://127.0.0.1.evil.example:9804/",
        "http://127.1:9804/",  # what getaddrinfo would widen
        "http://2130706433:9804/",
        "http://::1:9804/",  # IPv6 without brackets
        "http://[2001:db8::1]:9804/",
        "http://localhost:9804/?next=https://evil.example/",
        "http://localhost:9804/#x",
        "http://localhost/",  # no port: the proxy's ports are explicit
        "http://localhost:9804/\\@evil.example",
        " http://localhost:9804/",
    ],
)
def test_other_urls_are_refused_without_a_connection(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests, "Session", lambda: pytest.fail("a session was made"))
    assert net.loopback_http_problem(url)
    answer = net.http_get(url, {"DD-API-KEY": "k"}, 1.0, 1.0)
    assert (answer.status, answer.problem) == (None, net.OTHER)
    assert answer.detail.startswith("not requested: ")


class LoopbackServer:
    """A one-connection HTTP server on 127.0.0.1 that answers with ``reply``, then sends
    ``then`` over and over (at most ``limit`` bytes) until the client goes away."""

    def __init__(self, reply: bytes, then: bytes = b"", limit: int = 0) -> None:
        self.reply, self.then, self.limit = reply, then, limit
        self.requests: list[bytes] = []
        self.sent = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        deadline = time.monotonic() + 5
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                peer, _ = self.listener.accept()
                break
            except socket.timeout:
                continue
        else:
            return  # no client came
        with peer:
            peer.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = peer.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data)
            try:
                peer.sendall(self.reply)
                while self.then and self.sent < self.limit:
                    self.sent += peer.send(self.then)
            except OSError:  # the client closed: what the test is about
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def servers() -> Iterator[list[LoopbackServer]]:
    made: list[LoopbackServer] = []
    yield made
    for server in made:
        server.close()


@pytest.mark.loopback
def test_the_body_is_never_read_nor_decoded(servers: list[LoopbackServer]) -> None:
    # A chunked, deflate-encoded answer whose chunk-size line never ends: read, it
    # would be buffered whole (urllib3's GHSA-vxq7-64xx-v4gw, before 2.8.0).
    server = LoopbackServer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: deflate\r\n\r\n",
        then=b"f" * 65536,
        limit=256 << 20,
    )
    servers.append(server)
    start = time.monotonic()
    answer = net.http_get(f"http://127.0.0.1:{server.port}/", {}, 2.0, 2.0)
    assert (answer.status, answer.problem) == (200, "")
    assert time.monotonic() - start < 2
    server.thread.join(5)
    assert server.sent < server.limit  # the client went away long before


@pytest.mark.loopback
def test_a_redirect_is_not_followed(servers: list[LoopbackServer]) -> None:
    elsewhere = LoopbackServer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    server = LoopbackServer(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/\r\nContent-Length: 0\r\n\r\n"
        % elsewhere.port
    )
    servers.extend([elsewhere, server])
    answer = net.http_get(f"http://127.0.0.1:{server.port}/", {}, 2.0, 2.0)
    assert answer.status == 302
    assert len(server.requests) == 1 and elsewhere.requests == []


@pytest.mark.loopback
def test_no_proxy_from_the_environment_is_used(
    servers: list[LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = LoopbackServer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    server = LoopbackServer(b"HTTP/1.1 204 No Content\r\n\r\n")
    servers.extend([proxy, server])
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    answer = net.http_get(f"http://127.0.0.1:{server.port}/x", {"DD-API-KEY": "k"}, 2.0, 2.0)
    assert answer.status == 204
    assert proxy.requests == []
    [request] = server.requests
    assert request.startswith(b"GET /x HTTP/1.1\r\n") and b"DD-API-KEY: k\r\n" in request
