"""Fakes for unit tests: a command runner that simulates a Linux host, and a clock.

``FakeSystem`` keeps the state a real host would (installed packages, service
states, open ports) and answers the exact commands fips-setup runs (apt-get,
dpkg-query, yum/dnf, zypper, rpm, systemctl, initctl, journalctl) by changing
that state, so that tests can check both the argument lists and the host
state after a run. Failures are injected per command prefix.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, Iterator, Mapping, Optional, Sequence

from installer import asuser, interrupts
from installer.host import Clock, Host
from installer.net import REFUSED, DnsAnswer, HttpAnswer
from installer.runner import CommandError, ProcessResult, Runner, failure_message

PROXY_EXAMPLE = (
    """global
    presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.1
    log 127.0.0.1 local0

defaults
    timeout connect 5s
    default-server verify required ca-file ca-certificates.crt check resolvers my-dns

resolvers my-dns
    parse-resolv-conf
    # nameserver dns1 <Your DNS IP>:<Port>

listen stats
    bind ${DD_FIPS_LOCAL_ADDRESS}:9803
    mode http
    stats enable
"""
    + "".join(
        f"""
frontend forwarder-{offset}
    bind ${{DD_FIPS_LOCAL_ADDRESS}}:{9803 + offset}
    default_backend intake-{offset}
"""
        for offset in range(1, 16)
    )
    + """
backend intake-1
    mode http
    server mothership haproxy-app.agent.ddog-gov.com:443 ssl verify required
"""
)


AGENT_BINARY = "/opt/datadog-agent/bin/agent/agent"
HAPROXY = "/opt/datadog-fips-proxy/embedded/sbin/haproxy"
#: What ``datadog-agent diagnose`` prints when every endpoint answers (7.48 and newer).
DIAGNOSE_PASS = """=== Starting diagnose ===
Suite: connectivity-datadog-core-endpoints
1. PASS [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9804
   Diagnosis: Success
-------------------------
Total:1, Success:1
"""
#: The wall clock of FakeClock at its start: 2026-01-02 03:04:05 UTC.
WALL_START = 1767323045.0


class SequentialExecutor:
    """A ThreadPoolExecutor stand-in that runs everything in the calling thread.

    pyfakefs is not thread-safe while a module is being imported (it switches
    to the real file system for the import machinery, for every thread), and
    the doctor's checks import lazily: on a fake file system they run one after
    another. The end-to-end tests run them in parallel on a real host.
    """

    def __init__(self, max_workers: Optional[int] = None) -> None:
        self.max_workers = max_workers

    def __enter__(self) -> SequentialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, function: Callable[..., object], *iterables: object) -> Iterator[object]:
        return iter([function(*args) for args in zip(*iterables)])  # type: ignore[call-overload]


class FakeClock(Clock):
    """Time that passes only when slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return WALL_START + self.now - 1000.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


class Failure:
    """An injected failure for commands starting with a prefix."""

    def __init__(self, returncode: int = 1, stderr: str = "failed", times: int = 1_000_000) -> None:
        self.returncode, self.stderr, self.times = returncode, stderr, times


class FakeSystem(Runner):
    """A runner that simulates a host's package database and init system."""

    def __init__(self, proxy_example: str = PROXY_EXAMPLE) -> None:
        super().__init__()
        self.calls: list[tuple[str, ...]] = []
        self.envs: list[Mapping[str, str]] = []
        self.packages: dict[str, str] = {}
        self.active: dict[str, bool] = {}
        self.enabled: dict[str, bool] = {}
        self.restarts: dict[str, int] = {}
        self.failures: dict[tuple[str, ...], Failure] = {}
        #: Called (with the argument list) when a command with the prefix starts.
        self.hooks: dict[tuple[str, ...], Callable[[tuple[str, ...]], None]] = {}
        #: dpkg status words of packages left half-installed (a failed post-install script).
        self.half_installed: dict[str, str] = {}
        self.interrupt_policies: list[str] = []
        self.proxy_example = proxy_example
        self.proxy_opens_ports = True
        self.agent_crashes_after_restart = False
        self.journal = ["[ALERT] something the proxy logged"]
        self.failed_units: set[str] = set()
        self.active_since: dict[str, int] = {}
        self.users: list[Optional[str]] = []
        #: What the Agent's ``diagnose`` prints, and its exit status.
        self.diagnose = (0, DIAGNOSE_PASS)
        #: What ``haproxy -c`` answers: exit status, output.
        self.haproxy_check = (0, "Configuration file is valid")
        #: Answers of HTTP requests by path (default: 200 while the proxy runs).
        self.http_answers: dict[str, HttpAnswer] = {}
        self.http_requests: list[tuple[str, dict[str, str]]] = []
        #: Answers of DNS questions by (server, port) (default: an address).
        self.dns_answers: dict[tuple[str, int], DnsAnswer] = {}
        self.dns_questions: list[tuple[str, int, str]] = []

    # -- what tests use ---------------------------------------------------

    def fail(
        self, *prefix: str, returncode: int = 1, stderr: str = "failed", times: int = 10**6
    ) -> None:
        """Make commands starting with ``prefix`` fail (``times`` times)."""
        self.failures[tuple(prefix)] = Failure(returncode, stderr, times)

    def on(self, *prefix: str, call: Callable[[tuple[str, ...]], None]) -> None:
        """Call ``call`` when a command starting with ``prefix`` runs (a signal, say)."""
        self.hooks[tuple(prefix)] = call

    def probe(self, address: str, port: int, timeout: float) -> bool:
        """Whether the simulated proxy accepts connections on ``port``."""
        return self.active.get("datadog-fips-proxy", False) and self.proxy_opens_ports

    def http_get(
        self, url: str, headers: Mapping[str, str], connect: float, read: float
    ) -> HttpAnswer:
        """A request through the simulated proxy (refused while it is down)."""
        path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
        self.http_requests.append((url, dict(headers)))
        if path in self.http_answers:
            return self.http_answers[path]
        if not self.probe("127.0.0.1", 0, connect):
            return HttpAnswer(None, REFUSED, "connection refused", 0.001)
        if path.startswith("/api/v1/validate") and not headers.get("DD-API-KEY"):
            return HttpAnswer(403, "", "Forbidden", 0.01)
        return HttpAnswer(200, "", "OK", 0.01)

    def dns_query(self, server: str, port: int, name: str, timeout: float) -> DnsAnswer:
        """A DNS question to a simulated nameserver."""
        self.dns_questions.append((server, port, name))
        return self.dns_answers.get((server, port), DnsAnswer("NOERROR", ["10.1.2.3"], "", 0.002))

    def commands(self, *names: str) -> list[list[str]]:
        """The argument lists run so far whose program is one of ``names`` (all if none)."""
        return [list(c) for c in self.calls if not names or c[0] in names]

    def changing_commands(self) -> list[list[str]]:
        """Commands that change the host (not queries)."""
        queries = {"is-active", "is-enabled", "is-failed", "show", "-W", "-q", "status"}
        return [
            list(c)
            for c in self.calls
            if c[0] not in ("journalctl", "dpkg-query", "rpm", AGENT_BINARY, HAPROXY)
            and not queries & set(c[1:2])
        ]

    # -- the runner -------------------------------------------------------

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        timeout: float = 300,
        env: Optional[Mapping[str, str]] = None,
        input: Optional[str] = None,
        on_interrupt: str = "stop",
        user: Optional[str] = None,
    ) -> ProcessResult:
        args = tuple(argv)
        self.calls.append(args)
        self.envs.append(dict(env or {}))
        self.interrupt_policies.append(on_interrupt)
        self.users.append(user)
        returncode, stdout, stderr = self._answer(args)
        for prefix, hook in self.hooks.items():
            if args[: len(prefix)] == prefix:
                hook(args)
        result = ProcessResult(args, returncode, stdout, stderr, 0.01)
        self.history.append(result)
        interrupts.raise_if_pending()  # as the real runner does after its child ended
        if check and returncode != 0:
            raise CommandError(failure_message(result), result)
        return result

    def _answer(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        for prefix, failure in self.failures.items():
            if args[: len(prefix)] == prefix and failure.times > 0:
                failure.times -= 1
                return failure.returncode, "", failure.stderr
        handler: Optional[Callable[[tuple[str, ...]], tuple[int, str, str]]] = {
            "dpkg-query": self._dpkg_query,
            "rpm": self._rpm_query,
            "apt-get": self._package_manager,
            "dpkg": self._package_manager,
            "yum": self._package_manager,
            "dnf": self._package_manager,
            "zypper": self._package_manager,
            "systemctl": self._systemctl,
            "initctl": self._initctl,
            "service": self._service,
            "journalctl": lambda a: (0, "\n".join(self.journal), ""),
            "gpasswd": self._gpasswd,
            AGENT_BINARY: lambda a: (self.diagnose[0], self.diagnose[1], ""),
            HAPROXY: lambda a: (self.haproxy_check[0], "", self.haproxy_check[1]),
        }.get(args[0])
        if handler is None:
            return 127, "", f"{args[0]}: not simulated"
        return handler(args)

    def _dpkg_query(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name = args[-1]
        if name in self.half_installed:
            return 0, f"{self.half_installed[name]}\t1.1.17-1", ""
        if name in self.packages:
            return 0, f"install ok installed\t{self.packages[name]}", ""
        return 1, "", f"dpkg-query: no packages found matching {name}"

    def _rpm_query(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name = args[-1]
        if name in self.packages:
            return 0, self.packages[name], ""
        return 1, f"package {name} is not installed", ""

    def _package_manager(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        verbs = set(args)
        target = args[-1]
        if verbs & {"install", "upgrade", "downgrade"} or args[:2] == ("dpkg", "-i"):
            local_file = target.endswith((".deb", ".rpm"))
            name, _, version = target.partition("=")
            name = "datadog-fips-proxy" if local_file or "fips-proxy" in name else name
            self.packages[name] = version or "1.1.17-1"
            if name == "datadog-fips-proxy":
                example = Path("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg.example")
                example.parent.mkdir(parents=True, exist_ok=True)
                example.write_text(self.proxy_example)
                make_executable(HAPROXY)
                self.enabled.setdefault(name, False)
            return 0, "", ""
        if "remove" in verbs:
            self.packages.pop(target, None)
            self.half_installed.pop(target, None)
            return 0, "", ""
        return 0, "", ""  # update, makecache, refresh

    def _systemctl(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        verb, unit = args[1], args[2]
        if verb == "is-failed":
            return 1, "", ""  # the fake's starts never fail half-way
        if verb == "is-active":
            state = "active" if self.active.get(unit) else "inactive"
            return (0 if state == "active" else 3), state, ""
        if verb == "is-enabled":
            state = "enabled" if self.enabled.get(unit) else "disabled"
            return (0 if state == "enabled" else 1), state, ""
        if verb == "show":
            known = unit in self.active or unit.replace("-", "_") in self.packages
            lines = [f"LoadState={'loaded' if known else 'not-found'}"]
            lines.append(f"NRestarts={self.restarts.get(unit, 0)}")
            if unit in self.failed_units:
                lines += ["ActiveState=failed", "SubState=failed", "Result=exit-code"]
            elif self.active.get(unit):
                lines += ["ActiveState=active", "SubState=running", "Result=success"]
                if unit in self.active_since:  # monotonic µs, the clock systemd uses
                    lines.append(f"ActiveEnterTimestampMonotonic={self.active_since[unit]}")
            else:
                lines += ["ActiveState=inactive", "SubState=dead", "Result=success"]
            return 0, "\n".join(lines), ""
        return self._act(verb, unit)

    def _act(self, verb: str, unit: str) -> tuple[int, str, str]:
        if verb in ("start", "restart"):
            self.active[unit] = True
            self.restarts[unit] = self.restarts.get(unit, 0) + 1
            if unit == "datadog-agent" and self.agent_crashes_after_restart:
                self.active[unit] = False
        elif verb == "stop":
            self.active[unit] = False
        elif verb == "enable":
            self.enabled[unit] = True
        elif verb == "disable":
            self.enabled[unit] = False
        return 0, "", ""

    def _gpasswd(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        """``gpasswd -a|-d USER GROUP`` on the fake /etc/group."""
        flag, user, group = args[1], args[2], args[3]
        table = Path("/etc/group")
        lines = table.read_text().splitlines()
        for index, line in enumerate(lines):
            fields = line.split(":")
            if fields[0] != group:
                continue
            members = [m for m in fields[3].split(",") if m] if len(fields) > 3 else []
            if flag == "-a" and user not in members:
                members.append(user)
            elif flag == "-d":
                if user not in members:
                    return 3, "", f"gpasswd: user '{user}' is not a member of '{group}'"
                members.remove(user)
            lines[index] = ":".join([*fields[:3], ",".join(members)])
            table.write_text("\n".join(lines) + "\n")
            return 0, "", ""
        return 3, "", f"gpasswd: group '{group}' does not exist in /etc/group"

    def _initctl(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        verb, job = args[1], args[2]
        if verb == "status":
            running = self.active.get(job)
            return 0, f"{job} {'start/running, process 42' if running else 'stop/waiting'}", ""
        return self._act(verb, job)

    def _service(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name, verb = args[1], args[2]
        if verb == "status":
            return (0 if self.active.get(name) else 3), "", ""
        return self._act(verb, name)


class FakeHost(Host):
    """A Host on the (pyfakefs) file system, with the fake system and clock, as root."""

    def __init__(self, system: FakeSystem) -> None:
        super().__init__(
            Path("/"), system, FakeClock(), system.probe, system.http_get, system.dns_query
        )
        self.system = system

    def is_root(self) -> bool:
        return True


def make_executable(path: str) -> None:
    """Create an executable file at ``path`` (for ``which``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("#!/bin/sh\n")
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def folders_like_a_host(root: str = "/") -> None:
    """Give every folder pyfakefs made open to all (its default, 777) a host's mode, 755.

    Run after creating a fake tree: with world-writable folders no symlink
    would be trusted.
    """
    for folder, _subfolders, _files in os.walk(root):
        if stat.S_IMODE(os.stat(folder).st_mode) == 0o777:
            os.chmod(folder, 0o755)


class AccountSwitchSpy:
    """Stands in for ``asuser.run_as`` in unit tests: runs both parts here, records whom for."""

    def __init__(self) -> None:
        self.accounts: list[asuser.Account] = []

    def __call__(
        self, account: asuser.Account, user_work: asuser.UserWork, root_work: asuser.RootWork
    ) -> None:
        self.accounts.append(account)
        asuser.in_process(account, user_work, root_work)

    @property
    def uids(self) -> list[int]:
        """The uid of each account work was done as, in order."""
        return [account.uid for account in self.accounts]
