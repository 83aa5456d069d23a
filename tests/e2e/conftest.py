"""Fixtures of the end-to-end tests: booted systemd test hosts (see README.md)."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from .harness import Harness
from .host import TestHost
from .image import ensure_image
from .util import missing_prerequisites, skip_or_fail


@pytest.fixture(scope="session")
def e2e_harness() -> Iterator[Harness]:
    """The session's harness (image, keys, packages), or a skip (a failure in CI)."""
    missing = missing_prerequisites()
    if missing:
        skip_or_fail("; ".join(missing))
    harness = Harness(ensure_image())
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def make_host(e2e_harness: Harness) -> Iterator[Callable[..., TestHost]]:
    """A factory of booted hosts, shut down after the test (see ``Harness.make_host``)::

    host = make_host(family="rhel", agent_version="7.47.0", agent_installed=True,
                     proxy_repo=True, bad_signature=False)
    """
    hosts: List[TestHost] = []

    def factory(**kwargs: Any) -> TestHost:
        host = e2e_harness.make_host(**kwargs)
        hosts.append(host)
        return host

    try:
        yield factory
    finally:
        for host in reversed(hosts):
            host.shutdown()
