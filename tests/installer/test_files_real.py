"""The file door on real files: special files, and a hostile folder owner racing root.

These use real folders under pytest's tmp_path (pyfakefs has no FIFOs,
devices, sockets or processes). The races are deterministic: an "attacker"
wrapped around the ``os`` calls acts between every two of them, as a process
polling the folder could. Tests that fork (the write done as the folder's
owner) are marked ``real_processes`` and need root.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from installer import asuser, files
from installer.errors import FileAccessError
from installer.files import Ownership, atomic_write, read_bytes, remove_created, write_file
from tests.conftest import skip_or_fail
from tests.hostile import SPECIAL

OWNER = 4242  # the folder's owner: no account of that number on the test machine


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail (instead of hanging forever) when the test takes more than 5 s."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError("took more than 5 s: a read blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def as_root() -> None:
    if os.geteuid() != 0:
        skip_or_fail("needs root: it checks what root does in a folder another user owns")


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_only_regular_files_are_read_or_replaced(tmp_path: Path, deadline: None, kind: str) -> None:
    make, reason = SPECIAL[kind]
    path = make(tmp_path)
    with pytest.raises(FileAccessError) as caught:
        read_bytes(path)
    assert str(caught.value).startswith(f"{path}: cannot read: {reason}")
    if kind in ("fifo", "socket", "folder"):
        with pytest.raises(FileAccessError) as caught:
            atomic_write(path, b"x")
        assert str(caught.value) == f"{path}: cannot write: {reason}"


def test_a_fifo_swapped_in_after_the_look_does_not_block(
    tmp_path: Path, deadline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "environment"
    path.write_text("DD_FIPS_ENABLED=true\n")
    real_open = os.open

    def swap_then_open(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if name == "environment" and not flags & os.O_CREAT:
            path.unlink()
            os.mkfifo(path)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap_then_open)
    with pytest.raises(FileAccessError, match="changed while fips-setup looked at it"):
        read_bytes(path)


class Attacker:
    """The folder's owner, acting between two calls fips-setup makes.

    Each time, every temporary file fips-setup made in the folder (a regular
    file named ``.datadog.yaml.*``) is moved away and replaced by a symlink
    to ``victim``: a path-based chown, chmod or write would then reach it.
    """

    def __init__(self, folder: Path, victim: Path, *, only_as_owner: bool) -> None:
        # By descriptor: the owner reaches its folder, but not through pytest's
        # root-only tmp folders, which a real dd-agent would not have to pass.
        self.folder = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        self.victim, self.only_as_owner = victim, only_as_owner
        self.swaps = 0
        self.busy = False

    def act(self) -> None:
        if self.busy or (self.only_as_owner and os.geteuid() == 0):
            return
        self.busy = True
        try:
            for entry in os.scandir(self.folder):
                if entry.name.startswith(".datadog.yaml.") and entry.is_file(follow_symlinks=False):
                    os.rename(
                        entry.name,
                        f"stolen-{self.swaps}",
                        src_dir_fd=self.folder,
                        dst_dir_fd=self.folder,
                    )
                    os.symlink(self.victim, entry.name, dir_fd=self.folder)
                    self.swaps += 1
        except OSError:
            pass
        finally:
            self.busy = False

    def close(self) -> None:
        os.close(self.folder)

    def around(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Act before every file-system call fips-setup could make."""
        names = (
            "write", "fsync", "close", "chown", "chmod", "fchown", "fchmod", "lchown",
            "replace", "rename", "setxattr", "fstat", "stat", "lstat", "unlink",
        )  # fmt: skip
        for name in names:
            real: Callable[..., Any] = getattr(os, name)

            def wrapped(*args: Any, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
                self.act()
                return _real(*args, **kwargs)

            monkeypatch.setattr(os, name, wrapped)


def hostile_folder(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A folder OWNER owns with its datadog.yaml, and a root-only victim file outside."""
    victim = tmp_path / "root-only"
    victim.write_bytes(b"root's secret\n")
    victim.chmod(0o600)
    folder = tmp_path / "datadog-agent"
    folder.mkdir()
    config = folder / "datadog.yaml"
    config.write_bytes(b"site: x\n")
    config.chmod(0o640)
    for path in (folder, config):
        os.chown(path, OWNER, OWNER)
    return folder, config, victim


def assert_untouched(victim: Path) -> None:
    info = victim.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, 0o600)
    assert victim.read_bytes() == b"root's secret\n"


def test_the_chown_race_gives_the_folder_owner_nothing(
    tmp_path: Path, as_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Owner and mode are set on the descriptor: a swapped name never reaches the victim."""
    folder, config, victim = hostile_folder(tmp_path)
    attacker = Attacker(folder, victim, only_as_owner=False)
    attacker.around(monkeypatch)
    with pytest.raises(FileAccessError, match="its temporary file was replaced by something else"):
        atomic_write(config, b"site: ddog-gov.com\n", expect=b"site: x\n")
    monkeypatch.undo()
    attacker.close()
    assert attacker.swaps >= 1
    assert_untouched(victim)
    assert not config.is_symlink() and config.read_bytes() == b"site: x\n"
    stolen = folder / "stolen-0"
    info = stolen.stat()  # what the attacker got: its own file, as the config would be
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (OWNER, 0o640)


@pytest.mark.real_processes
def test_the_race_run_by_the_owner_against_the_forked_writer_gains_nothing(
    tmp_path: Path, as_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, config, victim = hostile_folder(tmp_path)
    attacker = Attacker(folder, victim, only_as_owner=True)  # acts in the child only
    attacker.around(monkeypatch)
    with pytest.raises(FileAccessError, match="its temporary file was replaced by something else"):
        atomic_write(config, b"site: ddog-gov.com\n", expect=b"site: x\n")
    monkeypatch.undo()
    attacker.close()
    assert_untouched(victim)
    assert not config.is_symlink() and config.read_bytes() == b"site: x\n"
    assert (folder / "stolen-0").stat().st_uid == OWNER  # the swap happened, in the child


@pytest.mark.real_processes
def test_in_a_folder_a_user_owns_the_names_are_handled_as_that_user(
    tmp_path: Path, as_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, config, _victim = hostile_folder(tmp_path)
    creators: list[int] = []
    real_own = files._own

    def spy(fd: int, wanted: Ownership, label: Any) -> None:
        creators.append(os.fstat(fd).st_uid)  # the temporary file, before root sets its owner
        real_own(fd, wanted, label)

    monkeypatch.setattr(files, "_own", spy)
    os.chown(config, 0, OWNER)  # root:OWNER 640 in OWNER's folder: kept so
    atomic_write(config, b"site: ddog-gov.com\n", expect=b"site: x\n")
    assert creators == [OWNER]
    assert config.read_bytes() == b"site: ddog-gov.com\n"
    info = config.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, OWNER, 0o640)
    assert sorted(os.listdir(folder)) == ["datadog.yaml"]


@pytest.mark.real_processes
def test_what_the_owner_may_not_do_the_write_does_not_do_either(
    tmp_path: Path, as_root: None
) -> None:
    folder, config, _victim = hostile_folder(tmp_path)
    folder.chmod(0o500)  # the owner took away its own write permission
    with pytest.raises(FileAccessError) as caught:
        atomic_write(config, b"site: ddog-gov.com\n")
    assert str(caught.value) == f"{config}: cannot write: permission denied; run as root (sudo)"
    assert config.read_bytes() == b"site: x\n"


@pytest.mark.real_processes
def test_a_writer_killed_half_way_leaves_nothing_behind(
    tmp_path: Path, as_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, config, _victim = hostile_folder(tmp_path)
    real_fsync = os.fsync

    def die_in_the_child(fd: int) -> None:
        if os.geteuid() != 0:
            os.kill(os.getpid(), signal.SIGKILL)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", die_in_the_child)
    with pytest.raises(FileAccessError, match=f"the helper process writing as uid {OWNER} stopped"):
        atomic_write(config, b"site: ddog-gov.com\n")
    assert config.read_bytes() == b"site: x\n"
    assert sorted(os.listdir(folder)) == ["datadog.yaml"]


@pytest.mark.real_processes
def test_a_root_side_failure_stops_the_child_which_cleans_up(
    tmp_path: Path, as_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, config, _victim = hostile_folder(tmp_path)

    def fail(fd: int, wanted: Ownership, label: Any) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files, "_own", fail)
    with pytest.raises(FileAccessError, match="cannot write: Input/output error"):
        atomic_write(config, b"site: ddog-gov.com\n")
    assert config.read_bytes() == b"site: x\n"
    assert sorted(os.listdir(folder)) == ["datadog.yaml"]


@pytest.mark.real_processes
def test_a_created_file_is_removed_as_the_folder_owner_and_only_if_still_ours(
    tmp_path: Path, as_root: None
) -> None:
    folder, _config, victim = hostile_folder(tmp_path)
    new = folder / "conf.yaml"
    identity = write_file(new, b"a: 1\n", new_file=Ownership(OWNER, OWNER, 0o640))
    assert remove_created(new, identity) is True
    assert not new.exists()
    identity = write_file(new, b"a: 1\n", new_file=Ownership(OWNER, OWNER, 0o640))
    new.unlink()
    new.symlink_to(victim)
    with pytest.raises(FileAccessError, match="no longer the file fips-setup created"):
        remove_created(new, identity)
    assert new.is_symlink()
    assert_untouched(victim)


def test_the_account_of_an_unknown_uid_is_its_number_and_the_folder_group() -> None:
    assert asuser.account_of(OWNER, 4343) == asuser.Account(OWNER, 4343, (4343,), f"uid {OWNER}")
    root = asuser.account_of(0, 4343)
    assert (root.uid, root.gid, root.name) == (0, 0, "root")
