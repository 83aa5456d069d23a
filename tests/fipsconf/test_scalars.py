"""Writing scalar values and comparing parsed data."""

from __future__ import annotations

import math

import pytest

from fipsconf.scalars import render_scalar, strict_equal
from fipsconf.yamldoc import parse_yaml
from tests.oracle import load_yaml11


@pytest.mark.parametrize(
    ("value", "quote", "expected"),
    [
        (True, None, "true"),
        (False, None, "false"),
        (9803, None, "9803"),
        ("localhost", None, "localhost"),
        ("127.0.0.1", None, '"127.0.0.1"'),
        ("::1", None, '"::1"'),
        ("yes", None, '"yes"'),
        ("localhost", "'", "'localhost'"),
        ("it's", "'", "'it''s'"),
        ("tab\there", None, '"tab\\there"'),
    ],
)
def test_render(value: object, quote: object, expected: str) -> None:
    assert render_scalar(value, quote) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", [True, False, 0, 9803, "localhost", "127.0.0.1", "::1", "on", "1e3", "a: b", "x#y"]
)
def test_rendered_values_read_back_as_themselves(value: object) -> None:
    text = f"k: {render_scalar(value)}\n"  # type: ignore[arg-type]
    assert strict_equal(parse_yaml(text).data["k"], value)
    assert strict_equal(load_yaml11(text)["k"], value)


def test_strict_equal_tells_booleans_from_numbers() -> None:
    assert not strict_equal(True, 1)
    assert not strict_equal({"a": 1}, {"a": True})
    assert strict_equal({"a": [1, 2.0]}, {"a": [1, 2.0]})
    assert strict_equal(float("nan"), math.nan)
    assert not strict_equal([1], [1, 2])
