"""Checks of what runs: the two services, and who holds the proxy's ports."""

from __future__ import annotations

from fipsconf import proxy_cfg
from installer.doctor.facts import Facts
from installer.doctor.model import (
    CheckFunction,
    Outcome,
    check,
    failed,
    passed,
    skipped,
    warned,
)
from installer.doctor.setup_checks import needs_root, proxy_irrelevant
from installer.ports import Listener
from installer.services import AGENT_SERVICE, PROCMGR_CLI, PROCMGR_SERVICE, PROXY_SERVICE

CHECKS: list[CheckFunction] = []
MOVE_FIX = "or move the proxy and the Agent to free ports: fips-setup enable --port-range-start N"


def _holder(listener: Listener) -> str:
    if listener.pid is None:
        return "an unknown process"
    return f"pid {listener.pid} ({listener.command or '?'})"


@check("agent-service", CHECKS)
def _agent_service(facts: Facts) -> Outcome:
    if facts.platform()[0] is not None and facts.agent_version() is None and not facts.fips_agent:
        return skipped("the Agent is not installed (see agent-installed)")
    state = facts.service(AGENT_SERVICE)
    services = facts.services()
    if not state.known:
        return skipped(f"no init system here knows {AGENT_SERVICE} ({services.name}): unknown")
    if state.active:
        return passed(f"{AGENT_SERVICE} is {state.describe()}")
    lines = services.journal(AGENT_SERVICE, 2) if facts.root else []
    said = f"; its last log lines: {' | '.join(lines)}" if lines else ""
    return failed(
        f"{AGENT_SERVICE} is {state.describe()}{said}",
        services.command_line("start", AGENT_SERVICE),
    )


@check("agent-supervision", CHECKS)
def _agent_supervision(facts: Facts) -> Outcome:
    """What runs the Agent's payloads (per-payload units, or dd-procmgrd from 7.84), and do they."""
    if facts.platform()[0] is not None and facts.agent_version() is None and not facts.fips_agent:
        return skipped("the Agent is not installed (see agent-installed)")
    supervision = facts.supervision()
    if AGENT_SERVICE not in supervision.units:
        return skipped(f"no init system here knows {AGENT_SERVICE} (see agent-service)")
    problems = supervision.problems()
    restart = facts.services().command_line("restart", AGENT_SERVICE)
    if problems:
        if supervision.procmgr:
            fix = (
                f"journalctl -u {PROCMGR_SERVICE} --no-pager (why it stopped), then: {restart}"
                " (dd-procmgrd restarts with it)"
            )
        else:
            fix = f"journalctl -u <the unit> --no-pager (why it failed), then: {restart}"
        if any("runs twice" in p or "two process managers" in p for p in problems):
            fix = (
                "keep one path: the Agent's package writes one set of units; stop and disable"
                " the leftover one (systemctl disable --now <unit>), then: " + restart
            )
        return failed(f"{supervision.describe()}; but {'; '.join(problems)}", fix)
    if supervision.procmgr and supervision.processes is None:
        if not facts.root:
            return passed(f"{supervision.describe()} (its processes: sudo fips-setup doctor)")
        return warned(
            f"{supervision.describe()}; its processes could not be read: {supervision.problem}",
            f"sudo -u dd-agent {PROCMGR_CLI} list",
        )
    if supervision.procmgr:
        states = ", ".join(p.describe() for p in supervision.processes or ()) or "none"
        return passed(f"{supervision.describe()}; running: {states}")
    return passed(supervision.describe())


@check("proxy-service", CHECKS)
def _proxy_service(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts)
    if skip:
        return skip
    state = facts.service(PROXY_SERVICE)
    services = facts.services()
    if not state.known:
        return skipped(
            f"no init system here knows {PROXY_SERVICE} ({services.name}): unknown; the port"
            " checks tell whether it runs"
        )
    restarts = f" (restarted {state.restarts} times)" if state.restarts else ""
    if state.active:
        return passed(f"{PROXY_SERVICE} is {state.describe()}{restarts}")
    start = services.command_line("start", PROXY_SERVICE)
    if not facts.root:
        return failed(f"{PROXY_SERVICE} is {state.describe()}{restarts}", start)
    log = facts.proxy_log()
    if log.bind_errors:
        error = log.bind_errors[-1]
        holder = facts.listeners().get(error.port)
        held = f": held by {_holder(holder)}" if holder is not None else ""
        stop = f"stop pid {holder.pid}" if holder is not None and holder.pid else "free the port"
        restart = services.command_line("restart", PROXY_SERVICE)
        return failed(
            f"{PROXY_SERVICE} is {state.describe()}{restarts}: it cannot bind"
            f" {error.address}:{error.port} ({error.reason}){held}",
            f"{stop}, then: {restart}; {MOVE_FIX}",
        )
    if not state.crashed:  # stopped, not failed
        return failed(f"{PROXY_SERVICE} is {state.describe()}: stopped", start)
    lines = [line for line in facts.journal(PROXY_SERVICE) if "ALERT" in line][-2:]
    said = f"; its log: {' | '.join(lines)}" if lines else ""
    return failed(
        f"{PROXY_SERVICE} is {state.describe()}{restarts}{said}",
        f"journalctl -u {PROXY_SERVICE} --no-pager (what it says), then: {start}",
    )


@check("proxy-ports", CHECKS)
def _proxy_ports(facts: Facts) -> Outcome:
    if not facts.fips_agent and facts.packages() is not None and not facts.proxy_installed:
        return needs_root(facts) or _ports_before_enable(facts)
    skip = proxy_irrelevant(facts) or needs_root(facts)
    if skip:
        return skip
    text = facts.proxy_config().text
    ports = sorted({bind.port for bind in proxy_cfg.binds(text)}) if text else []
    if not ports:
        ports = list(range(facts.port_start(), facts.port_start() + 16))
    span = f"{ports[0]}-{ports[-1]}"
    held = facts.listeners()
    others = [held[p] for p in ports if p in held and not held[p].is_proxy]
    closed = [p for p in ports if p not in held]
    if others:
        taken = "; ".join(f"{o.port} by {_holder(o)}" for o in others)
        stop = " and ".join(f"pid {o.pid}" for o in others if o.pid) or "that process"
        restart = facts.services().command_line("restart", PROXY_SERVICE)
        return failed(
            f"ports of the proxy held by another process: {taken}",
            f"stop {stop}, then: {restart}; {MOVE_FIX}",
        )
    if len(closed) == len(ports):
        return failed(
            f"none of ports {span} is listening: the proxy is not running (see proxy-service)",
            facts.services().command_line("start", PROXY_SERVICE),
        )
    if closed:
        return failed(
            f"ports {', '.join(map(str, closed))} are not listening (the others are the proxy's)",
            facts.services().command_line("restart", PROXY_SERVICE),
        )
    pids = sorted({str(held[p].pid) for p in ports if held[p].pid})
    return passed(f"all {len(ports)} ports {span} are held by the proxy (pid {', '.join(pids)})")


def _ports_before_enable(facts: Facts) -> Outcome:
    """No proxy yet: its 16 ports must be free, or enabling it would fail."""
    start = facts.port_start()
    span = f"{start}-{start + 15}"
    held = facts.listeners()
    others = [held[p] for p in range(start, start + 16) if p in held and not held[p].is_proxy]
    if not others:
        return passed(f"ports {span} are free for the proxy")
    taken = "; ".join(f"{o.port} by {_holder(o)}" for o in others)
    stop = " and ".join(f"pid {o.pid}" for o in others if o.pid) or "that process"
    return failed(
        f"ports of the proxy held by another process: {taken}; enabling the proxy would fail,"
        f" it needs TCP ports {span}",
        f"stop {stop}, or enable the proxy on other ports: fips-setup enable --port-range-start N",
    )
