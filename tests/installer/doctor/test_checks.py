"""Each doctor check on a fake host: passes when healthy, names the problem and its fix when not.

Journal lines and command output are recorded from a real Debian 12 test host
(HAProxy 2.6, systemd 252) and the vendor's documentation.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.doctor import DoctorOptions, doctor
from installer.doctor import preload as real_preload  # before the fixtures stub it
from installer.net import CONNECT_TIMEOUT, EMPTY, REFUSED, DnsAnswer, HttpAnswer
from tests.fakes import WALL_START, FakeHost
from tests.installer.conftest import DATADOG_YAML, PROCMGR_PROCESS, HostFactory, procmgr_path
from tests.installer.doctor.conftest import (
    CONFIG,
    PROXY_CFG,
    PROXY_PID,
    Doctor,
    listen,
    stop_listening,
)

INFO_ONLY = {"proxy-deprecated", "logs-collection", "kernel-fips", "crypto-module"}


def test_a_healthy_host_passes_every_check(healthy: FakeHost, run_doctor: Doctor) -> None:
    checks = run_doctor(healthy)
    assert {c.id for c in checks.values() if c.status != "pass"} == INFO_ONLY | {"fips-mode"}
    assert all(c.status == "info" for i, c in checks.items() if i in INFO_ONLY)
    assert checks["fips-mode"].status == "skip"  # the FIPS Agent's; a proxied Agent says "proxy"
    assert checks["proxy-deprecated"].fix == (
        "fips-setup migrate --dry-run (the plan), then fips-setup migrate: checked, verified,"
        " and undone by fips-setup rollback"
    )
    assert checks["proxy-ports"].finding == "all 16 ports 9803-9818 are held by the proxy (pid 500)"
    assert "1 of 1 endpoints passed" in checks["agent-connectivity"].finding
    assert checks["proxy-dns"].finding == (
        "10.0.0.53:53 (/etc/resolv.conf) resolves haproxy-app.agent.ddog-gov.com -> 10.1.2.3"
    )
    assert all(c.fix is None for c in checks.values() if c.status == "pass")
    # the Agent's check ran as dd-agent; haproxy -c as well
    users = dict(zip(map(tuple, healthy.system.calls), healthy.system.users))
    assert users[
        ("/opt/datadog-agent/bin/agent/agent", "diagnose", "--include",
         "connectivity-datadog-core-endpoints")
    ] == "dd-agent"  # fmt: skip
    assert users[("/opt/datadog-fips-proxy/embedded/sbin/haproxy", "-c", "-f", PROXY_CFG)] == (
        "dd-agent"
    )


def test_the_json_document(healthy: FakeHost) -> None:
    calls = len(healthy.system.calls)
    result = doctor(healthy, DoctorOptions(Path(CONFIG), agent_check=False))
    document = result.record()
    assert document["failed"] is False and document["changed"] is False
    assert "error" not in document
    assert all(set(c) == {"id", "status", "finding", "fix"} for c in document["checks"])
    assert {c["status"] for c in document["checks"]} <= {"pass", "warn", "fail", "skip", "info"}
    left_out = [c for c in document["checks"] if c["id"] == "agent-connectivity"]
    assert left_out == [
        {"id": "agent-connectivity", "status": "skip", "finding": "left out (--no-agent-check)",
         "fix": None}
    ]  # fmt: skip
    assert document["summary"]["fail"] == 0
    assert not any(c[0].endswith("/agent") for c in healthy.system.calls[calls:])


def test_a_stopped_proxy(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.active["datadog-fips-proxy"] = False
    stop_listening(PROXY_PID)
    checks = run_doctor(healthy, agent_check=False)
    assert checks["proxy-service"].status == "fail"
    assert checks["proxy-service"].finding == "datadog-fips-proxy is inactive (dead): stopped"
    assert checks["proxy-service"].fix == "systemctl start datadog-fips-proxy"
    assert checks["proxy-ports"].finding.startswith("none of ports 9803-9818 is listening")
    assert checks["agent-to-proxy"].status == "fail"
    assert "connection refused: nothing listens on port 9804" in checks["agent-to-proxy"].finding
    assert checks["proxy-to-intake"].status == "skip"
    result = doctor(healthy, DoctorOptions(Path(CONFIG), agent_check=False))
    assert result.failed and result.record()["error"] == "checks-failed"
    assert result.msg.startswith("3 check(s) failed: proxy-service, proxy-ports, agent-to-proxy")


BIND_JOURNAL = [
    "Starting datadog-fips-proxy.service - Datadog FIPS Proxy...",
    "[NOTICE]   (608) : haproxy version is 2.6.12-1+deb12u4",
    "[ALERT]    (608) : Binding [/etc/datadog-fips-proxy/datadog-fips-proxy.cfg:63] for frontend"
    " profiles-forwarder: cannot bind socket (Address already in use) for [127.0.0.1:9806]",
    "[ALERT]    (608) : [/usr/sbin/haproxy.main()] Some protocols failed to start their"
    " listeners! Exiting.",
    "datadog-fips-proxy.service: Main process exited, code=exited, status=1/FAILURE",
    "datadog-fips-proxy.service: Failed with result 'exit-code'.",
    "Failed to start datadog-fips-proxy.service - Datadog FIPS Proxy.",
]


def test_a_port_held_by_another_process(
    healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    healthy.system.active["datadog-fips-proxy"] = False
    healthy.system.failed_units.add("datadog-fips-proxy")
    healthy.system.restarts["datadog-fips-proxy"] = 5
    stop_listening(PROXY_PID)
    listen(fs, range(9806, 9807), 4242, b"python3\0-m\0http.server\x009806\0")
    healthy.system.journal = BIND_JOURNAL
    checks = run_doctor(healthy, agent_check=False)
    service = checks["proxy-service"]
    assert service.status == "fail"
    assert service.finding == (
        "datadog-fips-proxy is failed (failed, exit-code) (restarted 5 times): it cannot bind"
        " 127.0.0.1:9806"
        " (Address already in use): held by pid 4242 (python3 -m http.server 9806)"
    )
    assert service.fix is not None
    assert service.fix.startswith("stop pid 4242, then: systemctl restart datadog-fips-proxy")
    ports = checks["proxy-ports"]
    assert ports.status == "fail"
    assert "9806 by pid 4242 (python3 -m http.server 9806)" in ports.finding


DOWN_JOURNAL = [
    "Starting datadog-fips-proxy.service - Datadog FIPS Proxy...",
    "[NOTICE]   (407) : New worker (410) forked",
    "[WARNING]  (410) : Server datadog-metrics/mothership ('haproxy-app.agent.ddog-gov.com') is"
    " UP/READY (resolves again).",
    "Started datadog-fips-proxy.service - Datadog FIPS Proxy.",
    "[WARNING]  (410) : Server datadog-traces/mothership is DOWN, reason: Layer4 timeout, check"
    " duration: 2001ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0"
    " remaining in queue.",
    "[ALERT]    (410) : backend 'datadog-traces' has no server available!",
    "[WARNING]  (410) : Server datadog-metrics/mothership is DOWN, reason: Layer4 timeout, check"
    " duration: 2000ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0"
    " remaining in queue.",
    "[ALERT]    (410) : backend 'datadog-metrics' has no server available!",
]


def test_intake_servers_down(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.journal = DOWN_JOURNAL
    healthy.system.http_answers["/"] = HttpAnswer(503, "", "Service Unavailable", 0.002)
    checks = run_doctor(healthy, agent_check=False)
    assert checks["agent-to-proxy"].status == "pass"
    assert "answered HTTP 503: the Agent reaches the proxy" in checks["agent-to-proxy"].finding
    intake = checks["proxy-to-intake"]
    assert intake.status == "fail"
    assert intake.finding == (
        "2 intake server(s) DOWN in the proxy's journal (datadog-traces/mothership,"
        " datadog-metrics/mothership): Layer4 timeout: connections to the intake time out: a"
        " firewall or a missing route drops them"
    )
    assert intake.fix is not None and "allow outbound TCP 443" in intake.fix


def test_servers_back_up_since_are_not_down(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.journal = [
        *DOWN_JOURNAL,
        "[WARNING]  (410) : Server datadog-traces/mothership is UP, reason: Layer6 check passed,"
        " check duration: 4ms. 1 active and 0 backup servers online.",
        "[WARNING]  (410) : Server datadog-metrics/mothership is UP, reason: Layer6 check passed,"
        " check duration: 2ms. 1 active and 0 backup servers online.",
    ]
    assert run_doctor(healthy, agent_check=False)["proxy-to-intake"].status == "pass"


def test_a_restart_forgets_the_previous_run(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.journal = [*DOWN_JOURNAL, *healthy.system.journal]
    assert run_doctor(healthy, agent_check=False)["proxy-to-intake"].status == "pass"


def test_dns_that_answers_nothing(healthy: FakeHost, run_doctor: Doctor) -> None:
    cfg = Path(PROXY_CFG)
    cfg.write_text(
        cfg.read_text().replace("    parse-resolv-conf\n", "    nameserver dns1 127.0.0.1:5354\n")
    )
    healthy.system.dns_answers[("127.0.0.1", 5354)] = DnsAnswer(
        "", [], "nothing answers on that port (connection refused)", 0.001
    )
    healthy.system.http_answers["/"] = HttpAnswer(503, "", "Service Unavailable", 0.002)
    checks = run_doctor(healthy, agent_check=False)
    dns = checks["proxy-dns"]
    assert dns.status == "fail"
    assert dns.finding == (
        "no nameserver of the proxy resolves haproxy-app.agent.ddog-gov.com: 127.0.0.1:5354"
        " (datadog-fips-proxy.cfg:10 (dns1)): nothing answers on that port (connection refused)"
    )
    assert dns.fix == (
        "fips-setup dns set --nameserver <your DNS server>[:PORT] (the proxy uses: resolvers"
        " my-dns: nameserver dns1 127.0.0.1:5354)"
    )
    intake = checks["proxy-to-intake"]
    assert intake.status == "fail" and "none of its nameservers resolves" in intake.finding
    assert intake.fix == dns.fix
    assert checks["proxy-config-current"].status == "pass"  # DNS lines are the operator's


def test_one_silent_nameserver_of_two_is_a_warning(healthy: FakeHost, run_doctor: Doctor) -> None:
    Path("/etc/resolv.conf").write_text("nameserver 10.0.0.53\nnameserver 10.0.0.54\n")
    healthy.system.dns_answers[("10.0.0.54", 53)] = DnsAnswer("", [], "no reply within 1 s", 1.0)
    dns = run_doctor(healthy, agent_check=False)["proxy-dns"]
    assert dns.status == "warn"
    assert "1 of 2 nameservers resolve" in dns.finding and "10.0.0.54:53" in dns.finding


def test_a_firewall_dropping_packets(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.http_answers["/"] = HttpAnswer(
        None, CONNECT_TIMEOUT, "no connection within 1 s", 1.0
    )
    check = run_doctor(healthy, agent_check=False)["agent-to-proxy"]
    assert check.status == "fail"
    assert check.finding == (
        "http://localhost:9804/: no connection within 1 s: a local firewall drops packets to"
        " port 9804"
    )
    assert check.fix is not None
    assert "iptables -I INPUT -i lo -p tcp --dport 9804:9818 -j ACCEPT" in check.fix


def test_a_firewall_rejecting(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.http_answers["/"] = HttpAnswer(None, REFUSED, "connection refused", 0.001)
    check = run_doctor(healthy, agent_check=False)["agent-to-proxy"]
    assert check.status == "fail"
    assert "refused although the proxy listens: a local firewall rejects it" in check.finding


def test_an_empty_reply_is_the_intake_side(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.http_answers["/"] = HttpAnswer(None, EMPTY, "empty reply", 0.01)
    checks = run_doctor(healthy, agent_check=False)
    assert checks["agent-to-proxy"].status == "pass"
    assert checks["proxy-to-intake"].status == "fail"
    assert checks["proxy-to-intake"].finding.startswith("the proxy answered empty reply")


def set_fips(block: str) -> None:
    Path(CONFIG).write_text(DATADOG_YAML.replace("# fips:\n", block))


def test_https_true(healthy: FakeHost, run_doctor: Doctor) -> None:
    set_fips("fips:\n  enabled: true\n  https: true\n")
    check = run_doctor(healthy, agent_check=False)["fips-https"]
    assert check.status == "fail"
    assert check.finding.startswith("fips.https is true (file): the Agent speaks TLS")
    assert check.fix == "fips-setup enable (sets fips.https: false, restarts the Agent)"


def test_https_left_to_the_default(healthy: FakeHost, run_doctor: Doctor) -> None:
    set_fips("fips:\n  enabled: true\n")
    check = run_doctor(healthy, agent_check=False)["fips-https"]
    assert check.status == "fail"
    assert "(default; the Agent's default is true)" in check.finding


def test_an_environment_file_turning_fips_off(healthy: FakeHost, run_doctor: Doctor) -> None:
    Path("/etc/datadog-agent/environment").write_text("DD_ENV=prod\nDD_FIPS_ENABLED=false\n")
    checks = run_doctor(healthy, agent_check=False)
    check = checks["fips-enabled"]
    assert check.status == "fail"
    assert check.finding.startswith(
        "fips.enabled is false (DD_FIPS_ENABLED in /etc/datadog-agent/environment)"
    )
    assert check.fix == (
        "remove DD_FIPS_ENABLED=false from /etc/datadog-agent/environment (line 2), then:"
        " systemctl restart datadog-agent"
    )
    assert checks["fips-https"].status == "skip"


def test_a_systemd_drop_in_override(
    healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    fs.create_file(
        "/etc/systemd/system/datadog-agent.service.d/fips.conf",
        contents='[Service]\nEnvironment="DD_FIPS_PORT_RANGE_START=10003"\n',
    )
    check = run_doctor(healthy, agent_check=False)["fips-port-range"]
    assert check.status == "fail"
    assert check.finding == (
        "the Agent sends to ports 10004-10018 (fips.port_range_start 10003, DD_FIPS_PORT_RANGE_START"
        " in /etc/systemd/system/datadog-agent.service.d/fips.conf) but the proxy listens on"
        " 9803-9818"
    )
    assert (
        check.fix
        == "fips-setup enable --port-range-start 10003 (moves the proxy to the Agent's ports)"
    )


def test_a_non_loopback_address(healthy: FakeHost, run_doctor: Doctor) -> None:
    set_fips("fips:\n  enabled: true\n  https: false\n  local_address: 10.1.1.1\n")
    check = run_doctor(healthy, agent_check=False)["fips-local-address"]
    assert check.status == "fail" and "not a loopback address" in check.finding


def test_another_site(healthy: FakeHost, run_doctor: Doctor) -> None:
    Path(CONFIG).write_text(
        Path(CONFIG).read_text().replace("site: ddog-gov.com", "site: datadoghq.com")
    )
    check = run_doctor(healthy, agent_check=False)["site"]
    assert check.status == "fail"
    assert check.finding.startswith("site is datadoghq.com (datadog.yaml): the FIPS proxy only")
    assert check.fix is not None and check.fix.startswith("set site: ddog-gov.com")


def test_the_site_is_named_with_its_support(healthy: FakeHost, run_doctor: Doctor) -> None:
    check = run_doctor(healthy, agent_check=False)["site"]
    assert check.status == "pass"
    assert check.finding == (
        "site is ddog-gov.com (US1-FED) (datadog.yaml): Datadog supports the FIPS proxy and the"
        " FIPS Agent on US1-FED"
    )


def test_us2_fed_behind_the_proxy_fails_as_the_wrong_site(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    Path(CONFIG).write_text(
        Path(CONFIG).read_text().replace("site: ddog-gov.com", "site: us2.ddog-gov.com")
    )
    check = run_doctor(healthy, agent_check=False)["site"]
    assert check.status == "fail"
    assert check.finding.startswith("site is us2.ddog-gov.com (US2-FED) (datadog.yaml): on US2-FED")
    assert check.finding.endswith("so this Agent's payloads go to the wrong site")
    assert check.fix is not None and check.fix.startswith(
        "move this host to the FIPS Agent, which sends to US2-FED's own intake: fips-setup migrate"
    )


def test_us2_fed_without_the_proxy_points_to_the_fips_agent_not_enable(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    text = Path(CONFIG).read_text().replace("site: ddog-gov.com", "site: us2.ddog-gov.com")
    Path(CONFIG).write_text(text.replace("  enabled: true\n", "  enabled: false\n"))
    check = run_doctor(healthy, agent_check=False)["site"]
    assert check.status == "fail"
    assert "wrong site" not in check.finding  # nothing goes to US1-FED: it sends directly
    assert (
        check.fix == "move this host to the FIPS Agent: fips-setup migrate (not fips-setup enable)"
    )


def test_the_fips_agent_on_us2_fed_passes_with_its_support_named(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    healthy.system.packages.pop("datadog-agent")
    healthy.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    Path(CONFIG).write_text(
        Path(CONFIG).read_text().replace("site: ddog-gov.com", "site: us2.ddog-gov.com")
    )
    check = run_doctor(healthy, agent_check=False)["site"]
    assert check.status == "pass"
    assert check.finding == (
        "site is us2.ddog-gov.com (US2-FED) (datadog.yaml): on US2-FED Datadog points to the"
        " FIPS Agent, which sends to the site's own intake; the FIPS proxy forwards to US1-FED"
        " (ddog-gov.com) only"
    )


def test_proxy_backends_outside_us1_fed_fail_the_site_check(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    cfg = Path(PROXY_CFG)
    cfg.write_text(cfg.read_text().replace("haproxy-app.agent.ddog-gov.com", "intake.example.com"))
    check = run_doctor(healthy, agent_check=False)["site"]
    assert check.status == "fail"
    assert (
        "but the proxy's backend intake-1 forwards to intake.example.com (datadog-fips-proxy.cfg:"
        in check.finding
    )
    assert check.fix is not None and "--refresh-proxy-config" in check.fix


def test_an_http_proxy_is_noted(healthy: FakeHost, run_doctor: Doctor) -> None:
    Path(CONFIG).write_text(
        Path(CONFIG).read_text() + "proxy:\n  https: http://user:secret@proxy:3128\n"
    )
    Path("/etc/datadog-agent/environment").write_text("HTTPS_PROXY=http://proxy:3128\n")
    check = run_doctor(healthy, agent_check=False)["http-proxy"]
    assert check.status == "info"
    assert "proxy: in /etc/datadog-agent/datadog.yaml; HTTPS_PROXY in" in check.finding
    assert "secret" not in check.finding


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [
        (0o666, "fail", "is writable by its group and everyone (dd-agent:dd-agent 666)"),
        (0o660, "fail", "is writable by its group (dd-agent:dd-agent 660)"),
        (0o644, "warn", "is dd-agent:dd-agent 644, not dd-agent:dd-agent 640"),
    ],
)
def test_the_config_files_mode(
    healthy: FakeHost, run_doctor: Doctor, mode: int, status: str, words: str
) -> None:
    os.chmod(PROXY_CFG, mode)
    check = run_doctor(healthy, agent_check=False)["proxy-config"]
    assert (check.status, check.fix) == (
        status,
        f"chown dd-agent:dd-agent {PROXY_CFG} && chmod 640 {PROXY_CFG}",
    )
    assert words in check.finding


def test_an_invalid_config(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.haproxy_check = (
        1,
        "[ALERT]    (9) : config : parsing [/etc/datadog-fips-proxy/datadog-fips-proxy.cfg:12]"
        " : unknown keyword 'bnid' in 'frontend' section\n[ALERT]    (9) : config : Fatal errors"
        " found in configuration.",
    )
    check = run_doctor(healthy, agent_check=False)["proxy-config-valid"]
    assert check.status == "fail"
    assert "unknown keyword 'bnid'" in check.finding


def test_an_outdated_config(healthy: FakeHost, run_doctor: Doctor) -> None:
    example = Path(PROXY_CFG + ".example")
    example.write_text(example.read_text().replace("timeout connect 5s", "timeout connect 9s"))
    os.utime(PROXY_CFG, (1000, 1000))
    check = run_doctor(healthy, agent_check=False)["proxy-config-current"]
    assert check.status == "warn"
    assert "(the example is newer: a proxy upgrade changed it)" in check.finding
    assert check.fix is not None and check.fix.startswith(
        "fips-setup enable --refresh-proxy-config"
    )


def test_the_agents_connectivity_check_failing(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.diagnose = (
        1,
        "=== Starting diagnose ===\nSuite: connectivity-datadog-core-endpoints\n1. FAIL"
        " [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9804\n"
        "   Diagnosis: HTTP status code 503\n-------------------------\nTotal:1, Success:0,"
        " Fail:1\n",
    )
    check = run_doctor(healthy)["agent-connectivity"]
    assert check.status == "fail"
    assert "1 of 1 failed" in check.finding and "Diagnosis: HTTP status code 503" in check.finding


def test_an_old_agent_gets_the_old_diagnose(make_host: HostFactory, run_doctor: Doctor) -> None:
    host = make_host(agent_version="1:7.47.1-1")
    run_doctor(host)
    assert ["/opt/datadog-agent/bin/agent/agent", "diagnose", "datadog-connectivity"] in (
        host.system.commands()
    )


def test_connection_errors_in_the_agents_log(
    healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    def stamp(seconds_ago: float) -> str:
        import time

        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(WALL_START - seconds_ago))

    Path("/var/log/datadog/agent.log").write_text(
        f'{stamp(3600)} | CORE | ERROR | Post "http://localhost:9804/api/v1/series": dial'
        " tcp 127.0.0.1:9804: connect: connection refused\n"
        f'{stamp(120)} | CORE | ERROR | Post "http://localhost:9805/v0.4/traces": dial tcp'
        " 127.0.0.1:9805: connect: connection refused\n"
        f'{stamp(60)} | CORE | ERROR | Post "http://localhost:9804/api/v1/series": context'
        " deadline exceeded (Client.Timeout exceeded while awaiting headers)\n"
        f'{stamp(30)} | CORE | ERROR | Post "https://app.datadoghq.com/api/v1/series":'
        " connect: connection refused\n"
    )
    check = run_doctor(healthy, agent_check=False)["agent-log"]
    assert check.status == "warn"
    assert check.finding.startswith("/var/log/datadog/agent.log, in the last 10 minutes: 1 x")
    assert (
        "1 x 'connection refused' (port 9805); 1 x 'context deadline exceeded' (port 9804)"
        in check.finding
    )
    # the proxy restarted 45 s ago (fake clock: monotonic 1000 s): older errors are over
    healthy.system.active_since["datadog-fips-proxy"] = int((1000 - 45) * 1e6)
    check = run_doctor(healthy, agent_check=False)["agent-log"]
    assert (check.status, check.finding) == (
        "pass",
        "/var/log/datadog/agent.log: no connection error to the proxy since the proxy last started",
    )
    healthy.system.active["datadog-fips-proxy"] = False  # stopped since: the window again
    assert run_doctor(healthy, agent_check=False)["agent-log"].status == "warn"


def test_not_root(healthy: FakeHost, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(healthy, "is_root", lambda: False)
    calls = len(healthy.system.users)
    checks = run_doctor(healthy)
    assert checks["root"].status == "warn" and checks["root"].fix == "sudo fips-setup doctor"
    for name in ("proxy-config-valid", "datadog-yaml", "fips-enabled", "proxy-ports", "agent-log"):
        assert checks[name].status == "skip", name
        assert "root" in checks[name].finding
    assert checks["agent-connectivity"].status == "skip"
    assert checks["agent-to-proxy"].status == "pass"  # anyone may try the port
    assert not any(healthy.system.users[calls:])  # nothing ran as another user


def test_no_init_system(healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor) -> None:
    fs.remove_object("/run/systemd/system")
    checks = run_doctor(healthy, agent_check=False)
    assert checks["proxy-service"].status == "skip"
    assert "unknown" in checks["proxy-service"].finding
    assert checks["agent-service"].status == "skip"
    assert checks["proxy-ports"].status == "pass"  # the proxy runs, whatever started it
    assert not doctor(healthy, DoctorOptions(Path(CONFIG), agent_check=False)).failed


@pytest.mark.parametrize(
    ("distro", "upgrade"),
    [
        ("ubuntu-22.04", "apt-get update && apt-get install --only-upgrade datadog-fips-proxy"),
        ("rocky-9", "dnf makecache && dnf upgrade datadog-fips-proxy"),
        ("sles-12", "zypper refresh datadog && zypper update datadog-fips-proxy"),
    ],
)
def test_a_proxy_older_than_the_newest_release_is_a_warning_with_its_upgrade(
    make_host: HostFactory, run_doctor: Doctor, distro: str, upgrade: str
) -> None:
    host = make_host(distro)
    host.system.packages["datadog-fips-proxy"] = "1.1.17-1"
    check = run_doctor(host, agent_check=False)["proxy-version"]
    assert check.status == "warn"
    assert check.finding.startswith(
        "datadog-fips-proxy 1.1.17-1 is older than 1.1.30 (2026-08-11), the newest release"
        " fips-setup knows"
    )
    assert check.fix == f"{upgrade}, then fips-setup doctor"


def test_the_proxys_version_when_current_odd_or_irrelevant(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    check = run_doctor(healthy, agent_check=False)["proxy-version"]
    assert (check.status, check.fix) == ("pass", None)
    assert check.finding == (
        "datadog-fips-proxy 1.1.30-1: the newest release fips-setup knows is 1.1.30 (2026-08-11)"
    )
    healthy.system.packages["datadog-fips-proxy"] = "1:1.1.31-1"  # newer than the table: fine
    assert run_doctor(healthy, agent_check=False)["proxy-version"].status == "pass"
    healthy.system.packages["datadog-fips-proxy"] = "snapshot"
    assert run_doctor(healthy, agent_check=False)["proxy-version"].status == "info"
    healthy.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    assert run_doctor(healthy, agent_check=False)["proxy-version"].status == "skip"


def bare(make_host: HostFactory, fs: FakeFilesystem) -> FakeHost:
    """A new host: no Agent, no datadog.yaml, no proxy (the Datadog repository is there)."""
    host = make_host(agent_version="")
    fs.remove_object(str(CONFIG))
    return host


def test_nothing_installed(make_host: HostFactory, fs: FakeFilesystem, run_doctor: Doctor) -> None:
    checks = run_doctor(bare(make_host, fs))
    failing = {i for i, c in checks.items() if c.status == "fail"}
    assert failing == {"agent-installed", "enable-preflight"}
    agent = checks["agent-installed"]
    assert agent.finding == (
        "no Datadog Agent is installed (neither datadog-agent nor datadog-fips-agent)"
    )
    assert agent.fix is not None
    assert "one-step install script with DD_FIPS_MODE=1" in agent.fix
    assert "DD_AGENT_FLAVOR=datadog-fips-agent" in agent.fix
    preflight = checks["enable-preflight"]
    assert preflight.finding == (
        "enable would fail because no Datadog Agent is installed (neither datadog-agent nor"
        " datadog-fips-agent): it adds the FIPS proxy to an installed Agent"
    )
    assert not preflight.finding.endswith("nothing was changed")
    assert preflight.fix == agent.fix
    # what can run before the Agent is there does; what is about an Agent says there is none
    passing = {i for i, c in checks.items() if c.status == "pass"}
    assert {"root", "platform", "proxy-ports", "disk-space"} <= passing
    assert checks["proxy-ports"].finding == "ports 9803-9818 are free for the proxy"
    assert checks["disk-space"].finding.startswith(
        "room to install the Agent and the proxy (the one-step install script)"
    )
    for check_id in ("fips-agent", "datadog-yaml", "site", "proxy-installed", "fips-mode"):
        assert checks[check_id].status == "skip", check_id
        assert "see agent-installed" in checks[check_id].finding, check_id
    deprecated = checks["proxy-deprecated"]
    assert deprecated.status == "info" and deprecated.fix == (
        "on a new host, run the one-step install script with DD_AGENT_FLAVOR=datadog-fips-agent"
    )
    # no fix anywhere points at a command that needs the Agent, or at a line that is not there
    for check in checks.values():
        assert "fips-setup enable" not in (check.fix or "") or check.id == "proxy-ports", check
        assert "migrate" not in (check.fix or ""), check
        assert "the line it names" not in (check.fix or ""), check


def test_a_port_taken_on_a_new_host(
    make_host: HostFactory, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    host = bare(make_host, fs)
    listen(fs, range(9804, 9805), 4242, b"python3\0-m\0http.server\x009804\0")
    ports = run_doctor(host)["proxy-ports"]
    assert ports.status == "fail"
    assert ports.finding == (
        "ports of the proxy held by another process: 9804 by pid 4242 (python3 -m http.server"
        " 9804); enabling the proxy would fail, it needs TCP ports 9803-9818"
    )
    assert ports.fix is not None and ports.fix.startswith("stop pid 4242")


def test_before_enable_doctor_says_why_enable_would_fail(
    make_host: HostFactory, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    host = make_host(datadog_yaml=DATADOG_YAML.replace("ddog-gov.com", "datadoghq.com"))
    listen(fs, range(9810, 9811), 77, b"nc\0-l\x009810\0")
    checks = run_doctor(host, agent_check=False)
    preflight = checks["enable-preflight"]
    assert preflight.status == "fail"
    assert preflight.finding.startswith(
        f"enable would fail because {CONFIG}: site is datadoghq.com"
    )
    assert "9810 by pid 77 (nc -l 9810)" in checks["proxy-ports"].finding
    assert checks["proxy-installed"].status == "fail"  # the Agent is there: enable is the fix
    assert checks["disk-space"].finding.startswith("room to install the proxy (fips-setup enable)")


def test_before_enable_on_a_host_enable_would_take(
    make_host: HostFactory, run_doctor: Doctor
) -> None:
    checks = run_doctor(make_host(), agent_check=False)
    assert checks["enable-preflight"].status == "pass"
    assert checks["enable-preflight"].finding.startswith("enable would go ahead")


def test_too_little_disk_space(
    make_host: HostFactory, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    host = bare(make_host, fs)
    fs.set_disk_usage(600 * (1 << 20))
    check = run_doctor(host)["disk-space"]
    assert check.status == "fail"
    assert check.finding.startswith(
        "not enough free disk space to install the Agent and the proxy (the one-step install"
        " script): /opt and /var/cache/apt/archives: "
    )
    assert "MiB needed" in check.finding


@pytest.mark.parametrize(
    ("contents", "fix"),
    [
        (None, "create it from the Agent's example with DD_API_KEY=<key>"),
        ("api_key: x\n\tsite: a\n", f"correct line 2 of {CONFIG} (the Agent cannot read"),
    ],
)
def test_a_datadog_yaml_the_agent_cannot_read(
    make_host: HostFactory, run_doctor: Doctor, contents: Optional[str], fix: str
) -> None:
    host = make_host()
    if contents is None:
        Path(CONFIG).unlink()
    else:
        Path(CONFIG).write_text(contents)
    check = run_doctor(host, agent_check=False)["datadog-yaml"]
    assert check.status == "fail"
    assert check.fix is not None and check.fix.startswith(fix), check.fix
    if contents is not None:
        assert check.finding.startswith(f"{CONFIG}:2: ")


def test_an_unsupported_platform(healthy: FakeHost, run_doctor: Doctor) -> None:
    Path("/etc/os-release").write_text('ID=alpine\nVERSION_ID=3.19\nPRETTY_NAME="Alpine 3.19"\n')
    checks = run_doctor(healthy, agent_check=False)
    assert checks["platform"].status == "fail"
    assert "Alpine 3.19 is not supported" in checks["platform"].finding
    assert checks["proxy-installed"].status == "skip"


def test_the_fips_agent_beside_a_running_proxy(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    checks = run_doctor(healthy, agent_check=False)
    assert checks["fips-agent"].status == "warn"
    assert checks["fips-agent"].finding.endswith(
        "but datadog-fips-proxy runs, datadog-fips-proxy starts at boot, fips.enabled is true"
        " (ignored)"
    )
    assert checks["fips-agent"].fix == (
        "fips-setup migrate (stops and disables the proxy, sets fips.enabled: false)"
    )
    assert (
        checks["proxy-ports"].status == "skip" and "needs no proxy" in checks["proxy-ports"].finding
    )


def test_a_host_moved_to_the_fips_agent(
    healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    from installer.migrate import MigrateOptions, migrate

    system = healthy.system
    system.serve("datadog-agent", "1:7.50.3-1")
    system.serve("datadog-fips-agent", "1:7.65.2-1")
    result = migrate(healthy, MigrateOptions(Path(CONFIG)))
    assert result.changed and not result.failed, result.msg
    stop_listening(PROXY_PID)
    checks = run_doctor(healthy)
    assert [c.id for c in checks.values() if c.status == "fail"] == []
    assert checks["fips-mode"].status == "pass"
    assert (
        checks["fips-mode"].finding == "sudo -u dd-agent datadog-agent status: FIPS Mode: enabled"
    )
    assert checks["agent-connectivity"].status == "pass"  # the FIPS Agent's version counts
    assert checks["agent-installed"].status == "info"
    assert checks["fips-agent"].status == "info"
    assert checks["fips-agent"].fix == (
        "once the way back is no longer needed: fips-setup migrate --remove-proxy"
    )
    assert checks["site"].status == "pass"  # the FIPS Agent needs US1-FED too
    assert checks["platform"].finding.endswith("supported by the FIPS Agent")
    for proxy_check in ("proxy-installed", "proxy-service", "proxy-ports", "agent-to-proxy"):
        assert checks[proxy_check].status == "skip", proxy_check
        assert "needs no proxy" in checks[proxy_check].finding
    for setting in ("fips-enabled", "fips-https"):
        assert checks[setting].status == "skip"
        assert (
            checks[setting].finding == "the FIPS Agent (datadog-fips-agent) ignores fips.* settings"
        )
    assert checks["proxy-deprecated"].status == "skip"


def test_the_fips_agent_on_a_kernel_without_fips_mode(
    healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    assert run_doctor(healthy, agent_check=False)["kernel-fips"].status == "info"  # the proxy's
    healthy.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    check = run_doctor(healthy, agent_check=False)["kernel-fips"]
    assert check.status == "warn"
    assert check.finding.startswith(
        "the kernel is not in FIPS mode (/proc/sys/crypto/fips_enabled is absent)"
    )
    fs.create_file("/proc/sys/crypto/fips_enabled", contents="0\n")
    check = run_doctor(healthy, agent_check=False)["kernel-fips"]
    assert check.status == "warn"
    assert "(/proc/sys/crypto/fips_enabled = 0): the FIPS Agent's validation assumes" in (
        check.finding
    )
    Path("/proc/sys/crypto/fips_enabled").write_text("1\n")
    assert run_doctor(healthy, agent_check=False)["kernel-fips"].status == "info"


def test_a_fips_agent_whose_status_is_not_fips(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    healthy.system.status_mode = "disabled"
    check = run_doctor(healthy)["fips-mode"]
    assert check.status == "fail"
    assert check.finding.endswith("FIPS Mode: disabled, not enabled: this Agent does not encrypt"
                                  " with its FIPS module")  # fmt: skip
    healthy.system.active["datadog-agent"] = False
    check = run_doctor(healthy)["fips-mode"]
    assert check.status == "fail"
    assert "shows no 'FIPS Mode' line: Error: could not reach agent" in check.finding
    assert check.fix == "journalctl -u datadog-agent --no-pager (why it does not answer)"


def test_an_old_agent(healthy: FakeHost, run_doctor: Doctor) -> None:
    healthy.system.packages["datadog-agent"] = "1:7.44.1-1"
    check = run_doctor(healthy, agent_check=False)["agent-installed"]
    assert check.status == "fail"
    assert check.fix == "apt-get update && apt-get install datadog-agent"


def test_log_collection_half_set_up(
    healthy: FakeHost, fs: FakeFilesystem, run_doctor: Doctor
) -> None:
    from fipsconf.logs_config import JOURNALD_SOURCE

    fs.create_file("/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml", contents=JOURNALD_SOURCE)
    check = run_doctor(healthy, agent_check=False)["logs-collection"]
    assert check.status == "warn"
    assert "missing logs_enabled: true, dd-agent in systemd-journal" in check.finding


def test_a_check_that_breaks_does_not_hide_the_others(
    healthy: FakeHost, run_doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from installer.doctor import facts

    def broken(self: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(facts.Facts, "resolv_conf_nameservers", broken)
    checks = run_doctor(healthy, agent_check=False)
    assert checks["proxy-dns"].status == "fail"
    assert checks["proxy-dns"].finding == "the check itself failed (RuntimeError: boom)"
    assert checks["proxy-ports"].status == "pass"


def test_doctor_changes_nothing(healthy: FakeHost, run_doctor: Doctor) -> None:
    files = {p: Path(p).read_bytes() for p in (str(CONFIG), PROXY_CFG)}
    before = len(healthy.system.changing_commands())
    run_doctor(healthy)
    assert healthy.system.changing_commands()[before:] == []
    assert {p: Path(p).read_bytes() for p in files} == files


def test_preload_imports_in_the_background() -> None:
    sys.modules.pop("fipsconf.dnswire", None)
    real_preload("fipsconf.dnswire").join(5)  # no fake file system here: a real thread
    assert "fipsconf.dnswire" in sys.modules


def test_remote_configuration_left_alone_passes(healthy: FakeHost, run_doctor: Doctor) -> None:
    check = run_doctor(healthy, agent_check=False)["remote-config"]
    assert check.status == "pass"
    assert "keeps it off unless remote_configuration.enabled is set" in check.finding


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_remote_configuration_on_in_the_file_fails_with_the_fix(
    healthy: FakeHost, run_doctor: Doctor, value: str
) -> None:
    Path(CONFIG).write_text(
        Path(CONFIG).read_text() + f"remote_configuration:\n  enabled: {value}\n"
    )
    check = run_doctor(healthy, agent_check=False)["remote-config"]
    assert check.status == "fail"
    assert check.finding.startswith(
        f"Remote Configuration is on (remote_configuration.enabled in {CONFIG}) while"
        " fips.enabled is true"
    )
    assert "outside the FIPS proxy" in check.finding
    assert check.fix is not None
    assert check.fix.startswith(f"set remote_configuration.enabled: false in {CONFIG}, then:")
    assert "fips-setup migrate" in check.fix


def test_the_variable_wins_over_the_file(healthy: FakeHost, run_doctor: Doctor) -> None:
    Path(CONFIG).write_text(Path(CONFIG).read_text() + "remote_configuration:\n  enabled: false\n")
    Path("/etc/datadog-agent/environment").write_text("DD_REMOTE_CONFIGURATION_ENABLED=true\n")
    check = run_doctor(healthy, agent_check=False)["remote-config"]
    assert check.status == "fail"
    assert "(DD_REMOTE_CONFIGURATION_ENABLED in /etc/datadog-agent/environment (line 1))" in (
        check.finding
    )
    assert check.fix is not None
    assert check.fix.startswith(
        "remove DD_REMOTE_CONFIGURATION_ENABLED from /etc/datadog-agent/environment"
    )
    Path("/etc/datadog-agent/environment").write_text("DD_REMOTE_CONFIGURATION_ENABLED=false\n")
    assert run_doctor(healthy, agent_check=False)["remote-config"].status == "pass"


def test_remote_configuration_matters_only_with_the_proxy(
    healthy: FakeHost, run_doctor: Doctor
) -> None:
    text = Path(CONFIG).read_text().replace("enabled: true", "enabled: false", 1)
    Path(CONFIG).write_text(text + "remote_configuration:\n  enabled: true\n")
    assert run_doctor(healthy, agent_check=False)["remote-config"].status == "skip"


def test_the_payloads_units_are_checked(healthy: FakeHost, run_doctor: Doctor) -> None:
    check = run_doctor(healthy, agent_check=False)["agent-supervision"]
    assert (check.status, check.finding) == ("pass", "one systemd unit per payload")
    healthy.system.failed_units.add("datadog-agent-trace")
    healthy.system.active["datadog-agent-trace"] = False
    check = run_doctor(healthy, agent_check=False)["agent-supervision"]
    assert check.status == "fail"
    assert check.finding.endswith("but datadog-agent-trace is failed (failed, exit-code)")


def test_dd_procmgrd_and_what_it_supervises_are_checked(
    healthy: FakeHost, run_doctor: Doctor, fs: FakeFilesystem
) -> None:
    procmgr_path(healthy, fs)
    check = run_doctor(healthy, agent_check=False)["agent-supervision"]
    assert check.status == "pass"
    assert check.finding == (
        "dd-procmgrd (datadog-agent-procmgr) supervises: datadog-agent-process; running:"
        " datadog-agent-process Running (pid 412)"
    )
    healthy.system.procmgr_processes = [{**PROCMGR_PROCESS, "state": "Crashed", "pid": 0}]
    check = run_doctor(healthy, agent_check=False)["agent-supervision"]
    assert check.status == "fail"
    assert check.finding.endswith("; but datadog-agent-process Crashed under dd-procmgrd")
    assert check.fix == (
        "journalctl -u datadog-agent-procmgr --no-pager (why it stopped), then: systemctl"
        " restart datadog-agent (dd-procmgrd restarts with it)"
    )


def test_a_payload_run_both_ways_is_a_mix(
    healthy: FakeHost, run_doctor: Doctor, fs: FakeFilesystem
) -> None:
    procmgr_path(healthy, fs)
    healthy.system.active["datadog-agent-process"] = True
    check = run_doctor(healthy, agent_check=False)["agent-supervision"]
    assert check.status == "fail"
    assert "datadog-agent-process runs twice" in check.finding
    assert check.fix is not None and "systemctl disable --now <unit>" in check.fix
