"""Cloud Security's files from the package's examples, as Datadog's script makes them."""

from __future__ import annotations

import pytest

from fipsconf.errors import SettingError
from fipsconf.security_configs import (
    COMPLIANCE,
    DISCOVERY,
    PRIVILEGED_LOGS,
    RUNTIME_SECURITY,
    SECURITY_AGENT_YAML,
    SERVICE_MONITORING,
    SYSTEM_PROBE_YAML,
    SecurityRequest,
    config_from_example,
    sections_not_enabled,
    security_request,
)
from fipsconf.yamldoc import parse_yaml
from tests.conftest import REPO

EXAMPLES = REPO / "tests" / "e2e" / "packages" / "datadog-agent"
SECURITY_AGENT = (EXAMPLES / "security-agent.yaml.example").read_text()
SYSTEM_PROBE = (EXAMPLES / "system-probe.yaml.example").read_text()


@pytest.mark.parametrize(
    ("environment", "files"),
    [
        ({}, {}),
        ({"DD_SYSTEM_PROBE_ENSURE_CONFIG": "true"}, {SYSTEM_PROBE_YAML: ()}),
        (
            {"DD_RUNTIME_SECURITY_CONFIG_ENABLED": "true"},
            {SECURITY_AGENT_YAML: (RUNTIME_SECURITY,), SYSTEM_PROBE_YAML: (RUNTIME_SECURITY,)},
        ),
        ({"DD_COMPLIANCE_CONFIG_ENABLED": "1"}, {SECURITY_AGENT_YAML: (COMPLIANCE,)}),
        (
            {"DD_RUNTIME_SECURITY_CONFIG_ENABLED": "yes", "DD_COMPLIANCE_CONFIG_ENABLED": "yes"},
            {
                SECURITY_AGENT_YAML: (RUNTIME_SECURITY, COMPLIANCE),
                SYSTEM_PROBE_YAML: (RUNTIME_SECURITY,),
            },
        ),
        # Datadog's script 1.37 (discovery), 1.42 (privileged logs, USM): system-probe.yaml only.
        ({"DD_DISCOVERY_ENABLED": "true"}, {SYSTEM_PROBE_YAML: (DISCOVERY,)}),
        ({"DD_PRIVILEGED_LOGS_ENABLED": "true"}, {SYSTEM_PROBE_YAML: (PRIVILEGED_LOGS,)}),
        (
            {"DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED": "1"},
            {SYSTEM_PROBE_YAML: (SERVICE_MONITORING,)},
        ),
        ({"DD_DISCOVERY_ENABLED": "false", "DD_PRIVILEGED_LOGS_ENABLED": "0"}, {}),
        (
            {
                "DD_RUNTIME_SECURITY_CONFIG_ENABLED": "true",
                "DD_DISCOVERY_ENABLED": "true",
                "DD_PRIVILEGED_LOGS_ENABLED": "true",
                "DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED": "true",
            },
            {
                SECURITY_AGENT_YAML: (RUNTIME_SECURITY,),
                SYSTEM_PROBE_YAML: (
                    RUNTIME_SECURITY,
                    DISCOVERY,
                    PRIVILEGED_LOGS,
                    SERVICE_MONITORING,
                ),
            },
        ),
    ],
)
def test_the_vendor_variables_ask_for_these_files(
    environment: dict[str, str], files: dict[str, tuple[str, ...]]
) -> None:
    assert security_request(environment).files() == files


@pytest.mark.parametrize(
    "name",
    [
        "DD_RUNTIME_SECURITY_CONFIG_ENABLED",
        "DD_DISCOVERY_ENABLED",
        "DD_PRIVILEGED_LOGS_ENABLED",
        "DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED",
    ],
)
def test_a_typo_in_a_switch_stops(name: str) -> None:
    with pytest.raises(SettingError, match=f"{name}='ture'"):
        security_request({name: "ture"})


def test_the_system_probe_modules_are_turned_on_in_its_example() -> None:
    sections = (DISCOVERY, PRIVILEGED_LOGS, SERVICE_MONITORING)
    text = config_from_example(SYSTEM_PROBE, sections)
    assert parse_yaml(text).data == {section: {"enabled": True} for section in sections}
    assert text.startswith(SYSTEM_PROBE)  # added after the example, which stays as it was
    assert sections_not_enabled(text, sections) == []
    assert config_from_example(text, sections) == text


def test_the_sections_go_live_where_the_example_documents_them() -> None:
    text = config_from_example(SECURITY_AGENT, (RUNTIME_SECURITY, COMPLIANCE))
    assert text == SECURITY_AGENT.replace(
        "\n# runtime_security_config:\n", "\nruntime_security_config:\n  enabled: true\n"
    ).replace("\n# compliance_config:\n", "\ncompliance_config:\n  enabled: true\n")
    data = parse_yaml(text).data
    assert data == {RUNTIME_SECURITY: {"enabled": True}, COMPLIANCE: {"enabled": True}}
    assert sections_not_enabled(text, (RUNTIME_SECURITY, COMPLIANCE)) == []
    assert config_from_example(text, (RUNTIME_SECURITY, COMPLIANCE)) == text


def test_system_probe_with_nothing_to_turn_on_is_the_example() -> None:
    assert config_from_example(SYSTEM_PROBE, ()) == SYSTEM_PROBE
    assert sections_not_enabled(SYSTEM_PROBE, (RUNTIME_SECURITY,)) == [RUNTIME_SECURITY]


def test_an_existing_live_section_is_edited_in_place() -> None:
    text = "runtime_security_config:\n  enabled: false  # off for now\n  fim_enabled: true\n"
    assert config_from_example(text, (RUNTIME_SECURITY,)) == (
        "runtime_security_config:\n  enabled: true  # off for now\n  fim_enabled: true\n"
    )
    assert (
        sections_not_enabled("Runtime_Security_Config:\n  enabled: 'true'\n", (RUNTIME_SECURITY,))
        == []
    )


def test_a_request_is_all_off_by_default() -> None:
    assert SecurityRequest().files() == {}
