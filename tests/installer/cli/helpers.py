"""Running the command line in-process, and checking the JSON contract on the way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from installer.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``fips-setup ARGS``: exit status, stdout, stderr."""
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """``fips-setup ARGS --json``: stdout must be exactly one JSON object, stderr empty."""
    status, out, err = run(capsys, *args, "--json")
    document = json.loads(out)
    assert isinstance(document, dict)
    assert out.count("\n") == 1
    assert err == "", err
    return status, document
