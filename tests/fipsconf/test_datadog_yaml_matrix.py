"""Operator-style variants of datadog.yaml, checked against an independent oracle.

Each variant combines a ``fips`` block form and position, a request, and a
formatting (indentation, line endings, BOM, final newline). After the edit,
PyYAML (an independent YAML 1.1 reader) must read the result as the original
data with the fips settings applied, every line outside the fips block must
be unchanged, and a second edit must change nothing.

Not every combination tests different behaviour. Kept are: every block form
at every position under every request (each behaviour of the editor), each
with one formatting, chosen so that every form meets both values of every
formatting factor; and, where formatting meets the editor's own new lines
at the end of the file (a block added, filled or extended last), every
indentation, line ending and final newline.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from fipsconf.datadog_yaml import FipsRequest, edit_datadog_yaml
from fipsconf.yamldoc import parse_yaml
from tests.oracle import load_yaml11, with_fips_settings

FIPS_FORMS = {
    "absent": None,
    "block": "fips:\n{i}enabled: false\n",
    "block-commented": "fips:\n{i}# managed by hand\n{i}enabled: false  # off for now\n{i}# end\n",
    "block-complete": "fips:\n{i}enabled: true\n{i}https: false\n",
    "flow": "fips: {{enabled: false}}\n",
    "flow-empty": "fips: {{}}\n",
    "null": "fips:\n",
    "explicit-null": "fips: ~\n",
    "uppercase": "FIPS:\n{i}Enabled: no\n",
}
REQUESTS = {
    "enable": FipsRequest(),
    "enable-port-address": FipsRequest(port_range_start=12000, local_address="127.0.0.2"),
    "disable": FipsRequest(enabled=False),
}


def build(indent: int, form: str, position: str) -> str:
    i = " " * indent
    entries = [
        "# Managed by config management\napi_key: 0123456789abcdef\n",
        "site: ddog-gov.com\n",
        f"logs_config:\n{i}container_collect_all: true\n{i}# rules\n"
        f"{i}processing_rules:\n{i}{i}- type: exclude_at_match\n{i}{i}  pattern: '#x'\n",
        f"tags:\n{i}- env:prod\n{i}- 'team: a'\n",
        f"motd: |\n{i}# not a comment\n{i}fips:\n",
    ]
    block = FIPS_FORMS[form]
    if block is not None:
        where = {"first": 0, "middle": 2, "last": len(entries)}[position]
        entries.insert(where, block.format(i=i))
    return "\n".join(entries)


_TOP_LEVEL_LINE = re.compile(r"[^\s#]")


def without_fips_block(text: str) -> list[str]:
    """The lines outside the top-level fips block (and blank lines at the end)."""
    out: list[str] = []
    inside = False
    for line in text.lstrip("\ufeff").splitlines():
        if _TOP_LEVEL_LINE.match(line):
            inside = line.lower().startswith("fips:")
        if not inside:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out


FORMATS = list(itertools.product([2, 4], ["\n", "\r\n"], [False, True], [True, False]))


def behaviours() -> list[tuple[Any, ...]]:
    """Every form, position and request once, with formats spread over each form's cases.

    Stepping through the 16 formats 7 at a time (7 and 16 are coprime) gives
    every form both values of each factor among its cases.
    """
    out = []
    for form_index, form in enumerate(sorted(FIPS_FORMS)):
        positions = ["first"] if form == "absent" else ["first", "middle", "last"]
        for step, (position, request) in enumerate(itertools.product(positions, sorted(REQUESTS))):
            out.append((*FORMATS[(form_index + 7 * step) % 16], form, position, request))
    return out


def new_lines_at_the_end() -> list[tuple[Any, ...]]:
    """Requests that add lines, on blocks at the end of the file, in every layout that matters there."""
    return [
        (
            indent,
            newline,
            False,
            final_newline,
            form,
            "first" if form == "absent" else "last",
            request,
        )
        for form in sorted(FIPS_FORMS)
        for request in ("enable", "enable-port-address")
        for indent, newline, final_newline in itertools.product(
            [2, 4], ["\n", "\r\n"], [True, False]
        )
    ]


VARIANTS = sorted(set(behaviours()) | set(new_lines_at_the_end()))


@pytest.mark.parametrize(
    ("indent", "newline", "bom", "final_newline", "form", "position", "request_name"),
    VARIANTS,
)
def test_variant(
    indent: int,
    newline: str,
    bom: bool,
    final_newline: bool,
    form: str,
    position: str,
    request_name: str,
) -> None:
    text = build(indent, form, position)
    if not final_newline:
        text = text.rstrip("\n")
    text = ("\ufeff" if bom else "") + text.replace("\n", newline)
    request = REQUESTS[request_name]

    result = edit_datadog_yaml(parse_yaml(text), request).result

    assert load_yaml11(result.text) == with_fips_settings(load_yaml11(text), request)
    assert without_fips_block(result.text) == without_fips_block(text)
    assert result.text.startswith("\ufeff") == bom
    assert result.text.endswith(newline) == final_newline or not result.changed
    if newline == "\r\n":
        assert "\n" not in result.text.replace("\r\n", "")
    again = edit_datadog_yaml(parse_yaml(result.text), request).result
    assert again.text == result.text
    assert not again.changed
