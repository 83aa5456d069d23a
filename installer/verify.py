"""``fips-setup verify``: prove that a payload gets through, as the vendor's page asks.

Two checks: the Agent's own connectivity check (as ``dd-agent``), and one
request through the proxy's metrics port to the intake (``GET
/api/v1/validate`` with the Agent's API key, sent as a header). ``enable``
and ``install`` end with the same verification. On a FIPS Agent host (no
proxy): its status shows ``FIPS Mode: enabled`` and its connectivity check
passes, as ``migrate`` verifies it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from fipsconf.redact import REDACTOR
from installer.agent import agent_environment, agent_missing
from installer.doctor import run_checks, runtime_checks
from installer.doctor.facts import HTTP_CONNECT_TIMEOUT, Facts
from installer.doctor.model import Check, CheckFunction, ChecksResult, Outcome, failed, passed
from installer.doctor.network_checks import (
    AGENT_CONNECTIVITY,
    FIPS_MODE,
    NO_INTAKE_STATUSES,
    agent_to_proxy,
)
from installer.host import Host
from installer.net import HttpAnswer
from installer.packages import AGENT_PACKAGE
from installer.results import CommandResult

#: The payloads run too: on Agent 7.84+ dd-procmgrd's (a crashed one sends nothing).
SUPERVISION = next(c for c in runtime_checks.CHECKS if c.id == "agent-supervision")
#: How long a fresh proxy may take to reach the intake (DNS, first health checks).
PATIENCE = 10.0
ENABLE_PATIENCE = 20.0
_RETRY_INTERVAL = 0.5
_READ_TIMEOUT = 5.0
VALIDATE_PATH = "/api/v1/validate"
INTAKE_UNREACHABLE = "it cannot reach the Datadog intake"


def _api_key(facts: Facts) -> Optional[str]:
    overridden = agent_environment(facts.host, ("DD_API_KEY",))
    key = overridden[-1].value if overridden else facts.settings().data.get("api_key")
    if key is None or not str(key).strip():
        return None
    REDACTOR.register(str(key).strip())
    return str(key).strip()


def _retryable(answer: HttpAnswer) -> bool:
    return answer.status in NO_INTAKE_STATUSES or answer.status is None


def metrics_request(facts: Facts, patience: float) -> Outcome:
    """One request through the metrics port to the intake, retried for ``patience`` seconds."""
    if facts.settings().problem:
        return failed(str(facts.settings().problem), "fips-setup doctor")
    key = _api_key(facts)
    if key is None:
        return failed(
            f"no api_key in {facts.config}: the intake would refuse every payload",
            f"set api_key in {facts.config}, then: fips-setup verify",
        )
    url = facts.metrics_url(VALIDATE_PATH)
    clock = facts.host.clock
    deadline = clock.monotonic() + patience
    while True:
        answer = facts.host.http_get(url, {"DD-API-KEY": key}, HTTP_CONNECT_TIMEOUT, _READ_TIMEOUT)
        if not _retryable(answer) or clock.monotonic() >= deadline:
            break
        clock.sleep(_RETRY_INTERVAL)
    if answer.status == 200:
        return passed(f"GET {url} reached the intake through the proxy: HTTP 200")
    if answer.status == 403:
        return failed(
            f"GET {url} reached the intake, which refused the API key (HTTP 403)",
            f"set a valid API key for the ddog-gov.com site as api_key in {facts.config}",
        )
    if answer.status in NO_INTAKE_STATUSES or answer.problem in ("empty", "read-timeout"):
        got = f"HTTP {answer.status}" if answer.status else answer.detail
        return failed(
            f"GET {url}: the proxy answered {got}: {INTAKE_UNREACHABLE}",
            "fips-setup doctor (names the cause: DNS, firewall, intake servers DOWN)",
        )
    if answer.status is not None:
        return failed(f"GET {url} answered HTTP {answer.status}", "fips-setup doctor")
    reached = agent_to_proxy(facts, answer)
    return failed(reached.finding, reached.fix or "fips-setup doctor")


def verify(host: Host, config: Path, patience: float = PATIENCE) -> ChecksResult:
    """Both checks; the result fails unless both pass. Never changes anything.

    On a FIPS Agent host (no proxy), :func:`verify_fips_agent`'s checks instead.
    """
    facts = Facts(host, config)
    if facts.fips_agent:
        return verify_fips_agent(host, config, patience)
    if facts.packages() is not None and facts.version(AGENT_PACKAGE) is None:
        raise agent_missing(", so no payload can be sent")
    request = CheckFunction("metrics-request", lambda f: metrics_request(f, patience))
    checks = run_checks(facts, [request]) + run_checks(facts, [AGENT_CONNECTIVITY, SUPERVISION])
    failing = [c for c in checks if not _proves(c)]
    if not failing:
        msg = "verified: the Agent's connectivity check passed and a request went through the proxy"
    else:
        msg = "not verified: " + "; ".join(f"{c.id}: {c.finding}" for c in failing)
        msg += "; run fips-setup doctor for the cause and its fix"
    result = ChecksResult(checks, msg, {"config": str(config)})
    if failing and not result.failed:  # a skipped check (not root) proves nothing either
        result.failed, result.error = True, "not-verified"
    return result


def verify_enabled(host: Host, config: Path, result: CommandResult) -> CommandResult:
    """``result`` of an ``enable`` that ran, with the verification's outcome.

    Verified: the message says so. Not verified: the result fails (exit 1)
    and says what failed and why the installation is kept as it is.
    """
    ran_before = len(host.runner.history)
    started = host.clock.monotonic()
    checked = verify(host, config, ENABLE_PATIENCE)
    result.details["verification"] = {
        "verified": not checked.failed,
        "checks": [c.record() for c in checked.checks],
        "seconds": round(host.clock.monotonic() - started, 3),
    }
    if "commands" in result.details:  # what the verification ran too
        result.details["commands"] += [r.record() for r in host.runner.history[ran_before:]]
    if not checked.failed:
        result.msg += "; verified: the Agent's connectivity check passed and a request went"
        result.msg += " through the proxy to the intake"
        return result
    failing = [c for c in checked.checks if c.status != "pass"]
    if any(INTAKE_UNREACHABLE in c.finding for c in failing):
        why = (
            "the proxy and the Agent are set up as they should be and the Agent reaches the"
            " proxy; what fails lies past this host, on the way to the intake, and undoing the"
            " setup would not fix it"
        )
    else:
        why = "undoing it would not make the Agent's payloads reach Datadog, FIPS compliant"
    found = "; ".join(f"{c.id}: {c.finding}" for c in failing)
    result.msg += f", but it is NOT verified: {found}. The installation is kept: {why}."
    result.msg += " Run fips-setup doctor for the cause and its fix"
    result.failed, result.error = True, "not-verified"
    return result


def verify_fips_agent(host: Host, config: Path, patience: float = PATIENCE) -> ChecksResult:
    """The FIPS Agent's status shows ``FIPS Mode: enabled`` and its connectivity check passes.

    Each check is tried again for up to ``patience`` seconds (a FIPS Agent
    that has just started). Never changes anything.
    """
    facts = Facts(host, config)
    checks = [
        _until_passed(host, check, facts, patience)
        for check in (FIPS_MODE, AGENT_CONNECTIVITY, SUPERVISION)
    ]
    failing = [c for c in checks if not _proves(c)]
    if not failing:
        msg = (
            "verified: the FIPS Agent's status shows FIPS Mode: enabled and its connectivity"
            " check passed"
        )
    else:
        msg = "not verified: " + "; ".join(f"{c.id}: {c.finding}" for c in failing)
    result = ChecksResult(checks, msg, {"config": str(config)})
    if failing and not result.failed:  # a skipped check (not root) proves nothing either
        result.failed, result.error = True, "not-verified"
    return result


def _proves(check: Check) -> bool:
    """A check that lets the host count as verified: passed (a skipped one proves nothing).

    How the payloads run counts when it can tell something is wrong (``fail``);
    where it cannot look (no init system knows the Agent, dd-procmgrd not
    readable: ``skip``, ``warn``), the other two checks decide.
    """
    return check.status == "pass" or (check.id == SUPERVISION.id and check.status != "fail")


def _until_passed(host: Host, check: CheckFunction, facts: Facts, patience: float) -> Check:
    deadline = host.clock.monotonic() + patience
    while True:
        outcome = check.run(facts)
        if outcome.status != "fail" or host.clock.monotonic() >= deadline:
            return outcome
        host.clock.sleep(_RETRY_INTERVAL * 2)
