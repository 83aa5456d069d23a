"""JSON read and written in its own layout: style detection, masking."""

from __future__ import annotations

import pytest

from fipsconf.jsonlayout import JsonStyle, mask_secrets
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
