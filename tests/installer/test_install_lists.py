"""``install``'s list-valued setting (``tags``, from ``DD_TAGS`` or ``DD_HOST_TAGS``).

Over the vendor's real ``datadog.yaml.example`` (166 KiB), with ``tags``
present as a list, as a string, as the example's comment, and absent: the
tags asked for are merged into what is there (kept in order, no
duplicates), every other byte stays, and the file reads back fast (a flow
list there once sent 157 KiB of comments to the slow reader and was refused).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Callable

import pytest

from fipsconf.errors import DocumentError
from fipsconf.new_host import settings_from_environment
from installer.install import new_datadog_yaml
from tests.oracle import load_yaml11

API_KEY = "0123456789abcdef0123456789abcdef"
COMMENTED = "# tags:\n#   - team:infra\n#   - <TAG_KEY>:<TAG_VALUE>\n"


def example(shared_fixture: Callable[[str], Path]) -> str:
    text = shared_fixture("datadog-agent/datadog.yaml.example").read_text(encoding="utf-8")
    assert text.count(COMMENTED) == 1
    return text


def variants(text: str) -> dict[str, str]:
    """The example with ``tags`` as the vendor ships it, and as operators' images have it."""
    return {
        "comment": text,
        "absent": text.replace(COMMENTED, ""),
        "list": text.replace(COMMENTED, "tags:\n  - env:prod\n  - team:a  # owners\n"),
        "indentless-list": text.replace(COMMENTED, "tags:\n- env:prod\n- team:a\n"),
        "flow-list": text.replace(COMMENTED, "tags: [env:prod, team:a]\n"),
        "string": text.replace(COMMENTED, 'tags: "env:prod team:a"  # space-separated\n'),
        "empty": text.replace(COMMENTED, "tags:\n"),
    }


#: What ``tags`` holds before, in each variant (the Agent reads a string as
#: space-separated tags).
BEFORE = {
    "comment": [],
    "absent": [],
    "list": ["env:prod", "team:a"],
    "indentless-list": ["env:prod", "team:a"],
    "flow-list": ["env:prod", "team:a"],
    "string": ["env:prod", "team:a"],
    "empty": [],
}


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("variable", ["DD_TAGS", "DD_HOST_TAGS"])
@pytest.mark.parametrize("shape", sorted(BEFORE))
def test_tags_are_merged_into_what_the_file_has(
    shared_fixture: Callable[[str], Path], shape: str, variable: str
) -> None:
    source = variants(example(shared_fixture))[shape]
    environment = {"DD_API_KEY": API_KEY, "DD_FIPS_MODE": "1", variable: "team:a,path:/x team:a"}
    settings = settings_from_environment(environment)
    text = new_datadog_yaml(source, settings)
    data = load_yaml11(text)
    assert data["tags"] == [
        *BEFORE[shape],
        *[t for t in ("team:a", "path:/x") if t not in BEFORE[shape]],
    ]
    # every other setting as it was, and only tags' lines (and the api_key, site) changed
    original = load_yaml11(source) or {}
    assert {k: v for k, v in data.items() if k not in ("tags", "api_key", "site")} == {
        k: v for k, v in original.items() if k not in ("tags", "api_key", "site")
    }
    changes = changed_lines(source, text)
    allowed = re.compile(r"[+-]($|api_key|site|# site:|tags:|# tags:|\s*- )")
    assert all(allowed.match(change) for change in changes), changes
    if shape == "list":  # the items there stay as written, comment included
        assert "  - team:a  # owners\n" in text
    assert new_datadog_yaml(text, settings) == text  # a second run changes nothing


def test_tags_already_there_change_nothing(shared_fixture: Callable[[str], Path]) -> None:
    source = variants(example(shared_fixture))["list"]
    settings = settings_from_environment({"DD_API_KEY": API_KEY, "DD_TAGS": "team:a env:prod"})
    text = new_datadog_yaml(source, settings)
    assert "tags:\n  - env:prod\n  - team:a  # owners\n\n" in text


@pytest.mark.parametrize(
    ("value", "kind"), [("true", "a boolean"), ("5", "a number"), ("{a: b}", "a mapping")]
)
def test_tags_that_are_not_tags_are_refused_in_words(value: str, kind: str) -> None:
    settings = settings_from_environment({"DD_API_KEY": API_KEY, "DD_TAGS": "a:b"})
    with pytest.raises(DocumentError) as caught:
        new_datadog_yaml(f"api_key:\ntags: {value}\n", settings)
    assert caught.value.line == 2
    assert f"'tags' is {kind}, not a list;" in caught.value.message


def test_the_process_log_provider_is_merged_into_the_files_providers() -> None:
    # DD_LOGS_CONFIG_PROCESS_COLLECT_ALL writes extra_config_providers, the other
    # list-valued setting install writes: the file's own providers stay.
    settings = settings_from_environment(
        {"DD_API_KEY": API_KEY, "DD_LOGS_CONFIG_PROCESS_COLLECT_ALL": "true"}
    )
    source = "api_key:\nextra_config_providers:\n  - docker  # containers\n"
    text = new_datadog_yaml(source, settings)
    assert load_yaml11(text)["extra_config_providers"] == ["docker", "process_log"]
    assert "  - docker  # containers\n" in text
    assert new_datadog_yaml(text, settings) == text
