"""How much structure fips-setup reads from one document, and the errors beyond that.

Deep nesting would exhaust Python's stack (a traceback), and aliases that
refer to aliases (``&a [*b, *b, ...]`` a few levels deep, an "alias bomb")
make a tiny file mean billions of values: every walk over the data would
never end. Configuration files need neither; such a document is refused
with one line, naming where it goes too far.
"""

from __future__ import annotations

from typing import Optional

from fipsconf.errors import DocumentError

#: Collections inside collections (Helm values nest about 10 deep).
MAX_DEPTH = 100
#: Values that aliases may add to a document (each alias counts what it names).
ALIAS_BUDGET = 100_000
#: Characters in a number: Python turns digits into an integer in quadratic time
#: (YAML 1.1's base-60 numbers, ``1:30:00``, too); a setting needs a few.
MAX_NUMBER_LENGTH = 1000
#: YAML text handed to ruamel's complete but slow reader (several seconds per MiB,
#: 15 for flow collections): plenty for the unusual parts of a real configuration.
SLOW_READ_LIMIT = 128 * 1024
#: Values (nodes) ruamel composes in one reading: it takes 20 to 50 microseconds a
#: value (flow collections look ahead for keys), so 128 KiB of ``[a, b, c]`` took
#: seconds; the unusual parts of a configuration hold a few hundred.
SLOW_READ_VALUES = 5_000
#: Different secret values (API keys, passwords, dual-shipping keys) in one document:
#: each is looked for in everything shown, so their number bounds that time (a
#: configuration holds a handful; a task definition of many containers, a few dozen).
MAX_SECRET_VALUES = 256


class StructureError(DocumentError):
    """A document refused for its shape (depth, aliases, size), not for invalid syntax."""


def too_deep(line: int) -> StructureError:
    """The error for a collection nested more than :data:`MAX_DEPTH` levels, at ``line``."""
    return StructureError(
        f"nests collections more than {MAX_DEPTH} levels deep; fips-setup does not read"
        " such documents",
        line=line,
    )


def too_many_aliases(line: int) -> StructureError:
    """The error for aliases that add more than :data:`ALIAS_BUDGET` values, at ``line``."""
    return StructureError(
        f"its aliases (*name) add more than {ALIAS_BUDGET:,} values to it (an alias bomb?);"
        " fips-setup does not read such documents",
        line=line,
    )


def refers_to_itself(line: int) -> StructureError:
    """The error for a collection that contains itself through an alias, at ``line``."""
    return StructureError(
        "a collection contains itself through an alias (*name); fips-setup does not read"
        " such documents",
        line=line,
    )


def number_too_long(length: int, line: int) -> StructureError:
    """The error for a number of more than :data:`MAX_NUMBER_LENGTH` characters, at ``line``."""
    return StructureError(
        f"holds a number of {length:,} characters; fips-setup reads numbers of up to"
        f" {MAX_NUMBER_LENGTH:,} characters (quote the value if it is text)",
        line=line,
    )


def too_slow_to_read(size: int, line: Optional[int]) -> StructureError:
    """The error for more than :data:`SLOW_READ_LIMIT` of YAML only the slow reader takes.

    ``line``: the first line that needed it, when known.
    """
    return StructureError(
        "uses YAML that fips-setup reads only slowly (anchors or aliases across settings,"
        f" flow collections, multi-line or block values): {-(-size // 1024)} KiB of it,"
        f" more than the {SLOW_READ_LIMIT // 1024} KiB it reads that way; write it in plain"
        " block style",
        line=line,
    )


def too_many_slow_values(line: int) -> StructureError:
    """The error for more than :data:`SLOW_READ_VALUES` values only the slow reader takes."""
    return StructureError(
        "uses YAML that fips-setup reads only slowly (anchors or aliases across settings,"
        f" flow collections, multi-line or block values): more than {SLOW_READ_VALUES:,}"
        " values of it; write it in plain block style",
        line=line,
    )


def too_many_secrets(count: int) -> StructureError:
    """The error for a document holding more than :data:`MAX_SECRET_VALUES` secret values."""
    return StructureError(
        f"holds {count:,} different secret values (API keys, passwords, dual-shipping keys),"
        f" more than the {MAX_SECRET_VALUES} fips-setup masks in what it shows; it does not"
        " read such documents",
        line=None,
    )
