"""``fips-setup --version``: the release an operator quotes when reporting a problem."""

from __future__ import annotations

from importlib import metadata

import pytest

from installer import __version__
from tests.installer.cli.helpers import run


def test_version_prints_the_release_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--version")
    assert (status, out, err) == (0, f"fips-setup {__version__}\n", "")


def test_the_package_metadata_carries_the_same_version() -> None:
    # pyproject.toml reads the version from installer.__version__.
    assert metadata.version("fips-setup") == __version__
