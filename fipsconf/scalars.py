"""Values fips-setup writes: how to spell them in YAML, how to compare parsed data."""

from __future__ import annotations

import datetime
import json
import math
import re
from typing import Any, Optional, Union

#: What an assignment may set: a scalar, or a list of strings (``tags``).
Value = Union[bool, int, str, list[str]]

# Characters a plain scalar of ours may use; anything else is quoted.
_PLAIN_CANDIDATE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\Z")
# Words YAML 1.1 reads as booleans or null, and numbers/dates/sexagesimals.
_SPECIAL_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}
_NUMBER_OR_DATE = re.compile(r"[-+]?[0-9_.:]+([eE][-+]?[0-9]+)?\Z|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


def render_scalar(value: Value, quote: Optional[str] = None) -> str:
    """YAML text for a value (on one line); strings keep ``quote`` (' or ") when given.

    A string is written plain only when YAML 1.1 would read it back as the
    same string; otherwise it is double-quoted.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):  # a flow sequence of JSON strings: safe for any text
        return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if quote is None and _is_plain_string(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _is_plain_string(value: str) -> bool:
    return (
        bool(_PLAIN_CANDIDATE.match(value))
        and value.lower() not in _SPECIAL_WORDS
        and not _NUMBER_OR_DATE.match(value)
    )


def strict_equal(left: Any, right: Any) -> bool:
    """Deep equality that tells ``True`` from ``1`` and treats NaN as equal to NaN."""
    if left is right:  # the parts of an edited document that the edit did not touch
        return True
    if type(left) is not type(right):
        both_numbers = isinstance(left, (int, float)) and isinstance(right, (int, float))
        if not both_numbers or isinstance(left, bool) or isinstance(right, bool):
            return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(
            strict_equal(value, right[key]) for key, value in left.items()
        )
    if isinstance(left, list):
        return len(left) == len(right) and all(map(strict_equal, left, right))
    if isinstance(left, float) and math.isnan(left):
        return isinstance(right, float) and math.isnan(right)
    if isinstance(left, (datetime.date, datetime.datetime)):
        return bool(left == right) and type(left) is type(right)
    return bool(left == right)


def describe(value: Any) -> str:
    """A short human description of a value's YAML kind."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
