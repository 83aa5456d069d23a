"""The Ansible collection on three booted hosts at once (apt, dnf, zypper), for real (issue 12).

Ansible runs from ``.venv-ansible`` with the collection installed from the
tarball ``make dist`` builds, over its real ``ssh`` connection to sshd in each
host, and plays ``docs/ansible/fips-proxy.yml`` and ``docs/ansible/fips-agent.yml``
(the fleet's move to the FIPS Agent, issue 20 point 8), the example playbooks of
the documentation. The hosts have only the Agent: the collection brings the toolkit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

from .fleet import Fleet, PlaybookRun, ansible_prerequisites, build_collection
from .harness import API_KEY, DATADOG_YAML, Harness
from .host import DIRECT_SNI, TestHost
from .test_migrate import (
    AGENT,
    FIPS_AGENT,
    NEW_FIPS_AGENT,
    OLD_AGENT,
    fips_mode,
    sending_through_proxy,
    snapshot,
)
from .util import REPO, skip_or_fail

# One worker runs them all (pytest-xdist): they share the session's collection build.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("ansible")]

MakeHost = Callable[..., TestHost]
MakeFleet = Callable[..., Fleet]
FAMILIES = ("debian", "rhel", "suse")
AGENT_PLAYBOOK = REPO / "docs" / "ansible" / "fips-agent.yml"
EVIDENCE_PLAYBOOK = REPO / "docs" / "ansible" / "fips-evidence.yml"
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
PROXY_BINARY = "/opt/datadog-fips-proxy/embedded/sbin/haproxy"
SERVICES = ("datadog-agent", "datadog-fips-proxy")
ALL_AT_ONCE = {"fips_proxy_batch": "100%"}
#: Checks of a proxied host that pass once the rollout is done (ids a play asserts on).
PROXIED_PASSES = (
    "proxy-installed", "proxy-config", "proxy-config-valid", "proxy-service", "proxy-ports",
    "fips-enabled", "fips-https", "fips-port-range", "agent-service", "agent-to-proxy",
    "proxy-to-intake", "proxy-dns", "agent-connectivity",
)  # fmt: skip


@pytest.fixture(scope="session")
def collection_tarball(e2e_harness: Harness) -> Path:
    missing = ansible_prerequisites()
    if missing:
        skip_or_fail("; ".join(missing))
    return build_collection()


@pytest.fixture
def make_fleet(
    make_host: MakeHost, collection_tarball: Path, e2e_harness: Harness
) -> Iterator[MakeFleet]:
    """A factory: ``make_fleet("debian", "rhel")`` boots one host per family, as one inventory
    (keyword arguments go to each ``make_host``)."""
    fleets: List[Fleet] = []

    def factory(*families: str, **host_options: Any) -> Fleet:
        hosts = {family: make_host(family=family, **host_options) for family in families}
        fleet = Fleet(hosts, collection_tarball, e2e_harness.workdir)
        fleets.append(fleet)
        return fleet

    try:
        yield factory
    finally:
        for fleet in fleets:
            fleet.close()


def start_times(fleet: Fleet) -> Dict[str, Dict[str, int]]:
    return {
        name: {unit: host.service_start_timestamp(unit) for unit in SERVICES}
        for name, host in fleet.hosts.items()
    }


def assert_ran(run: PlaybookRun, changed: int, hosts: Dict[str, TestHost]) -> None:
    assert run.returncode == 0, run.output[-6000:]
    recap = run.recap()
    for name in hosts:
        assert recap[name]["failed"] == 0 and recap[name]["unreachable"] == 0, recap
        assert recap[name]["changed"] == changed, (name, recap, run.output[-6000:])
    assert API_KEY not in run.output


def doctor_lines(run: PlaybookRun) -> Dict[str, str]:
    """The report play's verdict per host (``doctor ok: ...``, ``doctor FAILED: ...``)."""
    found = re.findall(r'ok: \[(\w+)\] => \{\s*"msg": "(doctor [^"]*)"', run.output)
    return dict(found)


def statuses(result: Dict[str, Any]) -> Dict[str, str]:
    """``{check id: status}`` of a fips_proxy_info result's doctor."""
    return {check["id"]: check["status"] for check in result["doctor"]["checks"]}


def test_the_example_playbook_rolls_the_proxy_out_and_back(make_fleet: MakeFleet) -> None:
    fleet = make_fleet(*FAMILIES)
    hosts = fleet.hosts
    originals = {name: host.read_bytes(DATADOG_YAML) for name, host in hosts.items()}
    fresh = start_times(fleet)

    # --check --diff on fresh hosts: the diff of each datadog.yaml, and nothing changes;
    # -vvv shows each diff and each fresh host's doctor findings whole: no API key
    check = fleet.playbook("--check", "--diff", "-vvv", extra_vars=ALL_AT_ONCE)
    assert_ran(check, changed=1, hosts=hosts)
    assert check.output.count(f"--- before: {DATADOG_YAML}") == 3, check.output[-6000:]
    assert check.output.count("+  enabled: true\n+  https: false") == 3
    # the toolkit crossed once to each host, before the first module run, which used it
    assert check.output.count("/files/fips-setup.pyz TO ") == 3, check.output[-6000:]
    assert "toolkit_missing" not in check.output
    for name, host in hosts.items():
        assert host.read_bytes(DATADOG_YAML) == originals[name]
        assert not host.exists(PROXY_CFG) and not host.exists(PROXY_BINARY)
    assert start_times(fleet) == fresh

    # the first run: every host changes, then sends through its proxy
    first = fleet.playbook(extra_vars=ALL_AT_ONCE)
    assert_ran(first, changed=1, hosts=hosts)
    for host in hosts.values():
        assert host.is_active("datadog-fips-proxy")
        assert "\nfips:\n  enabled: true\n  https: false\n" in host.read_file(DATADOG_YAML)
        host.wait_for_intake(lambda s: len(s.via_proxy()) >= 3, what="payloads via the proxy")
    verdicts = doctor_lines(first)
    assert set(verdicts) == set(hosts), first.output[-4000:]
    for name, verdict in verdicts.items():
        assert verdict.startswith("doctor ok: no check failed"), (name, first.output[-4000:])
    # what a play asserts on: each host's status and doctor, every check by its id
    facts = fleet.info()
    assert set(facts) == set(hosts)
    for name, result in facts.items():
        assert result["changed"] is False and "failed" not in result, (name, result)
        assert result["status"]["effective"]["enabled"] is True, name
        assert result["doctor"]["failed"] is False, (name, result["doctor"])
        found = statuses(result)
        assert "fail" not in found.values(), (name, result["doctor"])
        assert all(found[check] == "pass" for check in PROXIED_PASSES), (name, found)
    assert API_KEY not in json.dumps(facts)

    # the second run, with -vvv: nothing changes, nothing restarts, no API key shown
    configured = start_times(fleet)
    second = fleet.playbook("-vvv", extra_vars=ALL_AT_ONCE)
    assert_ran(second, changed=0, hosts=hosts)
    assert start_times(fleet) == configured
    # -vvv shows the ssh connection and each module's whole result (the commands enable
    # ran, its verification, every doctor finding): still no API key
    assert "ESTABLISH SSH CONNECTION FOR USER: root" in second.output
    assert "/files/fips-setup.pyz TO " not in second.output  # each host keeps it
    assert second.output.count('"verification": {') >= 3, second.output[-6000:]
    assert second.output.count('"id": "proxy-ports"') >= 3, second.output[-6000:]
    assert "diagnose --include connectivity-datadog-core-endpoints" in second.output
    for name in hosts:
        assert re.search(
            rf'ok: \[{name}\] => \{{\n\s+"actions": \[\],\n\s+"agent_version"', second.output
        )

    # the fleet's evidence, with one host made non-compliant: the report on the controller
    evidence = fleet_evidence(fleet)

    # state: disabled puts each host back: direct again, the proxy stopped
    back = fleet.playbook(extra_vars={**ALL_AT_ONCE, "fips_proxy_state": "disabled"})
    assert_ran(back, changed=1, hosts=hosts)
    for host in hosts.values():
        assert not host.is_active("datadog-fips-proxy")
        assert "\nfips:\n  enabled: false\n  https: false\n" in host.read_file(DATADOG_YAML)
        direct = len(host.intake_stats().direct())
        host.wait_for_intake(lambda s, n=direct: len(s.direct()) >= n + 3, what="direct again")
    print(
        f"\nthree hosts: check {check.seconds:.1f} s, first run {first.seconds:.1f} s,"
        f" second run (-vvv) {second.seconds:.1f} s, evidence {evidence.seconds:.1f} s,"
        f" disable {back.seconds:.1f} s"
    )


def fleet_evidence(fleet: Fleet) -> PlaybookRun:
    """docs/ansible/fips-evidence.yml with debian's proxy stopped: the fleet report's summary
    names it and why; every format written on the controller is what its reader accepts."""
    from fipsconf.evidence.fleet import load_evidence

    from .browser import artifacts, browser_prerequisites, open_in_browser

    missing = browser_prerequisites()
    if missing:
        skip_or_fail("; ".join(missing))
    for name, host in fleet.hosts.items():  # the test hosts share one; a fleet's have their own
        host.run(["hostname", name])
    debian = fleet.hosts["debian"]
    debian.systemctl("stop", "datadog-fips-proxy")
    folder = fleet.dir / "evidence"
    run = fleet.playbook(playbook=EVIDENCE_PLAYBOOK, extra_vars={"fips_evidence_dir": str(folder)})
    debian.systemctl("start", "datadog-fips-proxy")
    debian.wait_for_port(9818)
    assert run.returncode == 0, run.output[-6000:]
    assert API_KEY not in run.output
    recap = run.recap()
    assert all(recap[name]["failed"] == 0 for name in fleet.hosts), recap
    assert (
        "2 of 3 hosts compliant; not compliant: debian, because: The FIPS proxy runs and holds"
        " its ports (proxy-running): debian" in run.output
    ), run.output[-4000:]
    # each host's document, as Ansible carried it, still matches its SHA-256
    documents = {
        path.stem: load_evidence(path.name, path.read_bytes())
        for path in sorted((folder / "hosts").glob("*.json"))
    }
    assert set(documents) == set(fleet.hosts)
    for name, document in documents.items():
        assert document["verdict"]["compliant"] is (name != "debian"), (name, document["verdict"])
    assert documents["debian"]["verdict"]["failed_controls"] == ["SC-13", "SC-8", "SC-8(1)"]
    for name in ("rhel", "suse"):  # dnf and zypper hosts: every mapped control passes
        statuses = {c["id"]: c["status"] for c in documents[name]["controls"]}
        assert set(statuses.values()) == {"pass"}, (name, statuses)
        assert documents[name]["live_check"]["protocol"] == "TLSv1.2", name
    rows = (folder / "fips-evidence.csv").read_text().splitlines()
    assert rows[1].startswith("debian,no,SC-13 SC-8 SC-8(1),proxy-running: datadog-fips-proxy is")
    assert [row.split(",")[:2] for row in rows[2:]] == [["rhel", "yes"], ["suse", "yes"]]
    page = (folder / "fips-evidence.html").read_text()
    assert page.index("Not compliant, and why") < page.index('id="host-debian"')
    for document in documents.values():
        assert document["digest"]["value"] in page
    validate_oscal_fleet(folder / "fips-evidence.oscal.json", len(documents))
    hdf = json.loads((folder / "fips-evidence.hdf.json").read_text())
    requirements = [r["status"] for d in documents.values() for r in d["requirements"]]
    shown = open_in_browser(
        [
            {
                "hdf": str(folder / "fips-evidence.hdf.json"),
                "shot": str(artifacts() / "heimdall-fleet.png"),
            }
        ],
        fleet.dir,
    )
    assert shown[0] == {
        "passed": requirements.count("pass"),
        "failed": requirements.count("fail"),
        "not_applicable": requirements.count("not-applicable"),
        "not_reviewed": 0,
        "profile_errors": 0,
    }, shown
    assert len(hdf["profiles"][0]["controls"]) == len(requirements)
    return run


def validate_oscal_fleet(path: Path, hosts: int) -> None:
    """The merged OSCAL read with NIST's models and trestle's validators: one result per host."""
    import argparse

    import trestle.core.validator_factory as validators
    from trestle.oscal.assessment_results import AssessmentResults

    model = AssessmentResults.oscal_read(path)
    assert model is not None and len(model.results) == hosts
    validator = validators.validator_factory.get(argparse.Namespace(mode="all"))
    assert validator.model_is_valid(model, quiet=True, trestle_root=None), validator.error_msg()


def test_a_port_clash_stops_the_rollout_at_that_host(make_fleet: MakeFleet) -> None:
    fleet = make_fleet(*FAMILIES)
    clash = fleet.hosts["rhel"]
    clash.install_packages("datadog-fips-proxy")  # installed by hand, never configured
    clash.run(
        ["systemd-run", "--unit=squatter", "python3", "-m", "http.server", "9806",
         "--bind", "127.0.0.1"]
    )  # fmt: skip
    clash.wait_for_port(9806)
    fleet.write_inventory(order=["rhel", "debian", "suse"])
    originals = {name: host.read_bytes(DATADOG_YAML) for name, host in fleet.hosts.items()}

    run = fleet.playbook(extra_vars={"fips_proxy_batch": "1"})
    assert run.returncode != 0
    recap = run.recap()
    assert recap["rhel"]["failed"] == 1, recap
    assert all(recap.get(name, {}).get("changed", 0) == 0 for name in fleet.hosts), recap
    assert "port 9806 (pid " in run.output
    assert "python3 -m http.server 9806 --bind 127.0.0.1" in run.output
    assert "Traceback" not in run.output
    for name, host in fleet.hosts.items():
        assert host.read_bytes(DATADOG_YAML) == originals[name], name
        assert not host.exists(PROXY_CFG), name
    for name in ("debian", "suse"):  # never reached: not even the toolkit was sent
        assert not fleet.hosts[name].exists(PROXY_BINARY), name
        assert not fleet.hosts[name].exists("/var/lib/fips-setup"), name

    # the report alone (--tags doctor) on the failed host names the port's holder
    report = fleet.playbook("--tags", "doctor", "--limit", "rhel")
    assert report.returncode == 0 and report.recap()["rhel"]["changed"] == 0, report.output
    assert doctor_lines(report)["rhel"].startswith("doctor FAILED: "), report.output[-4000:]
    holder = re.compile(
        r"9806 by pid \d+ \(/usr/bin/python3 -m http\.server 9806 --bind 127\.0\.0\.1\)"
    )
    assert re.search(
        r"fail proxy-ports: ports of the proxy held by another process: " + holder.pattern,
        report.output,
    ), report.output[-4000:]
    doctor = fleet.info("status=false", "agent_check=false", hosts="rhel")["rhel"]["doctor"]
    assert doctor["failed"] is True and doctor["error"] == "checks-failed"
    ports = next(check for check in doctor["checks"] if check["id"] == "proxy-ports")
    assert ports["status"] == "fail" and holder.search(ports["finding"]), ports
    assert re.search(r"stop pid \d+", ports["fix"]), ports
    assert clash.read_bytes(DATADOG_YAML) == originals["rhel"]


def sending_as_the_fips_agent(host: TestHost) -> None:
    """Three new payloads of the FIPS Agent, straight to the intake (no proxy)."""
    seen = len(host.intake_stats().sent_by(FIPS_AGENT))
    stats = host.wait_for_intake(
        lambda s: len(s.sent_by(FIPS_AGENT)) >= seen + 3, timeout=30, what="the FIPS Agent's"
    )
    assert {r["sni"] for r in stats.sent_by(FIPS_AGENT)} == {DIRECT_SNI}


def test_the_fleet_moves_to_the_fips_agent_canary_first_and_a_host_comes_back(
    make_fleet: MakeFleet, e2e_harness: Harness
) -> None:
    fleet = make_fleet(*FAMILIES, fips_agent_versions=("7.65.2",))
    hosts = fleet.hosts
    first, second, third = "debian", "suse", "rhel"  # the order of the rollout
    fleet.write_inventory(order=[first, second, third])
    proxied = fleet.playbook("--skip-tags", "doctor", extra_vars=ALL_AT_ONCE)
    assert_ran(proxied, changed=1, hosts=hosts)
    for host in hosts.values():
        sending_through_proxy(host)
    before = {name: snapshot(host) for name, host in hosts.items()}

    # --check --diff -vvv: each host's plan and the diff of datadog.yaml, nothing changes,
    # and no API key in Ansible's output (module arguments and results whole)
    check = fleet.playbook(
        "--check", "--diff", "-vvv", "--skip-tags", "doctor", playbook=AGENT_PLAYBOOK
    )
    assert_ran(check, changed=1, hosts=hosts)
    assert check.output.count("-  enabled: true\n+  enabled: false") == 3, check.output[-6000:]
    assert check.output.count("dry run: these steps would move this host to the FIPS Agent") >= 3
    assert {name: snapshot(host) for name, host in hosts.items()} == before

    # a FIPS Agent whose package fails to install, in the second host's repository only:
    # the canary moves, the second fails and is put back, the third is never reached
    broken = hosts[second]
    assert broken.repo is not None
    broken.repo.add([e2e_harness.packages.fips_agent("7.65.3", "rpm", failing_script="preinst")])
    broken.repo.publish(e2e_harness.trusted_key)
    stopped = fleet.playbook(playbook=AGENT_PLAYBOOK, extra_vars={"fips_agent_batch": "1"})
    assert stopped.returncode != 0
    recap = stopped.recap()
    assert recap[first]["changed"] == 1 and recap[first]["failed"] == 0, recap
    assert recap[second]["failed"] == 1 and recap[second]["changed"] == 0, recap
    assert third not in recap, recap  # never reached: no task ran there
    assert "NO MORE HOSTS LEFT" in stopped.output
    assert f"fatal: [{second}]: FAILED!" in stopped.output
    assert "install datadog-fips-agent 1:7.65.3-1 with zypper" in stopped.output
    assert "the host is as it was" in stopped.output, stopped.output[-6000:]
    assert API_KEY not in stopped.output and "Traceback" not in stopped.output
    canary = hosts[first]
    assert canary.installed_version(FIPS_AGENT) == NEW_FIPS_AGENT
    assert canary.installed_version(AGENT) is None and fips_mode(canary) == "enabled"
    assert not canary.is_active("datadog-fips-proxy")
    sending_as_the_fips_agent(canary)
    assert snapshot(broken) == before[second] and fips_mode(broken) == "proxy"
    sending_through_proxy(broken)
    assert snapshot(hosts[third]) == before[third]

    # the way back on the canary: the exact Agent, the files, the proxy sending; then again
    back = fleet.playbook("-v", "--tags", "way_back", "--limit", first, playbook=AGENT_PLAYBOOK)
    assert_ran(back, changed=1, hosts={first: canary})
    assert '"msg": "rolled back migrate (pid ' in back.output, back.output[-4000:]
    assert re.search(r'"rolled_back": \{[^}]*"command": "migrate"', back.output), back.output
    assert canary.installed_version(AGENT) == OLD_AGENT and fips_mode(canary) == "proxy"
    assert snapshot(canary) == before[first]
    sending_through_proxy(canary)
    assert doctor_lines(back)[first].startswith("doctor ok: no check failed"), back.output[-4000:]
    again = fleet.playbook(
        "--tags", "way_back", "--skip-tags", "doctor", "--limit", first, playbook=AGENT_PLAYBOOK
    )  # fmt: skip
    assert_ran(again, changed=0, hosts={first: canary})  # nothing left to undo: enable alone

    # the whole fleet in one play, at the version that installs (the canary, then the rest
    # at once), with -vvv: no API key; then once more: nothing changes, nothing restarts
    pinned = {"fips_agent_batch": "100%", "fips_agent_version": "7.65.2"}
    moved = fleet.playbook("-vvv", playbook=AGENT_PLAYBOOK, extra_vars=pinned)
    assert_ran(moved, changed=1, hosts=hosts)
    assert moved.output.count("PLAY [Move the Datadog Agent to the FIPS Agent") == 2  # 1, then 2
    assert moved.output.count('"agent_stopped_seconds": ') >= 3, moved.output[-6000:]
    for host in hosts.values():
        assert host.installed_version(FIPS_AGENT) == NEW_FIPS_AGENT
        assert host.installed_version(AGENT) is None and fips_mode(host) == "enabled"
        sending_as_the_fips_agent(host)
    verdicts = doctor_lines(moved)
    assert set(verdicts) == set(hosts), moved.output[-4000:]
    assert all(v.startswith("doctor ok: no check failed") for v in verdicts.values()), verdicts
    started = {name: host.service_start_timestamp(AGENT) for name, host in hosts.items()}
    unchanged = fleet.playbook("--skip-tags", "doctor", playbook=AGENT_PLAYBOOK, extra_vars=pinned)
    assert_ran(unchanged, changed=0, hosts=hosts)
    assert {name: host.service_start_timestamp(AGENT) for name, host in hosts.items()} == started
    print(
        f"\nthree hosts to the FIPS Agent: proxied {proxied.seconds:.1f} s, check"
        f" {check.seconds:.1f} s, stopped at the broken second host {stopped.seconds:.1f} s, the"
        f" way back {back.seconds:.1f} s (again {again.seconds:.1f} s), the fleet moved"
        f" {moved.seconds:.1f} s, again {unchanged.seconds:.1f} s"
    )
