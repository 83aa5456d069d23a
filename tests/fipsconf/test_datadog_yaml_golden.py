"""Golden files: each case's input edited as its request says must give its
expected bytes exactly (or its expected one-line error), and editing the
result again must change nothing.

Each folder under ``golden/`` holds ``input.yaml``, ``request.json`` (the
FipsRequest fields), and ``expected.yaml`` or ``expected-error.txt``; an
``expected-advice.txt`` lists the warnings when there are any.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fipsconf.datadog_yaml import DatadogYamlEdit, FipsRequest, edit_datadog_yaml
from fipsconf.errors import DocumentError, FipsSetupError
from fipsconf.yamldoc import decode_utf8, parse_yaml
from tests.oracle import load_yaml11, with_fips_settings

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


def _edit(raw: bytes, request: FipsRequest) -> DatadogYamlEdit:
    return edit_datadog_yaml(parse_yaml(decode_utf8(raw)), request)


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name: str) -> None:
    folder = GOLDEN / name
    raw = (folder / "input.yaml").read_bytes()
    request = FipsRequest(**json.loads((folder / "request.json").read_text()))
    error_file = folder / "expected-error.txt"
    if error_file.exists():
        with pytest.raises(FipsSetupError) as caught:
            _edit(raw, request)
        error = caught.value
        shown = error.located("datadog.yaml") if isinstance(error, DocumentError) else str(error)
        assert shown + "\n" == error_file.read_text()
        assert "\n" not in shown
        return

    expected = (folder / "expected.yaml").read_bytes()
    edit = _edit(raw, request)
    assert edit.result.text.encode("utf-8") == expected
    # the expected file itself, read by an independent reader, means the input plus the request
    assert load_yaml11(expected.decode("utf-8")) == with_fips_settings(
        load_yaml11(raw.decode("utf-8")), request
    )
    assert edit.result.changed == (expected != raw)
    advice_file = folder / "expected-advice.txt"
    advice = "".join(f"{a.code}: {a.message}\n" for a in edit.advice)
    assert advice == (advice_file.read_text() if advice_file.exists() else "")

    again = _edit(expected, request)
    assert again.result.text.encode("utf-8") == expected
    assert not again.result.changed
    assert again.result.changes == []


def test_every_case_has_an_expectation() -> None:
    for name in CASES:
        folder = GOLDEN / name
        assert (folder / "expected.yaml").exists() != (folder / "expected-error.txt").exists(), name
