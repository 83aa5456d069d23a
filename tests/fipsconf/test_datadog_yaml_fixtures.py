"""The editor on the vendor's real datadog.yaml templates (shared fixtures).

An operator's datadog.yaml is the package's template with api_key and site
filled in. Enabling must turn the template's commented ``# fips:`` line into
the live block and change no other byte, whatever the line endings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from fipsconf.datadog_yaml import FipsRequest, edit_datadog_yaml
from fipsconf.errors import DocumentError
from fipsconf.yamldoc import parse_yaml

TEMPLATES = ["datadog-agent/datadog.yaml.example", "datadog-agent/datadog.yaml.example-7.45"]
LIVE_BLOCK = "fips:\n  enabled: true\n  https: false\n"


def operator_file(template: str) -> str:
    """The template as an install script leaves it: api_key and site set."""
    text = template.replace("\napi_key:\n", "\napi_key: 0123456789abcdef0123456789abcdef\n", 1)
    return text.replace("\n# site: datadoghq.com\n", "\nsite: ddog-gov.com\n", 1)


def enable(text: str, **request: Any) -> str:
    return edit_datadog_yaml(parse_yaml(text), FipsRequest(**request)).result.text


@pytest.fixture(params=TEMPLATES)
def template(request: pytest.FixtureRequest, shared_fixture: Callable[[str], Path]) -> str:
    return shared_fixture(request.param).read_text(encoding="utf-8")


def test_enable_uncomments_the_documented_fips_line_and_nothing_else(template: str) -> None:
    before = operator_file(template)
    assert before.count("\n# fips:\n") == 1
    after = enable(before)
    assert after == before.replace("\n# fips:\n", "\n" + LIVE_BLOCK, 1)
    assert enable(after) == after


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_other_line_endings_are_kept_everywhere(template: str, newline: str) -> None:
    before = operator_file(template).replace("\n", newline)
    after = enable(before)
    expected_block = LIVE_BLOCK.replace("\n", newline)
    assert after == before.replace(f"{newline}# fips:{newline}", newline + expected_block, 1)


def test_a_byte_order_mark_is_kept(template: str) -> None:
    before = "\ufeff" + operator_file(template)
    after = enable(before)
    assert after.startswith("\ufeff")
    assert after == before.replace("\n# fips:\n", "\n" + LIVE_BLOCK, 1)


def test_disable_then_enable_round_trips(template: str) -> None:
    enabled = enable(operator_file(template))
    disabled = enable(enabled, enabled=False)
    assert disabled == enabled.replace("  enabled: true\n", "  enabled: false\n", 1)
    assert enable(disabled) == enabled


def test_the_vendor_scripts_prepended_block_is_recognised(template: str) -> None:
    # The vendor one-step script prepends a block to a new datadog.yaml:
    # valid, already enabled, so nothing to change.
    before = LIVE_BLOCK + operator_file(template)
    assert enable(before) == before


def test_a_second_prepended_block_is_reported_with_both_lines(template: str) -> None:
    configured = enable(operator_file(template))
    live_line = configured.split("\n").index("fips:") + 1
    prepended = LIVE_BLOCK + configured
    with pytest.raises(DocumentError) as caught:
        enable(prepended)
    message = caught.value.located("datadog.yaml")
    assert f"lines 1 and {live_line + 3}" in message
    assert "\n" not in message


def test_port_and_address_join_the_block(template: str) -> None:
    before = operator_file(template)
    after = enable(before, port_range_start=10000, local_address="127.0.0.1")
    block = LIVE_BLOCK + '  port_range_start: 10000\n  local_address: "127.0.0.1"\n'
    assert after == before.replace("\n# fips:\n", "\n" + block, 1)


def test_only_the_fips_line_uncommented_by_hand(template: str) -> None:
    before = operator_file(template).replace("\n# fips:\n", "\nfips:\n", 1)
    after = enable(before)
    assert after == before.replace("\nfips:\n", "\n" + LIVE_BLOCK, 1)
