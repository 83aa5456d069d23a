"""Agent 7.84's layout on booted hosts: dd-procmgrd runs the payloads (apt, dnf, zypper).

From 7.84 the Agent's payloads run under the process manager, ``dd-procmgrd``,
hosted by ``datadog-agent-procmgr.service`` (``BindsTo=datadog-agent.service``),
not in per-payload systemd units. The stand-in 7.84 package has that layout
(the process Agent declared in ``processes.d``, sending to the processes
intake, or through the proxy's port 9807 with ``fips.enabled``) and the
schema-generated 2026 ``datadog.yaml.example``. One host per family, several
checks on each: what ``status`` says of the payloads, US2-FED refused with
nothing changed, ``enable`` (dd-procmgrd restarted with the Agent, the process
Agent's payloads through the proxy, the 2026 ``# fips:`` block uncommented in
place), ``doctor``'s supervision and Remote Configuration checks, and then
``disable`` (apt, zypper) or ``migrate`` to a FIPS Agent of the same layout (dnf).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict

import pytest

from .harness import API_KEY, DATADOG_YAML
from .host import TestHost
from .util import wait_until

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
AGENT_784 = "7.84.1"
PROCMGR = "datadog-agent-procmgr"
DIRECT = "https://process.ddog-gov.com/api/v1/collector"
PROXIED = "http://localhost:9807/api/v1/collector"
ENVIRONMENT = "/etc/datadog-agent/environment"


def process_agent_sends_to(host: TestHost, endpoint: str, after: int = 0) -> Dict[str, Any]:
    """Wait until the process Agent (a new one: pid other than ``after``) acks to ``endpoint``."""

    def probe() -> Dict[str, Any] | None:
        state = host.process_agent_stats()
        good = state.get("endpoint") == endpoint and state.get("pid") != after
        return state if good and state.get("acked", 0) >= 3 else None

    return wait_until(probe, timeout=20, what=f"the process Agent sending to {endpoint}")


def checks(document: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {check["id"]: check for check in document["checks"]}


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_agent_784_under_dd_procmgrd(make_host: MakeHost, family: str) -> None:
    started = time.monotonic()
    fips_agents = (AGENT_784,) if family == "rhel" else ()
    host = make_host(family=family, agent_version=AGENT_784, fips_agent_versions=fips_agents)
    host.install_toolkit()
    assert host.is_active(PROCMGR)
    before = process_agent_sends_to(host, DIRECT)

    # status: the process manager path, and what dd-procmgrd runs (asked as dd-agent)
    status = host.fips_setup("status", json=True)
    assert status.returncode == 0, status.stdout + status.stderr
    supervision = status.data["agent_supervision"]
    assert supervision["manager"] == "procmgr"
    assert [(p["name"], p["state"]) for p in supervision["processes"]] == [
        ("datadog-agent-process", "Running")
    ]
    assert supervision["processes"][0]["pid"] == before["pid"]

    # US2-FED: the proxy would send this host's data to US1-FED; refused, nothing changed
    original = host.read_bytes(DATADOG_YAML)
    us2 = original.replace(b"\nsite: ddog-gov.com\n", b"\nsite: us2.ddog-gov.com\n")
    host.write_file(DATADOG_YAML, us2, mode=0o640, owner="dd-agent:dd-agent")
    refused = host.fips_setup("enable", "--allow-other-site", json=True)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.data["error"] == "precondition"
    assert refused.data["msg"].startswith(f"{DATADOG_YAML}:")
    assert "site is us2.ddog-gov.com (US2-FED)" in refused.data["msg"]
    assert host.read_bytes(DATADOG_YAML) == us2
    assert host.installed_version("datadog-fips-proxy") is None
    host.write_file(DATADOG_YAML, original, mode=0o640, owner="dd-agent:dd-agent")

    # enable: the Agent restarts, and dd-procmgrd (bound to it) with the process Agent
    procmgr_since = host.service_start_timestamp(PROCMGR)
    enabled = host.fips_setup("enable", json=True)
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    verification = checks(enabled.data["verification"])
    assert verification["agent-supervision"]["status"] == "pass"
    assert API_KEY not in enabled.stdout + enabled.stderr
    assert host.service_start_timestamp(PROCMGR) > procmgr_since
    proxied = process_agent_sends_to(host, PROXIED, after=before["pid"])
    assert proxied["failed"] == 0
    relayed = [r for r in host.intake_stats().process_payloads() if r["host"] == "localhost:9807"]
    assert relayed, "no process payload came through the proxy"
    # the 2026 example: the commented block uncommented in place, its docs kept
    text = host.read_file(DATADOG_YAML)
    assert "\nfips:\n\n#   # @param enabled - boolean" in text
    assert "\n#\n  enabled: true\n  https: false\n" in text
    assert '\n#   local_address: "localhost"\n' in text

    # doctor: the payloads' supervision; Remote Configuration on would leave outside the proxy
    host.write_file(ENVIRONMENT, "DD_REMOTE_CONFIGURATION_ENABLED=true\n", mode=0o640)
    doctor = host.fips_setup("doctor", "--no-agent-check", json=True)
    found = checks(doctor.data)
    assert found["agent-supervision"]["status"] == "pass", found["agent-supervision"]
    assert "dd-procmgrd (datadog-agent-procmgr) supervises" in found["agent-supervision"]["finding"]
    assert found["remote-config"]["status"] == "fail"
    assert f"DD_REMOTE_CONFIGURATION_ENABLED in {ENVIRONMENT}" in found["remote-config"]["finding"]
    assert found["site"]["finding"].startswith("site is ddog-gov.com (US1-FED)")
    assert doctor.returncode == 1
    host.run(["rm", "-f", ENVIRONMENT])

    if family == "rhel":  # to the FIPS Agent of the same layout
        moved = host.fips_setup("migrate", json=True)
        assert moved.returncode == 0, moved.stdout + moved.stderr
        verified = checks(moved.data["verification"])
        assert verified["agent-supervision"]["status"] == "pass"
        assert host.installed_version("datadog-fips-agent") is not None
        assert host.is_active(PROCMGR)
        process_agent_sends_to(host, DIRECT, after=proxied["pid"])
    else:
        disabled = host.fips_setup("disable", json=True)
        assert disabled.returncode == 0, disabled.stdout + disabled.stderr
        process_agent_sends_to(host, DIRECT, after=proxied["pid"])
        assert host.is_active(PROCMGR)
    print(f"\n{family}: Agent {AGENT_784} under dd-procmgrd, {time.monotonic() - started:.1f} s")
