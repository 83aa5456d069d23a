"""``doctor``, ``verify``, ``logs`` and ``dns`` on booted hosts, each failure made real.

Every scenario breaks the host the way operators find it broken (a stopped
proxy, a port taken, a firewall rule, the intake gone, a dead nameserver, a
wrong setting or mode), checks that ``doctor`` names it with its fix, then
puts the host back and checks that ``doctor`` passes again.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, List, Tuple

import pytest

from .harness import API_KEY, DATADOG_YAML
from .host import TestHost
from .util import wait_until

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
LOGS_CONF = "/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml"
AGENT_LOG = "/var/log/datadog/agent.log"
#: Checks that only inform; on the test host none of them is a problem.
INFO = {"proxy-deprecated", "logs-collection", "kernel-fips", "crypto-module"}
#: The stand-in proxy is 1.1.17 (packages.DEFAULT_PROXY_VERSION), older than the newest
#: release fips-setup knows: doctor warns about it on every host here (checked once, below).
OUTDATED_PROXY = "proxy-version"
Checks = Dict[str, Dict[str, Any]]


def enabled_host(make_host: MakeHost, family: str = "debian") -> TestHost:
    host = make_host(family=family)
    host.install_toolkit()
    result = host.fips_setup("enable", json=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.data is not None and "; verified:" in result.data["msg"]
    return host


def doctor(host: TestHost, *args: str) -> Tuple[int, Checks]:
    """``doctor --json``: its exit status and checks by id (the JSON contract checked)."""
    result = host.fips_setup("doctor", *args, json=True)
    assert "Traceback" not in result.stderr, result.stderr
    assert API_KEY not in result.stdout + result.stderr
    assert result.data is not None
    checks = {check["id"]: check for check in result.data["checks"]}
    failing = [c for c in checks.values() if c["status"] == "fail"]
    assert result.returncode == (1 if failing else 0), result.stdout
    assert result.data["failed"] is bool(failing)
    return result.returncode, checks


def problems(checks: Checks) -> List[str]:
    """The ids of checks that are neither passed nor for information (the old proxy aside)."""
    assert checks[OUTDATED_PROXY]["status"] in ("warn", "skip"), checks[OUTDATED_PROXY]
    return sorted(
        i for i, c in checks.items() if c["status"] not in ("pass", "info") and i != OUTDATED_PROXY
    )


def assert_healthy(host: TestHost, *args: str) -> Checks:
    status, checks = doctor(host, *args)
    # fips-mode is the FIPS Agent's check: skipped on a proxied host
    left_out = ["agent-connectivity"] if "--no-agent-check" in args else []
    left_out = sorted([*left_out, "fips-mode"])
    assert problems(checks) == left_out, {i: checks[i] for i in problems(checks)}
    assert status == 0
    assert {i for i, c in checks.items() if c["status"] == "info"} <= INFO
    return checks


def restart_proxy(host: TestHost) -> None:
    host.systemctl("reset-failed", "datadog-fips-proxy", check=False)
    host.systemctl("restart", "datadog-fips-proxy")
    host.wait_for_port(9818)


def test_doctor_names_each_local_failure_and_passes_once_it_is_fixed(
    make_host: MakeHost,
) -> None:
    host = enabled_host(make_host)
    checks = assert_healthy(host)  # with the Agent's own connectivity check
    assert checks["agent-connectivity"]["status"] == "pass"
    # the stand-in proxy package is 1.1.17: doctor and status say it is outdated, and how
    outdated = checks[OUTDATED_PROXY]
    assert outdated["status"] == "warn", outdated
    assert outdated["finding"].startswith("datadog-fips-proxy 1:1.1.17-1 is older than 1.1.30")
    assert outdated["fix"] == (
        "apt-get update && apt-get install --only-upgrade datadog-fips-proxy,"
        " then fips-setup doctor"
    )
    state = host.fips_setup("status", json=True).data
    assert state is not None and state["warnings"][0].startswith(outdated["finding"])
    assert checks["proxy-ports"]["finding"].startswith("all 16 ports 9803-9818 are held by")
    verified = host.fips_setup("verify", json=True)
    assert verified.returncode == 0 and verified.data is not None
    assert verified.data["msg"].startswith("verified:")

    # the proxy stopped
    host.systemctl("stop", "datadog-fips-proxy")
    status, checks = doctor(host, "--no-agent-check")
    assert status == 1
    assert checks["proxy-service"]["finding"] == "datadog-fips-proxy is inactive (dead): stopped"
    assert checks["proxy-service"]["fix"] == "systemctl start datadog-fips-proxy"
    assert checks["proxy-ports"]["status"] == "fail"
    assert "connection refused: nothing listens on port 9804" in checks["agent-to-proxy"]["finding"]
    assert host.fips_setup("verify").returncode == 1

    # the proxy failed to start: another process holds 9806
    host.run(
        ["systemd-run", "--unit=squatter", "python3", "-m", "http.server", "9806",
         "--bind", "127.0.0.1"]
    )  # fmt: skip
    host.wait_for_port(9806)
    host.systemctl("start", "datadog-fips-proxy", check=False)
    squatter = host.main_pid("squatter")
    status, checks = doctor(host, "--no-agent-check")
    service = checks["proxy-service"]
    assert service["status"] == "fail"
    assert (
        f"it cannot bind 127.0.0.1:9806 (Address already in use): held by pid {squatter}"
        " (/usr/bin/python3 -m http.server 9806 --bind 127.0.0.1)" in service["finding"]
    ), service
    assert service["fix"].startswith(f"stop pid {squatter}, then: systemctl restart")
    assert f"9806 by pid {squatter} (/usr/bin/python3 -m http" in checks["proxy-ports"]["finding"]
    host.systemctl("stop", "squatter")
    restart_proxy(host)

    # the proxy's configuration writable by everyone
    host.run(["chmod", "666", PROXY_CFG])
    status, checks = doctor(host, "--no-agent-check")
    assert problems(checks) == ["agent-connectivity", "fips-mode", "proxy-config"]
    assert (
        "writable by its group and everyone (dd-agent:dd-agent 666)"
        in (checks["proxy-config"]["finding"])
    )
    assert checks["proxy-config"]["fix"] == (
        f"chown dd-agent:dd-agent {PROXY_CFG} && chmod 640 {PROXY_CFG}"
    )
    host.run(["chmod", "640", PROXY_CFG])

    # fips.https: true (the Agent's default) in datadog.yaml
    original = host.read_bytes(DATADOG_YAML)
    host.write_file(DATADOG_YAML, original.replace(b"  https: false\n", b"  https: true\n"))
    status, checks = doctor(host, "--no-agent-check")
    assert problems(checks)[:1] == ["agent-connectivity"] and "fips-https" in problems(checks)
    assert checks["fips-https"]["finding"].startswith("fips.https is true (file)")
    host.write_file(DATADOG_YAML, original)

    # DD_FIPS_ENABLED=false in the Agent's environment file
    host.write_file("/etc/datadog-agent/environment", "DD_FIPS_ENABLED=false\n")
    status, checks = doctor(host, "--no-agent-check")
    assert checks["fips-enabled"]["status"] == "fail"
    assert checks["fips-enabled"]["finding"].startswith(
        "fips.enabled is false (DD_FIPS_ENABLED in /etc/datadog-agent/environment)"
    )
    assert checks["fips-enabled"]["fix"] == (
        "remove DD_FIPS_ENABLED=false from /etc/datadog-agent/environment (line 1), then:"
        " systemctl restart datadog-agent"
    )
    host.run(["rm", "/etc/datadog-agent/environment"])
    assert_healthy(host, "--no-agent-check")


def test_doctor_names_network_failures(make_host: MakeHost) -> None:
    host = enabled_host(make_host, "rhel")
    assert_healthy(host, "--no-agent-check")

    # a firewall drops the Agent's packets to the metrics port
    host.run(["nft", "add", "table", "inet", "e2e"])
    host.run(["nft", "add", "chain", "inet", "e2e", "input",
              "{ type filter hook input priority 0 ; }"])  # fmt: skip
    host.run(["nft", "add", "rule", "inet", "e2e", "input", "tcp", "dport", "9804", "drop"])
    wait_until(
        lambda: "context deadline exceeded" in host.read_file(AGENT_LOG) or None,
        timeout=20,
        what="the Agent to log a timeout",
    )
    status, checks = doctor(host, "--no-agent-check")
    assert status == 1
    reach = checks["agent-to-proxy"]
    assert reach["finding"] == (
        "http://localhost:9804/: no connection within 0.5 s: a local firewall drops packets to"
        " port 9804"
    )
    assert "iptables -I INPUT -i lo -p tcp --dport 9804:9818 -j ACCEPT" in reach["fix"]
    assert checks["proxy-ports"]["status"] == "pass"  # it listens; packets do not get there
    log = checks["agent-log"]
    assert log["status"] == "warn" and "'context deadline exceeded' (port 9804)" in log["finding"]
    host.run(["nft", "delete", "table", "inet", "e2e"])

    # the intake is gone: the proxy's health checks take its servers DOWN
    host.systemctl("stop", "fips-e2e-intake")
    wait_until(
        lambda: "datadog-metrics/mothership is DOWN" in host.journal("datadog-fips-proxy") or None,
        timeout=30,
        what="the proxy to mark the intake DOWN",
    )
    status, checks = doctor(host, "--no-agent-check")
    intake = checks["proxy-to-intake"]
    assert intake["status"] == "fail", intake
    assert "intake server(s) DOWN in the proxy's journal" in intake["finding"]
    assert 'Layer4 connection problem: "Connection refused"' in intake["finding"]
    assert "refused the connection" in intake["finding"]
    assert checks["agent-to-proxy"]["status"] == "pass"  # the proxy answers: 503
    not_verified = host.fips_setup("verify", json=True)
    assert not_verified.returncode == 1 and not_verified.data is not None
    assert "it cannot reach the Datadog intake" in not_verified.data["msg"]
    host.systemctl("start", "fips-e2e-intake")
    restart_proxy(host)

    # the proxy's resolvers point at a dead nameserver
    cfg = host.read_file(PROXY_CFG)
    host.write_file(
        PROXY_CFG, cfg.replace("    parse-resolv-conf\n", "    nameserver dns1 127.0.0.1:5354\n")
    )
    restart_proxy(host)
    status, checks = doctor(host, "--no-agent-check")
    dns = checks["proxy-dns"]
    assert dns["status"] == "fail", dns
    assert dns["finding"].startswith(
        "no nameserver of the proxy resolves haproxy-app.agent.ddog-gov.com: 127.0.0.1:5354"
    )
    assert dns["fix"].startswith("fips-setup dns set --nameserver <your DNS server>[:PORT]")
    assert "nameserver dns1 127.0.0.1:5354" in dns["fix"]
    assert checks["proxy-to-intake"]["status"] == "fail"
    # ... then to dnsmasq, which answers: doctor passes
    changed = host.fips_setup("dns", "set", "--nameserver", "127.0.0.1", json=True)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert changed.data is not None and changed.data["changed"] is True
    new_cfg = host.read_file(PROXY_CFG)
    assert new_cfg == cfg.replace("    parse-resolv-conf\n", "    nameserver dns1 127.0.0.1:53\n")
    stat = host.stat(PROXY_CFG)
    assert (stat.owner, stat.group, stat.mode) == ("dd-agent", "dd-agent", 0o640)
    shown = host.fips_setup("dns", "show", json=True).data
    assert shown is not None and [a["resolves"] for a in shown["answers"]] == [True]
    wait_until(lambda: doctor(host, "--no-agent-check")[0] == 0 or None, timeout=20,
               what="doctor to pass")  # fmt: skip
    assert_healthy(host)


def test_dns_set_refuses_bad_input_and_a_configuration_haproxy_rejects(
    make_host: MakeHost,
) -> None:
    host = enabled_host(make_host)
    before = host.read_bytes(PROXY_CFG)
    started = host.service_start_timestamp("datadog-fips-proxy")
    bad = host.fips_setup("dns", "set", "--nameserver", "fd00::53")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1  # a bad option value: usage
    assert "an IPv6 address goes in brackets ([fd00::53]:53)" in bad.stderr
    # a hand edit HAProxy rejects in the section: caught before the file is replaced
    cfg = before.decode().replace(
        "    resolve_retries 3\n", "    resolve_retries 3\n    retries-dns 3\n"
    )
    host.write_file(PROXY_CFG, cfg)
    rejected = host.fips_setup("dns", "set", "--nameserver", "127.0.0.1", json=True)
    assert rejected.returncode == 1 and rejected.data is not None
    assert rejected.data["msg"].startswith("check the new configuration with")
    assert "haproxy -c rejects the new configuration" in rejected.data["msg"]
    assert host.read_file(PROXY_CFG) == cfg
    assert host.service_start_timestamp("datadog-fips-proxy") == started


def test_logs_enable_then_disable(make_host: MakeHost) -> None:
    host = enabled_host(make_host, "suse")
    original = host.read_bytes(DATADOG_YAML)
    enabled = host.fips_setup("logs", "enable", json=True)
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    assert enabled.data is not None and enabled.data["changed"] is True
    conf = host.stat(LOGS_CONF)
    assert (conf.owner, conf.group, conf.mode) == ("dd-agent", "dd-agent", 0o640)
    assert "    include_units:\n      - datadog-fips-proxy.service\n" in host.read_file(LOGS_CONF)
    assert "systemd-journal" in host.run(["id", "-nG", "dd-agent"]).stdout.split()
    assert b"\nlogs_enabled: true\n" in host.read_bytes(DATADOG_YAML)
    assert (
        host.read_bytes(DATADOG_YAML).replace(
            b"\nlogs_enabled: true\n", b"\n# logs_enabled: false\n"
        )
        == original
    )
    assert host.is_active("datadog-agent")
    _, checks = doctor(host, "--no-agent-check")
    assert checks["logs-collection"]["status"] == "info"
    assert checks["logs-collection"]["finding"].startswith("the proxy's logs are shipped")
    again = host.fips_setup("logs", "enable", json=True).data
    assert again is not None and again["changed"] is False

    disabled = host.fips_setup("logs", "disable", json=True)
    assert disabled.returncode == 0 and disabled.data is not None
    assert disabled.data["changed"] is True and disabled.data["warnings"] == []
    assert host.read_bytes(DATADOG_YAML) == original
    assert not host.exists(LOGS_CONF) and not host.exists(LOGS_CONF.rsplit("/", 1)[0])
    assert "systemd-journal" not in host.run(["id", "-nG", "dd-agent"]).stdout.split()
    assert host.is_active("datadog-agent")
    done = host.fips_setup("logs", "disable", json=True).data
    assert done is not None and done["changed"] is False


def test_doctor_without_systemd(make_host: MakeHost) -> None:
    host = enabled_host(make_host)
    # systemd's runtime folder hidden: as in a container without an init system
    argv = " ".join(host.toolkit_command())
    result = host.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs tmpfs /run/systemd && exec {argv} doctor --no-agent-check --json"],
        check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    checks = {c["id"]: c for c in document["checks"]}
    for service in ("proxy-service", "agent-service"):
        assert checks[service]["status"] == "skip"
        assert "unknown" in checks[service]["finding"]
    assert checks["proxy-ports"]["status"] == "pass"  # the proxy runs all the same
    assert checks["agent-to-proxy"]["status"] == "pass"
    assert result.returncode == 0 and document["failed"] is False


def test_a_host_with_nothing_installed_and_a_port_taken(make_host: MakeHost) -> None:
    """The operator's first run, before the Agent: every command says the one thing to do.

    Something already listens on 9804 (a forgotten test server): doctor names
    it with its pid and command, as it would after enable, and says why
    enable would fail; enable, install and status agree on what is missing.
    """
    host = make_host(agent_installed=False)
    host.install_toolkit()
    host.run(["systemd-run", "--unit", "squatter", "--", "/usr/bin/python3", "-m",
              "http.server", "9804", "--bind", "127.0.0.1"])  # fmt: skip
    host.wait_for_port(9804)
    squatter = host.main_pid("squatter")
    started = time.monotonic()
    status, checks = doctor(host)
    assert status == 1
    failing = sorted(i for i, c in checks.items() if c["status"] == "fail")
    assert failing == ["agent-installed", "enable-preflight", "proxy-ports"]
    agent = checks["agent-installed"]
    assert agent["finding"] == (
        "no Datadog Agent is installed (neither datadog-agent nor datadog-fips-agent)"
    )
    assert "one-step install script with DD_FIPS_MODE=1" in agent["fix"]
    assert "DD_AGENT_FLAVOR=datadog-fips-agent" in agent["fix"]
    assert checks["proxy-ports"]["finding"] == (
        f"ports of the proxy held by another process: 9804 by pid {squatter} (/usr/bin/python3"
        " -m http.server 9804 --bind 127.0.0.1); enabling the proxy would fail, it needs TCP"
        " ports 9803-9818"
    )
    assert checks["enable-preflight"]["finding"].startswith(
        "enable would fail because no Datadog Agent is installed"
    )
    for check_id in ("platform", "disk-space", "root"):
        assert checks[check_id]["status"] == "pass", checks[check_id]
    assert all("migrate" not in (c["fix"] or "") for c in checks.values())
    human = host.fips_setup("doctor")
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert human.stdout.splitlines()[1].split()[0] == "FAIL"

    environment = {"DD_API_KEY": API_KEY, "DD_FIPS_MODE": "1"}
    for args, env in ((("enable", "--dry-run"), None), (("install", "--dry-run"), environment)):
        result = host.fips_setup(*args, json=True, env=env)
        assert result.returncode == 1 and result.data is not None, result.stdout
        assert result.data["error"] == "no-agent", result.data
        assert "DD_FIPS_MODE=1" in result.data["msg"]
    wrong = host.fips_setup("enable", "--local-address", "8.8.8.8", json=True)
    assert (wrong.returncode, wrong.data and wrong.data["error"]) == (2, "usage")

    shown = host.fips_setup("status", json=True)
    assert shown.returncode == 0 and shown.data is not None
    assert shown.data["msg"].startswith("no Datadog Agent is installed")
    assert [(p["port"], p["pid"]) for p in shown.data["ports"]] == [(9804, squatter)]
    table = host.fips_setup("status")
    assert table.returncode == 0
    assert "None" not in table.stdout and "?" not in table.stdout
    assert "not installed" in table.stdout and "FIPS proxy mode is off" not in table.stdout
    print(f"\nthe new host's first commands: {time.monotonic() - started:.1f} s")


def test_enable_does_not_claim_what_it_could_not_verify(make_host: MakeHost) -> None:
    host = make_host(family="debian")
    host.install_toolkit()
    host.systemctl("stop", "fips-e2e-intake")
    started = time.monotonic()
    result = host.fips_setup("enable", json=True)
    assert result.returncode == 1, result.stdout
    document = result.data
    assert document is not None and document["failed"] is True
    assert document["error"] == "not-verified" and document["changed"] is True
    assert "NOT verified" in document["msg"] and "; verified" not in document["msg"]
    assert "The installation is kept: the proxy and the Agent are set up" in document["msg"]
    assert document["msg"].endswith("Run fips-setup doctor for the cause and its fix")
    assert all(a["status"] == "done" for a in document["actions"])
    assert host.is_active("datadog-fips-proxy")
    assert "  enabled: true\n" in host.read_file(DATADOG_YAML)
    print(f"\nenable, not verified: {time.monotonic() - started:.1f} s")
    human = host.fips_setup("enable")
    assert human.returncode == 1 and human.stderr.startswith("error: ")
