"""Golden files for the Helm values editor: each case's input edited as its
request says must give its expected bytes exactly (or its expected one-line
error), with the expected warnings, and editing the result again must
change nothing.

Each folder under ``golden_helm/`` holds ``input.yaml``, ``request.json``
(the HelmRequest fields), and ``expected.yaml`` or ``expected-error.txt``;
an ``expected-advice.txt`` lists the warnings when there are any.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fipsconf.errors import DocumentError, FipsSetupError
from fipsconf.helm_values import FipsAgentConflict, HelmEdit, HelmRequest, edit_helm_values
from fipsconf.yamldoc import decode_utf8, parse_yaml
from tests.oracle import load_yaml11, with_helm_settings

GOLDEN = Path(__file__).parent / "golden_helm"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


def edit(raw: bytes, request: HelmRequest) -> HelmEdit:
    return edit_helm_values(parse_yaml(decode_utf8(raw)), request)


def shown(error: FipsSetupError) -> str:
    if isinstance(error, (DocumentError, FipsAgentConflict)):
        return error.located("values.yaml")
    return str(error)


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name: str) -> None:
    folder = GOLDEN / name
    raw = (folder / "input.yaml").read_bytes()
    request = HelmRequest(**json.loads((folder / "request.json").read_text()))
    error_file = folder / "expected-error.txt"
    if error_file.exists():
        with pytest.raises(FipsSetupError) as caught:
            edit(raw, request)
        message = shown(caught.value)
        assert message + "\n" == error_file.read_text()
        assert "\n" not in message
        return

    expected = (folder / "expected.yaml").read_bytes()
    first = edit(raw, request)
    assert first.result.text.encode("utf-8") == expected
    # the expected file itself, read by an independent reader, means the input plus the request
    assert load_yaml11(expected.decode("utf-8")) == with_helm_settings(
        load_yaml11(raw.decode("utf-8")), request
    )
    assert first.result.changed == (expected != raw)
    advice_file = folder / "expected-advice.txt"
    advice = "".join(f"{a.code}: {a.message}\n" for a in first.advice)
    assert advice == (advice_file.read_text() if advice_file.exists() else "")

    again = edit(expected, request)
    assert again.result.text.encode("utf-8") == expected
    assert not again.result.changed
    assert again.result.changes == []


def test_every_case_has_one_expectation() -> None:
    for name in CASES:
        folder = GOLDEN / name
        assert (folder / "expected.yaml").exists() != (folder / "expected-error.txt").exists(), name
