"""Package managers: repository detection and the family's choice of tool."""

from __future__ import annotations

from pathlib import Path

from pyfakefs.fake_filesystem import FakeFilesystem

from installer.packages import Apt, Yum, Zypper, package_manager_for, upstream_version
from installer.platform import Platform
from tests.fakes import FakeHost, FakeSystem, make_executable

DEBIAN = Platform("debian", "debian", "12", "Debian 12", "x86_64")
RHEL = Platform("rhel", "rhel", "7.9", "RHEL 7", "x86_64")


def test_apt_prefers_a_datadog_list_file(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    apt = Apt(host, DEBIAN)
    assert apt.datadog_repository() is None
    fs.create_file("/etc/apt/sources.list.d/datadog.sources")
    assert apt.datadog_repository() == "datadog.sources"
    assert apt.refresh_command("datadog.sources") == ["apt-get", "update"]
    fs.create_file("/etc/apt/sources.list.d/datadog-observability-pipelines-worker.list")
    assert apt.datadog_repository() == "datadog-observability-pipelines-worker.list"


def test_rpm_repositories_by_section_and_enabled_flag(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    fs.create_file(
        "/etc/yum.repos.d/vendor.repo",
        contents="[datadog-old]\nenabled=0\nbaseurl=x\n\n[datadog-stable]\nenabled=1\nbaseurl=y\n",
    )
    assert Yum(host, "yum").datadog_repository() == "datadog-stable"
    fs.create_file("/etc/zypp/repos.d/dd.repo", contents="[datadog]\nenabled=1\n")
    assert Zypper(host).datadog_repository() == "datadog"


def test_yum_where_present_else_dnf(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    make_executable("/usr/bin/dnf")
    assert package_manager_for(host, RHEL).name == "dnf"
    make_executable("/usr/bin/yum")
    assert package_manager_for(host, RHEL).name == "yum"


def test_installed_versions_from_the_package_database(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    system.packages["datadog-agent"] = "1:7.52.0-1"
    host = FakeHost(system)
    assert Apt(host, DEBIAN).installed_version("datadog-agent") == "1:7.52.0-1"
    assert Apt(host, DEBIAN).installed_version("datadog-fips-proxy") is None
    assert system.commands("dpkg-query")[0] == [
        "dpkg-query", "-W", "-f=${Status}\\t${Version}", "datadog-agent",
    ]  # fmt: skip
    assert Yum(host, "dnf").installed_version("datadog-agent") == "1:7.52.0-1"


def test_upstream_version() -> None:
    assert upstream_version("1:7.50.3-1") == "7.50.3"
    assert upstream_version("7.45.0-1.x86_64") == "7.45.0"
    assert upstream_version("7.48.1") == "7.48.1"


def test_package_file_path_is_made_explicit(fs: FakeFilesystem) -> None:
    apt = Apt(FakeHost(FakeSystem()), DEBIAN)
    assert apt.install_file_command(Path("proxy.deb"))[-1] == "./proxy.deb"
