"""The run journal, the lock and ``rollback`` on fake hosts."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.errors import FipsSetupError
from installer import journal as journal_module
from installer.disable import DisableOptions, disable
from installer.enable import EnableOptions, enable
from installer.errors import PreconditionError
from installer.journal import RunLock, ensure_state_dir, load_checkpoint
from installer.rollback import rollback
from installer.status import status
from tests.fakes import FakeHost
from tests.installer.conftest import API_KEY, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"
PROXY_CONFIG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
STATE = "/var/lib/fips-setup"


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no undo, no journal update."""


def snapshot(host: FakeHost) -> dict[str, Any]:
    return host.snapshot(CONFIG, PROXY_CONFIG)


def run_enable(host: FakeHost, **options: Any) -> Any:
    return enable(host, EnableOptions(config=Path(CONFIG), **options))


def test_rollback_undoes_a_completed_enable(make_host: HostFactory) -> None:
    host = make_host()
    before = snapshot(host)
    run_enable(host)
    assert snapshot(host) != before
    dry = rollback(host, dry_run=True)
    assert dry.changed and [a["status"] for a in dry.actions] == ["planned"] * 5
    assert snapshot(host)["packages"]["datadog-fips-proxy"]
    result = rollback(host, dry_run=False)
    assert result.changed, result.msg
    assert snapshot(host) == before
    again = rollback(host, dry_run=False)
    assert not again.changed and "undone already" in again.msg


def test_rollback_undoes_a_completed_disable(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host)
    enabled = snapshot(host)
    disable(host, DisableOptions(config=Path(CONFIG)))
    assert snapshot(host) != enabled
    rollback(host, dry_run=False)
    assert snapshot(host) == enabled


def test_the_journal_is_root_only_and_backups_are_600(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host)
    folder = Path(STATE)
    for private in (folder, folder / "checkpoint", folder / "checkpoint" / "files"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o700, private
    checkpoint = load_checkpoint(folder)
    assert checkpoint is not None and checkpoint.state == "finished"
    files = sorted((folder / "checkpoint" / "files").iterdir())
    assert files, "datadog.yaml was backed up before it was written"
    for backup in files:
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert API_KEY.encode() in files[0].read_bytes()  # why 600: backups hold the key
    kinds = [e.action.kind for e in checkpoint.entries]
    assert kinds == ["package", "remove-file", "service", "service", "service", "restore-file"]


def test_a_second_identical_run_keeps_the_checkpoint(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host)
    journal = Path(STATE, "checkpoint", "journal.json").read_bytes()
    assert not run_enable(host).changed
    assert Path(STATE, "checkpoint", "journal.json").read_bytes() == journal


def test_a_killed_run_is_reported_and_rolled_back(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = make_host()
    before = snapshot(host)

    def killed(args: Any) -> None:
        raise Killed

    host.system.on("systemctl", "start", "datadog-fips-proxy", call=killed)
    with monkeypatch.context() as patched, pytest.raises(Killed):
        patched.setattr(journal_module.Journal, "finish", lambda self: None)
        run_enable(host)
    host.system.hooks.clear()
    assert snapshot(host) != before  # package installed, config written, proxy started

    report = status(host, Path(CONFIG))
    assert report.details["last_run"]["state"] == "killed"
    assert any("stopped before it finished" in p for p in report.details["problems"])

    result = rollback(host, dry_run=False)
    assert result.changed
    assert snapshot(host) == before
    assert status(host, Path(CONFIG)).details["problems"] == []


def test_the_next_enable_carries_on_a_killed_run_and_rollback_undoes_both(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = make_host()
    before = snapshot(host)
    host.system.on("systemctl", "start", call=lambda args: (_ for _ in ()).throw(Killed()))
    with monkeypatch.context() as patched, pytest.raises(Killed):
        patched.setattr(journal_module.Journal, "finish", lambda self: None)
        run_enable(host)
    host.system.hooks.clear()
    result = run_enable(host)
    assert result.changed
    assert any("stopped before it finished" in w for w in result.warnings)
    checkpoint = load_checkpoint(Path(STATE))
    assert checkpoint is not None and len(checkpoint.header["earlier"]) == 1
    rollback(host, dry_run=False)
    assert snapshot(host) == before


def test_rollback_refuses_to_overwrite_a_later_edit(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host)
    edited = Path(CONFIG).read_text() + "# edited later by hand\n"
    Path(CONFIG).write_text(edited)
    with pytest.raises(PreconditionError, match="changed by something else"):
        rollback(host, dry_run=False)
    assert Path(CONFIG).read_text() == edited
    assert host.system.packages["datadog-fips-proxy"]


def test_nothing_to_roll_back_on_a_fresh_host(make_host: HostFactory) -> None:
    result = rollback(make_host(), dry_run=False)
    assert not result.changed and "no fips-setup run has changed this host" in result.msg


def test_an_unsafe_state_folder_is_refused(fs: FakeFilesystem) -> None:
    fs.create_dir(STATE)
    os.chown(STATE, 1000, 1000)
    with pytest.raises(FipsSetupError, match="not a folder owned by this user"):
        ensure_state_dir(Path(STATE))
    fs.remove_object(STATE)
    fs.create_symlink(STATE, "/tmp")
    with pytest.raises(FipsSetupError, match="not a folder owned by this user"):
        ensure_state_dir(Path(STATE))


def test_a_loose_state_folder_is_tightened(fs: FakeFilesystem) -> None:
    fs.create_dir(STATE, perm_bits=0o755)
    ensure_state_dir(Path(STATE))
    assert stat.S_IMODE(os.stat(STATE).st_mode) == 0o700


@pytest.mark.real_processes
def test_the_lock_refuses_a_second_run_naming_the_first(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path), RunLock(tmp_path)
    first.acquire()
    assert second.held_by_other() == str(os.getpid())
    with pytest.raises(PreconditionError) as caught:
        second.acquire()
    assert str(caught.value) == (
        f"another fips-setup run (pid {os.getpid()}) is changing this host; wait for it to"
        " finish, then run again; nothing was changed"
    )
    first.release()
    assert second.held_by_other() is None
    second.acquire()
    second.release()


def test_a_damaged_journal_is_named(fs: FakeFilesystem) -> None:
    fs.create_file(f"{STATE}/checkpoint/journal.json", contents=json.dumps({"actions": [{}]}))
    with pytest.raises(FipsSetupError, match=r"journal\.json: the journal is damaged"):
        load_checkpoint(Path(STATE))
