"""Both government sites, and what the editors do with US2-FED (never route it to US1-FED)."""

from __future__ import annotations

import pytest

from fipsconf.datadog_yaml import (
    WRONG_SITE,
    FipsRequest,
    edit_datadog_yaml,
    refuse_wrong_site,
    site_line,
)
from fipsconf.errors import DocumentError, SettingError
from fipsconf.new_host import settings_from_environment
from fipsconf.sites import (
    FIPS_AGENT,
    PROXY,
    US1_FED,
    US2_FED,
    site_of_host,
    site_support,
    wrong_government_site,
)
from fipsconf.yamldoc import parse_yaml

KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("site", "label", "proxy"),
    [
        ("ddog-gov.com", "US1-FED", True),
        (" DDOG-GOV.COM ", "US1-FED", True),
        ("us2.ddog-gov.com", "US2-FED", False),
        ("datadoghq.com", None, False),
        (None, None, False),
        ("", None, False),
    ],
)
def test_each_site_has_its_name_and_support(site: object, label: object, proxy: bool) -> None:
    support = site_support(site)
    assert support.label == label
    assert support.proxy_supported is proxy
    assert support.fips_agent_supported is proxy  # both paths: US1-FED alone


def test_the_support_sentence_names_the_site_and_the_path() -> None:
    assert site_support(US2_FED).name() == "us2.ddog-gov.com (US2-FED)"
    assert (
        "neither the FIPS proxy nor the FIPS Agent for US2-FED" in site_support(US2_FED).support()
    )
    assert "FIPS proxy and the FIPS Agent on US1-FED" in site_support(US1_FED).support()
    assert site_support(None).name() == "not set"


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("haproxy-app.agent.ddog-gov.com", US1_FED),
        ("trace.agent.ddog-gov.com.", US1_FED),
        ("haproxy-app.agent.us2.ddog-gov.com", US2_FED),  # also ends in ddog-gov.com
        ("us2.ddog-gov.com", US2_FED),
        ("app.datadoghq.com", None),
        ("evilddog-gov.com", None),
    ],
)
def test_an_intake_name_belongs_to_its_site(host: str, site: object) -> None:
    assert site_of_host(host) == site


def test_only_us2_fed_is_a_wrong_government_site() -> None:
    assert wrong_government_site(US1_FED) is None
    assert wrong_government_site("datadoghq.eu") is None  # warned about, not refused
    proxy = wrong_government_site("US2.ddog-gov.com", PROXY)
    assert proxy is not None and "would go to the US1-FED intake, the wrong site" in proxy
    agent = wrong_government_site(US2_FED, FIPS_AGENT)
    assert agent is not None and "Datadog documents no FIPS path for US2-FED" in agent
    # the way forward: ask for US2-FED's path; a US1-FED organization sets US1-FED
    assert "ask Datadog support" in proxy and f"set site: {US1_FED}" in proxy


def test_enabling_on_us2_fed_gets_its_own_advice_not_the_us1_fed_hint() -> None:
    doc = parse_yaml(f"api_key: {KEY}\nsite: us2.ddog-gov.com\n")
    advice = edit_datadog_yaml(doc, FipsRequest()).advice
    assert [a.code for a in advice] == [WRONG_SITE]
    with pytest.raises(DocumentError) as caught:
        refuse_wrong_site(advice, "/etc/datadog-agent/datadog.yaml", site_line(doc))
    assert caught.value.code == "precondition"
    message = str(caught.value)
    assert message.startswith("/etc/datadog-agent/datadog.yaml:2: site is us2.ddog-gov.com")
    assert message.endswith("nothing was changed")


def test_disabling_on_us2_fed_is_allowed() -> None:
    doc = parse_yaml(f"api_key: {KEY}\nsite: us2.ddog-gov.com\nfips:\n  enabled: true\n")
    edit = edit_datadog_yaml(doc, FipsRequest(enabled=False))
    assert edit.advice == []
    refuse_wrong_site(edit.advice, "datadog.yaml")  # nothing to refuse


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DD_FIPS_MODE": "1"}, "the FIPS proxy is supported on US1-FED"),
        ({"DD_AGENT_FLAVOR": "datadog-fips-agent"}, "the FIPS Agent is supported on US1-FED"),
    ],
)
def test_install_refuses_us2_fed_with_either_fips_path(
    variables: dict[str, str], expected: str
) -> None:
    environment = {"DD_API_KEY": KEY, "DD_SITE": US2_FED, **variables}
    with pytest.raises(SettingError, match=f"DD_SITE=us2.ddog-gov.com: .*{expected}"):
        settings_from_environment(environment)


def test_install_without_fips_keeps_us2_fed() -> None:
    settings = settings_from_environment({"DD_API_KEY": KEY, "DD_SITE": US2_FED})
    assert settings.site == US2_FED
