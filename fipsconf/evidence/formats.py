"""One host's evidence in the format asked for: the toolkit's JSON, HDF, OSCAL or HTML."""

from __future__ import annotations

import json
from typing import Any

from fipsconf.evidence.document import to_json

FORMATS = ("json", "hdf", "oscal", "html")


def render(document: dict[str, Any], form: str) -> str:
    """``document`` as text in ``form`` (one of FORMATS)."""
    if form == "json":
        return to_json(document)
    if form == "hdf":
        from fipsconf.evidence.hdf import to_hdf

        return json.dumps(to_hdf(document), indent=2, ensure_ascii=False) + "\n"
    if form == "oscal":
        from fipsconf.evidence.oscal import to_oscal

        return json.dumps(to_oscal(document), indent=2, ensure_ascii=False) + "\n"
    if form == "html":
        from fipsconf.evidence.html import to_html

        return to_html(document)
    raise ValueError(f"unknown format {form!r}")
