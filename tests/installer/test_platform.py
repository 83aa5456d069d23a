"""Platform detection through ID and ID_LIKE, against a fake root."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.errors import PreconditionError
from installer.host import Host
from installer.platform import detect_platform


@pytest.mark.parametrize(
    ("os_release", "family"),
    [
        ('ID=debian\nVERSION_ID="8"', "debian"),
        ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="14.04"', "debian"),
        ('ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="21.3"', "debian"),
        ('ID="rhel"\nVERSION_ID="7.9"', "rhel"),
        ('ID="ol"\nID_LIKE="fedora"\nVERSION_ID="8.9"', "rhel"),
        ('ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"', "rhel"),
        ('ID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"', "rhel"),
        ('ID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"', "rhel"),
        ("ID=fedora\nVERSION_ID=41", "rhel"),
        ('ID="sles"\nID_LIKE="suse"\nVERSION_ID="15.6"', "suse"),
        ('ID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="42.3"', "suse"),
    ],
)
def test_supported(fs: FakeFilesystem, os_release: str, family: str) -> None:
    fs.create_file("/etc/os-release", contents=os_release + "\n")
    assert detect_platform(Host(Path("/")), machine="x86_64").family == family


@pytest.mark.parametrize(
    "os_release",
    [
        'ID=debian\nVERSION_ID="7"',
        'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="12.04"',
        'ID="centos"\nVERSION_ID="6"',
        'ID="amzn"\nVERSION_ID="2018.03"',
        'ID="sles"\nVERSION_ID="11.4"',
        "ID=alpine\nVERSION_ID=3.20.0",
        "ID=arch",
    ],
)
def test_unsupported(fs: FakeFilesystem, os_release: str) -> None:
    fs.create_file("/etc/os-release", contents=os_release + "\n")
    with pytest.raises(PreconditionError, match="is not supported; supported: Debian >= 8"):
        detect_platform(Host(Path("/")), machine="x86_64")


def test_architectures(fs: FakeFilesystem) -> None:
    fs.create_file("/etc/os-release", contents='ID=debian\nVERSION_ID="12"\n')
    assert detect_platform(Host(Path("/")), machine="arm64").architecture == "aarch64"
    with pytest.raises(PreconditionError, match="on ppc64le is not supported"):
        detect_platform(Host(Path("/")), machine="ppc64le")


def test_another_root(fs: FakeFilesystem) -> None:
    fs.create_file("/srv/image/etc/os-release", contents='ID="rocky"\nVERSION_ID="9.3"\n')
    platform = detect_platform(Host(Path("/srv/image")), machine="aarch64")
    assert (platform.family, platform.distribution, platform.version) == ("rhel", "rocky", "9.3")
