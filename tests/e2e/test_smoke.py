"""Smoke tests of the e2e harness itself: the stand-ins, package managers and signatures.

These do by hand what the vendor documentation says (no fips-setup yet), to prove
the test hosts behave like real ones before the toolkit's scenarios rely on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from .harness import API_KEY, DATADOG_YAML, Harness
from .host import DIRECT_SNI, PROXY_METRICS_SNI, TestHost
from .util import wait_until

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
PROXY_ENDPOINT = "http://localhost:9804/api/v1/series"


def enable_proxy_by_hand(host: TestHost) -> None:
    """The vendor documentation's manual steps for an existing Agent."""
    host.install_packages("datadog-fips-proxy")
    assert not host.exists(PROXY_CFG), "the package must ship only the .example"
    host.run(["cp", f"{PROXY_CFG}.example", PROXY_CFG])
    host.run(["chown", "dd-agent:dd-agent", PROXY_CFG])
    host.run(["chmod", "640", PROXY_CFG])
    cfg = host.stat(PROXY_CFG)
    assert (cfg.owner, cfg.group, cfg.mode) == ("dd-agent", "dd-agent", 0o640)
    host.systemctl("restart", "datadog-fips-proxy")
    host.wait_for_port(9804)
    text = host.read_file(DATADOG_YAML)
    host.write_file(DATADOG_YAML, text + "\nfips:\n  enabled: true\n  https: false\n")
    host.systemctl("restart", "datadog-agent")


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_agent_moves_from_direct_to_the_proxy_without_losing_a_payload(
    make_host: MakeHost, e2e_harness: Harness, family: str
) -> None:
    host = make_host(family=family)
    assert host.installed_version("datadog-agent") == "1:7.50.3-1"
    conf = host.stat(DATADOG_YAML)
    assert (conf.owner, conf.group, conf.mode) == ("dd-agent", "dd-agent", 0o640)
    assert f"api_key: {API_KEY}" in host.read_file(DATADOG_YAML)
    assert host.run(["datadog-agent", "version"]).stdout.startswith("Agent 7.50.3 - Commit: ")

    direct = host.wait_for_intake(lambda s: s.count >= 5, what="5 direct payloads")
    assert set(direct.by_sni()) == {DIRECT_SNI}
    assert {r["host"] for r in direct.series} == {DIRECT_SNI}
    assert all(r["api_key"] for r in direct.series)

    started = host.service_start_timestamp("datadog-agent")
    enable_proxy_by_hand(host)
    assert host.installed_version("datadog-fips-proxy") == "1:1.1.17-1"
    assert host.service_start_timestamp("datadog-agent") > started
    assert host.is_active("datadog-fips-proxy")
    assert host.service_property("datadog-fips-proxy", "User") == "dd-agent"
    assert all(host.port_listening(port) for port in range(9803, 9819))

    host.wait_for_intake(lambda s: len(s.via_proxy()) >= 10, what="10 payloads via the proxy")
    host.systemctl("stop", "datadog-agent")
    agent = host.agent_stats()
    stats = host.intake_stats()
    assert agent.endpoint == PROXY_ENDPOINT and agent.fips
    assert agent.failed == 0, agent.last_error
    assert agent.queue_length == 0
    assert stats.missing(upto=agent.next_seq) == []
    assert set(stats.by_sni()) == {DIRECT_SNI, PROXY_METRICS_SNI}
    assert {r["host"] for r in stats.via_proxy()} == {"localhost:9804"}
    switch = stats.series.index(stats.via_proxy()[0])
    assert all(r["sni"] == PROXY_METRICS_SNI for r in stats.series[switch:])

    # The vendor's verification step, run as dd-agent, passes through the proxy.
    diagnose = host.run(
        ["datadog-agent", "diagnose", "--include", "connectivity-datadog-core-endpoints"],
        user="dd-agent",
    )
    assert "PASS" in diagnose.stdout and "http://localhost:9804" in diagnose.stdout
    old_form = ["datadog-agent", "diagnose", "datadog-connectivity"]
    assert host.run(old_form, user="dd-agent", check=False).returncode != 0

    if family != "debian":  # the packages came signed by the trusted key, and rpm checked
        key_id = e2e_harness.trusted_key.fingerprint[-16:].lower()
        signature = host.run(["rpm", "-q", "--qf", "%{RSAHEADER:pgpsig}", "datadog-agent"]).stdout
        assert key_id in signature.lower()


def test_agent_keeps_every_payload_across_an_outage_and_a_restart(make_host: MakeHost) -> None:
    host = make_host(family="debian")
    host.systemctl("stop", "fips-e2e-intake")
    wait_until(lambda: host.agent_stats().failed >= 5, timeout=20, what="failed sends")
    host.systemctl("restart", "datadog-agent")  # the queue survives in the state file
    wait_until(lambda: host.agent_stats().queue_length >= 10, timeout=20, what="a queue")
    host.systemctl("start", "fips-e2e-intake")
    wait_until(lambda: host.agent_stats().queue_length == 0, timeout=20, what="the queue to drain")
    host.systemctl("stop", "datadog-agent")
    agent = host.agent_stats()
    assert agent.failed >= 5
    assert host.intake_stats().missing(upto=agent.next_seq) == []


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_a_proxy_upgrade_ships_a_new_example_and_keeps_the_config(
    make_host: MakeHost, e2e_harness: Harness, family: str
) -> None:
    host = make_host(family=family)
    enable_proxy_by_hand(host)
    old_example = host.read_file(f"{PROXY_CFG}.example")
    config = host.read_file(PROXY_CFG)
    started = host.service_start_timestamp("datadog-fips-proxy")

    assert host.repo is not None
    kind = "deb" if family == "debian" else "rpm"
    host.repo.add([e2e_harness.packages.fips_proxy("1.1.18", kind)])
    host.repo.publish(e2e_harness.trusted_key)
    host.upgrade_packages("datadog-fips-proxy")

    assert host.installed_version("datadog-fips-proxy") == "1:1.1.18-1"
    assert host.read_file(f"{PROXY_CFG}.example") != old_example
    assert host.read_file(PROXY_CFG) == config
    assert host.service_start_timestamp("datadog-fips-proxy") > started  # restarted
    host.wait_for_port(9804)


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_the_fips_agent_replaces_the_agent_and_back_by_hand(
    make_host: MakeHost, family: str
) -> None:
    """What a move to the FIPS Agent does with the package managers, and its way back."""
    host = make_host(family=family, fips_agent_versions=("7.65.2",))
    # The proxy's package stays installed throughout, as on a proxied host (and zypper
    # cannot cache an rpm database left with no package at all, which no real host has).
    host.install_packages("datadog-fips-proxy")
    assert host.run(["datadog-agent", "status"]).stdout.count("FIPS Mode: disabled") == 1
    clash = host.install_packages("datadog-fips-agent", check=False)
    assert clash.returncode != 0  # no Replaces: the two packages' files clash
    assert host.installed_version("datadog-fips-agent") is None

    host.remove_packages("datadog-agent")
    assert host.exists(DATADOG_YAML)  # removed, not purged: the configuration stays
    host.install_packages("datadog-fips-agent")
    assert host.is_active("datadog-agent")  # same service, started on the kept datadog.yaml
    assert "FIPS Mode: enabled" in host.run(["datadog-agent", "status"]).stdout
    stats = host.wait_for_intake(
        lambda s: len(s.sent_by("datadog-fips-agent")) >= 3, what="the FIPS Agent's payloads"
    )
    assert {r["sni"] for r in stats.sent_by("datadog-fips-agent")} == {DIRECT_SNI}
    assert host.agent_stats().package == "datadog-fips-agent"

    host.remove_packages("datadog-fips-agent")
    host.install_packages(host.exact_package("datadog-agent", "1:7.50.3-1"), refresh=False)
    assert host.installed_version("datadog-agent") == "1:7.50.3-1"
    assert "FIPS Mode: disabled" in host.run(["datadog-agent", "status"]).stdout
    host.wait_for_intake(
        lambda s: len(s.sent_by("datadog-agent")) > len(stats.sent_by("datadog-agent")) + 3,
        what="the Agent's payloads again",
    )


def test_environment_overrides_win_over_datadog_yaml(make_host: MakeHost) -> None:
    host = make_host(family="debian", proxy_repo=False)
    assert "\nfips:" not in host.read_file(DATADOG_YAML)  # only the commented template
    host.write_file("/etc/datadog-agent/environment", "DD_FIPS_ENABLED=true\nDD_FIPS_HTTPS=false\n")
    host.systemctl("restart", "datadog-agent")
    # No proxy here: the Agent silently stops reporting, and counts its failures.
    wait_until(lambda: host.agent_stats().run_failed >= 3, timeout=15, what="failed sends")
    agent = host.agent_stats()
    assert agent.endpoint == PROXY_ENDPOINT and agent.acked == host.intake_stats().count


def test_diagnose_command_depends_on_the_agent_version(make_host: MakeHost) -> None:
    host = make_host(family="debian", agent_version="7.47.0")
    assert host.installed_version("datadog-agent") == "1:7.47.0-1"
    old = host.run(["datadog-agent", "diagnose", "datadog-connectivity"], user="dd-agent")
    assert "PASS" in old.stdout and "https://app.ddog-gov.com" in old.stdout
    new = host.run(
        ["datadog-agent", "diagnose", "--include", "connectivity-datadog-core-endpoints"],
        user="dd-agent",
        check=False,
    )
    assert new.returncode != 0 and "unknown flag" in new.stderr


@pytest.mark.parametrize(
    ("family", "error"),
    [("debian", "NO_PUBKEY"), ("rhel", "signature"), ("suse", "signature")],
)
def test_a_bad_repository_signature_stops_the_install(
    make_host: MakeHost, family: str, error: str
) -> None:
    host = make_host(family=family, agent_installed=False, bad_signature=True)
    result = host.install_packages("datadog-agent", check=False)
    assert result.returncode != 0
    assert error.lower() in (result.stdout + result.stderr).lower()
    assert host.install_packages("datadog-agent", refresh=False, check=False).returncode != 0
    query = ["dpkg", "-s"] if family == "debian" else ["rpm", "-q"]
    assert host.run([*query, "datadog-agent"], check=False).returncode != 0


def test_the_toolkit_runs_from_its_zipapp_with_the_agents_python(make_host: MakeHost) -> None:
    host = make_host(family="debian")
    host.install_toolkit()
    assert host.toolkit_command()[0] == "/opt/datadog-agent/embedded/bin/python3"
    result = host.fips_setup("configure", "--dry-run", json=True)
    assert result.returncode == 0, result.stderr
    assert result.data is not None and result.data["changed"] is True


def test_shutdown_leaves_no_process_mount_or_directory(e2e_harness: Harness) -> None:
    host = e2e_harness.make_host(family="debian", agent_installed=False)
    nspawn_pid, root = host._nspawn.pid, host.root  # type: ignore[union-attr]
    host.shutdown()
    assert not Path(f"/proc/{nspawn_pid}").exists()
    assert not root.exists()
    assert str(root) not in Path("/proc/self/mountinfo").read_text()
