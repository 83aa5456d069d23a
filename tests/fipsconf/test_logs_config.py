"""The proxy's journald source, and the logs_enabled edit taken back line for line."""

from __future__ import annotations

from typing import Any

import pytest

from fipsconf.datadog_yaml import template_slots
from fipsconf.logs_config import (
    JOURNALD_SOURCE,
    LineEdit,
    enable_logs,
    has_proxy_source,
    line_edits,
    logs_enabled,
    undo_line_edits,
)
from fipsconf.yamldoc import parse_yaml

TEMPLATE = """api_key: abcdef0123456789abcdef0123456789
site: ddog-gov.com

## @param logs_enabled - boolean - optional - default: false
## Enable Datadog Agent log collection by setting logs_enabled to true.
#
# logs_enabled: false

## @param logs_config - custom object - optional
logs_config:
  use_http: true
"""


def test_the_journald_source() -> None:
    assert has_proxy_source(JOURNALD_SOURCE)
    assert parse_yaml(JOURNALD_SOURCE).data == {
        "logs": [
            {
                "type": "journald",
                "source": "datadog-fips-proxy",
                "include_units": ["datadog-fips-proxy.service"],
            }
        ]
    }
    assert not has_proxy_source("logs:\n  - type: file\n    path: /var/log/x.log\n")
    assert not has_proxy_source("logs: [\n")
    assert not has_proxy_source("init_config:\n")


def enabled(text: str) -> str:
    doc = parse_yaml(text)
    return enable_logs(doc, template_slots(doc, ["logs_enabled"])).text


def test_the_templates_slot_is_used_and_taken_back() -> None:
    after = enabled(TEMPLATE)
    assert after == TEMPLATE.replace("# logs_enabled: false\n", "logs_enabled: true\n")
    edits = line_edits(TEMPLATE, after)
    assert edits == [LineEdit(6, ["# logs_enabled: false\n"], ["logs_enabled: true\n"])]
    assert undo_line_edits(after, edits, None) == TEMPLATE


@pytest.mark.parametrize(
    ("text", "original"),
    [
        ("site: ddog-gov.com\nlogs_enabled: false # mine\n", False),
        ("site: ddog-gov.com\r\nlogs_enabled: no\r\n", False),
        ("site: ddog-gov.com\n", None),
        ("site: ddog-gov.com", None),  # no final newline
    ],
)
def test_any_edit_is_taken_back_byte_for_byte(text: str, original: Any) -> None:
    after = enabled(text)
    assert logs_enabled(parse_yaml(after).data) is True
    assert logs_enabled(parse_yaml(text).data) == original
    assert undo_line_edits(after, line_edits(text, after), original) == text


def test_other_changes_meanwhile_stay() -> None:
    after = enabled(TEMPLATE)
    edits = line_edits(TEMPLATE, after)
    edited = "hostname: web-1\n" + after.replace("use_http: true", "use_http: false")
    restored = undo_line_edits(edited, edits, None)
    assert restored == "hostname: web-1\n" + TEMPLATE.replace("use_http: true", "use_http: false")


def test_an_edit_that_cannot_be_found_is_not_guessed() -> None:
    after = enabled(TEMPLATE)
    edits = line_edits(TEMPLATE, after)
    changed = after.replace("logs_enabled: true\n", "logs_enabled: true  # by hand\n")
    assert undo_line_edits(changed, edits, None) is None
    assert (
        undo_line_edits(after.replace("logs_enabled: true", "logs_enabled: false"), edits, None)
        is None
    )


def test_an_edit_that_moved_is_found() -> None:
    after = enabled(TEMPLATE)
    edits = line_edits(TEMPLATE, after)
    moved = "x: 1\n" + after + "other:\n  logs_enabled: true\n"
    assert (
        undo_line_edits(moved, edits, None)
        == "x: 1\n" + TEMPLATE + "other:\n  logs_enabled: true\n"
    )


def test_line_edits_read_back_from_json() -> None:
    edit = LineEdit(3, ["a\n"], ["b\n"])
    assert LineEdit.from_record(edit.record()) == edit
    for bad in (
        None,
        {"at": "3", "before": [], "after": []},
        {"at": 1, "before": [1], "after": []},
    ):
        with pytest.raises(ValueError):
            LineEdit.from_record(bad)


def test_logs_enabled_is_read_as_the_agent_does() -> None:
    assert logs_enabled({"Logs_Enabled": True}) is True
    assert logs_enabled({"site": "x"}) is None
    assert logs_enabled(["not", "a", "mapping"]) is None
