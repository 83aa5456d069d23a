"""Package managers: repository detection and the family's choice of tool."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.packages import (
    Apt,
    Yum,
    Zypper,
    package_manager_for,
    same_version,
    upstream_version,
)
from installer.platform import Platform
from installer.runner import CommandError, ProcessResult
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


def test_a_zypper_mirror_with_a_credentials_file_is_the_datadog_repository(
    fs: FakeFilesystem,
) -> None:
    fs.create_file(
        "/etc/zypp/repos.d/datadog.repo",
        contents="[datadog]\nenabled=1\n"
        "baseurl=https://mirror.example/dd/rpm/stable/7/x86_64/?credentials=datadog\n",
    )
    assert Zypper(FakeHost(FakeSystem())).datadog_repository() == "datadog"


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


# -- versions the repository serves, as each tool prints them (recorded on the test hosts) --

MADISON = """datadog-fips-agent | 1:7.66.1-1 | file:/srv/datadog-repo/apt stable/7 amd64 Packages
datadog-fips-agent | 1:7.65.2-1 | file:/srv/datadog-repo/apt stable/7 amd64 Packages
"""
DNF_LIST = """Installed Packages
datadog-agent.x86_64                     1:7.50.3-1                     @datadog
Available Packages
datadog-agent.x86_64                     1:7.49.0-1                     datadog
datadog-agent.x86_64                     1:7.50.3-1                     datadog
"""
# yum wraps a long name onto a line of its own
YUM_WRAPPED = """Available Packages
datadog-fips-agent-with-a-long-name.x86_64
                                 1:7.65.2-1                         datadog
"""
ZYPPER_XML = """<?xml version='1.0'?>
<stream>
<message type="info">Loading repository data...</message>
<message type="info">Reading installed packages...</message>

<search-result version="0.0">
<solvable-list>
<solvable status="installed" name="datadog-agent" kind="package" edition="1:7.50.3-1" arch="x86_64" repository="datadog"/>
<solvable status="other-version" name="datadog-agent" kind="package" edition="1:7.49.0-1" arch="x86_64" repository="datadog"/>
<solvable status="other-version" name="datadog-agent" kind="package" edition="1:7.48.0-1" arch="x86_64" repository="mirror"/>
</solvable-list>
</search-result>
</stream>
"""
ZYPPER_NOTHING = """<?xml version='1.0'?>
<stream>
<message type="info">Loading repository data...</message>
<message type="info">No matching items found.</message>
</stream>
"""


def result(stdout: str, returncode: int = 0, stderr: str = "") -> ProcessResult:
    return ProcessResult(("tool",), returncode, stdout, stderr, 0.1)


def test_versions_the_repository_serves(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    apt, dnf, zypper = Apt(host, DEBIAN), Yum(host, "dnf"), Zypper(host)
    assert apt.read_available("datadog-fips-agent", "datadog.list", result(MADISON)) == [
        "1:7.66.1-1",
        "1:7.65.2-1",
    ]
    assert apt.read_available("datadog-agent", "datadog.list", result("")) == []
    # the installed copy ("@datadog") is not the repository's; the repository's one is
    assert dnf.read_available("datadog-agent", "datadog", result(DNF_LIST)) == [
        "1:7.49.0-1",
        "1:7.50.3-1",
    ]
    assert dnf.read_available(
        "datadog-fips-agent-with-a-long-name", "datadog", result(YUM_WRAPPED)
    ) == ["1:7.65.2-1"]
    nothing = result("", 1, "Error: No matching Packages to list")
    assert dnf.read_available("datadog-fips-agent", "datadog", nothing) == []
    assert zypper.read_available("datadog-agent", "datadog", result(ZYPPER_XML)) == [
        "1:7.50.3-1",
        "1:7.49.0-1",
    ]
    assert zypper.read_available("x", "datadog", result(ZYPPER_NOTHING, 104)) == []


def test_a_listing_that_fails_is_an_error(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    with pytest.raises(CommandError, match="exited with status 100"):
        Apt(host, DEBIAN).read_available("x", "d", result("", 100, "E: lists locked"))
    with pytest.raises(CommandError, match="no readable XML"):
        Zypper(host).read_available("x", "datadog", result("<stream><solvable", 0))


def test_rpm_versions_carry_the_epoch_as_dpkg_and_zypper_show_it(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    system.packages["datadog-agent"] = "1:7.50.3-1"
    Yum(FakeHost(system), "dnf").installed_version("datadog-agent")
    assert system.commands("rpm")[0] == [
        "rpm", "-q", "--qf", "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}", "datadog-agent",
    ]  # fmt: skip


def test_same_version() -> None:
    assert same_version("1:7.50.3-1", "1:7.50.3-1")
    assert same_version("0:1.1.17-1", "1.1.17-1")
    assert not same_version("1:7.50.3-1", "7.50.3-1")
    assert not same_version("1:7.50.3-1", "1:7.50.3-2")


def test_a_cached_package_is_found_by_what_it_is(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    host = FakeHost(system)
    for name, identity in (
        ("/var/cache/zypp/packages/datadog/datadog-agent-7.50.3-1.x86_64.rpm", ("datadog-agent", "1:7.50.3-1")),
        ("/var/cache/zypp/packages/datadog/datadog-agent-7.49.0-1.x86_64.rpm", ("datadog-agent", "1:7.49.0-1")),
    ):  # fmt: skip
        fs.create_file(name)
        system.package_files[name] = identity
    zypper = Zypper(host)
    found = zypper.cached_package("datadog-agent", "1:7.49.0-1")
    assert str(found) == "/var/cache/zypp/packages/datadog/datadog-agent-7.49.0-1.x86_64.rpm"
    assert zypper.cached_package("datadog-agent", "1:7.48.0-1") is None
    assert Apt(host, DEBIAN).cached_package("datadog-agent", "1:7.49.0-1") is None
