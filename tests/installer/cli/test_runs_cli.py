"""Whole runs through ``main``: signals, the last-resort handler, ``--debug``, the lock.

Each scenario runs on both parsers (the fast path and Typer, reached by an
``--opt=value`` spelling the fast path leaves to it) and must give the same
output and exit status.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer import host as host_module
from installer import journal as journal_module
from installer import status as status_module
from installer.cli import fastpath
from tests.fakes import FakeHost
from tests.installer.cli.helpers import run, run_json
from tests.installer.conftest import API_KEY, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"
#: Given as a string: on Python 3.9 the default Path, made before pyfakefs, reads the real disk.
CONFIG_OPTION = ("--config", CONFIG)
PROXY_CONFIG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"


@pytest.fixture
def fake_host(make_host: HostFactory, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    host = make_host()
    monkeypatch.setattr(host_module, "Host", lambda: host)
    return host


def host_state(host: FakeHost) -> Any:
    files = {p: Path(p).read_bytes() if Path(p).exists() else None for p in (CONFIG, PROXY_CONFIG)}
    system = host.system
    running = {name for name, on in system.active.items() if on}
    enabled = {name for name, on in system.enabled.items() if on}
    return files, dict(system.packages), running, enabled


@pytest.mark.real_processes
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_both_parsers_print_the_same_interrupted_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signum: int,
) -> None:
    """``configure --config X`` (the fast path) and ``--config=X`` (Typer), a signal mid-write."""
    from installer import configure as configure_module

    original = "site: ddog-gov.com\n"
    config = tmp_path / "datadog.yaml"
    real_write = configure_module.atomic_write

    def write_then_signal(*args: Any, **kwargs: Any) -> None:
        real_write(*args, **kwargs)
        os.kill(os.getpid(), signum)  # arrives while the step writes: taken after it

    monkeypatch.setattr(configure_module, "atomic_write", write_then_signal)
    outputs = []
    for spelling in (["--config", str(config)], [f"--config={config!s}"]):
        assert (fastpath.parse(["configure", *spelling]) is None) == ("=" in spelling[0])
        config.write_text(original)
        outputs.append((*run(capsys, "configure", *spelling, "--json"), config.read_text()))
    assert outputs[0] == outputs[1]
    status, out, err, after = outputs[0]
    doc = json.loads(out)
    assert status == 128 + signum and err == ""
    assert doc["interrupted"] is True and doc["failed"] is True and doc["changed"] is False
    assert doc["msg"].endswith("the earlier steps were undone, the host is as it was")
    assert after == original


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_enable_undoes_it_with_one_document(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str], signum: int
) -> None:
    before = host_state(fake_host)
    fake_host.system.on(
        "systemctl", "start", "datadog-fips-proxy", call=lambda a: os.kill(os.getpid(), signum)
    )
    status, doc = run_json(capsys, "enable", *CONFIG_OPTION)
    assert status == 128 + signum, doc
    assert doc["failed"] is True and doc["interrupted"] is True and doc["changed"] is False
    assert doc["error"] == "interrupted" and doc["signal"] == signal.Signals(signum).name
    assert doc["msg"].startswith(f"interrupted by {signal.Signals(signum).name} during: start")
    assert doc["msg"].endswith("the host is as it was")
    assert doc["undone"] == [
        "start datadog-fips-proxy",
        "create the proxy configuration from its example (dd-agent:dd-agent, 640)",
        "install datadog-fips-proxy with apt (refreshing only the Datadog repository)",
    ]
    assert host_state(fake_host) == before
    assert signal.getsignal(signum) in (signal.default_int_handler, signal.SIG_DFL)


def test_a_signal_before_any_change_says_nothing_changed(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_host.system.on("dpkg-query", call=lambda a: os.kill(os.getpid(), signal.SIGINT))
    status, doc = run_json(capsys, "enable", *CONFIG_OPTION)
    assert status == 130
    assert doc["interrupted"] is True and doc["msg"] == "interrupted by SIGINT; nothing was changed"
    assert not Path(PROXY_CONFIG).exists()


def test_an_unexpected_error_is_one_document_and_exit_1(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise ZeroDivisionError(f"api_key: {API_KEY}")

    monkeypatch.setattr(status_module, "_proxy_config", broken)
    status, doc = run_json(capsys, "status", *CONFIG_OPTION)
    assert status == 1
    assert doc["failed"] is True and doc["error"] == "internal"
    assert doc["exception"] == "ZeroDivisionError"
    assert "ZeroDivisionError" in doc["msg"] and API_KEY not in json.dumps(doc)
    status, out, err = run(capsys, "status", *CONFIG_OPTION)
    assert status == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    status, out, err = run(capsys, "--debug", "status", *CONFIG_OPTION)
    assert status == 1 and "Traceback (most recent call last)" in err
    assert API_KEY not in err


def test_debug_is_a_global_option_of_both_parsers(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from installer.cli import app

    group = typer.main.get_command(app.app)
    assert "--debug" in [name for param in group.params for name in param.opts]
    assert fastpath.parse(["status", "--debug"]) is None  # main takes it out first


def test_a_second_run_is_refused_naming_the_first(
    fake_host: FakeHost,
    capsys: pytest.CaptureFixture[str],
    fs: FakeFilesystem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pyfakefs has no flock: the lock itself is tested on the real disk in test_journal.py
    class Held(journal_module.RunLock):
        def acquire(self) -> None:
            Path(self.path).write_text("4242\n")
            raise journal_module.PreconditionError(
                "another fips-setup run (pid 4242) is changing this host; wait for it to"
                " finish, then run again; nothing was changed"
            )

    fs.create_dir("/var/lib/fips-setup", perm_bits=0o700)
    monkeypatch.setattr(journal_module, "RunLock", Held)
    status, _, err = run(capsys, "enable", *CONFIG_OPTION)
    assert status == 1 and err.count("\n") == 1 and "(pid 4242)" in err
    assert fake_host.system.changing_commands() == []


def test_rollback_on_the_command_line(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    before = host_state(fake_host)
    assert run_json(capsys, "enable", *CONFIG_OPTION)[0] == 0
    status, doc = run_json(capsys, "rollback", "--dry-run")
    assert (status, doc["changed"], doc["dry_run"]) == (0, True, True)
    assert host_state(fake_host) != before
    status, doc = run_json(capsys, "rollback")
    assert (status, doc["changed"]) == (0, True), doc["msg"]
    assert doc["checkpoint"]["command"] == "enable"
    assert host_state(fake_host) == before
    assert run_json(capsys, "rollback")[1]["changed"] is False


def test_status_as_a_user_who_cannot_read_the_environment_file(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str], fs: FakeFilesystem
) -> None:
    fs.create_file("/etc/datadog-agent/environment", contents="DD_FIPS_HTTPS=false\n")
    os.chmod("/etc/datadog-agent/environment", 0o000)
    fs.is_windows_fs = False
    os.setuid = os.setuid
    from pyfakefs.helpers import set_uid

    set_uid(1000)
    try:
        status, doc = run_json(capsys, "status", *CONFIG_OPTION)
    finally:
        set_uid(0)
    assert status == 0
    assert any(
        "could not read the Agent's overrides: /etc/datadog-agent/environment" in problem
        for problem in doc["problems"]
    )
