"""Checks that payloads get through: Agent -> proxy -> intake, DNS, and what the Agent says."""

from __future__ import annotations

from typing import Optional

from fipsconf.agent_output import fips_mode, proxy_connection_errors, read_diagnose
from fipsconf.errors import FipsSetupError
from fipsconf.proxy_log import explain_down
from installer.agent import NEW_DIAGNOSE
from installer.doctor.facts import Facts, NameserverAnswer
from installer.doctor.model import (
    CheckFunction,
    Outcome,
    check,
    failed,
    passed,
    skipped,
    warned,
)
from installer.doctor.setup_checks import needs_root, proxy_config_unreadable, proxy_irrelevant
from installer.files import read_tail
from installer.net import CONNECT_TIMEOUT, EMPTY, READ_TIMEOUT, REFUSED, HttpAnswer
from installer.packages import FIPS_AGENT_PACKAGE
from installer.proxy import PROXY_CONFIG, PROXY_USER
from installer.runner import CommandError
from installer.services import AGENT_SERVICE, PROXY_SERVICE

CHECKS: list[CheckFunction] = []
AGENT_BINARY = "/opt/datadog-agent/bin/agent/agent"
AGENT_LOG = "/var/log/datadog/agent.log"
AGENT_LOG_TAIL = 1 << 20  # the last MiB: minutes of a busy Agent's log
AGENT_LOG_MINUTES = 10
CONNECTIVITY_TIMEOUT = 60.0
NO_AGENT_BINARY = (
    f"the Agent's program is missing (neither {AGENT_BINARY} nor datadog-agent on the PATH)"
)
STATUS_TIMEOUT = 30.0
#: HTTP answers that mean the proxy had nowhere to forward the request.
NO_INTAKE_STATUSES = (502, 503, 504)


def firewall_fix(start: int) -> str:
    """Allowing the Agent's ports on loopback, as the vendor asks (9804-9818)."""
    first, last = start + 1, start + 15
    return (
        f"allow TCP {first}-{last} on the loopback interface in the local firewall, e.g."
        f" iptables -I INPUT -i lo -p tcp --dport {first}:{last} -j ACCEPT (or the"
        " nftables/firewalld equivalent)"
    )


def agent_to_proxy(facts: Facts, answer: HttpAnswer) -> Outcome:
    """What one request to the metrics port says about the Agent's path to the proxy."""
    url = facts.metrics_url()
    port = facts.port_start() + 1
    if answer.status is not None:
        if answer.status in NO_INTAKE_STATUSES:
            return passed(
                f"{url} answered HTTP {answer.status}: the Agent reaches the proxy, the proxy"
                " does not reach the intake (see proxy-to-intake)"
            )
        return passed(f"{url} answered HTTP {answer.status} in {answer.seconds * 1000:.0f} ms")
    if answer.problem in (EMPTY, READ_TIMEOUT):
        return passed(f"{url} accepted the connection, then: {answer.detail} (see proxy-to-intake)")
    listening = port in facts.listeners() if facts.root else None
    if answer.problem == REFUSED and listening is False:
        return failed(
            f"{url}: connection refused: nothing listens on port {port} (see proxy-service)",
            facts.services().command_line("start", PROXY_SERVICE),
        )
    if answer.problem == REFUSED:
        return failed(
            f"{url}: connection refused although the proxy listens: a local firewall rejects it",
            firewall_fix(facts.port_start()),
        )
    if answer.problem == CONNECT_TIMEOUT:
        return failed(
            f"{url}: {answer.detail}: a local firewall drops packets to port {port}",
            firewall_fix(facts.port_start()),
        )
    return failed(f"{url}: {answer.detail}", firewall_fix(facts.port_start()))


@check("agent-to-proxy", CHECKS)
def _agent_to_proxy(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts)
    if skip:
        return skip
    return agent_to_proxy(facts, facts.metrics_answer())


def _resolvers_shown(facts: Facts) -> str:
    """``resolvers my-dns: parse-resolv-conf, nameserver dns1 10.0.0.2:53``."""
    shown = []
    for section in facts.dns().sections:
        servers = [f"nameserver {n.name} {n.target}" for n in section.nameservers]
        servers = (["parse-resolv-conf"] if section.parse_resolv_conf else []) + servers
        shown.append(f"resolvers {section.name}: {', '.join(servers) or 'no nameserver'}")
    return "; ".join(shown) or "no resolvers section"


def _dns_fix(facts: Facts) -> str:
    return (
        "fips-setup dns set --nameserver <your DNS server>[:PORT] (the proxy uses: "
        f"{_resolvers_shown(facts)})"
    )


@check("proxy-to-intake", CHECKS)
def _proxy_to_intake(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts) or needs_root(facts)
    if skip:
        return skip
    if not facts.service(PROXY_SERVICE).active and facts.service(PROXY_SERVICE).known:
        return skipped(f"{PROXY_SERVICE} is not running (see proxy-service)")
    log = facts.proxy_log()
    answer = facts.metrics_answer()
    if log.down:
        first = log.down[0]
        meaning = explain_down(first.reason, first.info, _dns_fix(facts))
        names = ", ".join(f"{s.backend}/{s.server}" for s in log.down[:3])
        more = f" and {len(log.down) - 3} more" if len(log.down) > 3 else ""
        return failed(
            f"{len(log.down)} intake server(s) DOWN in the proxy's journal ({names}{more}):"
            f" {first.cause}: {meaning.meaning}",
            meaning.fix,
        )
    no_answer = answer.status in NO_INTAKE_STATUSES or answer.problem in (EMPTY, READ_TIMEOUT)
    if no_answer:
        got = f"HTTP {answer.status}" if answer.status else answer.detail
        dns = facts.dns().answers
        if dns and not any(a.answer.resolves for a in dns):
            return failed(
                f"the proxy answered {got} and none of its nameservers resolves"
                f" {facts.dns().name} (see proxy-dns): it cannot find the intake",
                _dns_fix(facts),
            )
        return failed(
            f"the proxy answered {got}: it cannot forward to the intake",
            f"journalctl -u {PROXY_SERVICE} --no-pager (servers DOWN and why); check the"
            " outbound firewall (TCP 443 to https://ip-ranges.ddog-gov.com/) and DNS"
            " (fips-setup dns show)",
        )
    if log.empty_backends:
        empty = ", ".join(log.empty_backends)
        return warned(
            f"the proxy's journal reports backends without a server: {empty}",
            f"journalctl -u {PROXY_SERVICE} --no-pager",
        )
    shown = f"HTTP {answer.status}" if answer.status else "no answer"
    return passed(f"no intake server is DOWN since the proxy started; port answered {shown}")


@check("proxy-dns", CHECKS)
def _proxy_dns(facts: Facts) -> Outcome:
    skip = proxy_config_unreadable(facts)
    if skip:
        return skip
    report = facts.dns()
    if report.name is None:
        return skipped(f"no intake server is named in {PROXY_CONFIG}")
    if not report.answers:
        return failed(
            f"the proxy has no nameserver (resolvers: {_resolvers_shown(facts)})",
            _dns_fix(facts),
        )
    good = [a for a in report.answers if a.answer.resolves]
    bad = [a for a in report.answers if not a.answer.resolves]

    def why(asked: NameserverAnswer) -> str:
        return asked.answer.problem or f"{asked.answer.rcode}, no address"

    shown_bad = "; ".join(f"{a.target} ({a.source}): {why(a)}" for a in bad)
    if not good:
        return failed(
            f"no nameserver of the proxy resolves {report.name}: {shown_bad}", _dns_fix(facts)
        )
    resolved = f"{report.name} -> {', '.join(good[0].answer.addresses)}"
    if bad:
        count = f"{len(good)} of {len(report.answers)}"
        return warned(
            f"{count} nameservers resolve {resolved}; not: {shown_bad}",
            _dns_fix(facts),
        )
    servers = ", ".join(f"{a.target} ({a.source})" for a in good)
    return passed(f"{servers} {'resolve' if len(good) > 1 else 'resolves'} {resolved}")


def agent_binary(facts: Facts) -> Optional[str]:
    """The Agent's program (None: neither its path nor ``datadog-agent`` on the PATH)."""
    binary = AGENT_BINARY if facts.host.path(AGENT_BINARY).is_file() else None
    return binary or facts.host.which("datadog-agent")


def connectivity_command(facts: Facts) -> Optional[list[str]]:
    """The Agent's connectivity check for its version (None: no Agent binary)."""
    binary = agent_binary(facts)
    version = facts.agent_version()
    if binary is None or version is None:
        return None
    if version >= NEW_DIAGNOSE:
        return [binary, "diagnose", "--include", "connectivity-datadog-core-endpoints"]
    return [binary, "diagnose", "datadog-connectivity"]


def _agent_connectivity(facts: Facts) -> Outcome:
    """The Agent's own connectivity check, run as dd-agent as the vendor's page does."""
    if facts.agent_version() is None:
        return skipped("the Agent is not installed (see agent-installed)")
    if not facts.root:
        return skipped("needs root to run the check as dd-agent: sudo fips-setup doctor")
    argv = connectivity_command(facts)
    if argv is None:
        return failed(
            NO_AGENT_BINARY,
            "reinstall the Agent",
        )
    shown = f"sudo -u {PROXY_USER} {' '.join(['datadog-agent', *argv[1:]])}"
    try:
        result = facts.host.runner.run(
            argv, check=False, timeout=CONNECTIVITY_TIMEOUT, user=PROXY_USER
        )
    except CommandError as exc:
        return failed(f"{shown}: {exc}", f"run it by hand: {shown}")
    summary = read_diagnose(result.stdout)
    if result.ok and summary is not None and summary.failed == 0:
        return passed(f"{shown}: {summary.passed} of {summary.total} endpoints passed")
    if summary is None:
        said = result.tail() or f"exit status {result.returncode}"
        return failed(f"{shown} failed: {said}", f"run it by hand and read it: {shown}")
    return failed(
        f"{shown}: {summary.failed} of {summary.total} failed: {'; '.join(summary.failures)}",
        "fips-setup doctor (without --no-agent-check) shows which hop fails, and its fix",
    )


#: Not in CHECKS: ``doctor --no-agent-check`` leaves it out, ``verify`` runs it.
AGENT_CONNECTIVITY = CheckFunction("agent-connectivity", _agent_connectivity)


def _fips_mode(facts: Facts) -> Outcome:
    """``datadog-agent status`` of the FIPS Agent must show ``FIPS Mode: enabled``."""
    if facts.no_agent:
        return skipped("no Agent is installed (see agent-installed)")
    if not facts.fips_agent:
        return skipped(
            f"{FIPS_AGENT_PACKAGE} is not installed: a proxied Agent's status shows 'FIPS Mode:"
            " proxy' while fips.enabled is true (see fips-enabled)"
        )
    if not facts.root:
        return skipped("needs root to run the Agent's status as dd-agent: sudo fips-setup doctor")
    shown = f"sudo -u {PROXY_USER} datadog-agent status"
    result, problem = facts.agent_status()  # run once: evidence reads it too
    if result is None and problem == NO_AGENT_BINARY:
        return failed(NO_AGENT_BINARY, f"reinstall {FIPS_AGENT_PACKAGE}")
    if result is None:
        return failed(f"{shown}: {problem}", f"run it by hand: {shown}")
    mode = fips_mode(result.stdout)
    restart = facts.services().command_line("restart", AGENT_SERVICE)
    journal = f"journalctl -u {AGENT_SERVICE} --no-pager (why it does not answer)"
    if mode == "enabled":
        return passed(f"{shown}: FIPS Mode: enabled")
    if mode is None:
        said = result.tail() or f"exit status {result.returncode}"
        return failed(f"{shown} shows no 'FIPS Mode' line: {said}", journal)
    return failed(
        f"{shown}: FIPS Mode: {mode}, not enabled: this Agent does not encrypt with its FIPS"
        " module",
        f"reinstall {FIPS_AGENT_PACKAGE}, then: {restart}",
    )


#: Not in CHECKS either: it runs the Agent's program (left out with ``--no-agent-check``).
FIPS_MODE = CheckFunction("fips-mode", _fips_mode)


@check("agent-log", CHECKS)
def _agent_log(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts) or needs_root(facts)
    if skip:
        return skip
    path = facts.host.path(AGENT_LOG)
    if not path.exists():
        return skipped(f"{AGENT_LOG} does not exist")
    try:
        text = read_tail(path, AGENT_LOG_TAIL).decode("utf-8", errors="replace")
    except FipsSetupError as exc:
        return skipped(str(exc))
    start = facts.port_start()
    since = facts.host.clock.time() - AGENT_LOG_MINUTES * 60
    when = f"in the last {AGENT_LOG_MINUTES} minutes"
    proxy = facts.service(PROXY_SERVICE)
    started = proxy.since if proxy.active else None
    if started is not None and started > since:  # errors of the proxy's earlier run are over
        since, when = started, "since the proxy last started"
    errors = proxy_connection_errors(text, range(start, start + 16), since)
    if not errors:
        return passed(f"{AGENT_LOG}: no connection error to the proxy {when}")
    found = "; ".join(
        f"{e.times} x '{e.error}' (port {', '.join(map(str, e.ports))})" for e in errors
    )
    line = errors[-1].last_line.strip()
    tail = line[-110:].split(" ", 1)[-1]  # from a word on
    latest = line if len(line) <= 160 else f"{line[:23]} ... {tail}"
    return warned(
        f"{AGENT_LOG}, {when}: {found}; latest: {latest}",
        "see agent-to-proxy and proxy-service (the proxy down or a firewall); the errors stop"
        " once the Agent reaches the proxy",
    )
