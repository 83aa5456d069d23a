"""The NIST SP 800-53 Rev. 5 controls the evidence speaks to, and what each check supports."""

from __future__ import annotations

from typing import NamedTuple


class Control(NamedTuple):
    """One control: its id as people write it, its OSCAL id, its HDF tag, its title."""

    id: str  # "SC-8(1)"
    oscal_id: str  # "sc-8.1"
    hdf_tag: str  # "SC-8 (1)"
    title: str
    statement: str  # what the control asks, in a sentence, as it applies here


CONTROLS = (
    Control(
        "SC-13",
        "sc-13",
        "SC-13",
        "Cryptographic Protection",
        "the Agent's payloads are encrypted by a FIPS-validated cryptographic module",
    ),
    Control(
        "SC-8",
        "sc-8",
        "SC-8",
        "Transmission Confidentiality and Integrity",
        "payloads cross no network in clear: plain HTTP only on loopback, TLS to the intake",
    ),
    Control(
        "SC-8(1)",
        "sc-8.1",
        "SC-8 (1)",
        "Transmission Confidentiality and Integrity | Cryptographic Protection",
        "the protection in transit is cryptographic: approved TLS versions and ciphers, the"
        " intake's certificate verified",
    ),
    Control(
        "CM-6",
        "cm-6",
        "CM-6",
        "Configuration Settings",
        "the settings the vendor documents for FIPS mode are in effect, and protected",
    ),
    Control(
        "CM-2",
        "cm-2",
        "CM-2",
        "Baseline Configuration",
        "the host runs the vendor's components at supported versions, configured from the"
        " package's baseline",
    ),
)
BY_ID = {control.id: control for control in CONTROLS}

#: The controls each doctor check's finding supports (checks not listed support none).
DOCTOR_CONTROLS: dict[str, tuple[str, ...]] = {
    "platform": ("CM-2",),
    "agent-installed": ("CM-2",),
    "fips-agent": ("SC-13",),
    "proxy-installed": ("CM-2",),
    "proxy-config": ("CM-6",),
    "proxy-config-valid": ("CM-6",),
    "proxy-config-current": ("CM-2",),
    "kernel-fips": ("SC-13",),
    "crypto-module": ("SC-13",),
    "datadog-yaml": ("CM-6",),
    "fips-enabled": ("SC-13", "SC-8(1)", "CM-6"),
    "fips-https": ("CM-6",),
    "fips-local-address": ("SC-8", "CM-6"),
    "fips-port-range": ("CM-6",),
    "site": ("CM-6",),
    "http-proxy": ("CM-6",),
    "remote-config": ("SC-13", "SC-8(1)"),
    "proxy-version": ("CM-2",),
    "proxy-service": ("SC-8", "SC-13"),
    "proxy-ports": ("SC-8",),
    "agent-to-proxy": ("SC-8",),
    "proxy-to-intake": ("SC-8",),
    "fips-mode": ("SC-13",),
    "agent-connectivity": ("SC-8",),
}
