"""The host as fips-setup sees it: its files, its processes, its clock, its ports.

Host-side modules take a :class:`Host` instead of reaching for ``/``,
``subprocess``, ``time`` or sockets themselves, so that tests can point them
at a fake root, a fake runner and a fake clock, and the end-to-end tests at
the real ones.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Optional

from installer import interrupts
from installer.runner import SAFE_PATH, Runner

if TYPE_CHECKING:
    from installer.net import DnsAnswer, HttpAnswer

HttpGet = Callable[[str, Mapping[str, str], float, float], "HttpAnswer"]
DnsQuery = Callable[[str, int, str, float], "DnsAnswer"]


def probe_tcp(address: str, port: int, timeout: float) -> bool:
    """True when something accepts a TCP connection at ``address``:``port``."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


class Clock:
    """Monotonic time and sleeping (a fake one in tests)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        time.sleep(seconds)

    def time(self) -> float:
        """Wall-clock time, seconds since the epoch (to compare with log times)."""
        return time.time()


def _http_get(url: str, headers: Mapping[str, str], connect: float, read: float) -> HttpAnswer:
    from installer.net import http_get

    return http_get(url, headers, connect, read)


def _dns_query(server: str, port: int, name: str, timeout: float) -> DnsAnswer:
    from installer.net import dns_query

    return dns_query(server, port, name, timeout)


class Host:
    """Files under ``root``, commands through ``runner``, time from ``clock``."""

    def __init__(
        self,
        root: Path = Path("/"),
        runner: Optional[Runner] = None,
        clock: Optional[Clock] = None,
        probe: Callable[[str, int, float], bool] = probe_tcp,
        http_get: HttpGet = _http_get,
        dns_query: DnsQuery = _dns_query,
    ) -> None:
        self.root = root
        self.runner = runner or Runner()
        self.clock = clock or Clock()
        self.probe = probe
        self.http_get = http_get
        self.dns_query = dns_query

    def path(self, absolute: str) -> Path:
        """The host path ``absolute`` (like ``/etc/x``) under this host's root."""
        return self.root / absolute.lstrip("/")

    def which(self, name: str) -> Optional[str]:
        """The absolute path of command ``name`` on the safe PATH, or None."""
        for folder in SAFE_PATH.split(":"):
            candidate = self.path(f"{folder}/{name}")
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return f"{folder}/{name}"
        return None

    def account_ids(self, name: str) -> Optional[tuple[int, int]]:
        """The uid of user ``name`` and the gid of group ``name`` (None: either missing).

        Read from the host's own /etc/passwd and /etc/group, so that a tree
        prepared under another root gets its own accounts.
        """
        ids = []
        for table in ("/etc/passwd", "/etc/group"):
            found = [f[2] for f in self._accounts(table) if f[0] == name]
            if not found or not found[0].isdigit():
                return None
            ids.append(int(found[0]))
        return ids[0], ids[1]

    def account_names(self, uid: int, gid: int) -> tuple[str, str]:
        """The user name of ``uid`` and the group name of ``gid`` (the number when unknown)."""
        names = []
        for table, wanted in (("/etc/passwd", str(uid)), ("/etc/group", str(gid))):
            found = [f[0] for f in self._accounts(table) if f[2] == wanted]
            names.append(found[0] if found else wanted)
        return names[0], names[1]

    def in_group(self, user: str, group: str) -> Optional[bool]:
        """True when ``user`` belongs to ``group`` (listed, or as its primary group).

        None when the group does not exist.
        """
        entry = next((f for f in self._accounts("/etc/group") if f[0] == group), None)
        if entry is None:
            return None
        if user in (entry[3].split(",") if len(entry) > 3 else []):
            return True
        primary = [f[3] for f in self._accounts("/etc/passwd") if f[0] == user and len(f) > 3]
        return bool(primary) and primary[0] == entry[2]

    def _accounts(self, table: str) -> list[list[str]]:
        """The entries of ``/etc/passwd`` or ``/etc/group`` (name, password, id, ...)."""
        try:
            lines = self.path(table).read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [fields for fields in (line.split(":") for line in lines) if len(fields) > 2]

    def is_root(self) -> bool:
        """True when fips-setup runs as root."""
        return os.geteuid() == 0

    def wait_for(
        self, condition: Callable[[], bool], timeout: float, interval: float = 0.25
    ) -> bool:
        """Poll ``condition`` until it is true (True) or ``timeout`` seconds pass (False).

        A signal asking the run to stop raises Interrupted between polls.
        """
        deadline = self.clock.monotonic() + timeout
        while True:
            interrupts.raise_if_pending()
            if condition():
                return True
            if self.clock.monotonic() >= deadline:
                return False
            self.clock.sleep(interval)
