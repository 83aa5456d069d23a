"""The unit-test guard really stops processes and network access."""

from __future__ import annotations

import socket
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
