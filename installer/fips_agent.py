"""What a move to the FIPS Agent needs, checked before anything changes.

The FIPS Agent (``datadog-fips-agent``, 7.65 and later) to install, resolved
to one exact version; the way back (the installed packages' exact versions
must be re-installable, from the Datadog repository or the package cache);
room on disk; and whether the kernel is in FIPS mode.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple, Optional

from packaging.version import Version

from fipsconf.errors import FipsSetupError
from installer.agent import parse_version
from installer.errors import PreconditionError
from installer.files import read_bytes
from installer.host import Host
from installer.packages import FIPS_AGENT_PACKAGE, PackageManager, same_version, upstream_version

MIN_FIPS_AGENT = Version("7.65")
KERNEL_FIPS = "/proc/sys/crypto/fips_enabled"
AGENT_HOME = "/opt/datadog-agent"
_MIB = 1024 * 1024


class Target(NamedTuple):
    """The FIPS Agent to install: its exact version, from the repository or from ``file``."""

    version: str
    file: Optional[Path] = None

    def describe(self) -> str:
        """``datadog-fips-agent 1:7.65.2-1`` (``from PATH``)."""
        source = f" from {self.file}" if self.file is not None else ""
        return f"{FIPS_AGENT_PACKAGE} {self.version}{source}"


class WayBack(NamedTuple):
    """How an installed package's exact version can be installed again.

    ``cached``: a copy in the package manager's cache (None: the repository serves it).
    """

    package: str
    version: str
    cached: Optional[Path] = None


def release_key(version: str) -> tuple[Version, tuple[int, ...]]:
    """A sort key for package versions: upstream version, then package release."""
    parsed = parse_version(version) or Version("0")
    release = version.rsplit("-", 1)[1] if "-" in version.split(":", 1)[-1] else ""
    return parsed, tuple(int(part) for part in release.split(".") if part.isdigit())


def choose_target(
    packages: PackageManager, wanted: Optional[str], package_file: Optional[Path]
) -> Target:
    """The FIPS Agent to install. Raises PreconditionError (or PackageError) saying why none.

    From ``package_file`` when given (checked to be the FIPS Agent, at the
    version ``wanted`` if that is given too); else from the Datadog repository:
    exactly ``wanted`` (``7.65.2``, or ``1:7.65.2-1``), or the newest stable
    version it serves.
    """
    if package_file is not None:
        return _from_file(packages, wanted, package_file)
    offered = packages.available_versions(FIPS_AGENT_PACKAGE)
    if wanted is not None:
        matching = [v for v in offered if same_version(v, wanted) or upstream_version(v) == wanted]
        if not matching:
            shown = ", ".join(sorted(offered, key=release_key)) or "none"
            raise PreconditionError(
                f"the Datadog repository has no {FIPS_AGENT_PACKAGE} {wanted} (it has: {shown});"
                " nothing was changed"
            )
        chosen = max(matching, key=release_key)
    else:
        stable = [v for v in offered if (parse_version(v) or Version("0")).is_prerelease is False]
        supported = [v for v in stable if release_key(v)[0] >= MIN_FIPS_AGENT]
        if not supported:
            shown = ", ".join(sorted(offered, key=release_key)) or "no version at all"
            raise PreconditionError(
                f"the Datadog repository ({packages.datadog_repository()}) has no"
                f" {FIPS_AGENT_PACKAGE} {MIN_FIPS_AGENT} or newer (it has {shown}); check its"
                " channel, or pass --package-file PATH; nothing was changed"
            )
        chosen = max(supported, key=release_key)
    _check_supported(chosen)
    return Target(chosen)


def _from_file(packages: PackageManager, wanted: Optional[str], path: Path) -> Target:
    if not path.is_file():
        raise PreconditionError(f"{path}: no such package file; nothing was changed")
    if not path.name.endswith(packages.package_suffix):
        raise PreconditionError(
            f"{path}: expected a {packages.package_suffix} file for {packages.name};"
            " nothing was changed"
        )
    identity = packages.file_identity(path)
    if identity is None or identity[0] != FIPS_AGENT_PACKAGE:
        found = f"a package of {identity[0]}" if identity else "not a package file"
        raise PreconditionError(f"{path} is {found}, not {FIPS_AGENT_PACKAGE}; nothing was changed")
    version = identity[1]
    if wanted is not None and not (
        same_version(version, wanted) or upstream_version(version) == wanted
    ):
        raise PreconditionError(
            f"{path} is {FIPS_AGENT_PACKAGE} {version}, not {wanted} (--agent-version);"
            " nothing was changed"
        )
    _check_supported(version)
    return Target(version, path)


def _check_supported(version: str) -> None:
    parsed = parse_version(version)
    if parsed is None or parsed < MIN_FIPS_AGENT:
        raise PreconditionError(
            f"{FIPS_AGENT_PACKAGE} {version}: the FIPS Agent is supported from"
            f" {MIN_FIPS_AGENT}.0; choose a newer version; nothing was changed"
        )


def way_back(packages: PackageManager, package: str, version: str) -> WayBack:
    """How ``package`` ``version`` (installed now) can be put back. Raises PreconditionError.

    The repository's metadata as it is (refreshed by the caller), then the
    package manager's cache; refused when neither has that exact version.
    """
    offered = packages.available_versions(package) if packages.datadog_repository() else []
    if any(same_version(v, version) for v in offered):
        return WayBack(package, version)
    cached = packages.cached_package(package, version)
    if cached is not None:
        return WayBack(package, version, cached)
    served = ", ".join(sorted(offered, key=release_key)) or "none"
    raise PreconditionError(
        f"{package} {version} is installed, but neither the Datadog repository (it serves:"
        f" {served}) nor the package cache ({packages.cache_folder}) has that version: if the"
        " move failed, or to go back later, it could not be installed again. Upgrade"
        f" {package} to a version the repository serves first, or put its package file in"
        f" {packages.cache_folder}; nothing was changed"
    )


def agent_size(host: Host, packages: PackageManager, package: str) -> int:
    """Bytes the installed ``package`` takes (the package database's, else its folder's)."""
    size = packages.installed_size(package)
    if size is not None:
        return size
    total = 0
    for folder, _, names in os.walk(host.path(AGENT_HOME)):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def check_disk_space(host: Host, packages: PackageManager, size: int) -> None:
    """Refuse unless there is room for the swap. Raises PreconditionError.

    The package cache needs the installed Agent's size (an upper bound for the
    FIPS Agent's compressed package, and the Agent's own for a way back);
    ``/opt`` a tenth of it (the FIPS Agent replaces the Agent, and may be a
    little larger). Folders on one file system add up.
    """
    needs: dict[int, tuple[list[str], int, int]] = {}
    for folder, need in ((packages.cache_folder, size), (AGENT_HOME, size // 10)):
        existing = _existing(host.path(folder))
        device = os.stat(existing).st_dev
        names, total, _ = needs.get(device, ([], 0, 0))
        needs[device] = ([*names, folder], total + need, shutil.disk_usage(existing).free)
    for names, need, free in needs.values():
        if free < need:
            raise PreconditionError(
                f"not enough free disk space for the move: {' and '.join(names)} has"
                f" {free / _MIB:.0f} MiB free, it needs {need / _MIB:.0f} MiB (the FIPS"
                " Agent's package and the Agent's, for a way back); free some space;"
                " nothing was changed"
            )


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def kernel_fips_warning(host: Host) -> Optional[str]:
    """What to say when the kernel is not in FIPS mode (None: it is)."""
    try:
        value = read_bytes(host.path(KERNEL_FIPS)).decode(errors="replace").strip()
    except FipsSetupError:
        value = "absent"
    if value == "1":
        return None
    return (
        f"the kernel is not in FIPS mode ({KERNEL_FIPS}: {value}): the FIPS Agent's"
        " validation assumes a host in FIPS mode (the vendor's FIPS Agent page asks for it);"
        " fips-mode-setup --enable (RHEL) or pro enable fips (Ubuntu), then reboot"
    )
