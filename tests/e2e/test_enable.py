"""``fips-setup enable`` and ``disable`` on booted hosts, for real (issue 4's scenarios).

Each host has the stand-in Agent reporting directly to the stand-in intake;
the toolkit runs from its zipapp with the Agent's python3, through the real
apt, dnf or zypper, systemd and HAProxy. "No gap" is measured, not assumed:
every sequence number the Agent sent must reach the intake and the Agent
must have counted no failed send.
"""

from __future__ import annotations

import time
from typing import Callable

import pytest

from .harness import API_KEY, DATADOG_YAML, Harness
from .host import DIRECT_SNI, PROXY_METRICS_SNI, TestHost

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
PROXY_ENDPOINT = "http://localhost:9804/api/v1/series"


def ready_host(make_host: MakeHost, family: str = "debian", **options: object) -> TestHost:
    host = make_host(family=family, **options)
    host.install_toolkit()
    host.wait_for_intake(lambda s: len(s.direct()) >= 3, what="3 direct payloads")
    return host


def assert_no_gap(host: TestHost) -> tuple[int, int]:
    """Stop the Agent; every payload it sent arrived and no send failed. (sent, via proxy)"""
    host.systemctl("stop", "datadog-agent")
    agent = host.agent_stats()
    stats = host.intake_stats()
    assert agent.failed == 0, agent.last_error
    assert agent.queue_length == 0
    assert stats.missing(upto=agent.next_seq) == []
    return agent.next_seq, len(stats.via_proxy())


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_enable_moves_the_agent_to_the_proxy_without_a_gap(
    make_host: MakeHost, family: str
) -> None:
    host = ready_host(make_host, family)
    started = time.monotonic()
    result = host.fips_setup("enable", json=True)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    doc = result.data
    assert doc is not None and doc["changed"] is True and doc["failed"] is False
    assert API_KEY not in result.stdout + result.stderr

    assert host.is_active("datadog-fips-proxy")
    assert host.systemctl("is-enabled", "datadog-fips-proxy").stdout.strip() == "enabled"
    cfg = host.stat(PROXY_CFG)
    assert (cfg.owner, cfg.group, cfg.mode) == ("dd-agent", "dd-agent", 0o640)
    assert host.read_file(PROXY_CFG) == host.read_file(PROXY_CFG + ".example")
    assert "\nfips:\n  enabled: true\n  https: false\n" in host.read_file(DATADOG_YAML)
    assert all(host.port_listening(port) for port in range(9803, 9819))

    host.wait_for_intake(lambda s: len(s.via_proxy()) >= 10, what="10 payloads via the proxy")
    assert host.agent_stats().endpoint == PROXY_ENDPOINT
    sent, proxied = assert_no_gap(host)
    assert {r["sni"] for r in host.intake_stats().series} == {DIRECT_SNI, PROXY_METRICS_SNI}
    print(
        f"\n{family}: enable {elapsed:.1f} s; {sent} payloads sent, {proxied} via the proxy, 0 lost"
    )


def test_a_second_enable_changes_and_restarts_nothing(make_host: MakeHost) -> None:
    host = ready_host(make_host)
    assert host.fips_setup("enable", json=True).returncode == 0
    before = {
        unit: (host.service_start_timestamp(unit), host.n_restarts(unit))
        for unit in ("datadog-agent", "datadog-fips-proxy")
    }
    files = {path: host.read_bytes(path) for path in (DATADOG_YAML, PROXY_CFG)}
    again = host.fips_setup("enable", json=True)
    assert again.returncode == 0, again.stderr
    assert again.data is not None and again.data["changed"] is False
    assert again.data["actions"] == []
    after = {
        unit: (host.service_start_timestamp(unit), host.n_restarts(unit))
        for unit in ("datadog-agent", "datadog-fips-proxy")
    }
    assert after == before
    assert {path: host.read_bytes(path) for path in files} == files


def test_a_port_clash_is_refused_and_nothing_changes(make_host: MakeHost) -> None:
    host = ready_host(make_host)
    host.run(
        ["systemd-run", "--unit=squatter", "python3", "-m", "http.server", "9806",
         "--bind", "127.0.0.1"]
    )  # fmt: skip
    host.wait_for_port(9806)
    original = host.read_bytes(DATADOG_YAML)
    result = host.fips_setup("enable")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "port 9806 (pid " in result.stderr
    assert "python3 -m http.server 9806 --bind 127.0.0.1" in result.stderr
    assert host.read_bytes(DATADOG_YAML) == original
    assert not host.exists(PROXY_CFG)
    installed = host.run(["dpkg-query", "-W", "datadog-fips-proxy"], check=False)
    assert installed.returncode != 0
    count = len(host.intake_stats().direct())
    host.wait_for_intake(lambda s: len(s.direct()) >= count + 3, what="more direct payloads")


def test_disable_goes_back_to_direct_without_a_gap(make_host: MakeHost) -> None:
    host = ready_host(make_host, "rhel")
    assert host.fips_setup("enable", json=True).returncode == 0
    host.wait_for_intake(lambda s: len(s.via_proxy()) >= 3, what="payloads via the proxy")
    result = host.fips_setup("disable", json=True)
    assert result.returncode == 0, result.stderr
    assert result.data is not None and result.data["changed"] is True
    assert not host.is_active("datadog-fips-proxy")
    assert "  enabled: false\n" in host.read_file(DATADOG_YAML)
    direct_before = len(host.intake_stats().direct())
    host.wait_for_intake(
        lambda s: len(s.direct()) >= direct_before + 5, what="direct payloads again"
    )
    assert_no_gap(host)
    assert host.fips_setup("disable", json=True).data["changed"] is False  # type: ignore[index]


def test_disable_gets_through_systemds_start_limit_on_the_agent(make_host: MakeHost) -> None:
    """Runs in a row reach the Agent's start limit; disable's restart still happens.

    The limit is made 3 starts in 10 minutes so that the test reaches it at
    will. ``disable`` restarts the Agent before anything reloads systemd
    (``systemctl enable``/``disable`` and package scripts do, and a reload
    clears the count).
    """
    host = ready_host(make_host)
    assert host.fips_setup("enable", json=True).returncode == 0
    dropin = "/etc/systemd/system/datadog-agent.service.d/start-limit.conf"
    host.run(["mkdir", "-p", dropin.rsplit("/", 1)[0]])
    host.write_file(dropin, "[Unit]\nStartLimitIntervalSec=600\nStartLimitBurst=3\n")
    host.systemctl("daemon-reload")
    host.systemctl("reset-failed", "datadog-agent", check=False)
    for _ in range(3):  # the count starts again at reset-failed: the limit is now reached
        host.systemctl("restart", "datadog-agent")
    since = "@" + host.run(["date", "+%s"]).stdout.strip()
    result = host.fips_setup("disable", json=True)
    assert result.returncode == 0, result.stdout + result.stderr
    journal = host.run(
        ["journalctl", "-u", "datadog-agent", "--since", since, "--no-pager", "-o", "cat"]
    ).stdout
    assert "Start request repeated too quickly" in journal  # the limit was really reached
    assert host.is_active("datadog-agent")
    direct_before = len(host.intake_stats().direct())
    host.wait_for_intake(lambda s: len(s.direct()) >= direct_before + 3, what="direct payloads")


@pytest.mark.parametrize("family", ["debian", "rhel"])
def test_a_bad_repository_signature_fails_clearly_and_changes_nothing(
    make_host: MakeHost, family: str
) -> None:
    host = ready_host(make_host, family, bad_signature=True)
    original = host.read_bytes(DATADOG_YAML)
    result = host.fips_setup("enable", json=True)
    assert result.returncode == 1
    doc = result.data
    assert doc is not None and doc["failed"] is True
    assert "nothing was changed" in doc["msg"]
    # apt refuses the InRelease signature; dnf uses a file:// repository in place
    # ("local repository") and catches the re-signed packages by their checksum.
    words = {"debian": ("GPG error", "NO_PUBKEY"), "rhel": ("incorrect checksum",)}[family]
    assert any(word in doc["msg"] for word in words), doc["msg"]
    assert host.read_bytes(DATADOG_YAML) == original
    assert not host.is_active("datadog-fips-proxy")
    assert not host.exists(PROXY_CFG)


def test_status_reports_the_proxy(make_host: MakeHost, e2e_harness: Harness) -> None:
    host = ready_host(make_host, "suse")
    assert host.fips_setup("enable").returncode == 0
    result = host.fips_setup("status", json=True)
    assert result.returncode == 0
    doc = result.data
    assert doc is not None
    assert doc["platform"]["family"] == "suse"
    assert doc["effective"]["enabled"] is True and doc["effective"]["https"] is False
    assert doc["services"]["datadog-fips-proxy"] == {"active": True, "enabled": True}
    assert {p["port"] for p in doc["ports"]} == set(range(9803, 9819))
    assert all("datadog-fips-proxy" in p["command"] for p in doc["ports"])
    assert doc["proxy_config"]["owner_and_mode_ok"] is True
    assert API_KEY not in result.stdout
