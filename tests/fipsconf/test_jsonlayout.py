"""JSON read and written in its own layout: style detection, masking."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from fipsconf.jsonlayout import JsonStyle, mask_secrets, parse_json, write_like
from fipsconf.redact import MASK


@pytest.mark.parametrize(
    ("text", "indent", "newline", "final", "compact"),
    [
        ('{\n    "a": 1\n}\n', 4, "\n", True, False),
        ('{\n  "a": [\n    1\n  ]\n}', 2, "\n", False, False),
        ('{\r\n\t"a": 1\r\n}\r\n', "\t", "\r\n", True, False),
        ('{"a": 1, "b": 2}', None, "\n", False, False),
        ('{"a":1,"b":2}\n', None, "\n", True, True),
        ('{\n"a": 1\n}\n', 0, "\n", True, False),
    ],
)
def test_layout_is_detected(
    text: str, indent: object, newline: str, final: bool, compact: bool
) -> None:
    style = JsonStyle.detect(text)
    assert (style.indent, style.newline, style.final_newline, style.compact) == (
        indent,
        newline,
        final,
        compact,
    )


def test_masking_replaces_whole_string_literals_only() -> None:
    text = '{"value": "abc", "other": "abcdef", "escaped": "\\u0061bc", "n": "x\\"abc"}'
    masked = mask_secrets(text, frozenset({"abc"}))
    assert masked == (
        f'{{"value": "{MASK}", "other": "abcdef", "escaped": "{MASK}", "n": "x\\"abc"}}'
    )
    assert mask_secrets(text, frozenset()) == text


# -- an edited object keeps its own layout ------------------------------------

PACKED = """[
  {"name": "agent",   "image": "datadog/agent:7",  "essential": true,
   "cpu": 10,  "links": ["x"],
   "environment": [{"name": "A", "value": "1"}]},
  {"name": "app", "image": "nginx"}
]
"""


def rewrite(text: str, change: Callable[[Any], None]) -> str:
    doc = parse_json(text, expected="JSON")
    data = json.loads(text)
    change(data)
    out = write_like(doc, data)
    assert json.loads(out) == data
    return out


def test_a_changed_member_of_a_packed_object_is_the_only_change() -> None:
    out = rewrite(PACKED, lambda d: d[0]["environment"].append({"name": "B", "value": "2"}))
    assert out == PACKED.replace('"value": "1"}]}', '"value": "1"}, {"name": "B", "value": "2"}]}')


def test_members_removed_from_a_packed_object_take_their_comma() -> None:
    out = rewrite(PACKED, lambda d: d[0].pop("links"))
    assert out == PACKED.replace('  "links": ["x"],', "")
    out = rewrite(PACKED, lambda d: d[0].pop("environment"))
    assert out == PACKED.replace(',\n   "environment": [{"name": "A", "value": "1"}]}', "}")


def test_a_member_added_to_a_packed_object_follows_its_members() -> None:
    out = rewrite(PACKED, lambda d: d[0].update(memoryReservation=64))
    assert out == PACKED.replace('"value": "1"}]}', '"value": "1"}],\n   "memoryReservation": 64}')


def test_a_new_object_in_a_file_of_one_line_objects_has_one_line_leaves() -> None:
    out = rewrite(PACKED, lambda d: d.append({"name": "s", "ports": [{"p": 1, "q": "t"}]}))
    assert out.endswith(
        '  {"name": "app", "image": "nginx"},\n  {\n    "name": "s",\n'
        '    "ports": [\n      {"p": 1, "q": "t"}\n    ]\n  }\n]\n'
    )


@pytest.mark.parametrize(
    "removed",
    [("name",), ("name", "image"), ("image", "essential"), ("links", "environment"), ("cpu",)],
)
def test_any_members_removed_leave_valid_json_and_the_rest_as_it_was(
    removed: tuple[str, ...],
) -> None:
    out = rewrite(PACKED, lambda d: [d[0].pop(key) for key in removed])
    assert out.endswith('  {"name": "app", "image": "nginx"}\n]\n')
    for key in {"name", "image", "essential", "cpu", "links", "environment"} - set(removed):
        assert f'"{key}": ' in out.split("app")[0]
