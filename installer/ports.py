"""Who listens on the proxy's ports, read from /proc (no external tools)."""

from __future__ import annotations

import os
from typing import NamedTuple, Optional

from fipsconf.redact import REDACTOR
from installer.host import Host

_LISTEN = "0A"


class Listener(NamedTuple):
    """A listening TCP socket and, when known, the process holding it."""

    port: int
    address: str
    pid: Optional[int]
    command: str

    def describe(self) -> str:
        """``port 9806 (pid 1234: nc -l 9806)``."""
        owner = f"pid {self.pid}: {self.command}" if self.pid else "unknown process"
        return f"port {self.port} ({owner})"

    @property
    def is_proxy(self) -> bool:
        """True when the FIPS proxy holds it (its HAProxy runs on its own configuration)."""
        return "datadog-fips-proxy" in self.command


def listeners(host: Host, ports: range) -> list[Listener]:
    """Listening TCP sockets (IPv4 and IPv6) on ``ports``, with their processes."""
    sockets: dict[str, tuple[int, str]] = {}
    for table, ipv6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = host.path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            address_hex, _, port_hex = fields[1].partition(":")
            port = int(port_hex, 16)
            if port in ports:
                sockets[fields[9]] = (port, _address(address_hex, ipv6))
    owners = _socket_owners(host, set(sockets)) if sockets else {}
    found = []
    for inode, (port, address) in sockets.items():
        pid = owners.get(inode)
        command = _command_line(host, pid) if pid else ""
        found.append(Listener(port, address, pid, command))
    return sorted(found)


def _address(hex_address: str, ipv6: bool) -> str:
    raw = bytes.fromhex(hex_address)
    if not ipv6:
        return ".".join(str(b) for b in reversed(raw))
    # /proc prints IPv6 as four little-endian 32-bit words
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress

    return str(ipaddress.IPv6Address(b"".join(words)))


def _socket_owners(host: Host, inodes: set[str]) -> dict[str, int]:
    owners: dict[str, int] = {}
    proc = host.path("/proc")
    try:
        pids = [entry for entry in os.listdir(proc) if entry.isdigit()]
    except OSError:
        return owners
    for pid in pids:
        fd_folder = proc / pid / "fd"
        try:
            fds = os.listdir(fd_folder)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd_folder / fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                owners[target[8:-1]] = int(pid)
    return owners


def _command_line(host: Host, pid: int) -> str:
    try:
        raw = host.path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return REDACTOR.redact(text)[:200]
