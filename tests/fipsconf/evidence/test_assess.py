"""Facts judged: which controls each condition fails, with the finding in words."""

from __future__ import annotations

from typing import Any

from fipsconf.evidence.assess import REQUIREMENTS, assess
from fipsconf.evidence.controls import BY_ID
from tests.fipsconf.evidence.samples import (
    PROXY_EXAMPLE,
    fips_agent_host,
    listener,
    proxied_host,
    set_check,
)

ALL = ["SC-13", "SC-8", "SC-8(1)", "CM-6", "CM-2"]


def controls(facts: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in assess(facts)["controls"]}


def requirement(facts: dict[str, Any], requirement_id: str) -> dict[str, Any]:
    found = [r for r in assess(facts)["requirements"] if r["id"] == requirement_id]
    assert len(found) == 1
    return found[0]


def failing(facts: dict[str, Any]) -> list[str]:
    return assess(facts)["verdict"]["failed_controls"]


def test_every_requirement_maps_to_known_controls_and_each_control_has_one() -> None:
    mapped = {c for r in REQUIREMENTS for c in r.controls}
    assert mapped == set(BY_ID) == set(ALL)
    assert len({r.id for r in REQUIREMENTS}) == len(REQUIREMENTS)


def test_a_compliant_proxied_host_passes_every_mapped_control() -> None:
    judged = assess(proxied_host())
    assert {c["id"]: c["status"] for c in judged["controls"]} == dict.fromkeys(ALL, "pass")
    assert judged["verdict"]["compliant"] is True
    assert judged["verdict"]["summary"] == (
        "compliant: SC-13 pass, SC-8 pass, SC-8(1) pass, CM-6 pass, CM-2 pass"
    )
    statuses = {r["id"]: r["status"] for r in judged["requirements"]}
    # the FIPS Agent's own requirements do not apply; everything else passes
    assert {r for r, s in statuses.items() if s != "pass"} == {"direct-tls", "host-fips-mode"}
    assert statuses["no-bypass"] == "pass"
    tls = requirement(proxied_host(), "tls-to-intake")["finding"]
    assert tls.startswith("all 15 intake servers use TLS (TLSv1.2) and verify the intake's")
    assert "ECDHE-RSA-AES128-GCM-SHA256" in tls


def test_a_compliant_fips_agent_host_passes_every_mapped_control() -> None:
    judged = assess(fips_agent_host())
    assert {c["id"]: c["status"] for c in judged["controls"]} == dict.fromkeys(ALL, "pass")
    assert requirement(fips_agent_host(), "direct-tls")["status"] == "pass"
    assert requirement(fips_agent_host(), "proxy-running")["finding"] == (
        "the FIPS Agent encrypts by itself: it needs no proxy"
    )


def test_fips_enabled_false_in_the_file_fails_sc13_sc8_1_and_cm6() -> None:
    facts = proxied_host()
    facts["agent"]["settings"]["enabled"] = {"value": False, "source": "file"}
    facts["agent"]["fips_mode"] = {"value": "disabled", "line": "FIPS Mode: disabled"}
    set_check(
        facts,
        "fips-enabled",
        "fail",
        "fips.enabled is false (file): the Agent sends directly to Datadog, not through the"
        " proxy, and is not FIPS compliant",
    )
    assert failing(facts) == ["SC-13", "SC-8(1)", "CM-6"]
    assert requirement(facts, "fips-path")["finding"] == (
        "fips.enabled is false (file): the Agent sends directly to Datadog over its own TLS, not"
        " through the FIPS proxy's validated module"
    )
    assert requirement(facts, "fips-settings")["finding"].startswith(
        "fips.enabled is false (file): the Agent sends directly"
    )


def test_dd_fips_enabled_false_in_the_environment_file_is_named_with_its_source() -> None:
    facts = proxied_host()
    source = "DD_FIPS_ENABLED in /etc/datadog-agent/environment"
    facts["agent"]["settings"]["enabled"] = {"value": False, "source": source}
    set_check(facts, "fips-enabled", "fail", f"fips.enabled is false ({source}): the Agent ...")
    assert failing(facts) == ["SC-13", "SC-8(1)", "CM-6"]
    assert f"fips.enabled is false ({source})" in requirement(facts, "fips-path")["finding"]


def test_an_agent_not_restarted_since_fips_was_enabled_fails() -> None:
    facts = proxied_host()
    facts["agent"]["fips_mode"] = {"value": "disabled", "line": "FIPS Mode: disabled"}
    assert failing(facts) == ["SC-13", "SC-8(1)"]
    assert "has not been restarted since" in requirement(facts, "fips-path")["finding"]


def test_a_stopped_proxy_fails_sc13_sc8_and_sc8_1() -> None:
    facts = proxied_host()
    facts["proxy"]["service"] = {"state": "inactive (dead)", "active": False, "enabled": True}
    facts["proxy"]["listeners"] = []
    facts["live_check"] = {
        "checked": False,
        "detail": "not checked: datadog-fips-proxy is not running",
    }
    set_check(facts, "proxy-service", "fail", "datadog-fips-proxy is inactive (dead): stopped")
    set_check(facts, "proxy-ports", "fail", "none of ports 9803-9818 is listening")
    assert failing(facts) == ["SC-13", "SC-8", "SC-8(1)"]
    assert requirement(facts, "proxy-running")["finding"] == (
        "datadog-fips-proxy is inactive (dead): stopped (proxy-service)"
    )
    assert requirement(facts, "loopback-only")["status"] == "not-applicable"
    assert requirement(facts, "live-tls") == {
        **requirement(facts, "live-tls"),
        "status": "not-applicable",
        "finding": "not checked: datadog-fips-proxy is not running",
    }


def test_a_proxy_listening_beyond_loopback_fails_sc8_sc8_1_cm6_and_cm2() -> None:
    config = PROXY_EXAMPLE.replace(
        "presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.1", "presetenv DD_FIPS_LOCAL_ADDRESS 0.0.0.0"
    )
    facts = proxied_host(config=config)
    facts["proxy"]["listeners"] = [listener(port, "0.0.0.0") for port in range(9803, 9819)]
    assert failing(facts) == ["SC-8", "SC-8(1)", "CM-6", "CM-2"]
    loopback = requirement(facts, "loopback-only")["finding"]
    assert loopback.startswith(
        "the proxy's ports listen beyond loopback: 9803 on 0.0.0.0 (pid 500:"
        " /opt/datadog-fips-proxy/embedded/sbin/haproxy"
    )
    assert "and 12 more: any host that reaches this one can read" in loopback
    baseline = requirement(facts, "proxy-config-baseline")["finding"]
    assert "differs from the package's example beyond the documented edits" in baseline
    assert "+    presetenv DD_FIPS_LOCAL_ADDRESS 0.0.0.0" in baseline


def test_a_loopback_address_other_than_the_example_is_a_documented_edit() -> None:
    config = PROXY_EXAMPLE.replace(
        "presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.1", "presetenv DD_FIPS_LOCAL_ADDRESS ::1"
    )
    facts = proxied_host(config=config)
    facts["proxy"]["listeners"] = [listener(port, "::1") for port in range(9803, 9819)]
    assert failing(facts) == []
    assert (
        "apart from the documented edits: listens on ::1"
        in (requirement(facts, "proxy-config-baseline")["finding"])
    )


def test_ciphers_that_are_not_approved_fail_with_their_names() -> None:
    config = PROXY_EXAMPLE.replace(
        "ECDHE-RSA-AES128-GCM-SHA256:", "ECDHE-RSA-CHACHA20-POLY1305:DES-CBC3-SHA:"
    ).replace("no-sslv3 no-tlsv10 no-tlsv11 no-tlsv13", "no-sslv3 no-tlsv13")
    facts = proxied_host(config=config)
    assert failing(facts) == ["SC-13", "SC-8", "SC-8(1)", "CM-2"]
    finding = requirement(facts, "tls-to-intake")["finding"]
    assert finding.startswith(
        "server datadog-metrics/mothership (line 154) allows TLSv1.0, below TLSv1.2"
        " (SP 800-52 Rev. 2); server datadog-metrics/mothership (line 154) allows ciphers that"
        " are not FIPS-approved: ECDHE-RSA-CHACHA20-POLY1305, DES-CBC3-SHA"
    )


def test_a_negotiated_cipher_that_is_not_approved_fails_the_live_check() -> None:
    facts = proxied_host()
    facts["live_check"].update(
        cipher="ECDHE-RSA-CHACHA20-POLY1305",
        cipher_verdict={
            "approved": False,
            "why": "ChaCha20-Poly1305 is not a FIPS-approved cipher",
        },
    )
    assert failing(facts) == ["SC-13", "SC-8(1)"]
    assert requirement(facts, "live-tls")["finding"].endswith(
        "negotiated TLSv1.2 with ECDHE-RSA-CHACHA20-POLY1305: ChaCha20-Poly1305 is not a"
        " FIPS-approved cipher"
    )


def test_no_route_for_the_live_check_is_not_a_guess() -> None:
    facts = proxied_host()
    facts["live_check"] = {
        "checked": False,
        "detail": "not checked: no route to haproxy-app.agent.ddog-gov.com within 1.5 s",
    }
    assert failing(facts) == []
    assert requirement(facts, "live-tls")["status"] == "not-applicable"
    assert requirement(facts, "live-tls")["finding"].startswith("not checked: no route")


def test_the_fips_agent_on_a_host_not_in_fips_mode_fails_sc13() -> None:
    facts = fips_agent_host()
    facts["host"]["kernel_fips"] = {"path": "/proc/sys/crypto/fips_enabled", "value": None,
                                    "enabled": False}  # fmt: skip
    assert failing(facts) == ["SC-13"]
    assert requirement(facts, "host-fips-mode")["finding"] == (
        "the OS is not in FIPS mode (/proc/sys/crypto/fips_enabled is absent): the vendor's"
        " baseline for the FIPS Agent asks for a Linux host in FIPS-compliant mode"
    )


def test_a_fips_agent_whose_status_is_not_fips_fails() -> None:
    facts = fips_agent_host()
    facts["agent"]["fips_mode"] = {"value": "disabled", "line": "FIPS Mode: disabled"}
    assert failing(facts) == ["SC-13", "SC-8", "SC-8(1)"]


def test_what_could_not_be_read_as_a_user_fails_as_unverified() -> None:
    facts = proxied_host()
    facts["collected"]["root"] = False
    facts["agent"].update(settings=None, overrides=None, site=None)
    facts["proxy"].update(listeners=None, config=None, tls=None)
    for check_id in ("fips-enabled", "site", "proxy-config", "proxy-ports"):
        set_check(facts, check_id, "skip", "needs root: run sudo fips-setup doctor")
    assert failing(facts) == ALL
    assert requirement(facts, "fips-path")["finding"] == (
        "fips.enabled could not be verified (not run as root)"
    )
    assert requirement(facts, "site")["finding"] == (
        "the Agent's site could not be verified: needs root: run sudo fips-setup doctor"
    )


def test_no_agent_at_all() -> None:
    facts = proxied_host()
    facts["agent"]["flavor"] = None
    facts["module"] = None
    judged = assess(facts)
    assert judged["verdict"]["failed_controls"] == ["SC-13", "SC-8(1)", "CM-2"]
    assert requirement(facts, "fips-path")["finding"] == (
        "no Datadog Agent (datadog-agent or datadog-fips-agent) is installed"
    )


def test_malformed_facts_fail_the_requirement_they_break_not_the_whole_assessment() -> None:
    facts = proxied_host()
    facts["proxy"]["tls"] = {"servers": [{"problems": None}]}
    found = requirement(facts, "tls-to-intake")
    assert found["status"] == "fail"
    assert found["finding"].startswith("could not be judged: the facts are incomplete")
    assert requirement(facts, "fips-path")["status"] == "pass"


def test_remote_configuration_on_with_the_proxy_is_traffic_outside_it() -> None:
    facts = proxied_host()
    set_check(
        facts,
        "remote-config",
        "fail",
        "Remote Configuration is on (remote_configuration.enabled in /etc/datadog-agent/"
        "datadog.yaml) while fips.enabled is true: the Agent then talks to the Remote"
        " Configuration service of its site directly, outside the FIPS proxy",
    )
    assert failing(facts) == ["SC-13", "SC-8(1)"]
    assert requirement(facts, "no-bypass")["finding"].startswith("Remote Configuration is on")
    assert requirement(facts, "no-bypass")["finding"].endswith("(remote-config)")


def test_evidence_from_a_doctor_without_the_remote_config_check() -> None:
    facts = proxied_host()
    facts["doctor"]["checks"] = [c for c in facts["doctor"]["checks"] if c["id"] != "remote-config"]
    assert failing(facts) == []
    assert requirement(facts, "no-bypass")["status"] == "not-applicable"
