"""The file writer: atomic, owner and mode kept, links kept, nothing left behind."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.errors import FileAccessError
from installer.files import (
    Ownership,
    atomic_write,
    make_folder,
    ownership_of,
    read_bytes,
    read_tail,
    remove,
    scratch_copy,
)

# A string, made into a Path inside each test: on Python 3.9 a Path created
# before pyfakefs starts keeps using the real file system.
CONFIG_PATH = "/etc/datadog-agent/datadog.yaml"


def make_config(fs: FakeFilesystem, text: str = "site: x\n") -> None:
    fs.create_file(Path(CONFIG_PATH), contents=text, st_mode=stat.S_IFREG | 0o640)
    os.chown(Path(CONFIG_PATH), 998, 997)


def test_replaces_contents_and_keeps_owner_group_and_mode(fs: FakeFilesystem) -> None:
    make_config(fs)
    atomic_write(Path(CONFIG_PATH), b"site: ddog-gov.com\n", expect=b"site: x\n")
    assert Path(CONFIG_PATH).read_bytes() == b"site: ddog-gov.com\n"
    assert ownership_of(Path(CONFIG_PATH)) == Ownership(998, 997, 0o640)
    assert os.listdir(Path(CONFIG_PATH).parent) == ["datadog.yaml"]


def test_a_symlink_stays_a_link_and_its_target_is_written(fs: FakeFilesystem) -> None:
    target = Path("/srv/config/datadog.yaml")
    fs.create_file(target, contents="a: 1\n", st_mode=stat.S_IFREG | 0o600)
    fs.create_symlink(Path(CONFIG_PATH), target)
    atomic_write(Path(CONFIG_PATH), b"a: 2\n")
    assert Path(CONFIG_PATH).is_symlink()
    assert os.readlink(Path(CONFIG_PATH)) == str(target)
    assert target.read_bytes() == b"a: 2\n"
    assert sorted(os.listdir(target.parent)) == ["datadog.yaml"]


def test_a_new_file_gets_the_requested_owner_and_mode(fs: FakeFilesystem) -> None:
    path = Path("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg")
    fs.create_dir(path.parent)
    atomic_write(path, b"global\n", new_file=Ownership(998, 997, 0o640))
    assert ownership_of(path) == Ownership(998, 997, 0o640)


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

    def spy(source: str, destination: str) -> None:
        seen.append(stat.S_IMODE(os.stat(source).st_mode))
        real_replace(source, destination)

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

    def fail(source: str, destination: str) -> None:
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


@pytest.mark.parametrize(
    ("setup", "reason"),
    [("missing", "no such file"), ("folder", "is a folder")],
)
def test_read_errors_are_one_line(fs: FakeFilesystem, setup: str, reason: str) -> None:
    if setup == "folder":
        fs.create_dir(Path(CONFIG_PATH))
    with pytest.raises(FileAccessError) as caught:
        read_bytes(Path(CONFIG_PATH))
    assert str(caught.value) == f"{Path(CONFIG_PATH)}: cannot read: {reason}" + (
        ", not a file" if setup == "folder" else ""
    )


def test_read_tail_reads_the_end_of_a_regular_file(fs: FakeFilesystem) -> None:
    fs.create_file("/var/log/x.log", contents="0123456789")
    assert read_tail(Path("/var/log/x.log"), 4) == b"6789"
    assert read_tail(Path("/var/log/x.log"), 100) == b"0123456789"


def test_read_tail_follows_no_link(fs: FakeFilesystem) -> None:
    fs.create_file("/etc/shadow", contents="root:secret")
    fs.create_symlink("/var/log/x.log", "/etc/shadow")
    with pytest.raises(FileAccessError, match=r"/var/log/x\.log: cannot read"):
        read_tail(Path("/var/log/x.log"), 100)


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
