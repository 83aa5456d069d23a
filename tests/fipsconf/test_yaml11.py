"""Plain scalars get the type and value ruamel.yaml gives them, without loading it.

:mod:`fipsconf.yaml11` copies ruamel's YAML 1.1 resolver patterns and the
rules of its safe constructor for null, booleans, integers and floats; here
every answer is compared with ruamel's own, for the forms settings use, the
odd ones YAML 1.1 allows, and random strings over the characters numbers are
made of.
"""

from __future__ import annotations

import math
import random
import warnings
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode

from fipsconf import yaml11
from fipsconf.yamlnodes import Mark

FORMS = [
    "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "no", "y", "Y", "n",
    "N", "true", "True", "TRUE", "tRUE", "false", "on", "On", "ON", "off", "OFF", "oN",
    "0", "-0", "+0", "7", "-7", "+7", "1_000", "0777", "0778", "0o17", "0b101", "-0b1_0",
    "0x1F", "0X1F", "-0x_f", "1:30", "-1:30:00", "190:20:30", "1:60", "01:30", "1.5", "-1.5",
    "1.", ".5", "-.5", "1e3", "1E3", "1e+3", "1.0e-3", "1_0.5_0", "1:30.5", ".inf", "-.Inf",
    "+.INF", ".nan", ".NaN", ".NAN", "-.nan", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "=", "<<", "abc", "a b", "9x", "1.2.3", "0.1.2", "0x", "+", "-", "_", "._", "1__", "0b",
    "0b2", "0xg", "1:", ":1", "1::2", "12345678901234567890", "٣", "1 ", " 1",
]  # fmt: skip


def ruamel_reading(value: str) -> tuple[str, Any]:
    """The tag ruamel's YAML 1.1 resolver gives ``value``, and its safe constructor's value."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    tag = str(yaml.resolver.resolve(ScalarNode, value, (True, False)))
    if tag not in (yaml11.NULL, yaml11.BOOL, yaml11.INT, yaml11.FLOAT):
        return tag, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = ScalarNode(tag, value, Mark((0, 0)), Mark((0, len(value))))
            return tag, yaml.constructor.construct_object(node, deep=True)
    except (ValueError, IndexError):
        return tag, ValueError


def our_reading(value: str) -> tuple[str, Any]:
    tag = yaml11.tag_of(value)
    if tag not in (yaml11.NULL, yaml11.BOOL, yaml11.INT, yaml11.FLOAT):
        return tag, None
    try:
        return tag, yaml11.construct(tag, value)
    except yaml11.ScalarError:
        return tag, ValueError


def same(ours: tuple[str, Any], theirs: tuple[str, Any]) -> bool:
    (tag, value), (their_tag, their_value) = ours, theirs
    if isinstance(value, float) and math.isnan(value):
        return tag == their_tag and isinstance(their_value, float) and math.isnan(their_value)
    return tag == their_tag and type(value) is type(their_value) and value == their_value


@pytest.mark.parametrize("value", FORMS)
def test_each_form_reads_as_ruamel_reads_it(value: str) -> None:
    assert same(our_reading(value), ruamel_reading(value))


def test_random_number_like_strings_read_as_ruamel_reads_them() -> None:
    rng = random.Random(3)
    alphabet = "0123456789_.:+-eExXbBoOaf"
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
        assert same(our_reading(value), ruamel_reading(value)), value


def test_a_malformed_number_is_an_error_of_its_own() -> None:
    # ruamel raises IndexError or ValueError there: a traceback for the user
    for value in ("+_", "0x_", "0b_", "._"):
        with pytest.raises(yaml11.ScalarError):
            yaml11.construct(yaml11.tag_of(value), value)


def test_a_long_number_is_refused_before_the_patterns_run() -> None:
    with pytest.raises(yaml11.TooLong):
        yaml11.tag_of("1:1" * 1000)
    assert yaml11.tag_of("3f" * 1000) == yaml11.STR  # hex without 0x: text, however long
    with pytest.raises(yaml11.TooLong):
        yaml11.construct(yaml11.INT, "7" * 1001)


def test_a_scalar_starting_with_another_character_is_text() -> None:
    # the fast reader takes such scalars as strings without trying the patterns
    for code in [*range(0x20, 0x7F), 0xA0, 0xE9, 0x212A, 0x3042]:
        first = chr(code)
        if first not in yaml11.TYPED_FIRST:
            for value in (first, first + "es", first + "1", first + "ull", first + ":1"):
                assert ruamel_reading(value)[0] == yaml11.STR, value
