"""Bounded network probes: one HTTP request, one DNS question.

Both always return (never raise) a typed answer saying what happened, with
the time it took, so that checks can tell a refused connection from one a
firewall drops, a reset, an empty reply or an HTTP error status. Neither
uses a proxy from the environment: the Agent ignores ``HTTP(S)_PROXY`` in
FIPS mode, so its path to the FIPS proxy is tested as it is.

The HTTP request is the only one fips-setup makes, and this module is the
only one that imports an HTTP library (tests/release/test_network_doors.py).
It goes to the FIPS proxy's port as the Agent does: plain HTTP on a loopback
address, nothing else (any other URL is refused before a connection is
made); no proxy, no redirect, and the answer's body is never read. That is
why the advisories of the requests and urllib3 versions the zipapp carries
for Python 3.9 (TLS, proxies, redirects, decoding bodies) cannot be reached
(docs/security.md, "Bundled packages").
"""

from __future__ import annotations

import random
import re
import socket
import time
from typing import Mapping, NamedTuple, Optional

from fipsconf.dnswire import DnsFormatError, query, read_reply

#: ``problem`` of an HttpAnswer: "" when an HTTP status came back.
REFUSED, CONNECT_TIMEOUT, READ_TIMEOUT, RESET, EMPTY, OTHER = (
    "refused",
    "connect-timeout",
    "read-timeout",
    "reset",
    "empty",
    "error",
)


class HttpAnswer(NamedTuple):
    """The outcome of one HTTP request."""

    status: Optional[int]
    problem: str  # "" or one of REFUSED, CONNECT_TIMEOUT, READ_TIMEOUT, RESET, EMPTY, OTHER
    detail: str
    seconds: float


#: ``http://HOST:PORT/PATH``, nothing more (no user, no query, no fragment).
_PLAIN_HTTP_URL = re.compile(
    r"http://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.]+):([0-9]{1,5})(/[A-Za-z0-9/._~-]*)?"
)


def loopback_http_problem(url: str) -> str:
    """Why fips-setup must not request ``url`` ("" when it may: ``http://`` on loopback).

    Loopback is ``localhost``, 127.0.0.0/8 and ``[::1]``, as for the Agent's
    ``fips.local_address``.
    """
    match = _PLAIN_HTTP_URL.fullmatch(url)
    if match is None:
        return f"{url!r} is not a plain http://HOST:PORT/PATH URL"
    host = match.group(1)
    if host.lower() != "localhost":
        import ipaddress  # only for an address given as digits

        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return f"{host} in {url!r} is not a loopback address"
        if not address.is_loopback or (address.version == 6) != host.startswith("["):
            return f"{host} in {url!r} is not a loopback address"
    return ""


def http_get(
    url: str, headers: Mapping[str, str], connect_timeout: float, read_timeout: float
) -> HttpAnswer:
    """GET ``url`` once: only ``http://`` on loopback, no redirect, no proxy, body unread."""
    refused = loopback_http_problem(url)
    if refused:
        return HttpAnswer(None, OTHER, f"not requested: {refused} (only the local proxy is)", 0.0)
    import requests  # only the commands that probe pay for it

    start = time.monotonic()
    session = requests.Session()
    session.trust_env = False
    try:
        response = session.get(
            url,
            headers=dict(headers),
            timeout=(connect_timeout, read_timeout),
            allow_redirects=False,
            stream=True,  # the status is the answer: the body is never read nor decoded
        )
        response.close()
        return HttpAnswer(response.status_code, "", response.reason or "", _since(start))
    except requests.exceptions.ConnectTimeout:
        problem, detail = CONNECT_TIMEOUT, f"no connection within {connect_timeout:g} s"
    except requests.exceptions.ReadTimeout:
        problem, detail = READ_TIMEOUT, f"connected, but no answer within {read_timeout:g} s"
    except requests.exceptions.RequestException as exc:
        problem, detail = _classify(exc)
    finally:
        session.close()
    return HttpAnswer(None, problem, detail, _since(start))


def _classify(exc: Exception) -> tuple[str, str]:
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return REFUSED, "connection refused"
    if "reset by peer" in text or "Errno 104" in text:
        return RESET, "connection reset by peer"
    if "without response" in text or "RemoteDisconnected" in text:
        return EMPTY, "the connection closed without an answer (empty reply)"
    return OTHER, text.splitlines()[0][:200] if text else type(exc).__name__


class DnsAnswer(NamedTuple):
    """What one nameserver answered for one name."""

    rcode: str  # "NOERROR", "NXDOMAIN"..., or "" without a reply
    addresses: list[str]
    problem: str  # "" when a reply came; else why none did
    seconds: float

    @property
    def resolves(self) -> bool:
        """True when the nameserver gave at least one address."""
        return bool(self.addresses)


def dns_query(server: str, port: int, name: str, timeout: float) -> DnsAnswer:
    """Ask ``server``:``port`` over UDP for the A records of ``name``, waiting ``timeout``."""
    start = time.monotonic()
    ident = random.randrange(1 << 16)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.connect((server, port))  # a connected socket hears ICMP "port unreachable"
            sock.send(query(name, ident))
            deadline = start + timeout
            while True:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                packet = sock.recv(4096)
                try:
                    reply = read_reply(packet, ident)
                except DnsFormatError:
                    continue  # a stray packet: keep waiting for ours
                return DnsAnswer(reply.rcode, reply.addresses, "", _since(start))
    except socket.timeout:
        problem = f"no reply within {timeout:g} s"
    except ConnectionRefusedError:
        problem = "nothing answers on that port (connection refused)"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    except ValueError as exc:  # not a host name
        problem = str(exc)
    return DnsAnswer("", [], problem, _since(start))


def _since(start: float) -> float:
    return round(time.monotonic() - start, 3)


#: The most of a response's head :func:`abstract_socket_head` reads.
MAX_HEAD = 64 * 1024
#: The size of a Unix socket address's path (Linux's sun_path).
_SUN_PATH = 108


class PeerMismatch(OSError):
    """The abstract socket is held by a process of another user than the one expected."""


class NoAnswer(OSError):
    """Connected, but no answer came in the time given."""


def abstract_socket_head(name: str, host: str, timeout: float, peer_uid: int) -> bytes:
    """GET / over the abstract Unix socket ``name``; the response's head (status and headers).

    ``name`` as HAProxy's ``abns@name`` binds it: padded with NULs to the whole
    address length. The socket must be held by a process of ``peer_uid`` (a
    name in the abstract namespace is anyone's to take). Raises OSError (the
    connection), PeerMismatch, or NoAnswer.
    """
    try:
        return _abstract_socket_head(name, host, timeout, peer_uid)
    except socket.timeout:
        raise NoAnswer(f"no answer within {timeout:g} s") from None


def _abstract_socket_head(name: str, host: str, timeout: float, peer_uid: int) -> bytes:
    import struct

    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(b"\0" + name.encode().ljust(_SUN_PATH - 1, b"\0"))
        credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", credentials)
        if uid != peer_uid:
            raise PeerMismatch(f"the socket is held by uid {uid}, not {peer_uid}")
        request = (
            f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fips-setup-evidence\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(request.encode("ascii"))
        head = b""
        while b"\r\n\r\n" not in head and len(head) < MAX_HEAD:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        return head.split(b"\r\n\r\n", 1)[0]
