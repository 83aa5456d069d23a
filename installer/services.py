"""Service managers: systemd, Upstart (Ubuntu 14.04), SysV ``service``, or none.

The one place that starts, stops, restarts and inspects services, the
Agent's process manager included. From Agent 7.84 a systemd host runs the
Agent's payloads one of two ways, never both (the vendor's installer,
``pkg/fleet/installer/packages/datadog_agent_linux.go``): per-payload units
(``datadog-agent-trace``, ``-process``, ...) or ``dd-procmgrd``, hosted by
``datadog-agent-procmgr.service`` (``BindsTo=datadog-agent.service``), which
supervises the payloads declared in ``/opt/datadog-agent/processes.d``. On
both, the Agent restarts as ``datadog-agent`` (the vendor restarts that unit;
its bound units follow). :class:`AgentSupervision` tells the paths apart and
says what runs; ``docs/support-matrix.md`` has the sources.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Optional

from fipsconf.errors import FipsSetupError
from installer.host import Host
from installer.runner import CommandError

AGENT_SERVICE = "datadog-agent"
PROXY_SERVICE = "datadog-fips-proxy"
#: The unit hosting dd-procmgrd (7.84+, the process manager path).
PROCMGR_SERVICE = "datadog-agent-procmgr"
#: Its name before the rename; the Agent's installer retires it, a leftover runs twice.
LEGACY_PROCMGR_SERVICE = "datadog-agent-procmgrd"
#: The payload units of the Agent's installer catalog (either path keeps some of them).
AGENT_PAYLOAD_SERVICES = (
    "datadog-agent-installer",
    "datadog-agent-trace",
    "datadog-agent-process",
    "datadog-agent-sysprobe",
    "datadog-agent-security",
    "datadog-agent-data-plane",
    "datadog-agent-action",
    "datadog-agent-ddot",
)
#: The payloads dd-procmgrd supervises, one YAML file each (the stem is the name).
PROCESSES_DIR = "/opt/datadog-agent/processes.d"
#: dd-procmgrd's command-line client. It is dd-agent's (the package chowns
#: /opt/datadog-agent), so it runs as dd-agent, never as root; the vendor's own tests
#: run it so too (``sudo -u dd-agent dd-procmgr list --json``).
PROCMGR_CLI = "/opt/datadog-agent/embedded/bin/dd-procmgr"
AGENT_USER = "dd-agent"
PROCMGR_TIMEOUT = 5.0
#: dd-procmgr's process states that mean the payload is not running as it should.
BROKEN_STATES = ("Crashed", "Failed", "Exited")


class ServiceError(FipsSetupError):
    """A service could not be started, stopped or restarted."""

    code = "service"


class ServiceState(NamedTuple):
    """What the init system says of a service.

    ``state``: "active", "inactive", "failed", "activating", "deactivating"
    (systemd's ActiveState), or "unknown" when no init system knows it;
    ``sub`` and ``result``: systemd's SubState ("running", "dead",
    "auto-restart"...) and Result ("success", "exit-code"...).
    """

    state: str
    sub: str = ""
    result: str = ""
    restarts: Optional[int] = None
    since: Optional[float] = None  # when it became active (wall clock), where known

    @property
    def known(self) -> bool:
        """True when the init system knows the service."""
        return self.state != "unknown"

    @property
    def active(self) -> bool:
        """True when it runs."""
        return self.state == "active"

    @property
    def crashed(self) -> bool:
        """True when its last run ended in an error (not a plain stop)."""
        return self.state == "failed" or self.result not in ("", "success")

    def describe(self) -> str:
        """``failed (failed, exit-code)``, ``active (running)``, ``inactive (dead)``..."""
        parts = [part for part in (self.sub, self.result) if part and part != "success"]
        return f"{self.state} ({', '.join(parts)})" if parts else self.state


class SupervisedProcess(NamedTuple):
    """A payload dd-procmgrd supervises, as ``dd-procmgr list --json`` reports it."""

    name: str
    state: str  # Running, Starting, Stopped, Crashed, Exited, Failed, Created...
    pid: Optional[int]

    def describe(self) -> str:
        """``datadog-agent-process Running (pid 412)``."""
        return f"{self.name} {self.state}" + (f" (pid {self.pid})" if self.pid else "")


class AgentSupervision(NamedTuple):
    """How the Agent and its payloads are run, and what the init system says of each.

    ``manager``: ``procmgr`` (dd-procmgrd supervises payloads, 7.84+),
    ``systemd`` (one unit per payload), or the init system's name. ``units``:
    the Agent's units the init system knows, its main unit first.
    ``definitions``: the names declared in ``processes.d``; ``processes``: what
    dd-procmgrd reports (None when not asked, or not readable: ``problem``).
    """

    manager: str
    units: dict[str, ServiceState]
    definitions: tuple[str, ...] = ()
    processes: Optional[tuple[SupervisedProcess, ...]] = None
    problem: Optional[str] = None

    @property
    def procmgr(self) -> bool:
        """True on the process manager path."""
        return self.manager == "procmgr"

    def companions(self) -> list[str]:
        """Units that run beside the Agent's and follow its restarts (dd-procmgrd's)."""
        return [PROCMGR_SERVICE] if self.procmgr else []

    def describe(self) -> str:
        """What runs the Agent's payloads, in a few words."""
        if self.procmgr:
            supervised = ", ".join(self.definitions) or "nothing declared yet"
            return f"dd-procmgrd ({PROCMGR_SERVICE}) supervises: {supervised}"
        if self.manager == "systemd":
            units = ", ".join(name for name in self.units if name != AGENT_SERVICE)
            return "one systemd unit per payload" + (f" ({units})" if units else "")
        return f"{self.manager} runs {AGENT_SERVICE}"

    def problems(self) -> list[str]:
        """What is wrong with how the payloads run (empty: nothing)."""
        found: list[str] = []
        agent = self.units.get(AGENT_SERVICE)
        procmgr = self.units.get(PROCMGR_SERVICE)
        if self.procmgr and agent is not None and agent.active and procmgr and not procmgr.active:
            found.append(
                f"{AGENT_SERVICE} runs but {PROCMGR_SERVICE} is {procmgr.describe()}: the"
                f" payloads dd-procmgrd supervises ({', '.join(self.definitions) or 'none'})"
                " do not run"
            )
        legacy = self.units.get(LEGACY_PROCMGR_SERVICE)
        if self.procmgr and legacy is not None and legacy.active:
            found.append(
                f"{LEGACY_PROCMGR_SERVICE} (dd-procmgrd's old unit) runs beside"
                f" {PROCMGR_SERVICE}: two process managers"
            )
        for name in self.definitions:  # "a host runs either ... never a mix"
            unit = self.units.get(name)
            if unit is not None and unit.active:
                found.append(
                    f"{name} runs twice: declared to dd-procmgrd and active as a systemd unit"
                )
        for name, state in self.units.items():
            if name != AGENT_SERVICE and state.state == "failed":
                found.append(f"{name} is {state.describe()}")
        for process in self.processes or ():
            if process.state in BROKEN_STATES:
                found.append(f"{process.describe()} under dd-procmgrd")
        return found


class ServiceManager:
    """What fips-setup needs of an init system."""

    name = "?"

    def __init__(self, host: Host) -> None:
        self.host = host

    def is_active(self, service: str) -> bool:
        """True when ``service`` is running."""
        raise NotImplementedError

    def is_enabled(self, service: str) -> Optional[bool]:
        """True when ``service`` starts at boot (None: unknown)."""
        return None

    def exists(self, service: str) -> bool:
        """True when the init system knows ``service``."""
        raise NotImplementedError

    def start(self, service: str) -> None:
        """Start ``service``. Raises ServiceError."""
        self._act("start", service)

    def stop(self, service: str) -> None:
        """Stop ``service``. Raises ServiceError."""
        self._act("stop", service)

    def restart(self, service: str) -> None:
        """Restart ``service``. Raises ServiceError."""
        self._act("restart", service)

    def enable(self, service: str) -> None:
        """Make ``service`` start at boot (where the init system has such a switch)."""

    def disable(self, service: str) -> None:
        """Stop ``service`` from starting at boot (where the init system has such a switch)."""

    def journal(self, service: str, lines: int = 20) -> list[str]:
        """The service's last log lines, where the init system keeps them."""
        return []

    def is_starting(self, service: str) -> bool:
        """True while ``service`` is being started (a slow start not yet active)."""
        return False

    def reset_failed(self, service: str) -> bool:
        """Forget that ``service`` failed (a start that was stopped); True if it had."""
        return False

    def state(self, service: str) -> ServiceState:
        """Whether ``service`` runs, as far as the init system can tell."""
        if not self.exists(service):
            return ServiceState("unknown")
        return ServiceState("active" if self.is_active(service) else "inactive")

    def restart_count(self, service: str) -> Optional[int]:
        """How often the init system restarted ``service`` after a crash (None: unknown)."""
        return None

    def command_line(self, verb: str, service: str) -> str:
        """What an operator types to ``verb`` the service: ``systemctl start datadog-agent``."""
        return " ".join(self._command(verb, service))

    def agent_supervision(self, read_processes: bool = False) -> AgentSupervision:
        """How the Agent runs here (see :class:`AgentSupervision`); never raises."""
        state = self.state(AGENT_SERVICE)
        return AgentSupervision(self.name, {AGENT_SERVICE: state} if state.known else {})

    def wait_for_agent(self, timeout: float, after: str = "") -> None:
        """Wait until the Agent's unit, and on the process manager path dd-procmgrd's, run.

        Raises ServiceError naming the unit that does not (``after``: what it
        follows, as " after its restart"), with its last log lines.
        """
        names = [AGENT_SERVICE, *self.agent_supervision().companions()]
        if self.host.wait_for(lambda: all(self.is_active(n) for n in names), timeout, 0.1):
            return
        down = next((n for n in names if not self.is_active(n)), AGENT_SERVICE)
        lines = self.journal(down, 5)
        detail = f"; its last log lines: {' | '.join(lines)}" if lines else ""
        raise ServiceError(f"{down} is not running{after}{detail}")

    def stop_agent(self) -> None:
        """Stop the Agent: its unit, and dd-procmgrd's if binding did not stop it. Raises."""
        companions = self.agent_supervision().companions()
        self.stop(AGENT_SERVICE)
        for name in companions:  # BindsTo= stops it; make sure nothing it runs sends on
            if self.is_active(name):
                self.stop(name)

    def _command(self, verb: str, service: str) -> list[str]:
        raise NotImplementedError

    def _act(self, verb: str, service: str) -> None:
        try:
            self.host.runner.run(self._command(verb, service), timeout=180)
        except CommandError as exc:
            lines = self.journal(service, 5)
            detail = f"; last log lines: {' | '.join(lines)}" if lines else ""
            raise ServiceError(f"could not {verb} {service}: {exc}{detail}") from None


class Systemd(ServiceManager):
    """systemd (``systemctl``, ``journalctl``)."""

    name = "systemd"

    def is_active(self, service: str) -> bool:
        result = self.host.runner.run(["systemctl", "is-active", service], check=False)
        return result.stdout.strip() == "active"

    def is_enabled(self, service: str) -> Optional[bool]:
        result = self.host.runner.run(["systemctl", "is-enabled", service], check=False)
        state = result.stdout.strip()
        return state in ("enabled", "enabled-runtime", "alias", "static", "indirect")

    def exists(self, service: str) -> bool:
        return self.show(service, "LoadState").get("LoadState") == "loaded"

    def show(self, service: str, *properties: str) -> dict[str, str]:
        """Unit properties from ``systemctl show``."""
        result = self.host.runner.run(
            ["systemctl", "show", service, "--property=" + ",".join(properties)], check=False
        )
        out: dict[str, str] = {}
        for line in result.stdout.splitlines():
            key, _, value = line.partition("=")
            out[key] = value
        return out

    def enable(self, service: str) -> None:
        self._act("enable", service)

    def disable(self, service: str) -> None:
        self._act("disable", service)

    def journal(self, service: str, lines: int = 20) -> list[str]:
        result = self.host.runner.run(
            ["journalctl", "-u", service, "-n", str(lines), "--no-pager", "-o", "cat"],
            check=False,
        )
        return [line for line in result.stdout.splitlines() if line.strip()][-lines:]

    def is_starting(self, service: str) -> bool:
        result = self.host.runner.run(["systemctl", "is-active", service], check=False)
        return result.stdout.strip() in ("activating", "reloading")

    def reset_failed(self, service: str) -> bool:
        if self.host.runner.run(["systemctl", "is-failed", "--quiet", service], check=False).ok:
            self.host.runner.run(["systemctl", "reset-failed", service], check=False)
            return True
        return False

    def restart_count(self, service: str) -> Optional[int]:
        value = self.show(service, "NRestarts").get("NRestarts", "")
        return int(value) if value.isdigit() else None

    def state(self, service: str) -> ServiceState:
        shown = self.show(
            service,
            *("LoadState", "ActiveState", "SubState", "Result", "NRestarts"),
            "ActiveEnterTimestampMonotonic",
        )
        if shown.get("LoadState") != "loaded":
            return ServiceState("unknown")
        restarts = shown.get("NRestarts", "")
        entered = shown.get("ActiveEnterTimestampMonotonic", "")
        since = None
        if entered.isdigit() and int(entered) > 0:  # the clock systemd and time.monotonic share
            clock = self.host.clock
            since = clock.time() - (clock.monotonic() - int(entered) / 1e6)
        return ServiceState(
            shown.get("ActiveState", "unknown") or "unknown",
            shown.get("SubState", ""),
            shown.get("Result", ""),
            int(restarts) if restarts.isdigit() else None,
            since,
        )

    def _command(self, verb: str, service: str) -> list[str]:
        return ["systemctl", verb, service]

    def agent_supervision(self, read_processes: bool = False) -> AgentSupervision:
        """One ``systemctl show`` of the Agent's units; dd-procmgrd's view when asked.

        The process manager path is the one whose unit systemd knows: the
        vendor's installer writes ``datadog-agent-procmgr.service`` only there
        (and removes the other path's units when it switches).
        """
        names = (AGENT_SERVICE, PROCMGR_SERVICE, LEGACY_PROCMGR_SERVICE, *AGENT_PAYLOAD_SERVICES)
        units = {name: state for name, state in self.states(names).items() if state.known}
        if PROCMGR_SERVICE not in units:
            return AgentSupervision("systemd", units)
        definitions = procmgr_definitions(self.host)
        for name in definitions:  # a payload named like no catalogued unit
            if name not in units and name not in names:
                state = self.state(name)
                if state.known:
                    units[name] = state
        processes: Optional[tuple[SupervisedProcess, ...]] = None
        problem = None
        if read_processes:
            processes, problem = read_procmgr(self.host, units[PROCMGR_SERVICE])
        return AgentSupervision("procmgr", units, definitions, processes, problem)

    def states(self, names: tuple[str, ...]) -> dict[str, ServiceState]:
        """The state of several units from one ``systemctl show``."""
        properties = "Id,LoadState,ActiveState,SubState,Result,NRestarts"
        result = self.host.runner.run(
            ["systemctl", "show", *names, f"--property={properties}"], check=False
        )
        blocks: dict[str, dict[str, str]] = {}
        current: dict[str, str] = {}
        for line in [*result.stdout.splitlines(), ""]:
            if not line.strip():
                if current:
                    blocks[current.get("Id", "").removesuffix(".service")] = current
                current = {}
                continue
            key, _, value = line.partition("=")
            current[key] = value
        out: dict[str, ServiceState] = {}
        for name in names:
            shown = blocks.get(name, {})
            if shown.get("LoadState") != "loaded":
                out[name] = ServiceState("unknown")
                continue
            restarts = shown.get("NRestarts", "")
            out[name] = ServiceState(
                shown.get("ActiveState", "unknown") or "unknown",
                shown.get("SubState", ""),
                shown.get("Result", ""),
                int(restarts) if restarts.isdigit() else None,
            )
        return out

    def _act(self, verb: str, service: str) -> None:
        try:
            super()._act(verb, service)
        except ServiceError:
            if verb not in ("start", "restart") or not self._start_limit_hit(service):
                raise
            # systemd counts fips-setup's own restarts (enable, disable, an undo) toward
            # the unit's start limit (5 in 10 s by default) and then refuses every start.
            # Clearing the count once is what systemd's own message tells the operator to
            # do; a unit that fails on its own fails again, now with its real reason.
            self.host.runner.run(["systemctl", "reset-failed", service], check=False)
            super()._act(verb, service)

    def _start_limit_hit(self, service: str) -> bool:
        return self.show(service, "Result").get("Result") == "start-limit-hit"


class Upstart(ServiceManager):
    """Upstart (``initctl``), as on Ubuntu 14.04."""

    name = "upstart"

    def is_active(self, service: str) -> bool:
        result = self.host.runner.run(["initctl", "status", service], check=False)
        return result.ok and "start/running" in result.stdout

    def exists(self, service: str) -> bool:
        return self.host.path(f"/etc/init/{service}.conf").is_file()

    def journal(self, service: str, lines: int = 20) -> list[str]:
        log = self.host.path(f"/var/log/upstart/{service}.log")
        try:
            return log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def _command(self, verb: str, service: str) -> list[str]:
        return ["initctl", verb, service]


class SysV(ServiceManager):
    """SysV init scripts through ``service``."""

    name = "sysv"

    def is_active(self, service: str) -> bool:
        return self.host.runner.run(["service", service, "status"], check=False).ok

    def exists(self, service: str) -> bool:
        return self.host.path(f"/etc/init.d/{service}").is_file()

    def enable(self, service: str) -> None:
        if self.host.which("update-rc.d"):
            self.host.runner.run(["update-rc.d", service, "defaults"], check=False)
        elif self.host.which("chkconfig"):
            self.host.runner.run(["chkconfig", service, "on"], check=False)

    def disable(self, service: str) -> None:
        if self.host.which("update-rc.d"):
            self.host.runner.run(["update-rc.d", service, "disable"], check=False)
        elif self.host.which("chkconfig"):
            self.host.runner.run(["chkconfig", service, "off"], check=False)

    def _command(self, verb: str, service: str) -> list[str]:
        return ["service", service, verb]


class NoInit(ServiceManager):
    """No init system (a container): nothing can be started or restarted."""

    name = "none"
    MESSAGE = (
        "no init system found (systemd, Upstart or SysV service), as in a container;"
        " start the proxy and restart the Agent yourself, and run with --no-restart"
    )

    def is_active(self, service: str) -> bool:
        return False

    def exists(self, service: str) -> bool:
        return False

    def _act(self, verb: str, service: str) -> None:
        raise ServiceError(f"cannot {verb} {service}: {self.MESSAGE}")

    def command_line(self, verb: str, service: str) -> str:
        return f"{verb} {service} with whatever runs it here (no init system found)"


def procmgr_definitions(host: Host) -> tuple[str, ...]:
    """The payloads declared to dd-procmgrd: the names of ``processes.d``'s YAML files.

    Only the names are read (the folder is dd-agent's: nothing in it is run or trusted).
    """
    folder = host.path(PROCESSES_DIR)
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() and not folder.is_symlink() else []
    except OSError:
        return ()
    return tuple(
        entry.stem for entry in entries if entry.suffix in (".yaml", ".yml") and entry.is_file()
    )


def read_procmgr(
    host: Host, unit: ServiceState
) -> tuple[Optional[tuple[SupervisedProcess, ...]], Optional[str]]:
    """What dd-procmgrd reports of its processes, or None and why not.

    ``dd-procmgr --json list`` as dd-agent (its owner), bounded in time; root
    only (switching to dd-agent needs it).
    """
    if not unit.active:
        return None, f"{PROCMGR_SERVICE} is {unit.describe()}"
    if not host.is_root():
        return None, "needs root to ask dd-procmgrd as dd-agent"
    shown = f"sudo -u {AGENT_USER} {PROCMGR_CLI} --json list"
    try:
        result = host.runner.run(
            [PROCMGR_CLI, "--json", "list"],
            check=False,
            timeout=PROCMGR_TIMEOUT,
            user=AGENT_USER,
        )
    except CommandError as exc:
        return None, f"{shown}: {exc}"
    if not result.ok:
        return None, f"{shown} failed: {result.tail() or f'exit status {result.returncode}'}"
    try:
        listed: Any = json.loads(result.stdout)
    except ValueError:
        return None, f"{shown} printed no JSON list"
    if not isinstance(listed, list):
        return None, f"{shown} printed no JSON list"
    processes = []
    for item in listed:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            pid = item.get("pid")
            processes.append(
                SupervisedProcess(
                    item["name"],
                    str(item.get("state", "Unknown")),
                    pid if isinstance(pid, int) and pid > 0 else None,
                )
            )
    return tuple(processes), None


def service_manager_for(host: Host) -> ServiceManager:
    """The host's init system."""
    if host.path("/run/systemd/system").is_dir():
        return Systemd(host)
    if host.which("initctl") and host.path("/etc/init").is_dir():
        return Upstart(host)
    if host.which("service"):
        return SysV(host)
    return NoInit(host)
