"""Shipping the proxy's logs: the Agent's journald source and the ``logs_enabled`` edit.

The vendor's page: ``logs_enabled: true`` in ``datadog.yaml``, a
``fips_proxy.d/conf.yaml`` with a journald source for the proxy's unit, and
``dd-agent`` in the ``systemd-journal`` group. ``logs disable`` must take back
exactly what ``logs enable`` changed, so the ``datadog.yaml`` edit is kept as
the lines it replaced (:class:`LineEdit`) and undone line for line.
"""

from __future__ import annotations

import difflib
from typing import Any, NamedTuple, Optional

from fipsconf.errors import DocumentError
from fipsconf.scalars import strict_equal
from fipsconf.yamldoc import YamlDocument, parse_yaml
from fipsconf.yamledit import Assignment, EditResult, case_insensitive_keys, set_values

PROXY_UNIT = "datadog-fips-proxy.service"
JOURNALD_SOURCE = f"""\
# The Datadog FIPS proxy's logs, read from journald (fips-setup logs enable).
logs:
  - type: journald
    source: datadog-fips-proxy
    include_units:
      - {PROXY_UNIT}
"""


def has_proxy_source(text: str) -> bool:
    """True when a conf.yaml's ``logs`` holds a journald source with the proxy's unit."""
    try:
        data = parse_yaml(text).data
    except DocumentError:
        return False
    sources = data.get("logs") if isinstance(data, dict) else None
    return isinstance(sources, list) and any(
        isinstance(source, dict)
        and source.get("type") == "journald"
        and PROXY_UNIT in (source.get("include_units") or [])
        for source in sources
    )


def logs_enabled(data: Any) -> Any:
    """The ``logs_enabled`` value of a parsed datadog.yaml (None: absent), any key case."""
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == "logs_enabled":
            return value
    return None


class LineEdit(NamedTuple):
    """Lines ``after`` that replaced lines ``before`` at line ``at`` (0-based, in the new text)."""

    at: int
    before: list[str]
    after: list[str]

    def record(self) -> dict[str, Any]:
        """The JSON form kept until ``logs disable``."""
        return {"at": self.at, "before": self.before, "after": self.after}

    @classmethod
    def from_record(cls, data: Any) -> LineEdit:
        """Read the JSON form back. Raises ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("not a line edit")
        at, before, after = data.get("at"), data.get("before"), data.get("after")
        if not (
            isinstance(at, int)
            and isinstance(before, list)
            and isinstance(after, list)
            and all(isinstance(line, str) for line in before + after)
        ):
            raise ValueError("not a line edit")
        return cls(at, before, after)


def enable_logs(doc: YamlDocument, top_level_slots: dict[str, int]) -> EditResult:
    """``logs_enabled: true`` set by the careful editor (nothing else changes)."""
    return set_values(
        doc,
        [Assignment(("logs_enabled",), True)],
        keys_match=case_insensitive_keys,
        top_level_slots=top_level_slots,
    )


def line_edits(before: str, after: str) -> list[LineEdit]:
    """The runs of lines that differ between two texts (line endings kept)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [
        LineEdit(j1, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def undo_line_edits(text: str, edits: list[LineEdit], original: Any) -> Optional[str]:
    """``text`` with ``edits`` taken back, or None when that cannot be done exactly.

    Each edit's new lines must still be in the text (where they were put, or
    once elsewhere if lines moved); the result must parse to the current data
    with ``logs_enabled`` as it was (``original``; None: absent).
    """
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.at, reverse=True):
        at = edit.at
        if lines[at : at + len(edit.after)] != edit.after:
            places = [
                i
                for i in range(len(lines) - len(edit.after) + 1)
                if lines[i : i + len(edit.after)] == edit.after
            ]
            if len(places) != 1 or not edit.after:
                return None
            at = places[0]
        lines[at : at + len(edit.after)] = edit.before
    restored = "".join(lines)
    try:
        current = parse_yaml(text).data
        result = parse_yaml(restored).data
    except DocumentError:
        return None
    if not isinstance(current, dict) or not isinstance(result, dict):
        return None
    expected = {k: v for k, v in current.items() if not _is_logs_enabled(k)}
    if original is not None:
        key = next((k for k in result if _is_logs_enabled(k)), "logs_enabled")
        expected[key] = original
    return restored if strict_equal(result, expected) else None


def _is_logs_enabled(key: object) -> bool:
    return isinstance(key, str) and key.lower() == "logs_enabled"
