"""A booted systemd test host: a throwaway overlay of the image run by systemd-nspawn.

The host has no systemd as PID 1 and no system D-Bus, so the container is started
with ``--register=no --keep-unit`` and commands run inside with ``nsenter`` into
the namespaces of the container's systemd. ``TestHost`` is a context manager;
every host is also shut down at interpreter exit, so an interrupted session leaves
no nspawn process, mount or temporary directory behind.
"""

from __future__ import annotations

import atexit
import itertools
import json as jsonlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Union

from .image import Image
from .repos import PackageRepo
from .util import CommandError, host_run, put_file, wait_until

#: SNI of a payload the Agent sent straight to the intake, and of one the proxy relayed.
DIRECT_SNI = "app.ddog-gov.com"
PROXY_METRICS_SNI = "haproxy-app.agent.ddog-gov.com"
INTAKE_RECORDS = "/var/lib/fips-e2e-intake/records.jsonl"
AGENT_STATE = "/var/lib/datadog-agent-standin/state.json"
#: Where the toolkit zipapp is put inside a host (run with the Agent's python3).
TOOLKIT_PYZ = "/opt/fips-setup/fips-setup.pyz"
AGENT_PYTHON = "/opt/datadog-agent/embedded/bin/python3"
#: The environment commands inside the host start with (plus what a caller adds).
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "TERM": "dumb",
}
FAMILIES = ("debian", "rhel", "suse")
#: What makes the Debian base look like RHEL 9.4 or SLES 15 SP5.
OS_RELEASE: Dict[str, Dict[str, str]] = {
    "rhel": {
        "/usr/lib/os-release": (
            'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\n'
            'ID_LIKE="fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\n'
            'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n'
        ),
        "/etc/redhat-release": "Red Hat Enterprise Linux release 9.4 (Plow)\n",
    },
    "suse": {
        "/usr/lib/os-release": (
            'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\n'
            'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\nID="sles"\n'
            'ID_LIKE="suse"\nCPE_NAME="cpe:/o:suse:sles:15:sp5"\n'
        ),
    },
}

_names = itertools.count(1)
_live: Set[TestHost] = set()


@dataclass(frozen=True)
class FileStat:
    """``stat`` of a path inside the host (the link itself for a symlink)."""

    path: str
    kind: str  # "regular file", "directory", "symbolic link", ...
    mode: int  # permission bits, e.g. 0o640
    uid: int
    gid: int
    owner: str
    group: str
    size: int


@dataclass
class IntakeStats:
    """What the stand-in intake received: one record per request."""

    records: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def series(self) -> List[Dict[str, Any]]:
        """Metric payloads (``POST /api/v1/series``), in arrival order."""
        return [r for r in self.records if r["method"] == "POST" and r["path"] == "/api/v1/series"]

    @property
    def count(self) -> int:
        return len(self.series)

    @property
    def seqs(self) -> List[int]:
        """Distinct sequence numbers received, sorted."""
        return sorted({r["seq"] for r in self.series if isinstance(r["seq"], int)})

    @property
    def duplicates(self) -> int:
        """Payloads received more than once (a retry after a lost response)."""
        return self.count - len(self.seqs)

    def missing(self, upto: Optional[int] = None) -> List[int]:
        """Sequence numbers below ``upto`` (default: the highest received) never received."""
        seqs = set(self.seqs)
        end = (max(seqs) if seqs else -1) if upto is None else upto - 1
        return [n for n in range(end + 1) if n not in seqs]

    def by_sni(self) -> Counter[Optional[str]]:
        """Payload count per TLS server name."""
        return Counter(r["sni"] for r in self.series)

    def direct(self) -> List[Dict[str, Any]]:
        """Payloads the Agent sent straight to the intake."""
        return [r for r in self.series if r["sni"] == DIRECT_SNI]

    def via_proxy(self) -> List[Dict[str, Any]]:
        """Payloads relayed by the FIPS proxy's metrics backend."""
        return [r for r in self.series if r["sni"] == PROXY_METRICS_SNI]

    def process_payloads(self) -> List[Dict[str, Any]]:
        """The process Agent's payloads (``POST /api/v1/collector``; Agent 7.84 stand-in).

        The ``host`` field tells direct ones (``process.ddog-gov.com``) from those
        the proxy relayed (``localhost:9807``, the Host header the Agent sent it).
        """
        return [r for r in self.records if r["path"] == "/api/v1/collector"]

    def sent_by(self, package: str) -> List[Dict[str, Any]]:
        """Payloads the stand-in ``package`` sent (``datadog-agent`` or ``datadog-fips-agent``)."""
        return [r for r in self.series if r.get("package") == package]


@dataclass(frozen=True)
class AgentState:
    """The stand-in Agent's state file (written every 0.1 s by ``agent run``)."""

    pid: int
    version: str
    package: str  # datadog-agent or datadog-fips-agent
    endpoint: str
    fips: bool
    next_seq: int
    queue_length: int
    sent: int  # send attempts, all runs
    acked: int  # payloads the endpoint accepted, all runs
    failed: int  # failed send attempts, all runs
    run_failed: int  # failed send attempts of the current process
    last_error: str
    started_at: float
    updated_at: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgentState:
        totals = data["totals"]
        return cls(
            pid=data["pid"],
            version=data["version"],
            package=data.get("package", "datadog-agent"),
            endpoint=data["endpoint"],
            fips=data["fips"],
            next_seq=data["next_seq"],
            queue_length=data["queue_length"],
            sent=totals["sent"],
            acked=totals["acked"],
            failed=totals["failed"],
            run_failed=data["run"]["failed"],
            last_error=data["last_error"],
            started_at=data["started_at"],
            updated_at=data["updated_at"],
        )


@dataclass(frozen=True)
class FipsSetupResult:
    """One ``fips-setup`` run inside the host; ``data`` is the parsed ``--json`` document."""

    argv: List[str]
    returncode: int
    stdout: str
    stderr: str
    data: Optional[Dict[str, Any]] = None


class TestHost:
    """A booted Debian 12 systemd container (optionally dressed as RHEL 9 or SLES 15).

    ``root`` is the host-side path of the container's root (the overlay): use it
    only to seed files before ``boot()``; afterwards use ``run``, ``read_file`` and
    ``write_file``, which act inside the container.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        image: Image,
        *,
        family: str = "debian",
        binds_ro: Optional[Mapping[Path, str]] = None,
        zipapp: Optional[Callable[[], Path]] = None,
        workdir: Optional[Path] = None,
    ) -> None:
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, not {family!r}")
        self.image = image
        self.family = family
        self.name = f"fips-e2e-{os.getpid()}-{next(_names)}"
        self.binds_ro = dict(binds_ro or {})
        self._zipapp = zipapp
        #: The Datadog repository the host's package manager uses (set by the harness).
        self.repo: Optional[PackageRepo] = None
        self.pid: Optional[int] = None  # the container's systemd, as seen from the host
        self._nspawn: Optional[subprocess.Popen[bytes]] = None
        self._tmp = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=workdir))
        self.boot_log = self._tmp / "boot.log"
        self.root = self._tmp / "root"
        for sub in ("upper", "work", "root"):
            (self._tmp / sub).mkdir()
        _live.add(self)
        try:
            host_run(
                [
                    "mount",
                    "-t",
                    "overlay",
                    "overlay",
                    "-o",
                    f"lowerdir={image.rootfs},upperdir={self._tmp / 'upper'},"
                    f"workdir={self._tmp / 'work'}",
                    self.root,
                ]
            )
        except BaseException:
            self.shutdown()
            raise
        # /etc/os-release stays the link to /usr/lib/os-release it is on the real systems.
        for path, text in OS_RELEASE.get(family, {}).items():
            self.seed_file(path, text)

    # -- lifecycle ---------------------------------------------------------------

    def seed_file(self, path: str, data: Union[str, bytes], mode: int = 0o644) -> None:
        """Before boot: write a file into the container's tree (replacing a symlink)."""
        if self.pid is not None:
            raise RuntimeError("seed_file is for a host that has not booted; use write_file")
        put_file(self.root, path, data.encode() if isinstance(data, str) else data, mode)

    def boot(self, timeout: float = 60) -> TestHost:
        """Start the container and wait until systemd reports ``running``."""
        argv = [
            "systemd-nspawn",
            "--boot",
            "--keep-unit",
            "--register=no",
            "--private-network",
            "--console=read-only",
            "--resolv-conf=off",
            "--timezone=off",
            "--link-journal=no",
            f"--machine={self.name}",
            f"--directory={self.root}",
        ]
        argv += [f"--bind-ro={src}:{dst}" for src, dst in self.binds_ro.items()]
        with self.boot_log.open("wb") as log:
            self._nspawn = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is for pytest, not for it
            )
        self.pid = wait_until(self._container_init, timeout=timeout, what=f"{self.name} to start")
        state = wait_until(
            lambda: self._system_state(timeout), timeout=timeout, what=f"systemd in {self.name}"
        )
        if state == "degraded":
            state = self._start_failed_units_again(timeout)
        if state != "running":
            failed = self.run(["systemctl", "--failed", "--no-pager"], check=False).stdout
            raise RuntimeError(f"{self.name} booted {state!r}:\n{failed}\n{self._failed_journal()}")
        return self

    def _failed_units(self) -> list[str]:
        argv = ["systemctl", "list-units", "--failed", "--plain", "--no-legend", "--no-pager"]
        lines = self.run(argv, check=False).stdout.splitlines()
        return [line.split()[0] for line in lines if line.split()]

    def _failed_journal(self) -> str:
        return "\n".join(
            self.run(["journalctl", "-u", unit, "-n", "15", "--no-pager"], check=False).stdout
            for unit in self._failed_units()
        )

    def _start_failed_units_again(self, timeout: float) -> Optional[str]:
        """Start the units that failed during boot once more; the system state after.

        On a loaded machine a unit of the test image (dnsmasq, systemd-sysusers)
        now and then fails its start during boot; one more start is what an
        operator would do. What failed is printed, so it stays visible in the log.
        """
        units = self._failed_units()
        print(f"{self.name}: booted degraded, starting again: {', '.join(units)}", file=sys.stderr)
        print(self._failed_journal(), file=sys.stderr)
        for unit in units:
            self.run(["systemctl", "reset-failed", unit], check=False)
            self.run(["systemctl", "restart", unit], check=False, timeout=timeout)
        return self._system_state(timeout)

    def _system_state(self, timeout: float) -> Optional[str]:
        """``systemctl is-system-running --wait``; None while the manager cannot answer."""
        argv = ["systemctl", "is-system-running", "--wait"]
        state = self.run(argv, check=False, timeout=timeout).stdout.strip()
        return None if state in ("", "offline", "unknown") else state

    def _container_init(self) -> Optional[int]:
        assert self._nspawn is not None
        if self._nspawn.poll() is not None:
            raise RuntimeError(
                f"systemd-nspawn exited {self._nspawn.returncode}:\n{self.boot_log.read_text()}"
            )
        children = Path(f"/proc/{self._nspawn.pid}/task/{self._nspawn.pid}/children")
        for pid in children.read_text().split():
            if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                return int(pid)
        return None

    def shutdown(self, timeout: float = 15) -> None:
        """Power off (or kill) the container, unmount the overlay, delete the temporary files.

        Safe to call more than once, on a host that never booted, and while a
        command inside is stuck: after ``timeout`` seconds the container is killed.
        """
        nspawn, self._nspawn = self._nspawn, None
        try:
            if nspawn is not None and nspawn.poll() is None:
                try:
                    if self.pid is not None:  # else it never got as far as systemd: kill it
                        os.kill(self.pid, signal.SIGRTMIN + 4)  # systemd: start poweroff.target
                        nspawn.wait(timeout=timeout)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
                finally:
                    if nspawn.poll() is None:
                        os.killpg(nspawn.pid, signal.SIGKILL)
                        nspawn.wait()
        finally:
            self.pid = None
            if self.root.is_mount():
                try:
                    host_run(["umount", self.root])
                except CommandError:
                    host_run(["umount", "--lazy", self.root])
            shutil.rmtree(self._tmp, ignore_errors=True)
            _live.discard(self)

    def __enter__(self) -> TestHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- commands ----------------------------------------------------------------

    def run_bytes(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        input: Optional[bytes] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: float = 120,
        user: Optional[str] = None,
        capture: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """``run`` with bytes in and out (``capture=False``: the output goes to ours)."""
        if self.pid is None:
            raise RuntimeError(f"{self.name} is not running")
        inner = list(argv) if user is None else ["runuser", "-u", user, "--", *argv]
        full = ["nsenter", "--target", str(self.pid), "--all", *inner]
        output = subprocess.PIPE if capture else None
        proc = subprocess.Popen(
            full,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            env={**BASE_ENV, **(env or {})},
            start_new_session=True,  # nsenter forks into the PID namespace: kill both
        )
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        out, err = out or b"", err or b""
        result = subprocess.CompletedProcess(list(argv), proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise CommandError(
                argv, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
            )
        return result

    def start(
        self, argv: Sequence[str], *, env: Optional[Mapping[str, str]] = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the host without waiting (``communicate()`` it later)."""
        if self.pid is None:
            raise RuntimeError(f"{self.name} is not running")
        return subprocess.Popen(
            ["nsenter", "--target", str(self.pid), "--all", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**BASE_ENV, **(env or {})},
            start_new_session=True,
        )

    def run_live(
        self, argv: Sequence[str], *, env: Optional[Mapping[str, str]] = None, timeout: float = 600
    ) -> int:
        """Run ``argv`` inside the host with its output going straight to ours (the demo).

        Returns the exit status; nothing is captured, so stdout and stderr
        appear in the order the command wrote them.
        """
        return self.run_bytes(argv, check=False, env=env, timeout=timeout, capture=False).returncode

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        input: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: float = 120,
        user: Optional[str] = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the host (as root, or as ``user`` via runuser).

        The environment is BASE_ENV plus ``env``; nothing of the caller's leaks in.
        Raises CommandError on a non-zero exit when ``check``.
        """
        raw = self.run_bytes(
            argv,
            check=check,
            input=None if input is None else input.encode(),
            env=env,
            timeout=timeout,
            user=user,
        )
        return subprocess.CompletedProcess(
            raw.args,
            raw.returncode,
            raw.stdout.decode(errors="replace"),
            raw.stderr.decode(errors="replace"),
        )

    def add_sudo_user(self, name: str = "deployer") -> str:
        """A login user allowed every command through sudo without a password; its name."""
        self.run(["useradd", "--create-home", "--shell", "/bin/bash", name])
        self.write_file(f"/etc/sudoers.d/{name}", f"{name} ALL=(ALL) NOPASSWD: ALL\n", mode=0o440)
        return name

    def installed_version(self, package: str) -> Optional[str]:
        """``epoch:version-release`` of an installed package (dpkg or rpm), or None."""
        if self.family == "debian":
            argv = [
                "dpkg-query",
                "--show",
                "--showformat",
                "${db:Status-Abbrev}|${Version}",
                package,
            ]
            out = self.run(argv, check=False).stdout
            return out.split("|", 1)[1] if out.startswith("ii") else None
        argv = ["rpm", "--query", "--queryformat", "%{EPOCH}:%{VERSION}-%{RELEASE}", package]
        result = self.run(argv, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    # -- files -------------------------------------------------------------------

    def read_bytes(self, path: str) -> bytes:
        return self.run_bytes(["cat", "--", path]).stdout

    def read_file(self, path: str) -> str:
        return self.read_bytes(path).decode()

    def write_file(
        self,
        path: str,
        data: Union[str, bytes],
        *,
        mode: Optional[int] = None,
        owner: Optional[str] = None,
    ) -> None:
        """Write (create or truncate) ``path``; then chmod ``mode`` and chown ``owner``
        (``"user:group"``) when given. The content travels on stdin, never in arguments.
        """
        payload = data.encode() if isinstance(data, str) else data
        self.run_bytes(["dd", f"of={path}", "status=none"], input=payload)
        if mode is not None:
            self.run(["chmod", f"{mode:o}", "--", path])
        if owner is not None:
            self.run(["chown", owner, "--", path])

    def exists(self, path: str) -> bool:
        return self.run(["test", "-e", path], check=False).returncode == 0

    def stat(self, path: str) -> FileStat:
        out = self.run(["stat", "--format", "%F|%a|%u|%g|%U|%G|%s", "--", path]).stdout
        kind, mode, uid, gid, owner, group, size = out.strip().split("|")
        return FileStat(path, kind, int(mode, 8), int(uid), int(gid), owner, group, int(size))

    # -- services ----------------------------------------------------------------

    def systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(["systemctl", *args], check=check)

    def is_active(self, unit: str) -> bool:
        return self.systemctl("is-active", "--quiet", unit, check=False).returncode == 0

    def service_property(self, unit: str, name: str) -> str:
        return self.systemctl("show", "--property", name, "--value", unit).stdout.strip()

    def service_start_timestamp(self, unit: str) -> int:
        """When ``unit`` last became active (monotonic µs; 0 if never): changes on restart."""
        return int(self.service_property(unit, "ActiveEnterTimestampMonotonic") or 0)

    def n_restarts(self, unit: str) -> int:
        """Automatic restarts (``Restart=``) systemd made of ``unit``."""
        return int(self.service_property(unit, "NRestarts") or 0)

    def main_pid(self, unit: str) -> int:
        return int(self.service_property(unit, "MainPID") or 0)

    def journal(self, unit: str) -> str:
        return self.run(["journalctl", "--unit", unit, "--no-pager", "--quiet"]).stdout

    def port_listening(self, port: int, address: str = "127.0.0.1") -> bool:
        out = self.run(["ss", "-Hltn", "sport", "=", f":{port}"]).stdout
        return any(f"{address}:{port}" in line.split()[3] for line in out.splitlines() if line)

    def wait_for_port(self, port: int, address: str = "127.0.0.1", timeout: float = 15) -> None:
        wait_until(
            lambda: self.port_listening(port, address),
            timeout=timeout,
            what=f"{address}:{port} to listen in {self.name}",
        )

    # -- the stand-ins -----------------------------------------------------------

    def intake_stats(self) -> IntakeStats:
        text = self.read_file(INTAKE_RECORDS)
        return IntakeStats([jsonlib.loads(line) for line in text.splitlines() if line])

    def agent_stats(self) -> AgentState:
        return AgentState.from_json(jsonlib.loads(self.read_file(AGENT_STATE)))

    def process_agent_stats(self) -> Dict[str, Any]:
        """The stand-in process Agent's counters (7.84: run by dd-procmgrd): endpoint, pid,
        sent, acked, failed; {} before its first payload."""
        path = AGENT_STATE.replace("state.json", "process-agent.json")
        return jsonlib.loads(self.read_file(path)) if self.exists(path) else {}

    def wait_for_intake(
        self, predicate: Callable[[IntakeStats], bool], *, timeout: float = 15, what: str = ""
    ) -> IntakeStats:
        """Poll ``intake_stats()`` until ``predicate`` holds; the stats then."""

        def probe() -> Optional[IntakeStats]:
            stats = self.intake_stats()
            return stats if predicate(stats) else None

        return wait_until(probe, timeout=timeout, what=what or "the intake")

    # -- package managers (what an operator would type) --------------------------

    def refresh_repo(self, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Refresh the Datadog repository's metadata with the family's package manager.

        dnf is told to ignore its metadata cache (``--refresh``): tests change the
        repository more often than its 48-hour expiry.
        """
        argv = {
            "debian": ["apt-get", "update"],
            "rhel": ["dnf", "--assumeyes", "makecache", "--refresh", "--repo", "datadog"],
            "suse": ["zypper", "--non-interactive", "refresh", "datadog"],
        }[self.family]
        return self.run(argv, check=check, env={"DEBIAN_FRONTEND": "noninteractive"})

    def install_packages(
        self, *names: str, check: bool = True, refresh: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Install packages from the Datadog repository (apt, dnf or zypper).

        With ``refresh``, the repository metadata is refreshed first; a failed
        refresh is returned (or raised) without trying the install. (dnf does not
        upgrade an installed package on ``install``: see ``upgrade_packages``.)
        """
        return self._package_command("install", names, check=check, refresh=refresh)

    def upgrade_packages(
        self, *names: str, check: bool = True, refresh: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Upgrade installed packages to the repository's newest version."""
        return self._package_command("upgrade", names, check=check, refresh=refresh)

    def remove_packages(self, *names: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Remove installed packages (not purge: a Debian purge deletes /etc/datadog-agent)."""
        return self._package_command("remove", names, check=check, refresh=False)

    def exact_package(self, name: str, version: str) -> str:
        """``name`` at exactly ``version`` (epoch:version-release) in the family's syntax."""
        return f"{name}-{version}" if self.family == "rhel" else f"{name}={version}"

    def _package_command(
        self, action: str, names: Sequence[str], *, check: bool, refresh: bool
    ) -> subprocess.CompletedProcess[str]:
        if refresh:
            result = self.refresh_repo(check=check)
            if result.returncode != 0:
                return result
        argv = {
            ("debian", "install"): ["apt-get", "install", "--yes"],
            ("debian", "upgrade"): ["apt-get", "install", "--only-upgrade", "--yes"],
            ("rhel", "install"): ["dnf", "--assumeyes", "install"],
            ("rhel", "upgrade"): ["dnf", "--assumeyes", "upgrade"],
            ("suse", "install"): ["zypper", "--non-interactive", "install"],
            ("suse", "upgrade"): ["zypper", "--non-interactive", "update"],
            ("debian", "remove"): ["apt-get", "remove", "--yes"],  # remove, never purge
            ("rhel", "remove"): ["dnf", "--assumeyes", "remove"],
            ("suse", "remove"): ["zypper", "--non-interactive", "remove"],
        }[(self.family, action)]
        return self.run([*argv, *names], check=check, env={"DEBIAN_FRONTEND": "noninteractive"})

    # -- the toolkit -------------------------------------------------------------

    def install_toolkit(self) -> None:
        """Put the fips-setup zipapp at TOOLKIT_PYZ (what the install script runs)."""
        if self._zipapp is None:
            raise RuntimeError("this host was made without the toolkit")
        self.run(["mkdir", "-p", TOOLKIT_PYZ.rsplit("/", 1)[0]])
        self.write_file(TOOLKIT_PYZ, self._zipapp().read_bytes(), mode=0o755)

    def toolkit_command(self) -> List[str]:
        """How to run fips-setup here: the Agent's python3 (else the system one) and the zipapp."""
        python = AGENT_PYTHON if self.exists(AGENT_PYTHON) else "/usr/bin/python3"
        return [python, TOOLKIT_PYZ]

    def fips_setup(
        self,
        *args: str,
        json: bool = False,
        env: Optional[Mapping[str, str]] = None,
        input: Optional[str] = None,
        timeout: float = 300,
    ) -> FipsSetupResult:
        """Run ``fips-setup ARGS`` (``--json`` appended with ``json=True``) inside the host.

        Never raises on a non-zero exit: check ``returncode``. With ``json=True``,
        stdout must be exactly one JSON object (the CLI contract); ``data`` holds it.
        """
        argv = [*self.toolkit_command(), *args, *(["--json"] if json else [])]
        proc = self.run(argv, check=False, env=env, input=input, timeout=timeout)
        data = None
        if json:
            try:
                data = jsonlib.loads(proc.stdout)
            except ValueError as exc:
                raise AssertionError(
                    f"{argv} --json did not print one JSON document ({exc}):\n{proc.stdout}"
                    f"\n--- stderr ---\n{proc.stderr}"
                ) from exc
            if not isinstance(data, dict):
                raise AssertionError(f"{argv} printed JSON that is not an object: {proc.stdout}")
        return FipsSetupResult(argv, proc.returncode, proc.stdout, proc.stderr, data)


@atexit.register
def _shutdown_all() -> None:
    """Last resort (an interrupted session): no container, mount or temp dir survives."""
    for host in list(_live):
        host.shutdown(timeout=5)
