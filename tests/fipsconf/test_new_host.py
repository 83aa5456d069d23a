"""The install variables: checked, and turned into editor assignments."""

from __future__ import annotations

import pytest

from fipsconf.errors import SettingError
from fipsconf.new_host import fips_mode, settings_from_environment
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
        Assignment(("tags",), ["team:a", "path:/x/y", 'quote:"q"']),
    ]


def test_a_malformed_key_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingError) as caught:
        settings_from_environment({"DD_API_KEY": "not-a-key-secret-value"})
    assert "not-a-key-secret-value" not in str(caught.value)


def test_control_characters_are_refused() -> None:
    with pytest.raises(SettingError, match="DD_HOSTNAME contains control characters"):
        settings_from_environment({"DD_HOSTNAME": "a\nsite: evil"})
