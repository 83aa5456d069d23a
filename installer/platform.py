"""Which Linux this is, and whether the FIPS proxy supports it."""

from __future__ import annotations

import platform as _platform
from typing import NamedTuple, Optional

from installer.errors import PreconditionError
from installer.host import Host

SUPPORTED = (
    "Debian >= 8, Ubuntu >= 14.04, RHEL/CentOS/Rocky/AlmaLinux/Oracle Linux >= 7,"
    " Amazon Linux 2 and 2023, Fedora, SLES/openSUSE >= 12; on x86_64 or aarch64"
)
_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
_RHEL_LIKE = {"rhel", "centos", "rocky", "almalinux", "ol", "scientific"}
_SUSE = {"sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "suse", "sle-micro"}


class Platform(NamedTuple):
    """A supported host: its family (debian, rhel, suse), distribution and CPU."""

    family: str
    distribution: str
    version: str
    name: str
    architecture: str


def detect_platform(host: Host, machine: Optional[str] = None) -> Platform:
    """Read ``/etc/os-release`` (under the host's root) and check support.

    Raises PreconditionError naming what was found and what is supported.
    """
    import distro  # only the commands that need the platform load it

    info = distro.LinuxDistribution(include_lsb=False, include_uname=False, root_dir=str(host.root))
    distribution = info.id().lower()
    like = info.like().lower().split()
    version = info.version(best=True)
    name = info.name(pretty=True) or distribution or "an unknown system"
    architecture = _ARCHITECTURES.get((machine or _platform.machine()).lower())
    if architecture is None:
        raise PreconditionError(
            f"{name} on {machine or _platform.machine()} is not supported; supported: {SUPPORTED}"
        )
    family = _family(distribution, like)
    if family is None or not _version_supported(distribution, version):
        raise PreconditionError(f"{name} is not supported; supported: {SUPPORTED}")
    return Platform(family, distribution, version, name, architecture)


def _family(distribution: str, like: list[str]) -> Optional[str]:
    ids = [distribution, *like]
    if any(i in ("debian", "ubuntu") for i in ids):
        return "debian"
    if any(i in _RHEL_LIKE or i in ("fedora", "amzn") for i in ids):
        return "rhel"
    if any(i in _SUSE for i in ids):
        return "suse"
    return None


def _major(version: str) -> Optional[int]:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def _version_supported(distribution: str, version: str) -> bool:
    """Minimum versions of the distributions the vendor names; derivatives pass."""
    major = _major(version)
    if distribution == "debian":
        return major is None or major >= 8  # testing/sid have no number
    if distribution == "ubuntu":
        parts = version.split(".")
        return major is not None and (major, int(parts[1]) if len(parts) > 1 else 0) >= (14, 4)
    if distribution in _RHEL_LIKE:
        return major is not None and major >= 7
    if distribution == "amzn":
        return version in ("2", "2023") or (major is not None and major >= 2023)
    if distribution in ("sles", "sled"):
        return major is not None and major >= 12
    if distribution in ("opensuse-leap", "opensuse"):
        return major is not None and (major >= 15 or major == 42)  # Leap 42 = SLE 12
    return True
