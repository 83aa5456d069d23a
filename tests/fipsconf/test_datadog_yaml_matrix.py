"""Hundreds of operator-style variants, checked against an independent oracle.

Every combination of indentation, line endings, BOM, final newline, fips
block form and position, and request is edited; then ruamel's own full
parser must read the result as the original data with the fips settings
applied, every line outside the fips block must be unchanged, and a second
edit must change nothing.
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from fipsconf.datadog_yaml import FipsRequest, edit_datadog_yaml
from fipsconf.yamldoc import parse_yaml

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


def oracle_load(text: str) -> Any:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    return yaml.load(text)


def expected_data(data: Any, request: FipsRequest) -> Any:
    data = copy.deepcopy(data) or {}
    key = next((k for k in data if k.lower() == "fips"), "fips")
    block = data.get(key) or {}
    wanted: dict[str, Any] = {}
    if request.enabled:
        wanted = {"enabled": True, "https": False}
    elif any(k.lower() == "enabled" for k in block):
        wanted = {"enabled": False}
    if request.port_range_start is not None:
        wanted["port_range_start"] = request.port_range_start
    if request.local_address is not None:
        wanted["local_address"] = request.local_address
    for name, value in wanted.items():
        existing = next((k for k in block if k.lower() == name), name)
        block[existing] = value
    if wanted:
        data[key] = block
    return data


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


VARIANTS = [
    variant
    for variant in itertools.product(
        [2, 4],
        ["\n", "\r\n"],
        [False, True],
        [True, False],
        sorted(FIPS_FORMS),
        ["first", "middle", "last"],
        sorted(REQUESTS),
    )
    if variant[4] != "absent" or variant[5] == "first"  # no block: one position
]


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

    assert oracle_load(result.text) == expected_data(oracle_load(text), request)
    assert without_fips_block(result.text) == without_fips_block(text)
    assert result.text.startswith("\ufeff") == bom
    assert result.text.endswith(newline) == final_newline or not result.changed
    if newline == "\r\n":
        assert "\n" not in result.text.replace("\r\n", "")
    again = edit_datadog_yaml(parse_yaml(result.text), request).result
    assert again.text == result.text
    assert not again.changed
