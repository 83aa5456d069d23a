"""Plain scalars as YAML 1.1 reads them, the way ruamel.yaml does, without loading it.

Which type a plain scalar has (ruamel's implicit resolver for YAML 1.1, its
patterns copied here) and, for the types settings use (null, booleans,
integers, floats), which value (ruamel's safe constructor's rules). Loading
ruamel.yaml costs a fifth of a short command's time, and a plain
``datadog.yaml`` needs nothing else from it. Other types (timestamps, ``=``,
``<<``) are left to ruamel. The tests hold both to ruamel's answers.
"""

from __future__ import annotations

import re
from typing import Callable, Union

from fipsconf.limits import MAX_NUMBER_LENGTH

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
MERGE = "tag:yaml.org,2002:merge"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
VALUE = "tag:yaml.org,2002:value"
YAML = "tag:yaml.org,2002:yaml"

# fmt: off
#: ruamel.yaml's implicit resolvers for YAML 1.1, in its order: tag, pattern,
#: the first characters they apply to.
_RESOLVERS: list[tuple[str, str, str]] = [
    (BOOL, r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO
        |true|True|TRUE|false|False|FALSE
        |on|On|ON|off|Off|OFF)$""", "yYnNtTfFoO"),
    (FLOAT, r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*  # sexagesimal float
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    (INT, r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0?[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+
        |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""", "-+0123456789"),
    (MERGE, r"^(?:<<)$", "<"),
    (NULL, r"""^(?: ~
        |null|Null|NULL
        | )$""", "~nN"),
    (TIMESTAMP, r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", "0123456789"),
    (VALUE, r"^(?:=)$", "="),
    (YAML, r"^(?:!|&|\*)$", "!&*"),
]
# fmt: on
#: The first characters of the plain scalars some pattern may match (and the
#: empty scalar): any other plain scalar is a string.
TYPED_FIRST = frozenset("".join(firsts for _, _, firsts in _RESOLVERS))
#: What an integer or a float can be made of (one character class: linear,
#: no backtracking record).
_NUMBER_LIKE = re.compile(r"[-+]?(?:0[xXbBoO][0-9a-fA-F_]*|[0-9_.:eE+-]*)\Z")

Match = Callable[[str], object]  # a compiled pattern's match
Value = Union[None, bool, int, float]


class ScalarError(ValueError):
    """A scalar of a number's form that is not a valid number (``0x_``, ``+_``)."""


class TooLong(ValueError):
    """A scalar that may be a number, longer than :data:`MAX_NUMBER_LENGTH`."""


#: The patterns for each first character, compiled when first needed.
_BY_FIRST: dict[str, list[tuple[str, Match]]] = {}


def tag_of(value: str) -> str:
    """The tag YAML 1.1 gives the plain scalar ``value`` (``str`` when no pattern matches).

    Raises TooLong for a value over MAX_NUMBER_LENGTH characters that may
    be a number (refused: an integer that long takes long to convert, and
    the patterns long to match). No other implicit type is that long.
    """
    if len(value) > MAX_NUMBER_LENGTH:
        if _NUMBER_LIKE.match(value):
            raise TooLong(value)
        return STR
    if not value:
        return NULL
    first = value[0]
    candidates = _BY_FIRST.get(first)
    if candidates is None:
        candidates = _BY_FIRST[first] = [
            (tag, re.compile(pattern, re.X).match)
            for tag, pattern, firsts in _RESOLVERS
            if first in firsts
        ]
    for tag, match in candidates:
        if match(value):
            return tag
    return STR


_BOOLS = {
    "yes": True, "no": False, "y": True, "n": False,
    "true": True, "false": False, "on": True, "off": False,
}  # fmt: skip
_INF = float("inf")
_NAN = -_INF / _INF  # as ruamel makes it


def construct(tag: str, value: str) -> Value:
    """The value of a plain scalar of type null, bool, int or float, as ruamel makes it.

    Raises ScalarError for a malformed number, TooLong for an integer over
    MAX_NUMBER_LENGTH characters (Python converts digits in quadratic time).
    """
    if tag == NULL:
        return None
    if tag == BOOL:
        return _BOOLS[value.lower()]
    try:
        if tag == INT:
            if len(value) > MAX_NUMBER_LENGTH:
                raise TooLong(value)
            return _integer(value)
        return _float(value)
    except (ValueError, IndexError) as exc:
        if isinstance(exc, TooLong):
            raise
        raise ScalarError(value) from None


def _integer(value: str) -> int:
    """ruamel's construct_yaml_int for YAML 1.1."""
    text = value.replace("_", "")
    sign = -1 if text[0] == "-" else 1
    if text[0] in "+-":
        text = text[1:]
    if text == "0":
        return 0
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    if text[0] == "0":
        return sign * int(text, 8)
    if ":" in text:
        total, base = 0, 1
        for digit in reversed([int(part) for part in text.split(":")]):
            total += digit * base
            base *= 60
        return sign * total
    return sign * int(text)


def _float(value: str) -> float:
    """ruamel's construct_yaml_float for YAML 1.1."""
    text = value.replace("_", "").lower()
    sign = -1 if text[0] == "-" else 1
    if text[0] in "+-":
        text = text[1:]
    if text == ".inf":
        return sign * _INF
    if text == ".nan":
        return _NAN
    if ":" in text:
        total, base = 0.0, 1
        for digit in reversed([float(part) for part in text.split(":")]):
            total += digit * base
            base *= 60
        return sign * total
    return sign * float(text)
