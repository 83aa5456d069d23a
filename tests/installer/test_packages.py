"""Package managers: repository detection and the family's choice of tool."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.packages import Apt, Yum, Zypper, package_manager_for, upstream_version
from installer.platform import Platform
from tests.fakes import FakeHost, FakeSystem, make_executable

DEBIAN = Platform("debian", "debian", "12", "Debian 12", "x86_64")
RHEL = Platform("rhel", "rhel", "7.9", "RHEL 7", "x86_64")


AGENT_LIST = "deb [signed-by=/usr/share/keyrings/datadog-archive-keyring.gpg] https://apt.datadoghq.com/ stable 7\n"
OPW_LIST = "deb [signed-by=/usr/share/keyrings/datadog-archive-keyring.gpg] https://apt.datadoghq.com/ stable observability-pipelines-worker-2\n"
AGENT_SOURCES = """Types: deb
URIs: https://apt.datadoghq.com/
Suites: stable
Components: 7
Signed-By: /usr/share/keyrings/datadog-archive-keyring.gpg
"""


def test_apt_finds_the_agents_repository_by_what_it_points_at(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    apt = Apt(host, DEBIAN)
    assert apt.datadog_repository() is None
    # Datadog's, and first by name, but the Observability Pipelines Worker's: not ours
    fs.create_file("/etc/apt/sources.list.d/datadog-observability-pipelines-worker.list",
                   contents=OPW_LIST)  # fmt: skip
    assert apt.datadog_repository() is None
    fs.create_file("/etc/apt/sources.list.d/mirror.list", contents=AGENT_LIST)
    assert apt.datadog_repository() == "mirror.list"


def test_apt_refreshes_a_deb822_sources_file_on_its_own(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    apt = Apt(host, DEBIAN)
    fs.create_file("/etc/apt/sources.list.d/datadog-observability-pipelines-worker.list",
                   contents=OPW_LIST)  # fmt: skip
    fs.create_file("/etc/apt/sources.list.d/datadog.sources", contents=AGENT_SOURCES)
    assert apt.datadog_repository() == "datadog.sources"
    assert apt.refresh_command("datadog.sources") == [
        "apt-get", "update", "-o", "Dir::Etc::sourcelist=sources.list.d/datadog.sources",
        "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0",
    ]  # fmt: skip
    disabled = AGENT_SOURCES + "Enabled: no\n"
    Path("/etc/apt/sources.list.d/datadog.sources").write_text(disabled)
    assert apt.datadog_repository() is None


def test_rpm_repositories_by_where_they_point_and_enabled_flag(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    fs.create_file(
        "/etc/yum.repos.d/datadog-observability-pipelines-worker-2.repo",
        contents="[datadog-observability-pipelines-worker-2]\nenabled=1\n"
        "baseurl=https://yum.datadoghq.com/stable/observability-pipelines-worker-2/x86_64/\n",
    )
    fs.create_file(
        "/etc/yum.repos.d/vendor.repo",
        contents="[datadog-old]\nenabled=0\nbaseurl=https://yum.datadoghq.com/stable/7/x86_64/\n\n"
        "[agent-mirror]\nenabled=1\nbaseurl=https://mirror.example/datadog/stable/7/x86_64/\n",
    )
    assert Yum(host, "yum").datadog_repository() == "agent-mirror"
    fs.create_file(
        "/etc/zypp/repos.d/dd.repo",
        contents="[datadog]\nenabled=1\nbaseurl=https://yum.datadoghq.com/suse/stable/7/x86_64\n",
    )
    assert Zypper(host).datadog_repository() == "datadog"


def test_package_managers_keep_the_http_proxy(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("https_proxy", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.setenv("DD_API_KEY", "0123456789abcdef0123456789abcdef")
    host = FakeHost(FakeSystem())
    for manager in (Apt(host, DEBIAN), Yum(host, "dnf"), Zypper(host)):
        env = manager.environment()
        assert env["https_proxy"] == "http://proxy.internal:3128"
        assert env["NO_PROXY"] == "localhost"
        assert "DD_API_KEY" not in env


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
