"""Unified diffs of configuration text, for people to read."""

from __future__ import annotations

import difflib


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    """A unified diff of two texts (empty when they are equal).

    Line endings are shown as plain line breaks so a CRLF file diffs cleanly.
    """
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=f"{path} (before)",
        tofile=f"{path} (after)",
        n=context,
        lineterm="",
    )
    return "\n".join(lines) + "\n"
