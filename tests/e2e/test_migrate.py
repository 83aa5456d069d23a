"""``fips-setup migrate`` and ``rollback`` on booted hosts: proxy -> FIPS Agent -> proxy (issue 13).

Each host starts proxied (``fips-setup enable``, payloads through the proxy).
A move must end with the FIPS Agent sending straight to the intake, the proxy
stopped and disabled, and ``datadog.yaml`` changed in ``fips.enabled`` alone; a
failed one (a broken package, a FIPS Agent that fails its verification, a
SIGTERM in the middle) and a rollback must leave the host as it was: every
file under ``/etc/datadog-agent`` and ``/etc/datadog-fips-proxy`` byte for byte
with owner and mode, the Datadog packages at their exact versions, the
services' states, and the Agent sending through the proxy. The gap in the
Agent's payloads during the swap is measured from the intake's records.
"""

from __future__ import annotations

import difflib
import json
import signal
import time
from typing import Any, Callable, Dict, List, Tuple

import pytest

from .harness import API_KEY, DATADOG_YAML, Harness
from .host import DIRECT_SNI, IntakeStats, TestHost
from .test_runs import run_pid
from .test_runs import snapshot as full_snapshot
from .util import wait_until

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
FIPS_AGENT = "datadog-fips-agent"
AGENT = "datadog-agent"
OLD_AGENT = "1:7.50.3-1"
NEW_FIPS_AGENT = "1:7.65.2-1"
TICK = 0.1  # the stand-in Agent makes a payload every 0.1 s
SLOW_START = "/etc/systemd/system/datadog-agent.service.d/slow-start.conf"


def snapshot(host: TestHost) -> Dict[str, Any]:
    """Files, packages and services (``test_runs.snapshot``), without dpkg's memory of a
    package that never got installed: after a failed ``preinst`` dpkg keeps a record
    ``datadog-fips-agent install ok not-installed`` (no version, nothing on disk)."""
    state = full_snapshot(host)
    state["packages"] = [p for p in state["packages"] if not p.endswith(" not-installed ")]
    return state


def proxied(make_host: MakeHost, family: str, **kwargs: Any) -> TestHost:
    """A host whose Agent sends through the proxy (``fips-setup enable``)."""
    host = make_host(family=family, **kwargs)
    host.install_toolkit()
    enabled = host.fips_setup("enable", json=True)
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    sending_through_proxy(host)
    return host


def sending_through_proxy(host: TestHost) -> IntakeStats:
    """Wait for three new payloads of ``datadog-agent`` relayed by the proxy."""
    seen = len(proxied_payloads(host.intake_stats()))
    return host.wait_for_intake(
        lambda s: len(proxied_payloads(s)) >= seen + 3, timeout=30, what="payloads via the proxy"
    )


def proxied_payloads(stats: IntakeStats) -> List[Dict[str, Any]]:
    return [r for r in stats.via_proxy() if r.get("package") == AGENT]


def fips_mode(host: TestHost) -> str:
    out = host.run(["datadog-agent", "status"], user="dd-agent").stdout
    return next(line.split(":", 1)[1].strip() for line in out.splitlines() if "FIPS Mode:" in line)


def migrate(host: TestHost, *args: str) -> Tuple[Dict[str, Any], float]:
    started = time.monotonic()
    result = host.fips_setup("migrate", *args, json=True)
    assert result.data is not None
    assert API_KEY not in result.stdout + result.stderr
    return result.data, time.monotonic() - started


def gap(stats: IntakeStats) -> Tuple[float, int]:
    """Seconds between the Agent's last payload and the FIPS Agent's first, and the ticks lost.

    The stand-in keeps its queue and sequence across the swap (no payload is
    lost); the ticks are the payloads it could not make while neither ran.
    """
    last_old = max(r["time"] for r in stats.sent_by(AGENT))
    first_new = min(r["time"] for r in stats.sent_by(FIPS_AGENT))
    seconds = first_new - last_old
    return seconds, max(0, round(seconds / TICK) - 1)


def yaml_changes(before: str, after: str) -> List[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize(("family", "remove_proxy"), [("debian", False), ("rhel", True),
                                                      ("suse", False)])  # fmt: skip
def test_a_proxied_host_moves_to_the_fips_agent_and_back(
    make_host: MakeHost, family: str, remove_proxy: bool
) -> None:
    host = proxied(make_host, family, fips_agent_versions=("7.65.2",))
    before = snapshot(host)
    yaml_before = host.read_file(DATADOG_YAML)
    advice = host.fips_setup("doctor", "--no-agent-check", json=True).data
    assert advice is not None
    deprecated = next(c for c in advice["checks"] if c["id"] == "proxy-deprecated")
    assert deprecated["fix"].startswith("fips-setup migrate --dry-run")
    options = ["--remove-proxy"] if remove_proxy else []

    doc, seconds = migrate(host, *options)
    assert doc["changed"] is True and doc["failed"] is False, doc["msg"]
    assert host.installed_version(FIPS_AGENT) == NEW_FIPS_AGENT
    assert host.installed_version(AGENT) is None
    assert fips_mode(host) == "enabled"
    stats = host.wait_for_intake(
        lambda s: len(s.sent_by(FIPS_AGENT)) >= 5, timeout=30, what="the FIPS Agent's payloads"
    )
    assert {r["sni"] for r in stats.sent_by(FIPS_AGENT)} == {DIRECT_SNI}
    assert stats.missing() == []  # the queue carried over: nothing lost, only delayed
    assert not host.is_active("datadog-fips-proxy")
    assert host.systemctl("is-enabled", "datadog-fips-proxy", check=False).stdout.strip() != (
        "enabled"
    )
    assert (host.installed_version("datadog-fips-proxy") is None) == remove_proxy
    assert host.exists("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg")  # kept, always
    assert yaml_changes(yaml_before, host.read_file(DATADOG_YAML)) == [
        "-  enabled: true",
        "+  enabled: false",
    ]
    assert host.stat(DATADOG_YAML).mode == 0o640
    lost_seconds, ticks = gap(stats)
    assert lost_seconds < 15, lost_seconds
    doctor = host.fips_setup("doctor", json=True)
    assert doctor.returncode == 0 and doctor.data is not None, doctor.stdout
    checks = {check["id"]: check for check in doctor.data["checks"]}
    assert checks["fips-mode"]["status"] == checks["agent-connectivity"]["status"] == "pass"
    assert checks["proxy-service"]["status"] == "skip"  # it needs no proxy
    if remove_proxy:
        fips_agent_evidence(host)

    started = host.service_start_timestamp(AGENT)
    again, _ = migrate(host, *options)
    assert again["changed"] is False and again["failed"] is False, again["msg"]
    assert again["verification"]["verified"] is True
    assert host.service_start_timestamp(AGENT) == started

    back_started = time.monotonic()
    back = host.fips_setup("rollback", json=True)
    back_seconds = time.monotonic() - back_started
    assert back.returncode == 0, back.stdout + back.stderr
    assert host.installed_version(AGENT) == OLD_AGENT  # the exact version string
    assert host.installed_version(FIPS_AGENT) is None
    assert snapshot(host) == before
    assert fips_mode(host) == "proxy"
    sending_through_proxy(host)
    print(
        f"\n{family}{' --remove-proxy' if remove_proxy else ''}: migrate {seconds:.1f} s, the"
        f" Agent stopped {doc['agent_stopped_seconds']:.2f} s (fips-setup's count); gap at the"
        f" intake {lost_seconds:.2f} s = {ticks} payloads not made (none lost: queue kept);"
        f" second migrate unchanged; rollback {back_seconds:.1f} s to {OLD_AGENT} and the proxy"
    )


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_a_fips_agent_package_that_fails_to_install_leaves_the_host_proxied(
    make_host: MakeHost, e2e_harness: Harness, family: str
) -> None:
    host = proxied(make_host, family)
    kind = "deb" if family == "debian" else "rpm"
    assert host.repo is not None
    host.repo.add([e2e_harness.packages.fips_agent("7.65.2", kind, failing_script="preinst")])
    host.repo.publish(e2e_harness.trusted_key)
    before = snapshot(host)
    doc, seconds = migrate(host)
    assert doc["failed"] is True and doc["changed"] is False, doc
    assert doc["msg"].startswith(f"install {FIPS_AGENT} {NEW_FIPS_AGENT} with")
    assert " exited with status " in doc["msg"]  # the package manager's own words follow
    assert doc["msg"].endswith("the host is as it was"), doc["msg"]
    assert snapshot(host) == before
    assert host.installed_version(AGENT) == OLD_AGENT
    sending_through_proxy(host)
    print(f"\n{family}: a failing preinst, undone in {seconds:.1f} s; host as before, proxied")


def test_a_fips_agent_that_fails_its_verification_is_undone(make_host: MakeHost) -> None:
    host = proxied(make_host, "debian", fips_agent_versions=("7.65.2",))
    # ignored while the Agent sends through the proxy; the FIPS Agent would send there
    text = host.read_file(DATADOG_YAML) + "dd_url: https://127.0.0.1:1\n"
    host.write_file(DATADOG_YAML, text)
    before = snapshot(host)
    doc, seconds = migrate(host)
    assert doc["failed"] is True and doc["changed"] is False, doc
    assert doc["msg"].startswith("verify the FIPS Agent")
    assert "agent-connectivity" in doc["msg"] and "connection refused" in doc["msg"]
    assert doc["msg"].endswith("the earlier steps were undone, the host is as it was")
    assert snapshot(host) == before
    sending_through_proxy(host)
    print(f"\ndebian: a FIPS Agent failing its connectivity check, undone in {seconds:.1f} s")


def test_sigterm_in_the_middle_of_the_swap_puts_the_host_back(make_host: MakeHost) -> None:
    host = proxied(make_host, "debian", fips_agent_versions=("7.65.2",))
    # the FIPS Agent's package starts it slowly: the signal comes while it is installed
    host.run(["mkdir", "-p", SLOW_START.rsplit("/", 1)[0]])
    host.write_file(SLOW_START, "[Service]\nExecStartPre=/bin/sleep 5\n")
    host.systemctl("daemon-reload")
    before = snapshot(host)
    started = time.monotonic()
    process = host.start([*host.toolkit_command(), "migrate", "--json"])
    wait_until(
        lambda: (
            host.installed_version(AGENT) is None
            and host.systemctl("is-active", AGENT, check=False).stdout.strip() == "activating"
        ),
        timeout=90,
        what="migrate to be installing the FIPS Agent",
    )
    host.run(["kill", "-TERM", str(run_pid(host))])
    out, err = process.communicate(timeout=180)
    doc = json.loads(out)
    assert process.returncode == 128 + signal.SIGTERM, (doc, err)
    assert doc["interrupted"] is True and doc["changed"] is False, doc
    assert doc["msg"].endswith("the host is as it was"), doc["msg"]
    assert (
        f"remove {AGENT} {OLD_AGENT} with apt (not purged: /etc/datadog-agent stays)"
        in (doc["undone"])
    )
    assert snapshot(host) == before
    sending_through_proxy(host)
    print(
        f"\ndebian: SIGTERM while the FIPS Agent started, undone; {time.monotonic() - started:.1f} s"
    )


def test_the_way_back_from_the_package_cache(make_host: MakeHost, e2e_harness: Harness) -> None:
    host = proxied(make_host, "debian", fips_agent_versions=("7.65.2",))
    # the repository moves on: it no longer serves the installed Agent
    assert host.repo is not None
    old = e2e_harness.packages.agent("7.50.3", "deb")
    del host.repo.packages[old.path]
    host.repo.add([e2e_harness.packages.agent("7.51.0", "deb")])
    host.repo.publish(e2e_harness.trusted_key)
    before = snapshot(host)
    refused, _ = migrate(host)
    assert refused["failed"] is True and refused["error"] == "precondition"
    assert (
        f"{AGENT} {OLD_AGENT} is installed, but neither the Datadog repository" in (refused["msg"])
    )
    assert snapshot(host) == before
    cached = f"/var/cache/apt/archives/{AGENT}_1%3a7.50.3-1_{e2e_harness.packages.deb_arch}.deb"
    host.write_file(cached, old.path.read_bytes())
    doc, _ = migrate(host)
    assert doc["changed"] is True and doc["failed"] is False, doc["msg"]
    assert doc["actions"][0]["kind"] == "keep-package"
    host.run(["rm", cached])  # the cache is cleaned: the kept copy is the way back
    back = host.fips_setup("rollback", json=True)
    assert back.returncode == 0, back.stdout + back.stderr
    assert host.installed_version(AGENT) == OLD_AGENT
    assert snapshot(host) == before
    sending_through_proxy(host)


def fips_agent_evidence(host: TestHost) -> None:
    """``evidence`` on the FIPS Agent host: its own requirements, the proxy's not applicable.

    The vendor's baseline for the FIPS Agent asks for a host in FIPS mode, which no test
    kernel is (``/proc/sys/crypto/fips_enabled`` is absent here): SC-13 fails, saying so,
    and nothing else does. With that one kernel fact simulated (a tmpfs over the host's
    ``/proc/sys`` holding ``crypto/fips_enabled = 1``, then removed), every control passes.
    """
    result = host.fips_setup("evidence", json=True)
    assert result.returncode == 0 and result.data is not None, result.stdout + result.stderr
    evidence = result.data["evidence"]
    assert evidence["agent"]["flavor"] == FIPS_AGENT
    assert evidence["agent"]["fips_mode"]["line"] == "FIPS Mode: enabled"
    assert evidence["module"]["module_version"] == "3.0.9"
    assert evidence["verdict"]["failed_controls"] == ["SC-13"]
    (failed,) = [r for r in evidence["requirements"] if r["status"] == "fail"]
    assert failed["id"] == "host-fips-mode" and failed["finding"].startswith(
        "the OS is not in FIPS mode (/proc/sys/crypto/fips_enabled is absent)"
    )
    host.run(["mount", "-t", "tmpfs", "fips-mode", "/proc/sys"])
    try:
        host.run(["sh", "-c", "mkdir /proc/sys/crypto && echo 1 > /proc/sys/crypto/fips_enabled"])
        result = host.fips_setup("evidence", json=True)
    finally:
        host.run(["umount", "/proc/sys"])
    assert result.data is not None
    evidence = result.data["evidence"]
    statuses = {c["id"]: c["status"] for c in evidence["controls"]}
    assert statuses == dict.fromkeys(["SC-13", "SC-8", "SC-8(1)", "CM-6", "CM-2"], "pass")
    not_applicable = {r["id"] for r in evidence["requirements"] if r["status"] == "not-applicable"}
    assert not_applicable == {
        "no-bypass", "proxy-running", "loopback-only", "tls-to-intake", "live-tls",
        "fips-settings", "proxy-config-protected", "proxy-config-baseline",
    }  # fmt: skip
