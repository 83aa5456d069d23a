"""The facts a requirement read, picked out of the evidence by their dotted paths."""

from __future__ import annotations

import json
from typing import Any


def pick(document: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (``proxy.config.sha256``, ``doctor.site``); None when absent.

    ``doctor.<id>`` is the doctor check with that id.
    """
    head, _, rest = path.partition(".")
    if head == "doctor" and rest:
        checks = (document.get("doctor") or {}).get("checks") or []
        found = [c for c in checks if isinstance(c, dict) and c.get("id") == rest]
        return found[0] if found else None
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def excerpt(document: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """``{path: value}`` for each of ``paths``."""
    return {path: pick(document, path) for path in paths}


def excerpt_text(document: dict[str, Any], paths: list[str], compact: bool = False) -> str:
    """The excerpt as JSON for a report's evidence field: indented for one host's report,
    ``compact`` for a fleet's (Python's JSON encoder is ten times slower indenting)."""
    if compact:
        return json.dumps(excerpt(document, paths), ensure_ascii=False, sort_keys=True)
    return json.dumps(excerpt(document, paths), indent=2, ensure_ascii=False, sort_keys=True)
