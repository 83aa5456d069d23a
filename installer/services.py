"""Service managers: systemd, Upstart (Ubuntu 14.04), SysV ``service``, or none.

The one place that starts, stops, restarts and inspects services.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from fipsconf.errors import FipsSetupError
from installer.host import Host
from installer.runner import CommandError

AGENT_SERVICE = "datadog-agent"
PROXY_SERVICE = "datadog-fips-proxy"


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


def service_manager_for(host: Host) -> ServiceManager:
    """The host's init system."""
    if host.path("/run/systemd/system").is_dir():
        return Systemd(host)
    if host.which("initctl") and host.path("/etc/init").is_dir():
        return Upstart(host)
    if host.which("service"):
        return SysV(host)
    return NoInit(host)
