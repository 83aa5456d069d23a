"""Fakes for unit tests: a command runner that simulates a Linux host, and a clock.

``FakeSystem`` keeps the state a real host would (installed packages, service
states, open ports) and answers the exact commands fips-setup runs (apt-get,
dpkg-query, yum/dnf, zypper, rpm, systemctl, initctl, journalctl) by changing
that state, so that tests can check both the argument lists and the host
state after a run. Failures are injected per command prefix.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from installer import asuser, interrupts
from installer.host import Clock, Host
from installer.net import REFUSED, DnsAnswer, HttpAnswer, loopback_http_problem
from installer.runner import CommandError, ProcessResult, Runner, failure_message
from installer.services import PROCMGR_CLI

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
#: The Agent and the FIPS Agent: their files clash, one of them at a time.
AGENT_FLAVORS = ("datadog-agent", "datadog-fips-agent")
KNOWN_PACKAGES = ("datadog-fips-proxy", "datadog-fips-agent", "datadog-agent")
DATADOG_YAML = "/etc/datadog-agent/datadog.yaml"


def status_output(mode: str) -> str:
    """The header of ``datadog-agent status``, as the real Agent prints it."""
    return (
        "===============\nAgent (v7.65.2)\n===============\n\n  Status date: 2026-01-02\n"
        f"  Agent flavor: agent\n  FIPS Mode: {mode}\n  Log Level: info\n"
    )


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
        #: The versions the Datadog repository serves, by package (exact installs need one).
        self.available: dict[str, list[str]] = {}
        #: Package files on disk: path -> (package name, version).
        self.package_files: dict[str, tuple[str, str]] = {}
        #: Installed sizes in bytes (the package database's), by package.
        self.sizes: dict[str, int] = {}
        #: Packages fetched with a download-only command: (name, version).
        self.downloads: list[tuple[str, Optional[str]]] = []
        #: The ``FIPS Mode:`` the Agent's status shows (None: as the installed package says).
        self.status_mode: Optional[str] = None
        #: The Agent's package starts it, and then it stops (a broken start).
        self.agent_fails_to_start = False
        #: Units whose starts systemd refuses (start-limit-hit) until ``reset-failed``.
        self.start_limit_hit: set[str] = set()
        #: Units bound to another (``BindsTo=``): they follow its starts, stops, restarts.
        self.bound_to: dict[str, str] = {}
        #: What ``dd-procmgr --json list`` prints while dd-procmgrd runs (its processes).
        self.procmgr_processes: list[dict[str, Any]] = []
        #: dd-procmgrd does not come back after a restart of the Agent.
        self.procmgr_fails_to_start = False

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
        """A request through the simulated proxy (refused while it is down).

        Every URL a unit test's code asks for must be one the real ``http_get``
        sends: ``http://`` on loopback (the zipapp never makes an HTTPS request).
        """
        problem = loopback_http_problem(url)
        if problem:
            raise AssertionError(f"unexpected HTTP request in a unit test: {problem}")
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
        readers = (
            "journalctl",
            "dpkg-query",
            "dpkg-deb",
            "rpm",
            "apt-cache",
            AGENT_BINARY,
            HAPROXY,
        )
        return [
            list(c)
            for c in self.calls
            if c[0] not in readers
            and not queries & set(c[1:2])
            and not {"--showduplicates", "--xmlout"} & set(c)
        ]

    def serve(self, name: str, *versions: str) -> None:
        """Make the Datadog repository serve ``name`` at ``versions`` (besides the others)."""
        served = self.available.setdefault(name, [])
        served += [v for v in versions if v not in served]

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
            "dpkg-deb": self._file_identity,
            "rpm": self._rpm_query,
            "apt-cache": self._madison,
            "apt-get": self._package_manager,
            "dpkg": self._package_manager,
            "yum": self._package_manager,
            "dnf": self._package_manager,
            "zypper": self._package_manager,
            "systemctl": self._systemctl,
            "initctl": self._initctl,
            "service": self._service,
            "journalctl": lambda a: (0, "\n".join(self.journal), ""),
            PROCMGR_CLI: self._procmgr_cli,
            "gpasswd": self._gpasswd,
            AGENT_BINARY: self._agent,
            HAPROXY: lambda a: (self.haproxy_check[0], "", self.haproxy_check[1]),
        }.get(args[0])
        if handler is None:
            return 127, "", f"{args[0]}: not simulated"
        return handler(args)

    def _dpkg_query(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name = args[-1]
        if args[2] == "-f=${Installed-Size}":
            size = self.sizes.get(name)
            return (0, str(size // 1024), "") if name in self.packages and size else (0, "", "")
        if name in self.half_installed:
            return 0, f"{self.half_installed[name]}\t1.1.17-1", ""
        if name in self.packages:
            return 0, f"install ok installed\t{self.packages[name]}", ""
        return 1, "", f"dpkg-query: no packages found matching {name}"

    def _rpm_query(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        if args[1] == "-qp":
            return self._file_identity(args)
        name = args[-1]
        if name in self.packages:
            if args[3] == "%{SIZE}":
                return 0, str(self.sizes.get(name, 0)), ""
            return 0, self.packages[name], ""
        return 1, f"package {name} is not installed", ""

    def _file_identity(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        """``dpkg-deb --show`` / ``rpm -qp``: a package file's name and version."""
        identity = self.package_files.get(args[-1])
        if identity is None:
            return 2, "", f"{args[-1]}: not a package file"
        return 0, "\t".join(identity), ""

    def _madison(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name = args[-1]
        lines = [
            f"{name} | {version} | https://apt.datadoghq.com stable/7 amd64 Packages"
            for version in self.available.get(name, [])
        ]
        return 0, "\n".join(lines), ""

    def _yum_list(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name = args[-1]
        lines = []
        if name in self.packages:
            lines += ["Installed Packages", f"{name}.x86_64   {self.packages[name]}   @datadog"]
        if self.available.get(name):
            lines.append("Available Packages")
            lines += [f"{name}.x86_64   {v}   datadog" for v in self.available[name]]
        if not lines:
            return 1, "", "Error: No matching Packages to list"
        return 0, "\n".join(lines) + "\n", ""

    def _zypper_search(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        name = args[-1]
        head = "<?xml version='1.0'?>\n<stream>\n<message type=\"info\">Loading repository data...</message>\n"
        versions = self.available.get(name, [])
        if not versions:
            return (
                104,
                head + '<message type="info">No matching items found.</message>\n</stream>\n',
                "",
            )
        rows = "".join(
            f'<solvable status="{"installed" if self.packages.get(name) == v else "not-installed"}"'
            f' name="{name}" kind="package" edition="{v}" arch="x86_64" repository="datadog"/>\n'
            for v in versions
        )
        body = f'<search-result version="0.0">\n<solvable-list>\n{rows}</solvable-list>\n</search-result>\n'
        return 0, head + body + "</stream>\n", ""

    @staticmethod
    def _name_and_version(target: str) -> tuple[str, Optional[str]]:
        """``name=1:7.65.2-1`` (apt, zypper) or ``name-1:7.65.2-1`` (yum/dnf)."""
        if "=" in target:
            name, _, version = target.partition("=")
            return name, version
        for name in KNOWN_PACKAGES:
            rest = target[len(name) + 1 :]
            if target.startswith(name + "-") and rest[:1].isdigit():
                return name, rest
        return target, None

    def _package_manager(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        verbs = set(args)
        target = args[-1]
        if "--showduplicates" in verbs:
            return self._yum_list(args)
        if "--xmlout" in verbs:
            return self._zypper_search(args)
        if verbs & {"install", "upgrade", "downgrade"} or args[:2] == ("dpkg", "-i"):
            return self._install(
                target, download_only=bool(verbs & {"--download-only", "--downloadonly"})
            )
        if "remove" in verbs:
            self.packages.pop(target, None)
            self.half_installed.pop(target, None)
            if target in AGENT_FLAVORS:  # its pre-removal script stops and disables it
                self.active["datadog-agent"] = self.enabled["datadog-agent"] = False
                Path(AGENT_BINARY).unlink(missing_ok=True)
            return 0, "", ""
        return 0, "", ""  # update, makecache, refresh

    def _install(self, target: str, *, download_only: bool) -> tuple[int, str, str]:
        if target.endswith((".deb", ".rpm")):
            name, version = self.package_files.get(target, ("datadog-fips-proxy", "1.1.17-1"))
        else:
            name, wanted = self._name_and_version(target)
            if wanted is not None and wanted not in self.available.get(name, []):
                return 100, "", f"E: Version '{wanted}' for '{name}' was not found"
            version = wanted or "1.1.17-1"
        if download_only:
            self.downloads.append((name, version))
            return 0, "", ""
        clash = [
            other
            for other in AGENT_FLAVORS
            if name in AGENT_FLAVORS and other != name and other in self.packages
        ]
        if clash:
            return (
                100,
                "",
                (
                    f"dpkg: error processing archive {name}: trying to overwrite"
                    f" '{AGENT_BINARY}', which is also in package {clash[0]}"
                ),
            )
        self.packages[name] = version
        if name == "datadog-fips-proxy":
            example = Path("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg.example")
            example.parent.mkdir(parents=True, exist_ok=True)
            example.write_text(self.proxy_example)
            make_executable(HAPROXY)
            self.enabled.setdefault(name, False)
        if name in AGENT_FLAVORS:  # its post-install script enables it, starts it if configured
            make_executable(AGENT_BINARY)
            self.enabled["datadog-agent"] = True
            if Path(DATADOG_YAML).exists():
                self._act("restart", "datadog-agent")
        return 0, "", ""

    def _agent(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        """The Agent's program: ``status`` (needs the running Agent), ``diagnose``."""
        if args[1:2] != ("status",):
            return self.diagnose[0], self.diagnose[1], ""
        if not self.active.get("datadog-agent"):
            return 1, "", "Error: could not reach agent: Is the agent running?"
        mode = self.status_mode
        if mode is None:
            proxied = "enabled: true" in Path(DATADOG_YAML).read_text()
            fips = "datadog-fips-agent" in self.packages
            mode = "enabled" if fips else "proxy" if proxied else "disabled"
        return 0, status_output(mode), ""

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
        if verb == "show" and len([a for a in args[2:] if not a.startswith("--")]) > 1:
            units = [a for a in args[2:] if not a.startswith("--")]
            blocks = [self._systemctl(("systemctl", "show", name))[1] for name in units]
            return 0, "\n\n".join(f"Id={n}.service\n{b}" for n, b in zip(units, blocks)), ""
        if verb == "show":
            known = unit in self.active or unit.replace("-", "_") in self.packages
            lines = [f"LoadState={'loaded' if known else 'not-found'}"]
            lines.append(f"NRestarts={self.restarts.get(unit, 0)}")
            if unit in self.start_limit_hit:
                lines += ["ActiveState=failed", "SubState=failed", "Result=start-limit-hit"]
            elif unit in self.failed_units:
                lines += ["ActiveState=failed", "SubState=failed", "Result=exit-code"]
            elif self.active.get(unit):
                lines += ["ActiveState=active", "SubState=running", "Result=success"]
                if unit in self.active_since:  # monotonic µs, the clock systemd uses
                    lines.append(f"ActiveEnterTimestampMonotonic={self.active_since[unit]}")
            else:
                lines += ["ActiveState=inactive", "SubState=dead", "Result=success"]
            return 0, "\n".join(lines), ""
        return self._act(verb, unit)

    def _procmgr_cli(self, args: tuple[str, ...]) -> tuple[int, str, str]:
        """dd-procmgr: ``--json list`` of dd-procmgrd's processes, while it runs."""
        if not self.active.get("datadog-agent-procmgr"):
            return 1, "", "Error: failed to connect to /var/run/datadog-procmgrd/dd-procmgrd.sock"
        if args[1:] != ("--json", "list"):
            return 2, "", "error: unexpected arguments"
        return 0, json.dumps(self.procmgr_processes), ""

    def _act(self, verb: str, unit: str) -> tuple[int, str, str]:
        result = self._act_one(verb, unit)
        for follower, leader in self.bound_to.items():  # BindsTo= with After=
            if leader == unit and verb in ("start", "stop", "restart") and result[0] == 0:
                self._act_one(verb, follower)
                if follower == "datadog-agent-procmgr" and self.procmgr_fails_to_start:
                    self.active[follower] = False
        return result

    def _act_one(self, verb: str, unit: str) -> tuple[int, str, str]:
        if verb == "reset-failed":
            self.start_limit_hit.discard(unit)
            self.failed_units.discard(unit)
            return 0, "", ""
        if verb in ("start", "restart") and unit in self.start_limit_hit:
            self.active[unit] = False
            return (
                1,
                "",
                f"Job for {unit}.service failed because start of the service was attempted too often.",
            )
        if verb in ("start", "restart"):
            self.active[unit] = True
            self.restarts[unit] = self.restarts.get(unit, 0) + 1
            if unit == "datadog-agent" and (
                self.agent_crashes_after_restart or self.agent_fails_to_start
            ):
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

    def snapshot(self, *paths: str) -> dict[str, Any]:
        """Files (bytes, owner, mode; None when absent), packages with versions, services
        running and enabled at boot: what a run must leave as it found it."""
        from installer.files import ownership_of

        files = {}
        for path in paths:
            p = Path(path)
            files[path] = (p.read_bytes(), ownership_of(p)) if p.exists() else None
        return {
            "files": files,
            "packages": dict(self.system.packages),
            "active": sorted(unit for unit, on in self.system.active.items() if on),
            "enabled": sorted(unit for unit, on in self.system.enabled.items() if on),
        }

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
