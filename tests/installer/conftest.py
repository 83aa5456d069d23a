"""Fake hosts of every supported family, on pyfakefs, for the host-operation tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

import fipsconf
import installer
from tests.fakes import (
    AGENT_BINARY,
    FakeHost,
    FakeSystem,
    SequentialExecutor,
    folders_like_a_host,
    make_executable,
)

API_KEY = "0123456789abcdef0123456789abcdef"
DATADOG_YAML = f"""## Agent configuration
api_key: {API_KEY}
site: ddog-gov.com

## @param fips - custom object - optional
#
# fips:

logs_enabled: false
"""
AGENT_UID = 998
AGENT_GID = 997


class Distro(NamedTuple):
    os_release: str
    init: str  # systemd, upstart
    tools: tuple[str, ...]
    repo_file: tuple[str, str]


_RPM_REPO = "[datadog]\nname=Datadog\nbaseurl=https://yum.datadoghq.com/stable/7/x86_64/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\n"
_APT_REPO = (
    "/etc/apt/sources.list.d/datadog.list",
    "deb [signed-by=/usr/share/keyrings/datadog-archive-keyring.gpg] https://apt.datadoghq.com/ stable 7\n",
)

DISTROS = {
    "debian-8": Distro('ID=debian\nVERSION_ID="8"\nPRETTY_NAME="Debian GNU/Linux 8 (jessie)"\n', "systemd", ("apt-get", "dpkg"), _APT_REPO),
    "ubuntu-14.04": Distro('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="14.04"\nPRETTY_NAME="Ubuntu 14.04.6 LTS"\n', "upstart", ("apt-get", "dpkg"), _APT_REPO),
    "ubuntu-22.04": Distro('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n', "systemd", ("apt-get", "dpkg"), _APT_REPO),
    "rhel-7": Distro('ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="7.9"\nPRETTY_NAME="Red Hat Enterprise Linux Server 7.9 (Maipo)"\n', "systemd", ("yum", "rpm"), ("/etc/yum.repos.d/datadog.repo", _RPM_REPO)),
    "rocky-9": Distro('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n', "systemd", ("dnf", "rpm"), ("/etc/yum.repos.d/datadog.repo", _RPM_REPO)),
    "amzn-2023": Distro('ID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023"\n', "systemd", ("dnf", "rpm"), ("/etc/yum.repos.d/datadog.repo", _RPM_REPO)),
    "fedora-40": Distro('ID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Server Edition)"\n', "systemd", ("dnf", "rpm"), ("/etc/yum.repos.d/datadog.repo", _RPM_REPO)),
    "sles-12": Distro('NAME="SLES"\nID="sles"\nID_LIKE="suse"\nVERSION_ID="12.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 12 SP5"\n', "systemd", ("zypper", "rpm"), ("/etc/zypp/repos.d/datadog.repo", _RPM_REPO)),
    "opensuse-15": Distro('ID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n', "systemd", ("zypper", "rpm"), ("/etc/zypp/repos.d/datadog.repo", _RPM_REPO)),
}  # fmt: skip

HostFactory = Callable[..., FakeHost]


def _import_everything_first() -> None:
    """Import the toolkit's modules (and ruamel) before any test starts pyfakefs.

    A module first imported while pyfakefs runs keeps its fake ``os`` or
    ``pathlib`` after that test: ruamel.yaml, loaded only for YAML the fast
    reader does not take, or the command line's modules, then fail in
    whichever later test uses them on the real file system.
    """
    import importlib
    import pkgutil

    for package in (fipsconf, installer):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.startswith("installer.ansible"):
                importlib.import_module(module.name)
    importlib.import_module("ruamel.yaml")


_import_everything_first()


@pytest.fixture(autouse=True)
def _checks_in_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The doctor's checks one after another on the fake file system (see SequentialExecutor)."""
    import installer.doctor
    import installer.doctor.facts

    for module in (installer.doctor, installer.doctor.facts):
        monkeypatch.setattr(module, "ThreadPoolExecutor", SequentialExecutor)
    monkeypatch.setattr(installer.doctor, "preload", lambda *modules: None)


@pytest.fixture
def make_host(fs: FakeFilesystem) -> HostFactory:
    """Build a fake host of a family: os-release, init system, repository, Agent."""

    def build(
        distro: str = "ubuntu-22.04",
        *,
        agent_version: str = "1:7.50.3-1",
        repository: bool = True,
        datadog_yaml: str = DATADOG_YAML,
    ) -> FakeHost:
        spec = DISTROS[distro]
        fs.create_file("/etc/os-release", contents=spec.os_release)
        fs.create_file(
            "/etc/passwd",
            contents=f"root:x:0:0::/root:/bin/sh\ndd-agent:x:{AGENT_UID}:{AGENT_GID}::/opt/datadog-agent:/usr/sbin/nologin\n",
        )
        fs.create_file(
            "/etc/group",
            contents=f"root:x:0:\nsystemd-journal:x:101:\ndd-agent:x:{AGENT_GID}:\n",
        )
        config = Path("/etc/datadog-agent/datadog.yaml")
        fs.create_file(config, contents=datadog_yaml)
        os.chown(config, AGENT_UID, AGENT_GID)
        config.chmod(0o640)
        for tool in spec.tools:
            make_executable(f"/usr/bin/{tool}")
        if spec.init == "systemd":
            fs.create_dir("/run/systemd/system")
        else:
            make_executable("/sbin/initctl")
            fs.create_dir("/etc/init")
        if repository:
            fs.create_file(spec.repo_file[0], contents=spec.repo_file[1])
        folders_like_a_host()
        os.chown(config.parent, AGENT_UID, AGENT_GID)  # as the Agent's package leaves it
        system = FakeSystem()
        if agent_version:
            make_executable(AGENT_BINARY)
            system.packages["datadog-agent"] = agent_version
            system.active["datadog-agent"] = True
            system.enabled["datadog-agent"] = True
        return FakeHost(system)

    return build


PROCMGR_PROCESS = {
    "uuid": "0f0e0d0c-0b0a-4908-8706-050403020100",
    "name": "datadog-agent-process",
    "state": "Running",
    "pid": 412,
    "command": "/opt/datadog-agent/embedded/bin/process-agent",
    "args": ["--cfgpath", "/etc/datadog-agent/datadog.yaml"],
}


def procmgr_path(host: FakeHost, fs: FakeFilesystem, *processes: dict[str, object]) -> FakeHost:
    """Put ``host`` on Agent 7.84's process manager path.

    ``datadog-agent-procmgr`` runs, bound to ``datadog-agent``; dd-procmgrd
    supervises the payloads declared in ``processes.d`` (default: the process
    Agent), which its CLI reports.
    """
    system = host.system
    system.packages["datadog-agent"] = "1:7.84.1-1"
    system.active["datadog-agent-procmgr"] = True
    system.enabled["datadog-agent-procmgr"] = True
    system.bound_to["datadog-agent-procmgr"] = "datadog-agent"
    listed = list(processes) or [PROCMGR_PROCESS]
    system.procmgr_processes = listed
    for process in listed:
        fs.create_file(
            f"/opt/datadog-agent/processes.d/{process['name']}.yaml",
            contents=f"command: {process['command']}\nauto_start: true\n",
        )
    return host
