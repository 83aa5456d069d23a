"""Service managers: the init system found, and the commands each one runs."""

from __future__ import annotations

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.services import (
    NoInit,
    ServiceError,
    Systemd,
    SysV,
    Upstart,
    service_manager_for,
)
from tests.fakes import FakeHost, FakeSystem, make_executable


def test_detection(fs: FakeFilesystem) -> None:
    host = FakeHost(FakeSystem())
    assert isinstance(service_manager_for(host), NoInit)
    make_executable("/usr/sbin/service")
    assert isinstance(service_manager_for(host), SysV)
    make_executable("/sbin/initctl")
    fs.create_dir("/etc/init")
    assert isinstance(service_manager_for(host), Upstart)
    fs.create_dir("/run/systemd/system")
    assert isinstance(service_manager_for(host), Systemd)


def test_systemd_commands_and_state(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    manager = Systemd(FakeHost(system))
    assert not manager.is_active("datadog-fips-proxy")
    manager.start("datadog-fips-proxy")
    manager.enable("datadog-fips-proxy")
    assert manager.is_active("datadog-fips-proxy")
    assert manager.is_enabled("datadog-fips-proxy")
    assert manager.restart_count("datadog-fips-proxy") == 1
    assert manager.journal("datadog-fips-proxy") == ["[ALERT] something the proxy logged"]
    assert system.commands("systemctl", "journalctl")[-1] == [
        "journalctl", "-u", "datadog-fips-proxy", "-n", "20", "--no-pager", "-o", "cat",
    ]  # fmt: skip


def test_a_failed_start_says_why_with_the_journal(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    system.fail("systemctl", "start", stderr="Job failed. See journalctl -xe.")
    with pytest.raises(ServiceError) as caught:
        Systemd(FakeHost(system)).start("datadog-fips-proxy")
    message = str(caught.value)
    assert message.startswith("could not start datadog-fips-proxy: systemctl start")
    assert "Job failed" in message and "[ALERT] something the proxy logged" in message


def test_a_start_refused_for_systemds_start_limit_is_retried_once_after_reset_failed(
    fs: FakeFilesystem,
) -> None:
    system = FakeSystem()
    system.start_limit_hit.add("datadog-agent")
    Systemd(FakeHost(system)).restart("datadog-agent")
    assert system.changing_commands() == [
        ["systemctl", "restart", "datadog-agent"],
        ["systemctl", "reset-failed", "datadog-agent"],
        ["systemctl", "restart", "datadog-agent"],
    ]
    assert system.active["datadog-agent"]


def test_a_start_that_fails_for_another_reason_is_not_retried(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    system.fail("systemctl", "start", stderr="Job failed. See journalctl -xe.")
    with pytest.raises(ServiceError):
        Systemd(FakeHost(system)).start("datadog-agent")
    assert system.changing_commands() == [["systemctl", "start", "datadog-agent"]]


def test_a_stop_is_never_retried_even_at_the_start_limit(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    system.start_limit_hit.add("datadog-agent")
    system.fail("systemctl", "stop", stderr="failed")
    with pytest.raises(ServiceError):
        Systemd(FakeHost(system)).stop("datadog-agent")
    assert system.changing_commands() == [["systemctl", "stop", "datadog-agent"]]


def test_sysv_and_upstart_commands(fs: FakeFilesystem) -> None:
    system = FakeSystem()
    host = FakeHost(system)
    make_executable("/usr/sbin/update-rc.d")
    sysv = SysV(host)
    sysv.restart("datadog-agent")
    sysv.enable("datadog-fips-proxy")
    upstart = Upstart(host)
    upstart.stop("datadog-agent")
    assert system.changing_commands() == [
        ["service", "datadog-agent", "restart"],
        ["update-rc.d", "datadog-fips-proxy", "defaults"],
        ["initctl", "stop", "datadog-agent"],
    ]


def test_no_init_system_refuses_to_act(fs: FakeFilesystem) -> None:
    with pytest.raises(ServiceError, match="no init system found"):
        NoInit(FakeHost(FakeSystem())).restart("datadog-agent")


def test_systemds_view_of_a_service(fs: FakeFilesystem) -> None:
    fs.create_dir("/run/systemd/system")
    system = FakeSystem()
    host = FakeHost(system)
    systemd = service_manager_for(host)
    assert systemd.state("datadog-fips-proxy").state == "unknown"
    system.active["datadog-fips-proxy"] = True
    state = systemd.state("datadog-fips-proxy")
    assert (state.known, state.active, state.describe()) == (True, True, "active (running)")
    system.active["datadog-fips-proxy"] = False
    system.failed_units.add("datadog-fips-proxy")
    system.restarts["datadog-fips-proxy"] = 5
    state = systemd.state("datadog-fips-proxy")
    assert (state.describe(), state.crashed, state.restarts) == (
        "failed (failed, exit-code)",
        True,
        5,
    )
    assert (
        systemd.command_line("start", "datadog-fips-proxy") == "systemctl start datadog-fips-proxy"
    )


def test_without_systemd_a_service_is_known_or_unknown(fs: FakeFilesystem) -> None:
    make_executable("/usr/sbin/service")
    system = FakeSystem()
    sysv = service_manager_for(FakeHost(system))
    assert sysv.state("datadog-agent").state == "unknown"
    make_executable("/etc/init.d/datadog-agent")
    system.active["datadog-agent"] = True
    assert sysv.state("datadog-agent").describe() == "active"
    assert sysv.command_line("restart", "datadog-agent") == "service datadog-agent restart"
    fs.remove_object("/usr/sbin/service")
    assert "no init system" in service_manager_for(FakeHost(system)).command_line("start", "x")
