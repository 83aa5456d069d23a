"""Service managers: the init system found, and the commands each one runs."""

from __future__ import annotations

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.services import (
    PROCMGR_CLI,
    NoInit,
    ServiceError,
    SupervisedProcess,
    Systemd,
    SysV,
    Upstart,
    service_manager_for,
)
from tests.fakes import FakeHost, FakeSystem, make_executable
from tests.installer.conftest import PROCMGR_PROCESS, HostFactory, procmgr_path


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


# -- the Agent's supervision: per-payload units or dd-procmgrd (7.84+) ----------------


def test_the_per_payload_path_is_told_by_its_units(make_host: HostFactory) -> None:
    host = make_host()
    host.system.active["datadog-agent-trace"] = True
    supervision = Systemd(host).agent_supervision(read_processes=True)
    assert supervision.manager == "systemd" and not supervision.procmgr
    assert list(supervision.units) == ["datadog-agent", "datadog-agent-trace"]
    assert supervision.companions() == []
    assert supervision.describe() == "one systemd unit per payload (datadog-agent-trace)"
    assert supervision.problems() == []
    # one systemctl show for every unit of the catalog, and no dd-procmgr
    shows = [c for c in host.system.commands("systemctl") if c[1] == "show"]
    assert len(shows) == 1 and "datadog-agent-procmgr" in shows[0]
    assert host.system.commands(PROCMGR_CLI) == []


def test_the_process_manager_path_reads_dd_procmgrd_as_dd_agent(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = procmgr_path(make_host(), fs)
    supervision = Systemd(host).agent_supervision(read_processes=True)
    assert supervision.procmgr
    assert supervision.definitions == ("datadog-agent-process",)
    assert supervision.processes == (SupervisedProcess("datadog-agent-process", "Running", 412),)
    assert supervision.companions() == ["datadog-agent-procmgr"]
    assert supervision.describe() == (
        "dd-procmgrd (datadog-agent-procmgr) supervises: datadog-agent-process"
    )
    assert supervision.problems() == []
    # dd-agent's program, run as dd-agent (never root), with a bound on the wait
    index = host.system.calls.index((PROCMGR_CLI, "--json", "list"))
    assert host.system.users[index] == "dd-agent"


def test_without_asking_dd_procmgrd_is_left_alone(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = procmgr_path(make_host(), fs)
    supervision = Systemd(host).agent_supervision()
    assert supervision.procmgr and supervision.processes is None
    assert host.system.commands(PROCMGR_CLI) == []


def test_not_root_dd_procmgrd_is_not_asked(
    make_host: HostFactory, fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = procmgr_path(make_host(), fs)
    monkeypatch.setattr(host, "is_root", lambda: False)
    supervision = Systemd(host).agent_supervision(read_processes=True)
    assert supervision.processes is None
    assert supervision.problem == "needs root to ask dd-procmgrd as dd-agent"
    assert host.system.commands(PROCMGR_CLI) == []


def test_what_goes_wrong_on_the_process_manager_path(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    crashed = {**PROCMGR_PROCESS, "state": "Crashed", "pid": 0}
    host = procmgr_path(make_host(), fs, crashed)
    system = host.system
    assert Systemd(host).agent_supervision(read_processes=True).problems() == [
        "datadog-agent-process Crashed under dd-procmgrd"
    ]
    system.active["datadog-agent-process"] = True  # its unit too: a mix
    system.active["datadog-agent-procmgrd"] = True  # the old unit name as well
    system.active["datadog-agent-procmgr"] = False
    problems = Systemd(host).agent_supervision(read_processes=True).problems()
    assert problems == [
        "datadog-agent runs but datadog-agent-procmgr is inactive (dead): the payloads"
        " dd-procmgrd supervises (datadog-agent-process) do not run",
        "datadog-agent-procmgrd (dd-procmgrd's old unit) runs beside datadog-agent-procmgr:"
        " two process managers",
        "datadog-agent-process runs twice: declared to dd-procmgrd and active as a systemd unit",
    ]


def test_an_unreadable_answer_of_dd_procmgr_is_a_problem_not_a_crash(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = procmgr_path(make_host(), fs)
    host.system.fail(PROCMGR_CLI, stderr="Error: failed to connect")
    supervision = Systemd(host).agent_supervision(read_processes=True)
    assert supervision.processes is None
    assert supervision.problem is not None
    assert supervision.problem.startswith(
        f"sudo -u dd-agent {PROCMGR_CLI} --json list failed: Error: failed to connect"
    )


def test_the_agent_restart_waits_for_dd_procmgrd(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = procmgr_path(make_host(), fs)
    manager = Systemd(host)
    manager.restart("datadog-agent")
    manager.wait_for_agent(5)
    assert host.system.restarts["datadog-agent-procmgr"] == 1  # it followed the Agent
    host.system.procmgr_fails_to_start = True
    manager.restart("datadog-agent")
    with pytest.raises(ServiceError, match=r"^datadog-agent-procmgr is not running after its"):
        manager.wait_for_agent(1, after=" after its restart")


def test_stopping_the_agent_stops_dd_procmgrd(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = procmgr_path(make_host(), fs)
    host.system.bound_to.clear()  # binding did not stop it: stopped all the same
    Systemd(host).stop_agent()
    assert not host.system.active["datadog-agent"]
    assert not host.system.active["datadog-agent-procmgr"]
    assert ["systemctl", "stop", "datadog-agent-procmgr"] in host.system.commands("systemctl")


def test_other_init_systems_run_the_agent_alone(make_host: HostFactory) -> None:
    host = make_host("ubuntu-14.04")
    supervision = service_manager_for(host).agent_supervision(read_processes=True)
    assert supervision.manager == "upstart" and supervision.companions() == []
