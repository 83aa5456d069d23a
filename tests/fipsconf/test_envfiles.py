"""DD_FIPS_* variables in environment files and systemd units."""

from __future__ import annotations

from fipsconf.envfiles import (
    Override,
    as_bool,
    environment_file,
    procmgr_definition,
    systemd_unit,
)


def test_environment_file() -> None:
    text = "# comment\nDD_API_KEY=abc\nexport DD_FIPS_ENABLED='true'\n\nDD_FIPS_PORT_RANGE_START = 10000\n"
    assert environment_file(text, "env") == [
        Override("DD_FIPS_ENABLED", "true", "env", 3),
        Override("DD_FIPS_PORT_RANGE_START", "10000", "env", 5),
    ]


def test_systemd_environment_lines_with_quotes_and_several_assignments() -> None:
    text = '[Service]\nEnvironment="DD_FIPS_HTTPS=true" "DD_TAGS=a b"\nEnvironment=DD_FIPS_LOCAL_ADDRESS=::1\n'
    found = systemd_unit(text, "unit")
    assert [(o.variable, o.value, o.line, o.setting) for o in found] == [
        ("DD_FIPS_HTTPS", "true", 2, "https"),
        ("DD_FIPS_LOCAL_ADDRESS", "::1", 3, "local_address"),
    ]


def test_booleans_as_the_agent_reads_them() -> None:
    assert [as_bool(v) for v in ("true", "1", "TRUE", "yes", "false", "0", "", "off")] == [
        True, True, True, True, False, False, False, False,
    ]  # fmt: skip


def test_a_process_manager_definition_sets_its_payloads_variables() -> None:
    text = (
        "description: Datadog Process Agent\n"
        "command: /opt/datadog-agent/embedded/bin/process-agent\n"
        "environment_file: -${DD_CONF_DIR}/environment\n"
        "env:\n"
        "  DD_FLEET_POLICIES_DIR: ${DD_CONF_DIR}/managed\n"
        "  DD_FIPS_ENABLED: false\n"
        '  DD_SITE: "us2.ddog-gov.com"\n'
    )
    source = "/opt/datadog-agent/processes.d/datadog-agent-process.yaml"
    assert procmgr_definition(text, source) == [
        Override("DD_FIPS_ENABLED", "false", source, 6),
        Override("DD_SITE", "us2.ddog-gov.com", source, 7),
    ]
    assert procmgr_definition("command: x\n", source) == []
    assert procmgr_definition("env: [\n", source) == []  # not YAML: dd-procmgrd skips it too
