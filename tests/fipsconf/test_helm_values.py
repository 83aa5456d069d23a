"""The Helm values editor on the chart's real ``fips`` block, and its helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from fipsconf.errors import DocumentError, SettingError
from fipsconf.helm_values import (
    FipsAgentConflict,
    HelmRequest,
    check_image_tag,
    edit_helm_values,
    fips_values,
    helm_truthy,
)
from fipsconf.redact import secret_values
from fipsconf.yamldoc import parse_yaml

EXCERPT = "helm/values-fips-excerpt.yaml"
NETFLOW_WARNING = (
    "fips.portRange is 15: the fips-proxy sidecar declares ports 9803-9817 and not 9818 (NetFlow)"
)


def enable(text: str, **request: Any) -> str:
    return edit_helm_values(parse_yaml(text), HelmRequest(**request)).result.text


@pytest.fixture
def excerpt(shared_fixture: Callable[[str], Path]) -> str:
    return shared_fixture(EXCERPT).read_text(encoding="utf-8")


def test_the_chart_block_gets_enabled_and_nothing_else(excerpt: str) -> None:
    assert "\n  enabled: false\n" in excerpt
    assert "\n  use_https: false\n" in excerpt
    edit = edit_helm_values(parse_yaml(excerpt), HelmRequest())
    after = edit.result.text
    assert after == excerpt.replace("\n  enabled: false\n", "\n  enabled: true\n", 1)
    assert [c.dotted for c in edit.result.changes] == ["fips.enabled"]
    # the chart's own block: 15 ports, no site, and the image tag of chart 3.240 (1.1.29)
    assert [a.code for a in edit.advice] == [
        "port-range-short",
        "site-not-fed",
        "proxy-image-outdated",
    ]
    assert edit.advice[0].message.startswith(NETFLOW_WARNING)
    assert edit.advice[0].message.endswith(
        "Run again with --all-ports to set fips.portRange: 16 and declare them all"
    )
    all_ports = edit_helm_values(parse_yaml(excerpt), HelmRequest(all_ports=True))
    assert all_ports.result.text == after.replace("\n  portRange: 15\n", "\n  portRange: 16\n", 1)
    assert "port-range-short" not in [a.code for a in all_ports.advice]
    assert enable(after) == after


def test_options_change_only_their_values(excerpt: str) -> None:
    after = enable(excerpt, port=10000, local_address="::1", image_tag="1.1.17")
    expected = (
        excerpt.replace("\n  enabled: false\n", "\n  enabled: true\n", 1)
        .replace("\n  port: 9803\n", "\n  port: 10000\n", 1)
        .replace('\n  local_address: "127.0.0.1"\n', '\n  local_address: "::1"\n', 1)
        .replace("\n    tag: 1.1.29\n", '\n    tag: "1.1.17"\n', 1)
    )
    assert after == expected
    assert enable(after, port=10000, local_address="::1", image_tag="1.1.17") == after


def test_crlf_is_kept_in_the_chart_block(excerpt: str) -> None:
    before = excerpt.replace("\n", "\r\n")
    after = enable(before)
    assert after == before.replace("\r\n  enabled: false\r\n", "\r\n  enabled: true\r\n", 1)


def test_use_fips_agent_true_is_refused_with_its_line(excerpt: str) -> None:
    before = excerpt.replace("useFIPSAgent: false", "useFIPSAgent: true", 1)
    line = before.split("\n").index("useFIPSAgent: true") + 1
    with pytest.raises(FipsAgentConflict) as caught:
        enable(before)
    message = caught.value.located("values.yaml")
    assert message.startswith(f"values.yaml:{line}: useFIPSAgent is true")
    assert "need no proxy" in message
    assert "--from-fips-agent" in message
    back = edit_helm_values(parse_yaml(before), HelmRequest(from_fips_agent=True))
    assert back.result.text == (
        excerpt.replace("\n  enabled: false\n", "\n  enabled: true\n", 1)
    )  # useFIPSAgent: false again, the sidecar on: the excerpt as the chart ships it, enabled
    assert [c.dotted for c in back.result.changes] == ["useFIPSAgent", "fips.enabled"]
    assert back.advice[0].code == "fips-proxy-phased-out"


def test_the_fips_agent_on_the_chart_block_changes_one_line(excerpt: str) -> None:
    edit = edit_helm_values(parse_yaml(excerpt), HelmRequest(fips_agent=True))
    assert edit.result.text == excerpt.replace("useFIPSAgent: false", "useFIPSAgent: true", 1)
    assert [a.code for a in edit.advice] == ["site-not-fed"]


def test_to_the_fips_agent_and_back_gives_the_same_file() -> None:
    proxied = (Path(__file__).parent / "golden_helm/full-values-file/expected.yaml").read_text()
    proxied = proxied.replace("tag: 7.60.1\n", "tag: 7.70.0\n")  # the FIPS Agent: 7.65 or newer
    fips = enable(proxied, fips_agent=True)
    assert fips != proxied
    assert enable(fips, from_fips_agent=True) == proxied
    assert enable(enable(fips, from_fips_agent=True), fips_agent=True) == fips


@pytest.mark.parametrize(
    "request_fields",
    [{"port": 10000}, {"local_address": "::1"}, {"image_tag": "1.1.29"}, {"all_ports": True}],
)
def test_the_fips_agent_takes_none_of_the_sidecar_options(request_fields: dict[str, Any]) -> None:
    with pytest.raises(SettingError, match="cannot be used with --fips-agent: the FIPS Agent"):
        enable("fips:\n  enabled: true\n", fips_agent=True, **request_fields)


def test_moving_to_and_from_the_fips_agent_at_once_says_why_not() -> None:
    with pytest.raises(SettingError) as caught:
        enable("fips:\n  enabled: true\n", fips_agent=True, from_fips_agent=True)
    assert str(caught.value).startswith("--from-fips-agent and --fips-agent ask for opposite moves")
    assert "needs no proxy" not in str(caught.value)


def test_the_excerpt_appended_to_a_whole_values_file_is_found(excerpt: str) -> None:
    whole = (Path(__file__).parent / "golden_helm/full-values-file/input.yaml").read_text()
    whole = whole.replace("useFIPSAgent: false\n", "")  # the excerpt brings its own
    before = whole + "\n" + excerpt
    after = enable(before)
    assert after == before.replace("\n  enabled: false\n", "\n  enabled: true\n", 1)


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (True, True),
        (False, False),
        (None, False),
        ("false", True),
        ("", False),
        (0, False),
        (1, True),
        ([], False),
        ({"a": 1}, True),
    ],
)
def test_helm_truthiness_follows_go_templates(value: object, truthy: bool) -> None:
    assert helm_truthy(value) is truthy


@pytest.mark.parametrize("tag", ["1.1.17", "latest", "1.1.17-fips", "v2_rc.1"])
def test_valid_image_tags(tag: str) -> None:
    assert check_image_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", ".hidden", "-x", "a b", "a:b", "x" * 129, "1.1.17\n"])
def test_invalid_image_tags(tag: str) -> None:
    with pytest.raises(SettingError, match="not a valid tag"):
        check_image_tag(tag)


def test_fips_values_fill_in_chart_defaults() -> None:
    values = fips_values({"fips": {"enabled": True, "image": {"tag": "1.1.17"}}})
    assert values == {
        "enabled": True,
        "use_https": False,
        "port": 9803,
        "portRange": 15,
        "local_address": "127.0.0.1",
        "image_tag": "1.1.17",
        "useFIPSAgent": False,
    }
    assert fips_values(None)["enabled"] is False


def test_secret_values_skip_keys_that_name_a_kubernetes_secret() -> None:
    data = {
        "datadog": {
            "apiKey": "k" * 32,
            "apiKeyExistingSecret": "datadog",
            "appKey": None,
            "appKeyExistingSecret": "datadog-app",
        },
        "clusterAgent": {"token": "t" * 32, "tokenExistingSecret": "dca"},
        "agents": {"containers": {"agent": {"env": [{"name": "X", "password": "pw12"}]}}},
    }
    assert secret_values(data) == {"k" * 32, "t" * 32, "pw12"}


def test_the_sidecar_on_us2_fed_is_refused_with_its_line() -> None:
    text = "datadog:\n  apiKeyExistingSecret: datadog\n  site: us2.ddog-gov.com\n"
    with pytest.raises(DocumentError) as caught:
        enable(text)
    assert caught.value.line == 3
    assert caught.value.code == "precondition"
    message = str(caught.value)
    assert message.startswith("datadog.site is us2.ddog-gov.com (US2-FED)")
    assert "would go to the wrong site" in message
    assert "use the FIPS Agent, which sends to US2-FED's own intake (fips-setup helm" in message
    assert "set datadog.site: ddog-gov.com" in message


def test_the_fips_agent_on_us2_fed_is_set_up_with_a_note() -> None:
    text = "datadog:\n  apiKeyExistingSecret: datadog\n  site: us2.ddog-gov.com\n"
    edit = edit_helm_values(parse_yaml(text), HelmRequest(fips_agent=True))
    assert "\nuseFIPSAgent: true\n" in edit.result.text
    assert "site: us2.ddog-gov.com" in edit.result.text
    site = [a for a in edit.advice if a.code.startswith("site")]
    assert [a.code for a in site] == ["site-us2-fed"]
    assert site[0].message.startswith("datadog.site is us2.ddog-gov.com (US2-FED): the FIPS Agent")


def test_a_commercial_site_stays_a_warning() -> None:
    edit = edit_helm_values(parse_yaml("datadog:\n  site: datadoghq.com\n"), HelmRequest())
    assert [a.code for a in edit.advice if a.code.startswith("site")] == ["site-not-fed"]
