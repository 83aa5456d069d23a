"""Shared test setup: the guard against real processes and network, and fixture files."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import stat
import subprocess
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
from pyfakefs import fake_os

from installer import asuser

REPO = Path(__file__).resolve().parent.parent
#: Set by .ci/run: a missing prerequisite fails instead of skipping.
IN_CI = os.environ.get("FIPS_SETUP_CI") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` locally; fail in CI, where every test must run."""
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}")
    pytest.skip(reason)


def shared_dir() -> Path:
    """The shared folder of vendor fixtures (``$FIPS_SETUP_SHARED``, else ``../shared``)."""
    return Path(os.environ.get("FIPS_SETUP_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared_fixture() -> Any:
    """A function returning the path of a file under ``shared/fixtures``, or skipping."""

    def find(relative: str) -> Path:
        path = shared_dir() / "fixtures" / relative
        if not path.is_file():
            # Vendor files live beside the checkout, not in it; without them
            # these cases skip (also in CI), as shared/fixtures/README.md asks.
            pytest.skip(f"{path} not found (set FIPS_SETUP_SHARED to the shared folder)")
        return path

    return find


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        shown = args[0] if args else kwargs
        raise AssertionError(f"unexpected {what} in a unit test: {shown!r}; use a fake")

    return refuse


@pytest.fixture(autouse=True)
def _no_real_processes_or_network(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Make any real subprocess, DNS lookup or connection fail the test.

    Unit tests use the fake command runner; only tests marked ``e2e`` or
    ``real_processes`` may start processes.
    """
    node = request.node
    if node.get_closest_marker("e2e") or node.get_closest_marker("real_processes"):
        yield
        return
    monkeypatch.setattr(subprocess, "Popen", _refuse("subprocess"))
    monkeypatch.setattr(os, "system", _refuse("os.system"))
    for name in ("posix_spawn", "posix_spawnp", "execv", "execve", "execvp", "fork"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _refuse(f"os.{name}"))
    if node.get_closest_marker("loopback"):
        _allow_loopback_only(monkeypatch)
    else:
        monkeypatch.setattr(socket.socket, "connect", _refuse("network connection"))
        monkeypatch.setattr(socket.socket, "connect_ex", _refuse("network connection"))
        monkeypatch.setattr(socket, "getaddrinfo", _refuse("DNS lookup"))
    # No TLS in a unit test, loopback or not: fips-setup itself never speaks it.
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", _refuse("TLS connection"))
    # Writing as a folder's owner forks; unit tests run both sides in-process.
    monkeypatch.setattr(asuser, "run_as", asuser.in_process)
    yield


def _allow_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections and look-ups for loopback addresses only (tests marked ``loopback``)."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def loopback(address: Any) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        try:
            return ipaddress.ip_address(host).is_loopback
        except (TypeError, ValueError):
            return host == "localhost"

    def connect(self: socket.socket, address: Any) -> None:
        if not loopback(address):
            raise AssertionError(f"unexpected network connection in a unit test: {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not loopback(address):
            raise AssertionError(f"unexpected network connection in a unit test: {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not loopback((host,)):
            raise AssertionError(f"unexpected DNS lookup in a unit test: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


_fake_open = fake_os.FakeOsModule.open


def _open_keeping_mode(
    self: fake_os.FakeOsModule,
    path: Any,
    flags: int,
    mode: Optional[int] = None,
    *,
    dir_fd: Optional[int] = None,
) -> int:
    """pyfakefs's os.open, without its chmod of a file that already exists.

    (The real call uses ``mode`` only for a file it creates; pyfakefs applies
    it on every open, which would change the modes the tests check.)
    """
    try:
        before: Optional[os.stat_result] = self.stat(path, dir_fd=dir_fd)
    except (OSError, TypeError):
        before = None
    fd = _fake_open(self, path, flags, mode, dir_fd=dir_fd)
    if before is not None and not stat.S_ISDIR(before.st_mode):
        self.filesystem.resolve(fd, allow_fd=True).st_mode = before.st_mode
    return fd


@pytest.fixture(autouse=True)
def _pyfakefs_open_keeps_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    """See :func:`_open_keeping_mode`."""
    monkeypatch.setattr(fake_os.FakeOsModule, "open", _open_keeping_mode)
