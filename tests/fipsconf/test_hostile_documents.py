"""Documents built to hang or crash a reader: a one-line error, in every editor and walker.

Deep nesting used to end in a RecursionError traceback, and an alias bomb
(nine levels of ``&x [*w, *w, ...]``) made ``configure`` and ``helm`` walk
billions of values. Each is now refused where it is read, naming its line,
before any editor or secret walker sees the data. (How fast: the CLI test
``tests/installer/cli/test_hostile_inputs.py`` and ``make bench``.)
"""

from __future__ import annotations

import json
from typing import Callable

import pytest

from fipsconf.datadog_yaml import FipsRequest, edit_datadog_yaml
from fipsconf.ecs_taskdef import parse_task_definition
from fipsconf.errors import DocumentError
from fipsconf.helm_values import HelmRequest, edit_helm_values
from fipsconf.redact import Redactor, secret_values
from fipsconf.yamldoc import parse_yaml
from tests.hostile import HOSTILE


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_document_is_one_line_naming_where(name: str) -> None:
    text, line, words = HOSTILE[name]
    with pytest.raises(DocumentError) as caught:
        parse_yaml(text)
    assert caught.value.line == line
    assert words in caught.value.message
    assert "\n" not in str(caught.value)


READERS: dict[str, Callable[[str], object]] = {
    "datadog.yaml editor": lambda text: edit_datadog_yaml(parse_yaml(text), FipsRequest()),
    "helm values editor": lambda text: edit_helm_values(parse_yaml(text), HelmRequest()),
    "secret walker": lambda text: secret_values(parse_yaml(text).data),
    "redactor's secret walker": lambda text: Redactor().register_from(parse_yaml(text).data),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("name", ["alias-bomb", "block-nesting", "self-reference"])
def test_no_editor_or_walker_gets_past_the_reader(reader: str, name: str) -> None:
    with pytest.raises(DocumentError):
        READERS[reader](HOSTILE[name][0])


def test_a_few_aliases_are_read_as_ever() -> None:
    doc = parse_yaml("base: &b {x: 1}\nuse:\n  <<: *b\n  z: 2\nlist: [*b, *b]\n")
    assert doc.data["use"] == {"x": 1, "z": 2}
    assert doc.data["list"] == [{"x": 1}, {"x": 1}]


@pytest.mark.parametrize(("aliases", "refused"), [(90, False), (110, True)])
def test_aliases_may_add_up_to_100_000_values(aliases: int, refused: bool) -> None:
    text = "a: &a [" + ", ".join(["x"] * 999) + "]\nb: [" + ", ".join(["*a"] * aliases) + "]\n"
    if refused:
        with pytest.raises(DocumentError, match="add more than 100,000 values"):
            parse_yaml(text)
    else:
        assert len(parse_yaml(text).data["b"]) == aliases


def test_more_yaml_than_the_slow_reader_takes_is_refused_naming_the_first_line() -> None:
    plain = "".join(f"k{i}: v\n" for i in range(10))
    flows = "".join(f"f{i}: [{i}, {i + 1}]\n" for i in range(20000))
    with pytest.raises(DocumentError) as caught:
        parse_yaml(plain + flows)
    assert caught.value.line is not None and caught.value.line > 10
    assert "reads only slowly" in caught.value.message
    assert "write it in plain block style" in caught.value.message


def deep_json(depth: int) -> str:
    return (
        json.dumps({"family": "x", "containerDefinitions": []})[:-1]
        + ', "x": '
        + "[" * depth
        + "]" * depth
        + "}"
    )


def test_deeply_nested_json_is_one_line_naming_the_line() -> None:
    text = '{\n  "family": "x",\n  "x": ' + "[" * 20000 + "]" * 20000 + "\n}\n"
    with pytest.raises(DocumentError) as caught:
        parse_task_definition(text)
    assert (caught.value.line, caught.value.message) == (
        3,
        "nests collections more than 100 levels deep; fips-setup does not read such documents",
    )


def test_brackets_inside_json_strings_do_not_count() -> None:
    text = json.dumps({"family": "x", "containerDefinitions": [], "note": "[" * 500})
    assert parse_task_definition(text).data["note"] == "[" * 500
    assert parse_task_definition(deep_json(90)).data["x"] is not None
