"""The file writer and reader: atomic, owner and mode kept, links only when root's, nothing left behind."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer import asuser
from installer.errors import FileAccessError
from installer.files import (
    FileIdentity,
    NewFile,
    Ownership,
    atomic_write,
    make_folder,
    ownership_of,
    read_bytes,
    read_tail,
    remove,
    remove_created,
    scratch_copy,
    write_file,
)
from tests.fakes import AccountSwitchSpy, folders_like_a_host

# A string, made into a Path inside each test: on Python 3.9 a Path created
# before pyfakefs starts keeps using the real file system.
CONFIG_PATH = "/etc/datadog-agent/datadog.yaml"
AGENT_UID, AGENT_GID = 4001, 4002  # no such user here: messages show the number


def make_config(fs: FakeFilesystem, text: str = "site: x\n", *, agent_folder: bool = False) -> None:
    """datadog.yaml (dd-agent, 640); with ``agent_folder``, its folder dd-agent's as packages make it."""
    fs.create_file(Path(CONFIG_PATH), contents=text, st_mode=stat.S_IFREG | 0o640)
    os.chown(Path(CONFIG_PATH), AGENT_UID, AGENT_GID)
    folders_like_a_host()
    if agent_folder:
        os.chown(Path(CONFIG_PATH).parent, AGENT_UID, AGENT_GID)


@pytest.fixture
def switch(monkeypatch: pytest.MonkeyPatch) -> AccountSwitchSpy:
    spy = AccountSwitchSpy()
    monkeypatch.setattr(asuser, "run_as", spy)
    return spy


def test_replaces_contents_and_keeps_owner_group_and_mode(fs: FakeFilesystem) -> None:
    make_config(fs)
    atomic_write(Path(CONFIG_PATH), b"site: ddog-gov.com\n", expect=b"site: x\n")
    assert Path(CONFIG_PATH).read_bytes() == b"site: ddog-gov.com\n"
    assert ownership_of(Path(CONFIG_PATH)) == Ownership(AGENT_UID, AGENT_GID, 0o640)
    assert os.listdir(Path(CONFIG_PATH).parent) == ["datadog.yaml"]


def test_in_a_folder_a_user_owns_the_write_is_done_as_that_user(
    fs: FakeFilesystem, switch: AccountSwitchSpy
) -> None:
    make_config(fs, agent_folder=True)
    atomic_write(Path(CONFIG_PATH), b"new\n", expect=b"site: x\n")
    assert switch.uids == [AGENT_UID]
    assert Path(CONFIG_PATH).read_bytes() == b"new\n"
    assert ownership_of(Path(CONFIG_PATH)) == Ownership(AGENT_UID, AGENT_GID, 0o640)


def test_in_a_folder_root_owns_root_writes_itself(
    fs: FakeFilesystem, switch: AccountSwitchSpy
) -> None:
    make_config(fs)
    atomic_write(Path(CONFIG_PATH), b"new\n")
    assert switch.uids == []


def test_a_root_owned_symlink_in_root_folders_is_followed_and_stays_a_link(
    fs: FakeFilesystem,
) -> None:
    target = Path("/srv/config/datadog.yaml")
    fs.create_file(target, contents="a: 1\n", st_mode=stat.S_IFREG | 0o600)
    fs.create_symlink(Path(CONFIG_PATH), target)
    folders_like_a_host()
    atomic_write(Path(CONFIG_PATH), b"a: 2\n")
    assert Path(CONFIG_PATH).is_symlink()
    assert os.readlink(Path(CONFIG_PATH)) == str(target)
    assert target.read_bytes() == b"a: 2\n"
    assert read_bytes(Path(CONFIG_PATH)) == b"a: 2\n"
    assert sorted(os.listdir(target.parent)) == ["datadog.yaml"]


def plant_link(fs: FakeFilesystem, *, link_owner: int, folder_owner: int) -> Path:
    """A root-only file, and CONFIG_PATH made a link to it."""
    victim = Path("/root/secret")
    fs.create_file(victim, contents="root only\n", st_mode=stat.S_IFREG | 0o600)
    fs.create_symlink(Path(CONFIG_PATH), victim)
    folders_like_a_host()
    os.chown(Path(CONFIG_PATH), link_owner, link_owner, follow_symlinks=False)
    os.chown(Path(CONFIG_PATH).parent, folder_owner, folder_owner)
    return victim


@pytest.mark.parametrize(
    ("link_owner", "folder_owner", "reason"),
    [
        (AGENT_UID, 0, "the link is owned by uid 4001"),
        (0, AGENT_UID, "the folder /etc/datadog-agent is owned by uid 4001"),
    ],
)
def test_a_link_someone_else_controls_is_never_followed(
    fs: FakeFilesystem, link_owner: int, folder_owner: int, reason: str
) -> None:
    victim = plant_link(fs, link_owner=link_owner, folder_owner=folder_owner)
    for action in (
        lambda: atomic_write(Path(CONFIG_PATH), b"pwned\n"),
        lambda: read_bytes(Path(CONFIG_PATH)),
        lambda: ownership_of(Path(CONFIG_PATH)),
    ):
        with pytest.raises(FileAccessError) as caught:
            action()
        message = str(caught.value)
        assert message.startswith(
            f"{CONFIG_PATH}: refusing to follow the symbolic link {CONFIG_PATH}: {reason};"
        )
        assert "\n" not in message
    assert victim.read_bytes() == b"root only\n"
    assert ownership_of(victim) == Ownership(0, 0, 0o600)
    assert Path(CONFIG_PATH).is_symlink()


def test_a_link_into_a_folder_a_user_controls_is_not_followed(fs: FakeFilesystem) -> None:
    fs.create_file("/home/alice/datadog.yaml", contents="a: 1\n")
    fs.create_symlink(Path(CONFIG_PATH), "/home/alice/datadog.yaml")
    folders_like_a_host()
    os.chown("/home/alice", 4003, 4003)
    with pytest.raises(FileAccessError, match="it leads into /home/alice, owned by uid 4003"):
        atomic_write(Path(CONFIG_PATH), b"b: 2\n")
    assert Path("/home/alice/datadog.yaml").read_bytes() == b"a: 1\n"


def test_a_group_writable_folder_on_the_way_makes_a_link_untrusted(fs: FakeFilesystem) -> None:
    victim = plant_link(fs, link_owner=0, folder_owner=0)
    os.chmod("/etc", 0o775)
    with pytest.raises(FileAccessError, match="the folder /etc is writable by its group"):
        atomic_write(Path(CONFIG_PATH), b"x\n")
    assert victim.read_bytes() == b"root only\n"


def test_a_dangling_link_is_never_a_file_to_create(fs: FakeFilesystem) -> None:
    fs.create_dir("/etc/cron.d")
    fs.create_symlink(Path(CONFIG_PATH), "/etc/cron.d/evil")
    folders_like_a_host()
    with pytest.raises(FileAccessError) as caught:
        atomic_write(Path(CONFIG_PATH), b"* * * * * root sh\n", new_file=Ownership(0, 0, 0o644))
    assert str(caught.value).startswith(
        f"{CONFIG_PATH}: cannot write: it is a symbolic link ({CONFIG_PATH}) to"
        " /etc/cron.d/evil, which does not exist; fips-setup never creates a file through a link"
    )
    assert os.listdir("/etc/cron.d") == []


def test_a_new_file_gets_the_requested_owner_and_mode(fs: FakeFilesystem) -> None:
    path = Path("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg")
    fs.create_dir(path.parent)
    atomic_write(path, b"global\n", new_file=Ownership(AGENT_UID, AGENT_GID, 0o640))
    assert ownership_of(path) == Ownership(AGENT_UID, AGENT_GID, 0o640)


def test_a_new_file_is_private_by_default(fs: FakeFilesystem) -> None:
    fs.create_dir("/srv")
    atomic_write(Path("/srv/new"), b"x")
    assert ownership_of(Path("/srv/new")) == Ownership(os.geteuid(), os.getegid(), 0o600)


def test_the_temporary_file_is_never_more_open_than_the_target(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_config(fs)
    seen: list[int] = []
    real_replace = os.replace

    def spy(source: str, destination: str, **dir_fds: int) -> None:
        seen.append(stat.S_IMODE(os.stat(source, dir_fd=dir_fds["src_dir_fd"]).st_mode))
        real_replace(source, destination, **dir_fds)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(Path(CONFIG_PATH), b"new\n")
    assert seen == [0o640]


def test_disk_full_leaves_the_file_and_folder_as_they_were(fs: FakeFilesystem) -> None:
    make_config(fs, "site: x\n")
    fs.set_disk_usage(len("site: x\n") + 10)
    with pytest.raises(FileAccessError, match="no space left"):
        atomic_write(Path(CONFIG_PATH), b"x" * 100)
    assert Path(CONFIG_PATH).read_bytes() == b"site: x\n"
    assert os.listdir(Path(CONFIG_PATH).parent) == ["datadog.yaml"]


def test_a_failed_rename_removes_the_temporary_file(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_config(fs)

    def fail(source: str, destination: str, **dir_fds: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(FileAccessError, match="read-only"):
        atomic_write(Path(CONFIG_PATH), b"new\n")
    assert os.listdir(Path(CONFIG_PATH).parent) == ["datadog.yaml"]
    assert Path(CONFIG_PATH).read_bytes() == b"site: x\n"


def test_a_file_changed_meanwhile_is_not_overwritten(fs: FakeFilesystem) -> None:
    make_config(fs, "site: edited by someone else\n")
    with pytest.raises(FileAccessError, match="changed by something else"):
        atomic_write(Path(CONFIG_PATH), b"mine\n", expect=b"site: x\n")
    assert Path(CONFIG_PATH).read_bytes() == b"site: edited by someone else\n"
    assert os.listdir(Path(CONFIG_PATH).parent) == ["datadog.yaml"]


def test_a_hard_linked_file_in_a_folder_a_user_controls_is_refused(fs: FakeFilesystem) -> None:
    fs.create_file("/etc/shadow", contents="root:x:\n", st_mode=stat.S_IFREG | 0o640)
    fs.create_dir(Path(CONFIG_PATH).parent)
    os.link("/etc/shadow", CONFIG_PATH)
    folders_like_a_host()
    os.chown(Path(CONFIG_PATH).parent, AGENT_UID, AGENT_GID)
    with pytest.raises(
        FileAccessError, match="it has 2 hard links in a folder uid 4001 can change"
    ):
        read_bytes(Path(CONFIG_PATH))
    with pytest.raises(FileAccessError, match="2 hard links"):
        atomic_write(Path(CONFIG_PATH), b"x\n")
    assert Path("/etc/shadow").read_bytes() == b"root:x:\n"


@pytest.mark.parametrize(
    ("setup", "reason"),
    [("missing", "no such file"), ("folder", "is a folder, not a file")],
)
def test_read_errors_are_one_line(fs: FakeFilesystem, setup: str, reason: str) -> None:
    if setup == "folder":
        fs.create_dir(Path(CONFIG_PATH))
    else:
        fs.create_dir(Path(CONFIG_PATH).parent)
    with pytest.raises(FileAccessError) as caught:
        read_bytes(Path(CONFIG_PATH))
    assert str(caught.value) == f"{Path(CONFIG_PATH)}: cannot read: {reason}"


def test_a_missing_folder_on_the_way_is_named(fs: FakeFilesystem) -> None:
    fs.create_dir("/etc")
    with pytest.raises(FileAccessError) as caught:
        read_bytes(Path(CONFIG_PATH))
    assert str(caught.value) == (
        f"{CONFIG_PATH}: cannot reach it: the folder /etc/datadog-agent does not exist"
    )


def test_read_tail_reads_the_end_of_a_regular_file(fs: FakeFilesystem) -> None:
    fs.create_file("/var/log/x.log", contents="0123456789")
    assert read_tail(Path("/var/log/x.log"), 4) == b"6789"
    assert read_tail(Path("/var/log/x.log"), 100) == b"0123456789"


def test_read_tail_follows_no_link_the_logs_owner_planted(fs: FakeFilesystem) -> None:
    fs.create_file("/etc/shadow", contents="root:secret")
    fs.create_dir("/var/log/datadog")
    folders_like_a_host()
    os.chown("/var/log/datadog", 998, 998)  # the Agent's log folder is dd-agent's
    fs.create_symlink("/var/log/datadog/agent.log", "/etc/shadow")
    os.chown("/var/log/datadog/agent.log", 998, 998, follow_symlinks=False)
    with pytest.raises(FileAccessError, match=r"refusing to follow the symbolic link"):
        read_tail(Path("/var/log/datadog/agent.log"), 100)


@pytest.mark.real_processes  # a FIFO needs the real file system
def test_read_tail_does_not_wait_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "agent.log"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError, match="not a regular file"):
        read_tail(fifo, 100)


def test_scratch_copy_is_beside_the_file_and_removed(fs: FakeFilesystem) -> None:
    make_config(fs)
    owner = Ownership(998, 997, 0o640)
    with scratch_copy(Path(CONFIG_PATH), b"new", owner) as temp:
        assert temp.parent == Path(CONFIG_PATH).parent and temp.read_bytes() == b"new"
        assert ownership_of(temp) == owner
    assert not temp.exists()
    assert sorted(os.listdir(Path(CONFIG_PATH).parent)) == ["datadog.yaml"]


def test_make_folder_sets_owner_and_mode_and_keeps_an_existing_one(fs: FakeFilesystem) -> None:
    fs.create_dir("/etc/datadog-agent/conf.d")
    folder = Path("/etc/datadog-agent/conf.d/fips_proxy.d")
    assert make_folder(folder, Ownership(998, 997, 0o755)) is True
    assert ownership_of(folder) == Ownership(998, 997, 0o755)
    assert make_folder(folder, Ownership(0, 0, 0o700)) is False
    assert ownership_of(folder) == Ownership(998, 997, 0o755)
    fs.create_symlink("/etc/datadog-agent/conf.d/link.d", "/tmp")
    with pytest.raises(FileAccessError, match="exists and is not a folder"):
        make_folder(Path("/etc/datadog-agent/conf.d/link.d"), Ownership(0, 0, 0o755))


def test_remove(fs: FakeFilesystem) -> None:
    fs.create_file("/a/b.txt")
    remove(Path("/a/b.txt"))
    remove(Path("/a/b.txt"))  # absent is fine
    remove(Path("/a"))
    assert not Path("/a").exists()


def test_reads_stop_at_the_limit(fs: FakeFilesystem) -> None:
    make_config(fs, "x" * 11)
    assert read_bytes(Path(CONFIG_PATH), limit=11) == b"x" * 11
    with pytest.raises(FileAccessError) as caught:
        read_bytes(Path(CONFIG_PATH), limit=10)
    assert str(caught.value) == (
        f"{CONFIG_PATH}: cannot read: it is 11 bytes; fips-setup reads files of at most 0 MiB:"
        " is it the right file?"
    )


def test_a_16_mib_file_is_read_and_a_larger_one_refused(fs: FakeFilesystem) -> None:
    fs.create_file("/srv/big.yaml", st_size=16 * 1024 * 1024 + 1)
    fs.create_file("/srv/fits.yaml", contents="a" * (16 * 1024 * 1024))
    with pytest.raises(
        FileAccessError, match="it is 16777217 bytes; fips-setup reads files of at most 16 MiB"
    ):
        read_bytes(Path("/srv/big.yaml"))
    assert len(read_bytes(Path("/srv/fits.yaml"))) == 16 * 1024 * 1024


def test_a_created_file_is_removed_by_its_undo(fs: FakeFilesystem) -> None:
    fs.create_dir("/etc/datadog-agent")
    created = NewFile(Path(CONFIG_PATH), b"api_key: x\n", Ownership(AGENT_UID, AGENT_GID, 0o640))
    created.create()
    assert ownership_of(Path(CONFIG_PATH)) == Ownership(AGENT_UID, AGENT_GID, 0o640)
    created.remove()
    assert not Path(CONFIG_PATH).exists()
    created.remove()  # twice: nothing left to do


def test_an_undo_removes_the_file_it_created_never_a_link_put_in_its_place(
    fs: FakeFilesystem,
) -> None:
    fs.create_file("/etc/passwd", contents="root:x:0:0\n")
    fs.create_dir("/etc/datadog-agent")
    folders_like_a_host()
    identity = write_file(Path(CONFIG_PATH), b"a: 1\n", new_file=Ownership(0, 0, 0o640))
    os.unlink(CONFIG_PATH)
    os.symlink("/etc/passwd", CONFIG_PATH)
    with pytest.raises(FileAccessError) as caught:
        remove_created(Path(CONFIG_PATH), identity)
    assert str(caught.value).startswith(
        f"{CONFIG_PATH}: not removed: it is no longer the file fips-setup created (now a"
        " symbolic link owned by root)"
    )
    assert Path(CONFIG_PATH).is_symlink()
    assert Path("/etc/passwd").read_bytes() == b"root:x:0:0\n"


def test_an_undo_leaves_another_file_in_its_place_alone(fs: FakeFilesystem) -> None:
    fs.create_dir("/etc/datadog-agent")
    identity = write_file(Path(CONFIG_PATH), b"a: 1\n")
    atomic_write(Path(CONFIG_PATH), b"someone else's\n")  # a new file (inode) in its place
    with pytest.raises(FileAccessError, match="no longer the file fips-setup created"):
        remove_created(Path(CONFIG_PATH), identity)
    assert Path(CONFIG_PATH).read_bytes() == b"someone else's\n"
    assert remove_created(Path("/etc/datadog-agent/gone"), FileIdentity(1, 2)) is False


def test_a_file_replaced_right_after_the_write_is_reported(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_config(fs)
    real_replace = os.replace

    def replace_then_swap(source: str, destination: str, **dir_fds: int) -> None:
        real_replace(source, destination, **dir_fds)
        os.unlink(CONFIG_PATH)
        Path(CONFIG_PATH).write_bytes(b"someone else's\n")

    monkeypatch.setattr(os, "replace", replace_then_swap)
    with pytest.raises(
        FileAccessError, match="something replaced it right after fips-setup wrote it"
    ):
        atomic_write(Path(CONFIG_PATH), b"new\n")


def test_a_file_removed_since_it_was_read_is_not_created_again(fs: FakeFilesystem) -> None:
    fs.create_dir(Path(CONFIG_PATH).parent)
    with pytest.raises(FileAccessError, match="changed by something else"):
        atomic_write(Path(CONFIG_PATH), b"mine\n", expect=b"site: x\n")
    assert os.listdir(Path(CONFIG_PATH).parent) == []


def test_remove_takes_away_a_link_never_its_target(fs: FakeFilesystem) -> None:
    fs.create_file("/etc/shadow", contents="root:secret")
    fs.create_dir("/etc/datadog-agent/conf.d/fips_proxy.d")
    folders_like_a_host()
    fs.create_symlink("/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml", "/etc/shadow")
    remove(Path("/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml"))
    assert not os.path.lexists("/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml")
    assert Path("/etc/shadow").read_text() == "root:secret"
