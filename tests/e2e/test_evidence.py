"""``fips-setup evidence`` on a booted host: compliant, then each condition that fails it.

One Debian host (apt) with the proxy enabled passes every mapped control,
with the live check's TLS read from a real HAProxy talking to the stand-in
intake. Then, in sequence, each condition the issue names is made real and
undone: the proxy stopped, ``DD_FIPS_ENABLED=false`` in the environment file,
``fips.enabled: false`` in datadog.yaml, the proxy listening beyond loopback;
and the intake unreachable, which the live check reports as "not checked: no
route", never as a guess. The documents the host wrote are then opened the way
an assessor would: the HDF in MITRE's Heimdall Lite (its counts read off the
page), the HTML page in Chromium (a screenshot kept), the OSCAL validated with
NIST's models (compliance-trestle).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from .browser import artifacts, browser_prerequisites, open_in_browser
from .harness import API_KEY, DATADOG_YAML
from .host import TestHost
from .util import skip_or_fail, wait_until

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
ENVIRONMENT = "/etc/datadog-agent/environment"
CONTROLS = ["SC-13", "SC-8", "SC-8(1)", "CM-6", "CM-2"]


def collect(host: TestHost, form: str, output: str) -> Dict[str, Any]:
    """``evidence --format FORM --output OUTPUT --json``: the evidence (the contract checked)."""
    started = time.monotonic()
    result = host.fips_setup("evidence", "--format", form, "--output", output, json=True)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "Traceback" not in result.stderr and API_KEY not in result.stdout + result.stderr
    assert result.data is not None and result.data["changed"] is True
    assert result.data["output"] == output and result.data["format"] == form
    info = host.stat(output)
    assert info.mode == 0o600 and API_KEY.encode() not in host.read_bytes(output)
    evidence: Dict[str, Any] = result.data["evidence"]
    print(
        f"\nevidence --format {form}: {took:.2f} s, collected in {evidence['collected']['seconds']} s"
    )
    return evidence


def failing(evidence: Dict[str, Any]) -> List[str]:
    return list(evidence["verdict"]["failed_controls"])


def finding(evidence: Dict[str, Any], requirement: str) -> str:
    return str(next(r["finding"] for r in evidence["requirements"] if r["id"] == requirement))


def agent_restarted(host: TestHost, proxied: bool) -> None:
    """Restart the Agent and wait until it runs with ``fips`` as asked (its status says so)."""
    restart(host, "datadog-agent")
    wait_until(
        lambda: host.agent_stats().fips is proxied,
        timeout=30,
        what=f"the restarted Agent to run with fips {proxied}",
    )


def restart(host: TestHost, unit: str, port: int = 0, address: str = "127.0.0.1") -> None:
    host.systemctl("reset-failed", unit, check=False)
    host.systemctl("restart", unit)
    if port:
        host.wait_for_port(port, address)


def test_evidence_of_a_proxied_host_then_each_condition_that_fails_it(
    make_host: MakeHost, tmp_path: Path
) -> None:
    missing = browser_prerequisites()
    if missing:
        skip_or_fail("; ".join(missing))
    host = make_host(family="debian")
    host.install_toolkit()
    enabled = host.fips_setup("enable", json=True)
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr

    # compliant: every mapped control passes; the live check read a real negotiation
    compliant = collect(host, "oscal", "/root/compliant.oscal.json")
    assert {c["id"]: c["status"] for c in compliant["controls"]} == dict.fromkeys(CONTROLS, "pass")
    live = compliant["live_check"]
    assert live["checked"] is True, live
    assert (live["protocol"], live["server"]) == ("TLSv1.2", "haproxy-app.agent.ddog-gov.com")
    assert live["cipher_verdict"]["approved"] is True and live["http_status"] == 200
    assert compliant["proxy"]["openssl"]["running_on"].startswith("OpenSSL 3.")
    assert compliant["proxy"]["loopback_only"] is True
    assert len(compliant["proxy"]["listeners"]) == 16
    assert compliant["proxy"]["config"]["baseline"]["matches"] is True
    assert compliant["module"]["certificate"] == "4282"
    assert compliant["agent"]["fips_mode"]["line"] == "FIPS Mode: proxy"
    assert compliant["collected"]["toolkit"]["archive_sha256"]  # run from the zipapp
    documents = {"compliant.oscal.json": host.read_bytes("/root/compliant.oscal.json")}

    # the proxy stopped
    host.systemctl("stop", "datadog-fips-proxy")
    stopped = collect(host, "html", "/root/stopped.html")
    assert failing(stopped) == ["SC-13", "SC-8", "SC-8(1)"]
    assert finding(stopped, "proxy-running") == (
        "datadog-fips-proxy is inactive (dead): stopped (proxy-service)"
    )
    assert stopped["live_check"]["detail"] == "not checked: datadog-fips-proxy is not running"
    documents["stopped.html"] = host.read_bytes("/root/stopped.html")
    restart(host, "datadog-fips-proxy", 9818)

    # DD_FIPS_ENABLED=false in the Agent's environment file wins over datadog.yaml
    host.write_file(ENVIRONMENT, "DD_FIPS_ENABLED=false\n", mode=0o640)
    agent_restarted(host, proxied=False)
    overridden = collect(host, "json", "/root/overridden.json")
    assert failing(overridden) == ["SC-13", "SC-8(1)", "CM-6"]
    source = f"DD_FIPS_ENABLED in {ENVIRONMENT}"
    assert finding(overridden, "fips-path") == (
        f"fips.enabled is false ({source}): the Agent sends directly to Datadog over its own TLS,"
        " not through the FIPS proxy's validated module"
    )
    assert overridden["agent"]["fips_mode"]["line"] == "FIPS Mode: disabled"
    host.run(["rm", ENVIRONMENT])  # the next step restarts the Agent

    # fips.enabled: false in datadog.yaml
    assert host.fips_setup("configure", "--disable").returncode == 0
    agent_restarted(host, proxied=False)
    disabled = collect(host, "json", "/root/disabled.json")
    assert failing(disabled) == ["SC-13", "SC-8(1)", "CM-6"]
    assert finding(disabled, "fips-path").startswith("fips.enabled is false (file): the Agent")
    assert host.fips_setup("configure").returncode == 0
    agent_restarted(host, proxied=True)

    # the proxy listening beyond loopback
    original = host.read_file(PROXY_CFG)
    host.write_file(
        PROXY_CFG,
        original.replace("DD_FIPS_LOCAL_ADDRESS 127.0.0.1", "DD_FIPS_LOCAL_ADDRESS 0.0.0.0"),
        mode=0o640,
        owner="dd-agent:dd-agent",
    )
    restart(host, "datadog-fips-proxy", 9818, "0.0.0.0")
    exposed = collect(host, "hdf", "/root/exposed.hdf.json")
    assert failing(exposed) == ["SC-8", "SC-8(1)", "CM-6", "CM-2"]
    assert finding(exposed, "loopback-only").startswith(
        "the proxy's ports listen beyond loopback: 9803 on 0.0.0.0 (pid "
    )
    assert "+    presetenv DD_FIPS_LOCAL_ADDRESS 0.0.0.0" in finding(
        exposed, "proxy-config-baseline"
    )
    documents["exposed.hdf.json"] = host.read_bytes("/root/exposed.hdf.json")
    host.write_file(PROXY_CFG, original, mode=0o640, owner="dd-agent:dd-agent")
    restart(host, "datadog-fips-proxy", 9818)

    # the intake unreachable: the live check says so, and judges nothing it did not see
    host.systemctl("stop", "fips-e2e-intake")
    unreachable = collect(host, "json", "/root/unreachable.json")
    assert unreachable["live_check"]["checked"] is False
    assert unreachable["live_check"]["detail"].startswith(
        "not checked: no route to haproxy-app.agent.ddog-gov.com within 1.5 s"
    )
    assert finding(unreachable, "live-tls") == unreachable["live_check"]["detail"]
    assert failing(unreachable) == []
    host.systemctl("start", "fips-e2e-intake")
    assert "\nfips:\n  enabled: true\n  https: false\n" in host.read_file(DATADOG_YAML)

    # what an assessor does with them
    for name, data in documents.items():
        (tmp_path / name).write_bytes(data)
    validate_oscal(tmp_path / "compliant.oscal.json")
    kept = artifacts()
    shown = open_in_browser(
        [
            {"hdf": str(tmp_path / "exposed.hdf.json"), "shot": str(kept / "heimdall-host.png")},
            {"page": str(tmp_path / "stopped.html"), "shot": str(kept / "evidence-page.png")},
        ],
        tmp_path,
    )
    statuses = [r["status"] for r in exposed["requirements"]]
    assert shown[0] == {
        "passed": statuses.count("pass"),
        "failed": statuses.count("fail"),
        "not_applicable": statuses.count("not-applicable"),
        "not_reviewed": 0,
        "profile_errors": 0,
    }, shown[0]
    assert shown[1]["verdict"] == "NOT COMPLIANT"
    assert shown[1]["headings"][:2] == ["Controls (NIST SP 800-53 Rev. 5)", "Facts"]
    assert (kept / "evidence-page.png").stat().st_size > 10_000


def validate_oscal(path: Path) -> None:
    """The document read with NIST's OSCAL 1.1 models and every trestle validator."""
    import argparse

    import trestle.core.validator_factory as validators
    from trestle.oscal.assessment_results import AssessmentResults

    model = AssessmentResults.oscal_read(path)
    assert model is not None
    validator = validators.validator_factory.get(argparse.Namespace(mode="all"))
    assert validator.model_is_valid(model, quiet=True, trestle_root=None), validator.error_msg()
    states = {f.target.target_id: f.target.status.state.value for f in model.results[0].findings}
    assert set(states.values()) == {"satisfied"}, states
