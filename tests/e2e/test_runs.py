"""Interrupted, killed and concurrent runs of ``fips-setup enable`` on booted hosts (issue 10).

The proxy's start is made slow on purpose (a systemd drop-in with
``ExecStartPre=/bin/sleep``), so that a signal reliably arrives while
``enable`` waits on ``systemctl start``. After an interrupt (or a kill and
``fips-setup rollback``) the host must be as it was: every file under
``/etc/datadog-agent`` and ``/etc/datadog-fips-proxy`` byte for byte with its
owner and mode, the Datadog packages and their versions, and the services'
active and enabled states.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import Any, Callable, Dict

import pytest

from .harness import API_KEY
from .host import TestHost
from .util import wait_until

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
SLOW_START = "/etc/systemd/system/datadog-fips-proxy.service.d/slow-start.conf"
LOCK = "/var/lib/fips-setup/lock"
UNITS = ("datadog-agent", "datadog-fips-proxy")


def slow_host(make_host: MakeHost, family: str = "debian") -> TestHost:
    host = make_host(family=family)
    host.install_toolkit()
    host.run(["mkdir", "-p", SLOW_START.rsplit("/", 1)[0]])
    host.write_file(SLOW_START, "[Service]\nExecStartPre=/bin/sleep 6\n")
    host.systemctl("daemon-reload")
    return host


def snapshot(host: TestHost) -> Dict[str, Any]:
    """Files (contents, owner, mode), packages with versions, service states."""
    listing = host.run(
        ["find", "/etc/datadog-agent", "/etc/datadog-fips-proxy", "-type", "f",
         "-printf", "%p %u:%g %m\\n"], check=False,
    ).stdout  # fmt: skip
    files = {}
    for line in sorted(listing.splitlines()):
        path, owner, mode = line.split(" ")
        files[path] = (owner, mode, host.read_bytes(path))
    packages = {
        "debian": ["dpkg-query", "-W", "-f=${Package} ${Status} ${Version}\\n", "datadog-*"],
        "rpm": ["rpm", "-qa", "--qf", "%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}\\n", "datadog-*"],
    }["debian" if host.family == "debian" else "rpm"]
    installed = sorted(host.run(packages, check=False).stdout.splitlines())
    states = {
        unit: (
            host.systemctl("is-active", unit, check=False).stdout.strip(),
            host.systemctl("is-enabled", unit, check=False).stdout.strip(),
        )
        for unit in UNITS
    }
    return {"files": files, "packages": installed, "services": states}


def start_enable(host: TestHost) -> subprocess.Popen[bytes]:
    """``fips-setup enable --json`` in the background; returns once it waits on the slow start."""
    process = host.start([*host.toolkit_command(), "enable", "--json"])
    wait_until(
        lambda: (
            host.systemctl("is-active", "datadog-fips-proxy", check=False).stdout.strip()
            == "activating"
        ),
        timeout=60,
        what="enable to reach the proxy's slow start",
    )
    return process


def run_pid(host: TestHost) -> int:
    """The pid (inside the host) of the run holding the lock."""
    return int(host.read_file(LOCK).strip())


def finish(process: subprocess.Popen[bytes]) -> tuple[int, Dict[str, Any], str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, json.loads(out), err.decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_enable_puts_the_host_back(make_host: MakeHost, signum: int) -> None:
    host = slow_host(make_host)
    before = snapshot(host)
    started = time.monotonic()
    process = start_enable(host)
    host.run(["kill", f"-{signal.Signals(signum).name[3:]}", str(run_pid(host))])
    status, doc, err = finish(process)
    elapsed = time.monotonic() - started
    assert status == 128 + signum, (doc, err)
    assert doc["failed"] is True and doc["interrupted"] is True, doc
    assert doc["msg"].endswith("the host is as it was"), doc["msg"]
    assert "install datadog-fips-proxy" in " ".join(doc["undone"])
    assert API_KEY not in json.dumps(doc) + err
    after = snapshot(host)
    assert after == before, host.journal("datadog-fips-proxy")[-2000:] + json.dumps(doc["actions"])
    print(f"\n{signal.Signals(signum).name}: enable interrupted and undone in {elapsed:.1f} s;"
          f" {len(before['files'])} files, {len(before['packages'])} packages, 2 units compared")  # fmt: skip


def test_a_killed_enable_is_reported_and_rolled_back(make_host: MakeHost) -> None:
    host = slow_host(make_host)
    before = snapshot(host)
    process = start_enable(host)
    host.run(["kill", "-KILL", str(run_pid(host))])
    process.communicate(timeout=60)
    status = host.fips_setup("status", json=True)
    assert status.data is not None and status.data["last_run"]["state"] == "killed"
    assert any("stopped before it finished" in p for p in status.data["problems"])
    started = time.monotonic()
    result = host.fips_setup("rollback", json=True)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.data is not None and result.data["changed"] is True
    assert snapshot(host) == before
    again = host.fips_setup("rollback", json=True)
    assert again.data is not None and again.data["changed"] is False
    print(f"\nSIGKILL then rollback: host as before; rollback {elapsed:.1f} s")


@pytest.mark.parametrize("family", ["debian", "rhel"])
def test_rollback_undoes_a_completed_enable(make_host: MakeHost, family: str) -> None:
    host = make_host(family=family)
    host.install_toolkit()
    before = snapshot(host)
    assert host.fips_setup("enable", json=True).returncode == 0
    assert snapshot(host) != before
    result = host.fips_setup("rollback", json=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert snapshot(host) == before
    stat = host.stat("/var/lib/fips-setup")
    assert (stat.owner, stat.mode) == ("root", 0o700)
    backups = host.run(["find", "/var/lib/fips-setup", "-type", "f", "-perm", "/077"]).stdout
    assert backups == "", f"journal files readable by others: {backups}"
    count = len(before["files"])
    print(f"\n{family}: enable, then rollback: {count} files, packages, services as before")


def test_a_second_enable_is_refused_naming_the_first(make_host: MakeHost) -> None:
    host = slow_host(make_host)
    first = start_enable(host)
    pid = run_pid(host)
    second = host.fips_setup("enable")
    assert second.returncode == 1
    assert second.stderr.count("\n") == 1, second.stderr
    assert f"another fips-setup run (pid {pid}) is changing this host" in second.stderr
    assert "enable" in host.read_file(f"/proc/{pid}/cmdline").replace("\0", " ")
    status, doc, err = finish(first)
    assert status == 0, (
        f"{doc.get('msg') if doc else doc}\n{err}\n{host.journal('datadog-fips-proxy')}"
    )
