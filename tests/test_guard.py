"""The unit-test guard really stops processes and network access."""

from __future__ import annotations

import socket
import ssl
import subprocess

import pytest


def test_a_subprocess_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="unexpected subprocess"):
        subprocess.run(["true"], check=False)


def test_a_connection_fails_the_test() -> None:
    with socket.socket() as sock, pytest.raises(AssertionError, match="unexpected network"):
        sock.connect(("127.0.0.1", 9))


def test_a_dns_lookup_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="unexpected DNS lookup"):
        socket.getaddrinfo("example.invalid", 443)


def test_tls_fails_the_test() -> None:
    context = ssl.create_default_context()
    with socket.socket() as sock, pytest.raises(AssertionError, match="unexpected TLS"):
        context.wrap_socket(sock, server_hostname="localhost")


@pytest.mark.loopback
def test_the_loopback_marker_allows_loopback_alone() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.socket() as sock:
            sock.connect(listener.getsockname())  # allowed
    for address in (("10.0.0.1", 80), ("192.0.2.1", 443)):
        with socket.socket() as sock, pytest.raises(AssertionError, match="unexpected network"):
            sock.connect(address)
    with pytest.raises(AssertionError, match="unexpected DNS lookup"):
        socket.getaddrinfo("example.invalid", 443)
