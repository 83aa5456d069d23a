"""Unified diffs of configuration text, for people to read."""

from __future__ import annotations

import difflib


def unified_diff(
    path: str, before: str, after: str, context: int = 3, before_label: str = ""
) -> str:
    """A unified diff of two texts (empty when they are equal).

    ``before_label`` names the old side when it is another file (a template
    the new file was made from). Line endings are shown as plain line breaks
    so a CRLF file diffs cleanly.
    """
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=before_label or f"{path} (before)",
        tofile=f"{path} (after)",
        n=context,
        lineterm="",
    )
    return "\n".join(lines) + "\n"
