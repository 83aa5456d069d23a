"""``system-probe.yaml`` and ``security-agent.yaml`` from their examples, as the install asks.

Datadog's install script creates these from the Agent package's ``.example``
files when ``DD_SYSTEM_PROBE_ENSURE_CONFIG``, ``DD_RUNTIME_SECURITY_CONFIG_ENABLED``
or ``DD_COMPLIANCE_CONFIG_ENABLED`` asks, and turns on
``runtime_security_config`` (in both files) and ``compliance_config`` (in
``security-agent.yaml``); a file that exists is kept. Since its 1.37 it also
turns on system-probe modules: ``discovery`` (``DD_DISCOVERY_ENABLED``),
``privileged_logs`` (``DD_PRIVILEGED_LOGS_ENABLED``, Agent 7.72 and later) and
``service_monitoring_config`` (``DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED``).
The same settings are made here with the careful editor: where the example
documents a section (its commented ``# runtime_security_config:``), the live
block goes there. Cloud Security's payloads are among those the FIPS proxy
carries (ports 9816 and 9817); the modules' data is sent by the Agent's own
processes and logs senders, which it carries too.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from fipsconf.datadog_yaml import agent_setting, template_slots
from fipsconf.new_host import flag
from fipsconf.yamldoc import parse_yaml
from fipsconf.yamledit import Assignment, case_insensitive_keys, set_values

SYSTEM_PROBE_YAML = "/etc/datadog-agent/system-probe.yaml"
SECURITY_AGENT_YAML = "/etc/datadog-agent/security-agent.yaml"
RUNTIME_SECURITY = "runtime_security_config"
COMPLIANCE = "compliance_config"
DISCOVERY = "discovery"
PRIVILEGED_LOGS = "privileged_logs"
SERVICE_MONITORING = "service_monitoring_config"


class SecurityRequest(NamedTuple):
    """Which Cloud Security files and sections the install variables ask for."""

    system_probe: bool = False
    runtime_security: bool = False
    compliance: bool = False
    discovery: bool = False
    privileged_logs: bool = False
    service_monitoring: bool = False

    def files(self) -> dict[str, tuple[str, ...]]:
        """Each file to create, with the sections to turn on in it (in the vendor's order)."""
        wanted: dict[str, tuple[str, ...]] = {}
        if self.runtime_security or self.compliance:
            wanted[SECURITY_AGENT_YAML] = tuple(
                section
                for section, on in (
                    (RUNTIME_SECURITY, self.runtime_security),
                    (COMPLIANCE, self.compliance),
                )
                if on
            )
        probe_sections = tuple(
            section
            for section, on in (
                (RUNTIME_SECURITY, self.runtime_security),
                (DISCOVERY, self.discovery),
                (PRIVILEGED_LOGS, self.privileged_logs),
                (SERVICE_MONITORING, self.service_monitoring),
            )
            if on
        )
        if probe_sections or self.system_probe:
            wanted[SYSTEM_PROBE_YAML] = probe_sections
        return wanted


def security_request(environment: Mapping[str, str]) -> SecurityRequest:
    """The Cloud Security and system-probe variables. Raises SettingError for a value not yes/no."""
    return SecurityRequest(
        system_probe=flag(
            "DD_SYSTEM_PROBE_ENSURE_CONFIG", environment.get("DD_SYSTEM_PROBE_ENSURE_CONFIG")
        ),
        runtime_security=flag(
            "DD_RUNTIME_SECURITY_CONFIG_ENABLED",
            environment.get("DD_RUNTIME_SECURITY_CONFIG_ENABLED"),
        ),
        compliance=flag(
            "DD_COMPLIANCE_CONFIG_ENABLED", environment.get("DD_COMPLIANCE_CONFIG_ENABLED")
        ),
        discovery=flag("DD_DISCOVERY_ENABLED", environment.get("DD_DISCOVERY_ENABLED")),
        privileged_logs=flag(
            "DD_PRIVILEGED_LOGS_ENABLED", environment.get("DD_PRIVILEGED_LOGS_ENABLED")
        ),
        service_monitoring=flag(
            "DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED",
            environment.get("DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED"),
        ),
    )


def config_from_example(example: str, sections: tuple[str, ...]) -> str:
    """The example with ``<section>.enabled: true`` for each of ``sections``.

    Raises DocumentError (the editor checks that the result means exactly the
    example's data plus these settings).
    """
    doc = parse_yaml(example)
    if not sections:
        return example
    assignments = [Assignment((section, "enabled"), True) for section in sections]
    return set_values(
        doc,
        assignments,
        keys_match=case_insensitive_keys,
        top_level_slots=template_slots(doc, list(sections)),
    ).text


def sections_not_enabled(text: str, sections: tuple[str, ...]) -> list[str]:
    """Those of ``sections`` whose ``enabled`` is not true in ``text``. Raises DocumentError."""
    data = parse_yaml(text).data
    return [section for section in sections if not _enabled(agent_setting(data, section))]


def _enabled(section: Any) -> bool:
    value = agent_setting(section, "enabled")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
