"""Listening sockets and their processes, read from a fake /proc."""

from __future__ import annotations

from pathlib import Path

from pyfakefs.fake_filesystem import FakeFilesystem

from installer.ports import listeners
from tests.fakes import FakeHost, FakeSystem

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def row(local: str, state: str, inode: int) -> str:
    return f"   0: {local} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000   998        0 {inode} 1 0 100 0 0 10 0\n"


def test_ipv4_and_ipv6_listeners_with_owners(fs: FakeFilesystem) -> None:
    fs.create_file(
        "/proc/net/tcp",
        contents=HEADER
        + row("0100007F:264C", "0A", 111)  # 127.0.0.1:9804 listening
        + row("0100007F:264D", "01", 112)  # established: ignored
        + row("00000000:0016", "0A", 113),  # port 22: out of range
    )
    fs.create_file(
        "/proc/net/tcp6",
        contents=HEADER + row("00000000000000000000000001000000:2652", "0A", 114),  # [::1]:9810
    )
    fs.create_file("/proc/42/cmdline", contents=b"haproxy\0-f\0x.cfg\0")
    fs.create_symlink("/proc/42/fd/5", "socket:[111]")
    fs.create_file("/proc/43/cmdline", contents=b"agent\0--api-key=secretsecret\0")
    fs.create_symlink("/proc/43/fd/7", "socket:[114]")
    found = listeners(FakeHost(FakeSystem()), range(9803, 9819))
    assert [(x.port, x.address, x.pid, x.command) for x in found] == [
        (9804, "127.0.0.1", 42, "haproxy -f x.cfg"),
        (9810, "::1", 43, "agent --api-key=********"),
    ]
    assert Path("/proc/net/tcp").exists()


def test_no_proc_means_no_listeners(fs: FakeFilesystem) -> None:
    assert listeners(FakeHost(FakeSystem()), range(9803, 9819)) == []
