"""Package managers: one interface, one class per family (apt, yum/dnf, zypper).

Each refreshes only the Datadog repository, installs non-interactively,
waits (bounded) for another package manager holding the lock, and answers
"which version is installed" from the package database.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Optional

from fipsconf.errors import FipsSetupError
from fipsconf.redact import REDACTOR
from installer.host import Host
from installer.platform import Platform
from installer.runner import CommandError, ProcessResult

PROXY_PACKAGE = "datadog-fips-proxy"
AGENT_PACKAGE = "datadog-agent"
FIPS_AGENT_PACKAGE = "datadog-fips-agent"
LOCK_TIMEOUT = 120.0
_LOCK_RETRY_INTERVAL = 5.0


class PackageError(FipsSetupError):
    """A package could not be found, installed or removed."""

    code = "package"


class PackageManager:
    """What fips-setup needs of a package manager."""

    name = "?"
    package_suffix = ""

    def __init__(self, host: Host) -> None:
        self.host = host

    # -- to implement per family -----------------------------------------

    def datadog_repository(self) -> Optional[str]:
        """The Datadog repository's name (list file, repo id or alias), or None."""
        raise NotImplementedError

    def refresh_command(self, repository: str) -> list[str]:
        """The command refreshing only ``repository``'s metadata."""
        raise NotImplementedError

    def install_command(self, package: str) -> list[str]:
        """The command installing ``package`` from the repositories."""
        raise NotImplementedError

    def install_file_command(self, path: Path) -> list[str]:
        """The command installing a local package file."""
        raise NotImplementedError

    def remove_command(self, package: str) -> list[str]:
        """The command removing ``package``."""
        raise NotImplementedError

    def installed_version(self, package: str) -> Optional[str]:
        """The installed version of ``package`` from the package database, or None."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """Environment variables for the package manager's commands."""
        return {}

    def is_lock_error(self, result: ProcessResult) -> bool:
        """True when the command failed only because another one holds the lock."""
        return False

    def refresh_problem(self, result: ProcessResult) -> Optional[str]:
        """Why a refresh that exited 0 did not really refresh (None: it did)."""
        return None

    # -- shared behaviour --------------------------------------------------

    def missing_repository_message(self) -> str:
        """What to do when no Datadog repository is configured."""
        return (
            f"no Datadog package repository is configured for {self.name}; set it up as the"
            " Agent's install instructions do (the same repository and channel as the Agent),"
            f" or pass --package-file PATH with a {self.package_suffix} of {PROXY_PACKAGE}"
        )

    def install_from_repository(self, package: str) -> None:
        """Refresh the Datadog repository, then install ``package``. Raises PackageError."""
        repository = self.datadog_repository()
        if repository is None:
            raise PackageError(self.missing_repository_message())
        refreshed = self.run(self.refresh_command(repository))
        problem = self.refresh_problem(refreshed)
        if problem is not None:
            raise PackageError(
                f"the Datadog repository ({repository}) could not be refreshed: {problem};"
                " nothing was installed from stale metadata"
            )
        self.run(self.install_command(package))

    def install_file(self, path: Path) -> None:
        """Install a local package file. Raises PackageError."""
        if not path.name.endswith(self.package_suffix):
            raise PackageError(f"{path}: expected a {self.package_suffix} file for {self.name}")
        self.run(self.install_file_command(path))

    def remove(self, package: str) -> None:
        """Remove ``package``. Raises PackageError."""
        self.run(self.remove_command(package))

    def run(self, argv: list[str]) -> ProcessResult:
        """Run a package-manager command, waiting out another one's lock (bounded)."""
        deadline = self.host.clock.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                return self.host.runner.run(argv, env=self.environment(), timeout=900)
            except CommandError as exc:
                locked = exc.result is not None and self.is_lock_error(exc.result)
                if not locked:
                    raise PackageError(str(exc)) from None
                if self.host.clock.monotonic() >= deadline:
                    raise PackageError(
                        f"another package manager has held the lock for {LOCK_TIMEOUT:.0f} s;"
                        " wait for it to finish and run again"
                    ) from None
                self.host.clock.sleep(_LOCK_RETRY_INTERVAL)


def upstream_version(package_version: str) -> str:
    """``1:7.50.3-1`` -> ``7.50.3``: the version without epoch and package release."""
    version = package_version.split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


#: What apt-get update says, as a warning only, when the repository was not refreshed.
_APT_FAILURE_SIGNS = (
    "GPG error",
    "NO_PUBKEY",
    "EXPKEYSIG",
    "signatures couldn't be verified",
    "is not signed",
    "Failed to fetch",
)


class Apt(PackageManager):
    """Debian and Ubuntu."""

    name = "apt"
    package_suffix = ".deb"
    _SOURCES = "/etc/apt/sources.list.d"

    def __init__(self, host: Host, platform: Platform) -> None:
        super().__init__(host)
        self.platform = platform

    def datadog_repository(self) -> Optional[str]:
        folder = self.host.path(self._SOURCES)
        if not folder.is_dir():
            return None
        found = sorted(p.name for p in folder.iterdir() if "datadog" in p.name.lower())
        for suffix in (".list", ".sources"):
            matching = [name for name in found if name.endswith(suffix)]
            if matching:
                return matching[0]
        return None

    def refresh_command(self, repository: str) -> list[str]:
        if not repository.endswith(".list"):  # deb822 .sources: no per-file update in old apt
            return ["apt-get", "update"]
        return [
            "apt-get",
            "update",
            "-o",
            f"Dir::Etc::sourcelist=sources.list.d/{repository}",
            "-o",
            "Dir::Etc::sourceparts=-",
            "-o",
            "APT::Get::List-Cleanup=0",
        ]

    def _install_options(self) -> list[str]:
        return [
            "-y",
            "-o",
            f"DPkg::Lock::Timeout={LOCK_TIMEOUT:.0f}",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
        ]

    def install_command(self, package: str) -> list[str]:
        return ["apt-get", "install", *self._install_options(), package]

    def install_file_command(self, path: Path) -> list[str]:
        if self._apt_is_old():
            return ["dpkg", "-i", str(path)]
        local = str(path) if "/" in str(path) else f"./{path}"
        return ["apt-get", "install", *self._install_options(), local]

    def _apt_is_old(self) -> bool:
        """apt before 1.1 (Debian 8, Ubuntu 14.04) cannot install a local .deb."""
        major = self.platform.version.split(".")[0]
        return (self.platform.distribution, major) in (("debian", "8"), ("ubuntu", "14"))

    def remove_command(self, package: str) -> list[str]:
        return ["apt-get", "remove", "-y", package]

    def installed_version(self, package: str) -> Optional[str]:
        result = self.host.runner.run(
            ["dpkg-query", "-W", "-f=${Status}\\t${Version}", package], check=False
        )
        status, _, version = result.stdout.partition("\t")
        if result.ok and status.strip().endswith(" installed") and version:
            return version.strip()
        return None

    def environment(self) -> dict[str, str]:
        return {"DEBIAN_FRONTEND": "noninteractive"}

    def is_lock_error(self, result: ProcessResult) -> bool:
        text = result.stderr + result.stdout
        return "Could not get lock" in text or "Unable to acquire the dpkg frontend lock" in text

    def refresh_problem(self, result: ProcessResult) -> Optional[str]:
        """apt-get update exits 0 when a signature fails, keeping the old index: not for us."""
        for line in result.stderr.splitlines():
            if line.startswith(("W:", "E:", "Err:")) and any(
                sign in line for sign in _APT_FAILURE_SIGNS
            ):
                return REDACTOR.redact(line.strip())
        return None


class _Rpm(PackageManager):
    """Shared by yum/dnf and zypper: rpm's database and repository files."""

    package_suffix = ".rpm"
    _REPO_FOLDER = ""

    def datadog_repository(self) -> Optional[str]:
        folder = self.host.path(self._REPO_FOLDER)
        if not folder.is_dir():
            return None
        for path in sorted(folder.glob("*.repo")):
            parser = configparser.ConfigParser(interpolation=None, strict=False)
            try:
                parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
            except configparser.Error:
                continue
            for section in parser.sections():
                enabled = parser.get(section, "enabled", fallback="1").strip()
                if "datadog" in section.lower() and enabled not in ("0", "false", "no"):
                    return section
        return None

    def installed_version(self, package: str) -> Optional[str]:
        result = self.host.runner.run(
            ["rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", package], check=False
        )
        return result.stdout.strip() if result.ok and result.stdout.strip() else None


class Yum(_Rpm):
    """RHEL, CentOS, Rocky, Alma, Oracle, Amazon Linux, Fedora: yum, or dnf where yum is absent."""

    _REPO_FOLDER = "/etc/yum.repos.d"

    def __init__(self, host: Host, tool: str) -> None:
        super().__init__(host)
        self.name = tool

    def refresh_command(self, repository: str) -> list[str]:
        # makecache alone keeps metadata younger than metadata_expire (48 h in dnf):
        # expire it for the Datadog repository only, which is all that is refreshed.
        return [
            self.name,
            "-y",
            "makecache",
            "--disablerepo=*",
            f"--enablerepo={repository}",
            f"--setopt={repository}.metadata_expire=0",
        ]

    def install_command(self, package: str) -> list[str]:
        return [self.name, "-y", "install", package]

    def install_file_command(self, path: Path) -> list[str]:
        return [self.name, "-y", "install", str(path)]

    def remove_command(self, package: str) -> list[str]:
        return [self.name, "-y", "remove", package]


class Zypper(_Rpm):
    """SLES and openSUSE."""

    name = "zypper"
    _REPO_FOLDER = "/etc/zypp/repos.d"

    def refresh_command(self, repository: str) -> list[str]:
        return ["zypper", "--non-interactive", "refresh", repository]

    def install_command(self, package: str) -> list[str]:
        return ["zypper", "--non-interactive", "install", package]

    def install_file_command(self, path: Path) -> list[str]:
        return ["zypper", "--non-interactive", "install", str(path)]

    def remove_command(self, package: str) -> list[str]:
        return ["zypper", "--non-interactive", "remove", package]

    def environment(self) -> dict[str, str]:
        return {"ZYPP_LOCK_TIMEOUT": f"{LOCK_TIMEOUT:.0f}"}


def package_manager_for(host: Host, platform: Platform) -> PackageManager:
    """The package manager of ``platform``'s family (yum where present, else dnf)."""
    if platform.family == "debian":
        return Apt(host, platform)
    if platform.family == "suse":
        return Zypper(host)
    return Yum(host, "yum" if host.which("yum") else "dnf")
