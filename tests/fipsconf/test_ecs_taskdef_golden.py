"""Golden files for the ECS task definition editor: each case's input edited
as its request says must give its expected bytes exactly (or its expected
one-line error), with the expected changes and warnings, and editing the
result again must change nothing.

Each folder under ``golden_ecs/`` holds ``input.json``, ``request.json``
(the EcsRequest fields), and ``expected.json`` (with ``expected-changes.txt``)
or ``expected-error.txt``; an ``expected-advice.txt`` lists the warnings when
there are any.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fipsconf.ecs_taskdef import EcsEdit, EcsRequest, edit_task_definition, parse_task_definition
from fipsconf.errors import DocumentError, FipsSetupError
from fipsconf.yamldoc import decode_utf8

GOLDEN = Path(__file__).parent / "golden_ecs"
CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())


def edit(raw: bytes, request: EcsRequest) -> EcsEdit:
    return edit_task_definition(parse_task_definition(decode_utf8(raw)), request)


def shown(error: FipsSetupError) -> str:
    return error.located("td.json") if isinstance(error, DocumentError) else str(error)


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name: str) -> None:
    folder = GOLDEN / name
    raw = (folder / "input.json").read_bytes()
    request = EcsRequest(**json.loads((folder / "request.json").read_text()))
    error_file = folder / "expected-error.txt"
    if error_file.exists():
        with pytest.raises(FipsSetupError) as caught:
            edit(raw, request)
        message = shown(caught.value)
        assert message + "\n" == error_file.read_text()
        assert "\n" not in message
        return

    expected = (folder / "expected.json").read_bytes()
    first = edit(raw, request)
    assert first.text.encode("utf-8") == expected
    assert first.changed == (expected != raw)
    changes = "".join(f"{change}\n" for change in first.changes)
    assert changes == (folder / "expected-changes.txt").read_text()
    advice_file = folder / "expected-advice.txt"
    advice = "".join(f"{a.code}: {a.message}\n" for a in first.advice)
    assert advice == (advice_file.read_text() if advice_file.exists() else "")

    again = edit(expected, request)
    assert again.text.encode("utf-8") == expected
    assert not again.changed
    assert again.changes == []


def test_every_case_has_one_expectation() -> None:
    for name in CASES:
        folder = GOLDEN / name
        assert (folder / "expected.json").exists() != (folder / "expected-error.txt").exists(), name
