"""A fake host with the FIPS proxy enabled and healthy, for the doctor's checks."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.proxy_releases import NEWEST
from installer.doctor import DoctorOptions, doctor
from installer.doctor.model import Check
from installer.enable import EnableOptions, enable
from tests.fakes import FakeHost
from tests.installer.conftest import HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"  # a Path only inside tests (pyfakefs on 3.9)
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
HAPROXY_CMDLINE = (
    b"/opt/datadog-fips-proxy/embedded/sbin/haproxy\0-Ws\0-f\0" + PROXY_CFG.encode() + b"\0"
)
PROXY_PID = 500
_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def listen(fs: FakeFilesystem, ports: range, pid: int, command: bytes) -> None:
    """Make process ``pid`` (running ``command``) listen on 127.0.0.1 ``ports`` in /proc."""
    table = Path("/proc/net/tcp")
    rows = "".join(
        f"   0: 0100007F:{port:04X} 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
        f"     0        0 {pid}{port} 1 0000000000000000 100 0 0 10 0\n"
        for port in ports
    )
    if table.exists():
        table.write_text(table.read_text() + rows)
    else:
        fs.create_file(table, contents=_HEADER + rows)
    if not Path(f"/proc/{pid}/cmdline").exists():
        fs.create_file(f"/proc/{pid}/cmdline", contents=command)
    for port in ports:
        fs.create_symlink(f"/proc/{pid}/fd/{port}", f"socket:[{pid}{port}]")


def stop_listening(pid: int) -> None:
    """The process ``pid`` no longer listens (its /proc entries go)."""
    table = Path("/proc/net/tcp")
    lines = table.read_text().splitlines(keepends=True)
    table.write_text("".join(line for line in lines if f" {pid}" not in line))


@pytest.fixture
def healthy(make_host: HostFactory, fs: FakeFilesystem) -> FakeHost:
    """Ubuntu 22.04, the Agent 7.50 reporting through a running, listening proxy."""
    host = make_host()
    result = enable(host, EnableOptions(config=Path(CONFIG)))
    assert not result.failed, result.msg
    host.system.packages["datadog-fips-proxy"] = f"{NEWEST.package}-1"  # kept up to date
    listen(fs, range(9803, 9819), PROXY_PID, HAPROXY_CMDLINE)
    fs.create_file("/etc/resolv.conf", contents="nameserver 10.0.0.53\n")
    fs.create_file(
        "/var/log/datadog/agent.log",
        contents="2026-01-02 03:00:00 UTC | CORE | INFO | Starting Datadog Agent v7.50.3\n",
    )
    host.system.journal = [
        "Starting datadog-fips-proxy.service - Datadog FIPS Proxy...",
        "[NOTICE]   (407) : New worker (410) forked",
        "[WARNING]  (410) : Server datadog-metrics/mothership ('haproxy-app.agent.ddog-gov.com')"
        " is UP/READY (resolves again).",
        "Started datadog-fips-proxy.service - Datadog FIPS Proxy.",
    ]
    return host


Doctor = Callable[..., dict[str, Check]]


@pytest.fixture
def run_doctor() -> Doctor:
    """Run doctor on a host: its checks by id."""

    def run(host: FakeHost, agent_check: bool = True) -> dict[str, Check]:
        result = doctor(host, DoctorOptions(Path(CONFIG), agent_check=agent_check))
        checks = {check.id: check for check in result.checks}
        assert len(checks) == len(result.checks), "check ids are unique"
        return checks

    return run
