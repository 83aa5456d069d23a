"""Package managers: one interface, one class per family (apt, yum/dnf, zypper).

Each refreshes only the Datadog repository and installs from it alone,
non-interactively, waits (bounded) for another package manager holding the
lock, and answers "which version is installed" from the package database.
The Datadog repository is the one that serves the Agent (channel ``7``, as
``stable 7``), recognised by where it points, not by its file's name: the
Observability Pipelines Worker's repository is Datadog's too, and not ours.
Package managers keep the operator's HTTP proxy settings (``http_proxy``...).
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Optional

from fipsconf.errors import FipsSetupError
from fipsconf.redact import REDACTOR
from installer.files import read_bytes
from installer.host import Host
from installer.platform import Platform
from installer.runner import CommandError, ProcessResult, failure_message, proxy_environment

PROXY_PACKAGE = "datadog-fips-proxy"
AGENT_PACKAGE = "datadog-agent"
FIPS_AGENT_PACKAGE = "datadog-fips-agent"
LOCK_TIMEOUT = 120.0
_LOCK_RETRY_INTERVAL = 5.0
#: rpm's ``epoch:version-release`` (no ``epoch:`` when there is none), as dpkg and zypper show it.
RPM_VERSION_FORMAT = "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}"


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

    def install_command(self, package: str, repository: str) -> list[str]:
        """The command installing ``package`` from ``repository`` (refreshed just before)."""
        raise NotImplementedError

    def install_file_command(self, path: Path) -> list[str]:
        """The command installing a local package file."""
        raise NotImplementedError

    def install_version_command(self, package: str, version: str, repository: str) -> list[str]:
        """The command putting ``package`` at ``version`` (up or down) from ``repository``."""
        raise NotImplementedError

    def remove_command(self, package: str) -> list[str]:
        """The command removing ``package``."""
        raise NotImplementedError

    def installed_version(self, package: str) -> Optional[str]:
        """The installed version of ``package`` from the package database, or None."""
        raise NotImplementedError

    def available_command(self, package: str, repository: str) -> list[str]:
        """The command listing the versions of ``package`` in ``repository``'s metadata."""
        raise NotImplementedError

    def read_available(self, package: str, repository: str, result: ProcessResult) -> list[str]:
        """The versions in the output of :meth:`available_command` (raises CommandError)."""
        raise NotImplementedError

    def download_command(self, package: str, version: str, repository: str) -> list[str]:
        """The command fetching ``package`` ``version`` into the cache, installing nothing."""
        raise NotImplementedError

    def installed_size(self, package: str) -> Optional[int]:
        """Bytes ``package`` takes once installed, from the package database (None: unknown)."""
        raise NotImplementedError

    def file_identity_command(self, path: Path) -> list[str]:
        """The command printing a package file's ``name<TAB>version``."""
        raise NotImplementedError

    #: Where the package manager keeps downloaded packages (globs; ``{name}``: the package).
    cache_patterns: tuple[str, ...] = ()

    @property
    def cache_folder(self) -> str:
        """The folder the package manager downloads packages to."""
        return "/var/cache"

    def is_present(self, package: str) -> bool:
        """True when any of ``package`` is on the host (also half-installed: a failed script)."""
        return self.installed_version(package) is not None

    def environment(self) -> dict[str, str]:
        """Environment variables for the package manager's commands (the HTTP proxy kept)."""
        return proxy_environment()

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

    def repository(self) -> str:
        """The Datadog repository's name. Raises PackageError when none is configured."""
        repository = self.datadog_repository()
        if repository is None:
            raise PackageError(self.missing_repository_message())
        return repository

    def refresh(self, then: str = "nothing was installed from stale metadata") -> str:
        """Refresh only the Datadog repository's metadata; its name. Raises PackageError.

        ``then``: what the error says about the consequence.
        """
        repository = self.repository()
        refreshed = self.run(self.refresh_command(repository))
        problem = self.refresh_problem(refreshed)
        if problem is not None:
            raise PackageError(
                f"the Datadog repository ({repository}) could not be refreshed: {problem}; {then}"
            )
        return repository

    def install_from_repository(self, package: str) -> None:
        """Refresh the Datadog repository, then install ``package``. Raises PackageError."""
        repository = self.refresh()
        self.run(self.install_command(package, repository))

    def available_versions(self, package: str) -> list[str]:
        """The versions of ``package`` the Datadog repository serves, as its metadata lists them.

        Reads the metadata as it is (see :meth:`refresh`). Raises PackageError.
        """
        repository = self.repository()
        argv = self.available_command(package, repository)
        try:
            result = self.host.runner.run(argv, env=self.environment(), check=False, timeout=300)
            return self.read_available(package, repository, result)
        except CommandError as exc:
            raise PackageError(f"could not list the versions of {package}: {exc}") from None

    def download(self, package: str, version: str) -> None:
        """Fetch ``package`` ``version`` from the Datadog repository, install nothing."""
        self.run(self.download_command(package, version, self.repository()))

    def file_identity(self, path: Path) -> Optional[tuple[str, str]]:
        """A package file's name and version (None: not a package this manager reads)."""
        result = self.host.runner.run(self.file_identity_command(path), check=False)
        name, _, version = result.stdout.strip().partition("\t")
        return (name, version) if result.ok and name and version else None

    def cached_package(self, package: str, version: str) -> Optional[Path]:
        """A file of ``package`` at exactly ``version`` in the package manager's cache, or None."""
        for pattern in self.cache_patterns:
            relative = pattern.format(name=package).lstrip("/")
            for path in sorted(self.host.root.glob(relative)):
                identity = self.file_identity(path) if path.is_file() else None
                if (
                    identity is not None
                    and identity[0] == package
                    and same_version(identity[1], version)
                ):
                    return path
        return None

    def install_version(self, package: str, version: str) -> None:
        """Put ``package`` at exactly ``version`` from the Datadog repository (PackageError)."""
        self.run(self.install_version_command(package, version, self.repository()))

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
                # a package transaction is let finish when a signal comes, then undone
                return self.host.runner.run(
                    argv, env=self.environment(), timeout=900, on_interrupt="finish"
                )
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


def same_version(first: str, second: str) -> bool:
    """True when two package versions are the same (an epoch of 0 may be left out)."""

    def plain(version: str) -> str:
        return version[2:] if version.startswith("0:") else version

    return plain(first) == plain(second)


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
        for path in sorted(folder.iterdir()):
            if not path.name.endswith((".list", ".sources")) or not path.is_file():
                continue
            try:
                text = read_bytes(path).decode("utf-8", errors="replace")
            except FipsSetupError:
                continue
            deb822 = path.name.endswith(".sources")
            entries = _deb822_entries(text) if deb822 else _list_entries(text)
            if any(_is_agent_channel(suite, components) for suite, components in entries):
                return path.name
        return None

    def refresh_command(self, repository: str) -> list[str]:
        # apt reads a .sources file given as the source list in deb822 form (by its suffix)
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

    def install_command(self, package: str, repository: str) -> list[str]:
        # apt installs from the index just refreshed; the others were not touched
        return ["apt-get", "install", *self._install_options(), package]

    def install_version_command(self, package: str, version: str, repository: str) -> list[str]:
        return ["apt-get", "install", *self._install_options(), "--allow-downgrades",
                f"{package}={version}"]  # fmt: skip

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

    def available_command(self, package: str, repository: str) -> list[str]:
        return ["apt-cache", "madison", package]

    def read_available(self, package: str, repository: str, result: ProcessResult) -> list[str]:
        if not result.ok:
            raise CommandError(failure_message(result), result)
        versions = []
        for line in result.stdout.splitlines():  # "name | 1:7.65.2-1 | https://... Packages"
            fields = [field.strip() for field in line.split("|")]
            if len(fields) >= 3 and fields[0] == package and fields[1]:
                versions.append(fields[1])
        return versions

    def download_command(self, package: str, version: str, repository: str) -> list[str]:
        return ["apt-get", "install", *self._install_options(), "--download-only",
                f"{package}={version}"]  # fmt: skip

    def installed_size(self, package: str) -> Optional[int]:
        result = self.host.runner.run(
            ["dpkg-query", "-W", "-f=${Installed-Size}", package], check=False
        )
        size = result.stdout.strip()
        return int(size) * 1024 if result.ok and size.isdigit() else None  # KiB

    def file_identity_command(self, path: Path) -> list[str]:
        return ["dpkg-deb", "--show", "--showformat=${Package}\\t${Version}", str(path)]

    cache_patterns = ("/var/cache/apt/archives/{name}_*.deb",)

    @property
    def cache_folder(self) -> str:
        return "/var/cache/apt/archives"

    def installed_version(self, package: str) -> Optional[str]:
        status, version = self._status(package)
        return version if status.endswith(" installed") and version else None

    def is_present(self, package: str) -> bool:
        status, _ = self._status(package)
        return bool(status) and status.split()[-1] not in ("not-installed", "config-files")

    def _status(self, package: str) -> tuple[str, str]:
        """dpkg's status words (``install ok half-configured``) and version of ``package``."""
        result = self.host.runner.run(
            ["dpkg-query", "-W", "-f=${Status}\\t${Version}", package], check=False
        )
        status, _, version = result.stdout.partition("\t")
        return (status.strip(), version.strip()) if result.ok else ("", "")

    def environment(self) -> dict[str, str]:
        return {**proxy_environment(), "DEBIAN_FRONTEND": "noninteractive"}

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
                baseurl = parser.get(section, "baseurl", fallback="")
                if enabled not in ("0", "false", "no") and _AGENT_RPM_PATH.search(baseurl):
                    return section
        return None

    def installed_version(self, package: str) -> Optional[str]:
        result = self.host.runner.run(
            ["rpm", "-q", "--qf", RPM_VERSION_FORMAT, package], check=False
        )
        return result.stdout.strip() if result.ok and result.stdout.strip() else None

    def installed_size(self, package: str) -> Optional[int]:
        result = self.host.runner.run(["rpm", "-q", "--qf", "%{SIZE}", package], check=False)
        size = result.stdout.strip()
        return int(size) if result.ok and size.isdigit() else None

    def file_identity_command(self, path: Path) -> list[str]:
        return ["rpm", "-qp", "--qf", f"%{{NAME}}\\t{RPM_VERSION_FORMAT}", str(path)]


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

    def install_command(self, package: str, repository: str) -> list[str]:
        return [self.name, "-y", "--disablerepo=*", f"--enablerepo={repository}", "install",
                package]  # fmt: skip

    def install_version_command(self, package: str, version: str, repository: str) -> list[str]:
        installed = self.installed_version(package)
        verb = "install"
        if installed is not None:
            verb = "downgrade" if _newer_installed(installed, version) else "upgrade"
        return [self.name, "-y", "--disablerepo=*", f"--enablerepo={repository}", verb,
                f"{package}-{version}"]  # fmt: skip

    def install_file_command(self, path: Path) -> list[str]:
        # no repository is needed (or reachable, on an air-gapped host) for a local file
        return [self.name, "-y", "--disablerepo=*", "install", str(path)]

    def remove_command(self, package: str) -> list[str]:
        return [self.name, "-y", "remove", package]

    def available_command(self, package: str, repository: str) -> list[str]:
        return [self.name, "-q", "--disablerepo=*", f"--enablerepo={repository}",
                "--showduplicates", "list", package]  # fmt: skip

    def read_available(self, package: str, repository: str, result: ProcessResult) -> list[str]:
        if not result.ok:
            if "No matching Packages" in result.stderr + result.stdout:
                return []
            raise CommandError(failure_message(result), result)
        # "name.arch  1:7.65.2-1  repo", possibly wrapped after a long name; the
        # installed copy is listed from "@repo" (or "@System"), the repository's without "@"
        words = result.stdout.split()
        versions = []
        for index, word in enumerate(words[:-2]):
            if word.rsplit(".", 1)[0] == package and words[index + 2] == repository:
                versions.append(words[index + 1])
        return versions

    def download_command(self, package: str, version: str, repository: str) -> list[str]:
        return [self.name, "-y", "--disablerepo=*", f"--enablerepo={repository}", "install",
                "--downloadonly", f"{package}-{version}"]  # fmt: skip

    cache_patterns = (
        "/var/cache/dnf/*/packages/{name}-*.rpm",
        "/var/cache/libdnf5/*/packages/{name}-*.rpm",
        "/var/cache/yum/*/*/*/packages/{name}-*.rpm",
    )

    @property
    def cache_folder(self) -> str:
        return f"/var/cache/{self.name}"


class Zypper(_Rpm):
    """SLES and openSUSE."""

    name = "zypper"
    _REPO_FOLDER = "/etc/zypp/repos.d"

    def refresh_command(self, repository: str) -> list[str]:
        return ["zypper", "--non-interactive", "refresh", repository]

    def install_command(self, package: str, repository: str) -> list[str]:
        # the Datadog repository was just refreshed; refresh nothing else now
        return ["zypper", "--non-interactive", "--no-refresh", "install", package]

    def install_version_command(self, package: str, version: str, repository: str) -> list[str]:
        return ["zypper", "--non-interactive", "--no-refresh", "install", "--oldpackage",
                f"{package}={version}"]  # fmt: skip

    def install_file_command(self, path: Path) -> list[str]:
        return ["zypper", "--non-interactive", "install", str(path)]

    def remove_command(self, package: str) -> list[str]:
        return ["zypper", "--non-interactive", "remove", package]

    def available_command(self, package: str, repository: str) -> list[str]:
        return ["zypper", "--non-interactive", "--no-refresh", "--xmlout", "search", "--details",
                "--match-exact", "--type", "package", "--repo", repository, package]  # fmt: skip

    def read_available(self, package: str, repository: str, result: ProcessResult) -> list[str]:
        if result.returncode == _ZYPPER_NOTHING_FOUND:
            return []
        if not result.ok:
            raise CommandError(failure_message(result), result)
        from xml.etree import ElementTree

        try:
            stream = ElementTree.fromstring(result.stdout)
        except ElementTree.ParseError as exc:
            raise CommandError(f"zypper search printed no readable XML ({exc})", result) from None
        return [
            str(solvable.get("edition"))
            for solvable in stream.iter("solvable")
            if solvable.get("name") == package
            and solvable.get("repository") == repository
            and solvable.get("edition")
        ]

    def download_command(self, package: str, version: str, repository: str) -> list[str]:
        return ["zypper", "--non-interactive", "--no-refresh", "install", "--download-only",
                f"{package}={version}"]  # fmt: skip

    cache_patterns = (
        "/var/cache/zypp/packages/*/{name}-*.rpm",
        "/var/cache/zypp/packages/*/*/{name}-*.rpm",
    )

    @property
    def cache_folder(self) -> str:
        return "/var/cache/zypp/packages"

    def environment(self) -> dict[str, str]:
        return {**proxy_environment(), "ZYPP_LOCK_TIMEOUT": f"{LOCK_TIMEOUT:.0f}"}


#: zypper's exit status when a search finds nothing (ZYPPER_EXIT_INF_CAP_NOT_FOUND).
_ZYPPER_NOTHING_FOUND = 104

#: An rpm repository serving the Agent: ``.../<channel>/7/<arch>/`` (SUSE: ``/suse/stable/7/``),
#: zypper's options after it included (``?credentials=datadog``, a mirror's user and password).
_AGENT_RPM_PATH = re.compile(r"/[^/\s]+/7/(?:[^/\s?]+/?)?(?:\?[^\s]*)?\s*$")


def _is_agent_channel(suite: str, components: list[str]) -> bool:
    """An apt entry of the Agent's repository: component ``7`` (``stable 7``, ``beta 7``)."""
    return "7" in components and bool(suite)


def _list_entries(text: str) -> list[tuple[str, list[str]]]:
    """(suite, components) of each ``deb`` line of a one-line-style ``.list`` file."""
    entries = []
    for raw in text.splitlines():
        line = re.sub(r"\[[^\]]*\]", " ", raw.split("#", 1)[0]).split()
        if len(line) >= 3 and line[0] == "deb":
            entries.append((line[2], line[3:]))
    return entries


def _deb822_entries(text: str) -> list[tuple[str, list[str]]]:
    """(suite, components) of each enabled stanza of a deb822 ``.sources`` file."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", ""):
            continue
        for suite in fields.get("suites", "").split():
            entries.append((suite, fields.get("components", "").split()))
    return entries


def _newer_installed(installed: str, wanted: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(upstream_version(installed)) > Version(upstream_version(wanted))
    except InvalidVersion:
        return True


def package_manager_for(host: Host, platform: Platform) -> PackageManager:
    """The package manager of ``platform``'s family (yum where present, else dnf)."""
    if platform.family == "debian":
        return Apt(host, platform)
    if platform.family == "suse":
        return Zypper(host)
    return Yum(host, "yum" if host.which("yum") else "dnf")
