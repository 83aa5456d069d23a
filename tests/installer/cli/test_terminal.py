"""People's output on a terminal that is not UTF-8 (an ASCII or Latin-1 locale) never fails."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Iterator

import pytest

from installer.cli.main import main
from installer.cli.render import show_checks
from installer.doctor.model import Check, ChecksResult

ENCODINGS = ["ascii", "latin-1"]


@contextlib.contextmanager
def narrow_terminal(encoding: str) -> Iterator[io.BytesIO]:
    """stdout and stderr in ``encoding``, as PYTHONIOENCODING or the locale set them."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding, write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = stream
    try:
        yield raw
    finally:
        sys.stdout, sys.stderr = saved
        stream.detach()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_dry_run_with_text_the_terminal_cannot_show(encoding: str, tmp_path: Path) -> None:
    config = tmp_path / "datadog.yaml"
    config.write_text("# café ☕ → ✓\napi_key: x\nsite: ddog-gov.com\n", encoding="utf-8")
    with narrow_terminal(encoding) as raw:
        assert main(["configure", "--config", str(config), "--dry-run"]) == 0
    out = raw.getvalue().decode("latin-1")
    assert "internal error" not in out
    assert "  o set fips.enabled: true, fips.https: false in" in out  # ○, planned
    assert "\n* " + str(config) in out  # •, the outcome


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_checks_with_their_fixes(encoding: str) -> None:
    checks = [Check("proxy-ports", "fail", "9804 held by pid 42 (nc -l 9804 ☕)", "stop pid 42")]
    with narrow_terminal(encoding) as raw:
        show_checks(ChecksResult(checks, "1 check(s) failed: proxy-ports"), as_json=False)
    out = raw.getvalue().decode("latin-1")
    assert "-> stop pid 42" in out
    assert "x 1 check(s) failed: proxy-ports" in out


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_json_escapes_what_the_terminal_cannot_carry(encoding: str, tmp_path: Path) -> None:
    config = tmp_path / "café ☕.yaml"
    config.write_text("api_key: x\n", encoding="utf-8")
    with narrow_terminal(encoding) as raw:
        assert main(["configure", "--config", str(config), "--dry-run", "--json"]) == 0
    out = raw.getvalue()
    out.decode("ascii")  # escaped, whatever the locale
    assert json.loads(out)["path"] == str(config)
