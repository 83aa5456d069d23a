"""Shared test setup: the guard against real processes and network, and fixture files."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

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
    monkeypatch.setattr(socket.socket, "connect", _refuse("network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("network connection"))
    monkeypatch.setattr(socket, "getaddrinfo", _refuse("DNS lookup"))
    yield
