"""Judge one host's facts: requirements, each mapped to controls, then the controls' results.

A requirement is one thing an assessor checks (the payloads go through the
validated module, the proxy listens on loopback only...), judged from the
facts with a result (``pass``, ``fail``, ``not-applicable``) and the finding
in words. A control fails when one of its requirements fails, passes when
none fails and one passes, and is not applicable otherwise. What cannot be
verified (not root, a file that cannot be read) fails, saying so: evidence
that was not gathered is not evidence.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

from fipsconf.evidence.controls import BY_ID, CONTROLS

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not-applicable"
AGENT, FIPS_AGENT = "datadog-agent", "datadog-fips-agent"
Facts = dict[str, Any]


class Outcome(NamedTuple):
    """A requirement's result and its finding."""

    status: str
    finding: str


def passed(finding: str) -> Outcome:
    """The requirement is met."""
    return Outcome(PASS, finding)


def failed(finding: str) -> Outcome:
    """The requirement is not met (or could not be verified)."""
    return Outcome(FAIL, finding)


def not_applicable(finding: str) -> Outcome:
    """The requirement does not apply to this host, and why."""
    return Outcome(NOT_APPLICABLE, finding)


class Requirement(NamedTuple):
    """What is checked, the controls it supports, the facts it reads, and how it is judged."""

    id: str
    title: str
    controls: tuple[str, ...]
    facts: tuple[str, ...]  # where in the document the facts it reads are
    judge: Callable[[Facts], Outcome]


def _flavor(facts: Facts) -> Optional[str]:
    flavor = facts.get("agent", {}).get("flavor")
    return str(flavor) if flavor else None


def _check(facts: Facts, check_id: str) -> Optional[dict[str, Any]]:
    for check in facts.get("doctor", {}).get("checks", []):
        if check.get("id") == check_id:
            return dict(check)
    return None


def _unverified(what: str, facts: Facts) -> Outcome:
    why = (
        "not run as root" if not facts.get("collected", {}).get("root") else "it could not be read"
    )
    return failed(f"{what} could not be verified ({why})")


def _from_checks(facts: Facts, ids: tuple[str, ...], what: str) -> Outcome:
    """Pass when every doctor check in ``ids`` passed; else fail with the findings that did not."""
    findings = []
    for check_id in ids:
        check = _check(facts, check_id)
        if check is None:
            return failed(f"{what}: the check {check_id} did not run")
        if check["status"] == "pass":
            findings.append(check["finding"])
            continue
        if check["status"] == "skip":
            return failed(f"{what} could not be verified: {check['finding']}")
        return failed(f"{check['finding']} ({check_id})")
    return passed("; ".join(findings))


def _proxy_only(judge: Callable[[Facts], Outcome]) -> Callable[[Facts], Outcome]:
    """Not applicable on the FIPS Agent (it needs no proxy) or without any Agent."""

    def guarded(facts: Facts) -> Outcome:
        flavor = _flavor(facts)
        if flavor == FIPS_AGENT:
            return not_applicable("the FIPS Agent encrypts by itself: it needs no proxy")
        if flavor is None:
            return not_applicable("no Datadog Agent is installed (see fips-path)")
        return judge(facts)

    return guarded


def _fips_path(facts: Facts) -> Outcome:
    flavor = _flavor(facts)
    agent = facts.get("agent", {})
    mode = (agent.get("fips_mode") or {}).get("value")
    if flavor is None:
        return failed(f"no Datadog Agent ({AGENT} or {FIPS_AGENT}) is installed")
    if flavor == FIPS_AGENT:
        problem = (agent.get("fips_mode") or {}).get("problem")
        if mode == "enabled":
            return passed(
                "datadog-agent status shows 'FIPS Mode: enabled': the FIPS Agent encrypts every"
                " payload with its FIPS module"
            )
        if mode is None:
            return failed(f"the FIPS Agent's status could not be read ({problem}): not verified")
        return failed(
            f"datadog-agent status shows 'FIPS Mode: {mode}', not enabled: the FIPS Agent does"
            " not encrypt with its FIPS module"
        )
    enabled = (agent.get("settings") or {}).get("enabled")
    if not enabled:
        return _unverified("fips.enabled", facts)
    where = enabled.get("source")
    if enabled.get("value") is not True:
        shown = _yaml(enabled.get("value"))
        return failed(
            f"fips.enabled is {shown} ({where}): the Agent sends directly to Datadog over its own"
            " TLS, not through the FIPS proxy's validated module"
        )
    if mode not in (None, "proxy"):
        return failed(
            f"fips.enabled is true ({where}) but the running Agent's status shows 'FIPS Mode:"
            f" {mode}': it has not been restarted since (it still sends directly)"
        )
    return passed(
        f"fips.enabled is true ({where}): the Agent sends every payload through the FIPS proxy"
        + (", and its status shows 'FIPS Mode: proxy'" if mode == "proxy" else "")
    )


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "not set" if value is None else str(value)


def _direct_tls(facts: Facts) -> Outcome:
    if _flavor(facts) != FIPS_AGENT:
        return not_applicable(
            "the Agent's payloads go through the proxy, or not through a FIPS module at all"
            " (see tls-to-intake and fips-path)"
        )
    mode = (facts.get("agent", {}).get("fips_mode") or {}).get("value")
    if mode == "enabled":
        return passed(
            "the FIPS Agent sends each payload over TLS straight to the intake, the TLS"
            " negotiated by its FIPS module ('FIPS Mode: enabled')"
        )
    return failed(
        f"the FIPS Agent's status does not show 'FIPS Mode: enabled' ({mode or 'unread'})"
    )


def _no_bypass(facts: Facts) -> Outcome:
    """Traffic the Agent sends outside the proxy (Remote Configuration, doctor's remote-config)."""
    check = _check(facts, "remote-config")
    if check is None:
        return not_applicable("the doctor that collected this evidence has no remote-config check")
    if check["status"] == "pass":
        return passed(check["finding"])
    if check["status"] == "skip":
        if not facts.get("collected", {}).get("root"):
            return failed(f"the Agent's other traffic could not be verified: {check['finding']}")
        return not_applicable(check["finding"])
    return failed(f"{check['finding']} (remote-config)")


def _proxy_running(facts: Facts) -> Outcome:
    installed = _check(facts, "proxy-installed")
    if installed is not None and installed["status"] == "fail":
        return failed(installed["finding"])
    return _from_checks(facts, ("proxy-service", "proxy-ports"), "the proxy's state")


def _loopback_only(facts: Facts) -> Outcome:
    proxy = facts.get("proxy", {})
    listeners = proxy.get("listeners")
    if listeners is None:
        return _unverified("who listens on the proxy's ports", facts)
    span = proxy.get("ports") or [9803, 9818]
    outside = [entry for entry in listeners if not entry.get("loopback")]
    if outside:
        shown = "; ".join(f"{e['port']} on {e['address']} ({_holder(e)})" for e in outside[:4]) + (
            f" and {len(outside) - 4} more" if len(outside) > 4 else ""
        )
        return failed(
            f"the proxy's ports listen beyond loopback: {shown}: any host that reaches this one"
            " can read the Agent's plain-HTTP payloads there and send its own through the proxy"
        )
    local = _check(facts, "fips-local-address")
    if local is not None and local["status"] == "fail":
        return failed(f"{local['finding']} (fips-local-address)")
    if not listeners:
        return not_applicable(f"nothing listens on ports {span[0]}-{span[1]} (see proxy-running)")
    addresses = sorted({str(e["address"]) for e in listeners})
    return passed(
        f"all {len(listeners)} listeners on ports {span[0]}-{span[1]} are on loopback"
        f" ({', '.join(addresses)}): the plain-HTTP hop never leaves the host"
    )


def _holder(entry: dict[str, Any]) -> str:
    if not entry.get("pid"):
        return "unknown process"
    return f"pid {entry['pid']}: {entry.get('command') or '?'}"


def _tls_to_intake(facts: Facts) -> Outcome:
    tls = facts.get("proxy", {}).get("tls")
    if not tls:
        return _unverified("the proxy's TLS settings", facts)
    servers = tls.get("servers") or []
    if not servers:
        return failed("the proxy's configuration has no server line: it forwards nowhere")
    problems = [p for server in servers for p in server.get("problems", [])]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return failed("; ".join(problems[:3]) + more)
    versions = sorted({(s["minimum_version"], s["maximum_version"]) for s in servers})
    ciphers = sorted({name for s in servers for name in s["ciphers"]})
    shown = ", ".join(f"{low} to {high}" if low != high else low for low, high in versions)
    return passed(
        f"all {len(servers)} intake servers use TLS ({shown}) and verify the intake's"
        f" certificate; ciphers allowed, each FIPS-approved: {', '.join(ciphers)}"
    )


def _live_tls(facts: Facts) -> Outcome:
    live = facts.get("live_check") or {}
    if not live.get("checked"):
        return not_applicable(str(live.get("detail") or "not checked"))
    protocol, cipher = live.get("protocol"), live.get("cipher")
    server = live.get("server")
    if not protocol:
        return failed(f"a request through the proxy reached {server} without TLS")
    verdict = live.get("cipher_verdict") or {}
    if protocol not in ("TLSv1.2", "TLSv1.3"):
        return failed(f"a request through the proxy to {server} negotiated {protocol}")
    if verdict.get("approved") is not True:
        return failed(
            f"a request through the proxy to {server} negotiated {protocol} with {cipher}:"
            f" {verdict.get('why', 'not FIPS-approved')}"
        )
    return passed(
        f"a request through the proxy to {server} negotiated {protocol} with {cipher}"
        f" (FIPS-approved: {verdict.get('why')}) in {live.get('seconds')} s"
    )


def _validated_module(facts: Facts) -> Outcome:
    module = facts.get("module")
    if not module:
        return not_applicable("no FIPS module is in use (see fips-path)")
    finding = (
        f"{module['component']} relies on the {module['name']}, CMVP certificate"
        f" #{module['certificate']}: {module['status_words']}: {module['meaning']}"
    )
    if module["status"] == "revoked":
        return failed(finding)
    return passed(finding)


def _host_fips_mode(facts: Facts) -> Outcome:
    kernel = facts.get("host", {}).get("kernel_fips") or {}
    value = kernel.get("value")
    shown = (
        f"{kernel.get('path')} = {value}"
        if value is not None
        else f"{kernel.get('path')} is absent"
    )
    if _flavor(facts) != FIPS_AGENT:
        return not_applicable(
            f"the vendor asks the OS to be in FIPS mode for the FIPS Agent only ({shown})"
        )
    if kernel.get("enabled"):
        return passed(f"the OS runs in FIPS mode ({shown})")
    return failed(
        f"the OS is not in FIPS mode ({shown}): the vendor's baseline for the FIPS Agent asks"
        " for a Linux host in FIPS-compliant mode"
    )


def _fips_settings(facts: Facts) -> Outcome:
    return _from_checks(
        facts,
        ("fips-enabled", "fips-https", "fips-local-address", "fips-port-range"),
        "the Agent's fips settings",
    )


def _site(facts: Facts) -> Outcome:
    if _flavor(facts) is None:
        return not_applicable("no Datadog Agent is installed (see fips-path)")
    return _from_checks(facts, ("site",), "the Agent's site")


def _config_protected(facts: Facts) -> Outcome:
    check = _check(facts, "proxy-config")
    if check is None:
        return failed("the proxy's configuration file was not checked")
    if check["status"] == "pass":
        return passed(check["finding"])
    if check["status"] == "skip":
        return failed(f"the proxy's configuration file could not be checked: {check['finding']}")
    return failed(check["finding"])


def _config_baseline(facts: Facts) -> Outcome:
    config = facts.get("proxy", {}).get("config") or {}
    baseline = config.get("baseline")
    if not baseline:
        problem = config.get("problem") or "it could not be read"
        return failed(f"the proxy's configuration could not be compared: {problem}")
    edits = baseline.get("edits") or []
    kept = f", apart from the documented edits: {'; '.join(edits)}" if edits else ""
    if baseline.get("matches"):
        return passed(
            f"{config.get('path')} (sha256 {str(config.get('sha256'))[:16]}...) is the package's"
            f" example{kept}"
        )
    differences = [line for line in baseline.get("differences", []) if line[:1] in "+-"]
    changed = [line for line in differences if not line.startswith(("+++", "---"))]
    shown = " | ".join(changed[:4]) + (" | ..." if len(changed) > 4 else "")
    return failed(
        f"{config.get('path')} differs from the package's example beyond the documented edits"
        f" (DNS nameservers, loopback address, port range): {shown}"
    )


def _components(facts: Facts) -> Outcome:
    flavor = _flavor(facts)
    agent = facts.get("agent", {})
    version = agent.get("version")
    if flavor is None:
        return failed(f"no Datadog Agent ({AGENT} or {FIPS_AGENT}) is installed")
    if flavor == FIPS_AGENT:
        if agent.get("version_supported"):
            return passed(f"{FIPS_AGENT} {version} (7.65 or newer)")
        return failed(f"{FIPS_AGENT} {version}: the FIPS Agent needs 7.65 or newer")
    proxy_version = facts.get("proxy", {}).get("package_version")
    if not agent.get("version_supported"):
        return failed(f"{AGENT} {version}: the FIPS proxy needs Agent 7.45 or newer")
    if not proxy_version:
        return failed(f"{AGENT} {version} is installed, but datadog-fips-proxy is not")
    return passed(f"{AGENT} {version} (7.45 or newer) and datadog-fips-proxy {proxy_version}")


REQUIREMENTS = (
    Requirement(
        "fips-path",
        "Every payload goes through a FIPS-validated module",
        ("SC-13", "SC-8(1)"),
        ("agent.flavor", "agent.settings.enabled", "agent.fips_mode"),
        _fips_path,
    ),
    Requirement(
        "no-bypass",
        "No traffic of the Agent leaves outside the proxy",
        ("SC-13", "SC-8(1)"),
        ("doctor.remote-config",),
        _proxy_only(_no_bypass),
    ),
    Requirement(
        "proxy-running",
        "The FIPS proxy runs and holds its ports",
        ("SC-8", "SC-8(1)", "SC-13"),
        ("proxy.service", "proxy.listeners", "doctor.proxy-service", "doctor.proxy-ports"),
        _proxy_only(_proxy_running),
    ),
    Requirement(
        "loopback-only",
        "The plain-HTTP hop from the Agent to the proxy stays on loopback",
        ("SC-8", "SC-8(1)", "CM-6"),
        ("proxy.listeners", "agent.settings.local_address"),
        _proxy_only(_loopback_only),
    ),
    Requirement(
        "tls-to-intake",
        "The proxy's configuration forces approved TLS toward the intake",
        ("SC-8", "SC-8(1)", "SC-13"),
        ("proxy.tls",),
        _proxy_only(_tls_to_intake),
    ),
    Requirement(
        "live-tls",
        "A request through the proxy negotiates approved TLS with the intake",
        ("SC-8(1)", "SC-13"),
        ("live_check",),
        _proxy_only(_live_tls),
    ),
    Requirement(
        "direct-tls",
        "The FIPS Agent sends over TLS straight to the intake",
        ("SC-8", "SC-8(1)"),
        ("agent.flavor", "agent.fips_mode"),
        _direct_tls,
    ),
    Requirement(
        "validated-module",
        "The module in use holds a CMVP validation",
        ("SC-13",),
        ("module",),
        _validated_module,
    ),
    Requirement(
        "host-fips-mode",
        "The OS runs in FIPS mode where the vendor asks for it",
        ("SC-13",),
        ("host.kernel_fips", "agent.flavor"),
        _host_fips_mode,
    ),
    Requirement(
        "fips-settings",
        "The Agent's fips settings are the documented ones",
        ("CM-6",),
        ("agent.settings", "agent.overrides", "doctor.fips-enabled", "doctor.fips-https"),
        _proxy_only(_fips_settings),
    ),
    Requirement(
        "site",
        "The Agent reports to the government site",
        ("CM-6",),
        ("agent.site", "doctor.site"),
        _site,
    ),
    Requirement(
        "proxy-config-protected",
        "The proxy's configuration is owned and protected as documented",
        ("CM-6",),
        ("proxy.config", "doctor.proxy-config"),
        _proxy_only(_config_protected),
    ),
    Requirement(
        "proxy-config-baseline",
        "The proxy's configuration is the package's baseline",
        ("CM-2",),
        ("proxy.config.sha256", "proxy.config.baseline"),
        _proxy_only(_config_baseline),
    ),
    Requirement(
        "components",
        "The vendor's components are installed at supported versions",
        ("CM-2",),
        ("agent.flavor", "agent.version", "proxy.package_version"),
        _components,
    ),
)


def assess(facts: Facts) -> dict[str, Any]:
    """The requirements, controls and verdict for ``facts`` (the evidence's judged part)."""
    requirements = []
    for requirement in REQUIREMENTS:
        try:
            outcome = requirement.judge(facts)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a malformed fact
            outcome = failed(f"could not be judged: the facts are incomplete ({exc!r})")
        requirements.append(
            {
                "id": requirement.id,
                "title": requirement.title,
                "controls": list(requirement.controls),
                "facts": list(requirement.facts),
                "status": outcome.status,
                "finding": outcome.finding,
            }
        )
    controls = [_control(control.id, requirements) for control in CONTROLS]
    failing = [c["id"] for c in controls if c["status"] == FAIL]
    failing_requirements = [r for r in requirements if r["status"] == FAIL]
    if failing:
        reasons = "; ".join(f"{r['id']}: {r['finding']}" for r in failing_requirements)
        summary = f"not compliant: {', '.join(failing)} fail: {reasons}"
    else:
        summary = "compliant: " + ", ".join(f"{c['id']} {c['status']}" for c in controls)
    return {
        "requirements": requirements,
        "controls": controls,
        "verdict": {
            "compliant": not failing,
            "failed_controls": failing,
            "failed_requirements": [r["id"] for r in failing_requirements],
            "summary": summary,
        },
    }


def _control(control_id: str, requirements: list[dict[str, Any]]) -> dict[str, Any]:
    control = BY_ID[control_id]
    mine = [r for r in requirements if control_id in r["controls"]]
    statuses = {r["status"] for r in mine}
    status = FAIL if FAIL in statuses else PASS if PASS in statuses else NOT_APPLICABLE
    if status == FAIL:
        finding = "; ".join(f"{r['id']}: {r['finding']}" for r in mine if r["status"] == FAIL)
    elif status == PASS:
        finding = f"{control.statement}: " + ", ".join(f"{r['id']} {r['status']}" for r in mine)
    else:
        finding = "no requirement of this control applies here"
    return {
        "id": control.id,
        "title": control.title,
        "status": status,
        "finding": finding,
        "requirements": [r["id"] for r in mine],
    }
