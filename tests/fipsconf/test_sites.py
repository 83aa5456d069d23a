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
    US1_FED,
    US2_FED,
    fips_agent_note,
    site_of_host,
    site_support,
    wrong_government_site,
)
from fipsconf.yamldoc import parse_yaml

KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("site", "label", "proxy", "fips_agent"),
    [
        ("ddog-gov.com", "US1-FED", True, True),
        (" DDOG-GOV.COM ", "US1-FED", True, True),
        ("us2.ddog-gov.com", "US2-FED", False, True),
        ("datadoghq.com", None, False, False),
        (None, None, False, False),
        ("", None, False, False),
    ],
)
def test_each_site_has_its_name_and_support(
    site: object, label: object, proxy: bool, fips_agent: bool
) -> None:
    support = site_support(site)
    assert support.label == label
    assert support.proxy_supported is proxy
    assert support.fips_agent_supported is fips_agent


def test_the_support_sentence_names_the_site_and_the_path() -> None:
    assert site_support(US2_FED).name() == "us2.ddog-gov.com (US2-FED)"
    assert site_support(US2_FED).support() == (
        "on US2-FED Datadog points to the FIPS Agent, which sends to the site's own intake;"
        " the FIPS proxy forwards to US1-FED (ddog-gov.com) only"
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


def test_only_us2_fed_is_a_wrong_government_site_for_the_proxy() -> None:
    assert wrong_government_site(US1_FED, "x") is None
    assert wrong_government_site("datadoghq.eu", "x") is None  # warned about, not refused
    proxy = wrong_government_site("US2.ddog-gov.com", "fips-setup migrate")
    assert proxy is not None and "its payloads would go to the wrong site" in proxy
    # the way forward: the FIPS Agent there; a US1-FED organization sets US1-FED
    assert "use the FIPS Agent, which sends to US2-FED's own intake (fips-setup migrate)" in proxy
    assert proxy.endswith(f"or, for a US1-FED organization, set site: {US1_FED}")


def test_the_fips_agent_on_us2_fed_gets_a_note_not_a_refusal() -> None:
    assert fips_agent_note(US1_FED) is None and fips_agent_note("datadoghq.com") is None
    note = fips_agent_note(" us2.DDOG-GOV.com")
    assert note is not None and note.startswith("site is us2.ddog-gov.com (US2-FED): the FIPS")
    assert "FIPS Compliance page names US1-FED" in note


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


def test_install_refuses_the_proxy_on_us2_fed_and_names_the_fips_agent() -> None:
    environment = {"DD_API_KEY": KEY, "DD_SITE": US2_FED, "DD_FIPS_MODE": "1"}
    with pytest.raises(
        SettingError, match=r"DD_SITE=us2\.ddog-gov\.com: .*the wrong site"
    ) as caught:
        settings_from_environment(environment)
    assert "DD_AGENT_FLAVOR=datadog-fips-agent in place of DD_FIPS_MODE" in str(caught.value)


def test_install_of_the_fips_agent_on_us2_fed_keeps_the_site_with_a_note() -> None:
    environment = {"DD_API_KEY": KEY, "DD_SITE": US2_FED, "DD_AGENT_FLAVOR": "datadog-fips-agent"}
    settings = settings_from_environment(environment)
    assert settings.site == US2_FED
    assert [w for w in settings.warnings if "US2-FED" in w] == [
        f"DD_SITE: {fips_agent_note(US2_FED)}"
    ]


def test_install_without_fips_keeps_us2_fed() -> None:
    settings = settings_from_environment({"DD_API_KEY": KEY, "DD_SITE": US2_FED})
    assert settings.site == US2_FED
