"""The install variables: checked, and turned into editor assignments."""

from __future__ import annotations

import pytest

from fipsconf.errors import SettingError
from fipsconf.new_host import (
    AGENT_FLAVOR,
    FIPS_AGENT_FLAVOR,
    agent_flavor,
    fips_mode,
    flag,
    settings_from_environment,
)
from fipsconf.yamledit import Assignment

KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("value", "on"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("", False),
        (None, False),
    ],
)
def test_fips_mode_values(value: object, on: bool) -> None:
    assert fips_mode(value) is on  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["2", "on", "enable", "ture"])
def test_any_other_fips_mode_is_an_error(value: str) -> None:
    with pytest.raises(SettingError, match=f"DD_FIPS_MODE={value!r} is not understood"):
        fips_mode(value)


def test_fips_mode_defaults_the_site_and_refuses_another() -> None:
    assert (
        settings_from_environment({"DD_FIPS_MODE": "1", "DD_API_KEY": KEY}).site == "ddog-gov.com"
    )
    with pytest.raises(SettingError, match=r"DD_SITE=datadoghq\.com with DD_FIPS_MODE"):
        settings_from_environment({"DD_FIPS_MODE": "1", "DD_SITE": "datadoghq.com"})
    assert settings_from_environment({"DD_SITE": "datadoghq.eu"}).site == "datadoghq.eu"


def test_assignments_with_tags() -> None:
    settings = settings_from_environment(
        {
            "DD_API_KEY": KEY,
            "DD_HOSTNAME": "web-1",
            "DD_ENV": "prod",
            "DD_TAGS": 'team:a, path:/x/y  quote:"q"',
        }
    )
    assert settings.assignments() == [
        Assignment(("api_key",), KEY),
        Assignment(("hostname",), "web-1"),
        Assignment(("env",), "prod"),
        Assignment(("tags",), ["team:a", "path:/x/y", 'quote:"q"'], merge=True),
    ]


def test_a_malformed_key_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingError) as caught:
        settings_from_environment({"DD_API_KEY": "not-a-key-secret-value"})
    assert "not-a-key-secret-value" not in str(caught.value)


def test_control_characters_are_refused() -> None:
    with pytest.raises(SettingError, match="DD_HOSTNAME contains control characters"):
        settings_from_environment({"DD_HOSTNAME": "a\nsite: evil"})


@pytest.mark.parametrize("name", ["DD_INSTALL_ONLY", "DD_COMPLIANCE_CONFIG_ENABLED"])
def test_flags_read_like_fips_mode_and_name_themselves_when_wrong(name: str) -> None:
    assert flag(name, "True") and not flag(name, "0") and not flag(name, None)
    with pytest.raises(SettingError, match=f"{name}='maybe' is not understood"):
        flag(name, "maybe")


def test_the_older_host_tags_variable_is_honoured() -> None:
    assert settings_from_environment({"DD_HOST_TAGS": "a:b,c:d"}).tags == ["a:b", "c:d"]


def test_dd_tags_wins_over_host_tags_and_says_so() -> None:
    settings = settings_from_environment({"DD_TAGS": "a:b", "DD_HOST_TAGS": "old:x"})
    assert settings.tags == ["a:b"]
    assert settings.warnings == ("DD_HOST_TAGS is ignored: DD_TAGS is set too and wins",)
    assert settings_from_environment({"DD_TAGS": "a:b", "DD_HOST_TAGS": "a:b"}).warnings == ()


def test_dd_url_is_written_without_fips_mode_and_ignored_with_it() -> None:
    direct = settings_from_environment({"DD_URL": "https://intake.example:8443"})
    assert Assignment(("dd_url",), "https://intake.example:8443") in direct.assignments()
    proxied = settings_from_environment({"DD_URL": "https://intake.example", "DD_FIPS_MODE": "1"})
    assert proxied.dd_url is None
    assert "DD_URL is ignored with DD_FIPS_MODE" in proxied.warnings[0]
    with pytest.raises(SettingError, match=r"DD_URL='intake\.example' is not an http"):
        settings_from_environment({"DD_URL": "intake.example"})


def test_the_app_key_is_checked_and_written() -> None:
    app_key = "a" * 40
    settings = settings_from_environment({"DD_API_KEY": KEY, "DD_APP_KEY": app_key})
    assert settings.assignments()[:2] == [
        Assignment(("api_key",), KEY),
        Assignment(("app_key",), app_key),
    ]
    with pytest.raises(SettingError, match="DD_APP_KEY does not look like"):
        settings_from_environment({"DD_APP_KEY": "short"})


@pytest.mark.parametrize("site", ["ddog-gov.com\nhostname: x", "ddog gov.com", "-x"])
def test_a_site_that_is_not_a_name_is_refused(site: str) -> None:
    with pytest.raises(SettingError, match="is not a site name"):
        settings_from_environment({"DD_SITE": site})


def test_flavors() -> None:
    assert settings_from_environment({}).flavor == AGENT_FLAVOR
    fips_agent = settings_from_environment({"DD_AGENT_FLAVOR": FIPS_AGENT_FLAVOR})
    assert (fips_agent.flavor, fips_agent.site, fips_agent.fips) == (
        FIPS_AGENT_FLAVOR,
        "ddog-gov.com",
        False,
    )
    with pytest.raises(SettingError, match="with datadog-fips-agent: the FIPS Agent only sends"):
        settings_from_environment(
            {"DD_AGENT_FLAVOR": FIPS_AGENT_FLAVOR, "DD_SITE": "datadoghq.com"}
        )
    with pytest.raises(SettingError, match="one or the other"):
        settings_from_environment({"DD_AGENT_FLAVOR": FIPS_AGENT_FLAVOR, "DD_FIPS_MODE": "1"})
    with pytest.raises(SettingError, match="DD_AGENT_FLAVOR='datadog-iot-agent' is not supported"):
        agent_flavor("datadog-iot-agent")


@pytest.mark.parametrize("mode", ["full", "basic", "end_user_device", "none"])
def test_the_infrastructure_mode_is_written(mode: str) -> None:
    settings = settings_from_environment({"DD_INFRASTRUCTURE_MODE": mode})
    assert settings.assignments() == [Assignment(("infrastructure_mode",), mode)]


def test_an_unknown_infrastructure_mode_is_refused() -> None:
    with pytest.raises(SettingError, match="DD_INFRASTRUCTURE_MODE='lite' is not one of"):
        settings_from_environment({"DD_INFRASTRUCTURE_MODE": "lite"})


def test_process_log_collection_writes_what_datadogs_script_writes() -> None:
    settings = settings_from_environment({"DD_LOGS_CONFIG_PROCESS_COLLECT_ALL": "true"})
    assert settings.assignments() == [
        Assignment(("logs_enabled",), True),
        Assignment(("logs_config", "process_exclude_agent"), True),
        Assignment(("logs_config", "auto_multi_line_detection"), True),
        Assignment(("process_config", "process_collection", "use_wlm"), True),
        Assignment(("extra_config_providers",), ["process_log"], merge=True),
    ]
    assert (
        settings_from_environment({"DD_LOGS_CONFIG_PROCESS_COLLECT_ALL": "0"}).assignments() == []
    )
    with pytest.raises(SettingError, match="DD_LOGS_CONFIG_PROCESS_COLLECT_ALL='all'"):
        settings_from_environment({"DD_LOGS_CONFIG_PROCESS_COLLECT_ALL": "all"})
