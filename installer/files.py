"""The one door through which fips-setup reads, writes and removes files.

Every path is resolved by :mod:`installer.pathwalk` (folder by folder, links
followed only when root alone controls them), and every call after that is
made relative to the open folder, never by a name someone else could swap.

Reads take regular files only, up to :data:`MAX_READ` bytes: a FIFO, a
device, a socket or a folder is a one-line error, never a hang.

Writes are atomic: a new temporary file in the target's folder (``O_EXCL``,
``O_NOFOLLOW``, mode 600), written and flushed, given the target's owner,
group, mode and SELinux label on its open descriptor, then renamed over the
target, and the folder flushed. In a folder a non-root user owns, the steps
that use names run as that user (:mod:`installer.asuser`); root only sets
owner, mode and label on the descriptor. A symlink to the target stays a
link; a dangling link is never a file to create.
"""

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Optional

from installer.errors import FileAccessError
from installer.pathwalk import FolderMissing, Located, locate, owner_name

#: The most fips-setup reads of any file (DESIGN section 8).
MAX_READ = 16 * 1024 * 1024
_SELINUX_XATTR = "security.selinux"
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1 << 20
#: Hands an open descriptor to the root side (see installer.asuser).
HandOver = Callable[[int], None]


class Ownership(NamedTuple):
    """Owner, group and permission bits for a file."""

    uid: int
    gid: int
    mode: int


class FileIdentity(NamedTuple):
    """Which file (device and inode) a write produced: what an undo may remove."""

    device: int
    inode: int


def read_bytes(path: Path, *, limit: int = MAX_READ) -> bytes:
    """The contents of the regular file ``path`` (at most ``limit`` bytes).

    Raises FileAccessError with a one-line reason: missing, not a regular
    file, too large, an untrusted link on the way, no permission.
    """
    with locate(path) as where:
        if where.entry is None:
            if where.link is not None:
                raise FileAccessError(
                    f"{path}: cannot read: it is a symbolic link ({where.link}) to"
                    f" {where.path}, which does not exist"
                )
            raise FileAccessError(f"{path}: cannot read: no such file")
        _require_regular(path, where.entry, "read")
        fd = _open_existing(where, path, "read")
        try:
            info = os.fstat(fd)
            if info.st_size > limit:
                raise _too_large(path, info.st_size, limit)
            return _read_at_most(fd, path, limit)
        except OSError as exc:
            raise _access_error(path, exc, "read") from None
        finally:
            os.close(fd)


def read_text(path: Path, *, limit: int = MAX_READ) -> str:
    """:func:`read_bytes` decoded as UTF-8, undecodable bytes replaced (for line-based files)."""
    return read_bytes(path, limit=limit).decode("utf-8", errors="replace")


def ownership_of(path: Path) -> Optional[Ownership]:
    """The owner, group and mode of ``path`` (through trusted links), or None if absent.

    Raises FileAccessError for an untrusted link or an unreachable folder.
    """
    try:
        with locate(path) as where:
            entry = where.entry
    except FolderMissing:
        return None
    if entry is None:
        return None
    return Ownership(entry.st_uid, entry.st_gid, stat.S_IMODE(entry.st_mode))


def atomic_write(
    path: Path,
    data: bytes,
    *,
    expect: Optional[bytes] = None,
    new_file: Optional[Ownership] = None,
) -> None:
    """Replace the file at ``path`` (or its trusted symlink's target) with ``data``.

    ``expect``: the contents the caller read; if the file no longer holds
    them, nothing is written (someone else edited it meanwhile). ``new_file``:
    owner and mode when the file does not exist yet (default: ours, 600).
    Raises FileAccessError; on any failure the original file is untouched
    and no temporary file is left behind.
    """
    write_file(path, data, expect=expect, new_file=new_file)


def write_file(
    path: Path,
    data: bytes,
    *,
    expect: Optional[bytes] = None,
    new_file: Optional[Ownership] = None,
) -> FileIdentity:
    """:func:`atomic_write`, returning which file it wrote (for :func:`remove_created`)."""
    with locate(path) as where:
        if where.entry is None and where.link is not None:
            raise FileAccessError(
                f"{path}: cannot write: it is a symbolic link ({where.link}) to {where.path},"
                " which does not exist; fips-setup never creates a file through a link:"
                " remove the link, or create the file first"
            )
        if where.entry is None and expect is not None:
            raise _edited_meanwhile(path)  # removed (or renamed away) since it was read
        label: Optional[bytes] = None
        if where.entry is not None:
            _require_regular(path, where.entry, "write")
            wanted, label = _current(where, path)
        else:
            wanted = new_file or Ownership(os.geteuid(), os.getegid(), 0o600)
        temp = f".{where.name}.{os.urandom(6).hex()}.tmp"
        written: list[FileIdentity] = []

        def user_work(hand_over: HandOver) -> None:
            fd = os.open(temp, _CREATE_FLAGS, 0o600, dir_fd=where.folder)
            try:
                _write_all(fd, data)
                os.fsync(fd)
                hand_over(fd)
                ours = os.fstat(fd)
                try:
                    now = os.stat(temp, dir_fd=where.folder, follow_symlinks=False)
                    if not _same_regular_file(now, (ours.st_dev, ours.st_ino)):
                        raise FileNotFoundError()  # renaming it would move someone's file in
                    os.replace(temp, where.name, src_dir_fd=where.folder, dst_dir_fd=where.folder)
                except FileNotFoundError:
                    raise FileAccessError(
                        f"{path}: cannot write: its temporary file was replaced by something"
                        " else while fips-setup wrote it; nothing was written"
                    ) from None
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp, dir_fd=where.folder)
                raise
            finally:
                os.close(fd)

        def root_work(fd: int) -> None:
            _own(fd, wanted, label)
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size != len(data):
                raise FileAccessError(
                    f"{path}: cannot write: its temporary file was changed by something else"
                    " while fips-setup wrote it; nothing was written"
                )
            written.append(FileIdentity(info.st_dev, info.st_ino))
            if expect is not None:
                _check_unchanged(where, path, expect)

        _as_folder_owner(where, path, "write", user_work, root_work, leftover=temp)
        _fsync(where.folder)
        _check_in_place(where, path, written[0])
        return written[0]


def remove_created(path: Path, identity: FileIdentity) -> bool:
    """Remove the file a write created, if ``path`` is still that file (not a link put there).

    Returns False when it is gone already. Raises FileAccessError when
    something else is there now (left in place) or it cannot be removed.
    """
    with locate(path, follow_final=False) as where:
        entry = where.entry
        if entry is None:
            return False
        _require_same(path, entry, identity)

        def user_work(hand_over: HandOver) -> None:
            now = os.stat(where.name, dir_fd=where.folder, follow_symlinks=False)
            _require_same(path, now, identity)
            os.unlink(where.name, dir_fd=where.folder)

        _as_folder_owner(where, path, "remove", user_work, lambda fd: None)
        _fsync(where.folder)
        return True


class NewFile:
    """A file a step creates, and its undo: removing that very file, never what replaced it."""

    def __init__(self, path: Path, data: bytes, ownership: Ownership) -> None:
        self.path = path
        self.data = data
        self.ownership = ownership
        self.identity: Optional[FileIdentity] = None

    def create(self) -> None:
        """Write the file (atomically, with its ownership). Raises FileAccessError."""
        self.identity = write_file(self.path, self.data, new_file=self.ownership)

    def remove(self) -> None:
        """Remove the file :meth:`create` wrote, if it is still there. Raises FileAccessError."""
        if self.identity is not None:
            remove_created(self.path, self.identity)
            self.identity = None


def _as_folder_owner(
    where: Located,
    path: Path,
    action: str,
    user_work: Callable[[HandOver], None],
    root_work: HandOver,
    leftover: Optional[str] = None,
) -> None:
    """Run ``user_work`` as the folder's owner when root and the owner is not root.

    ``leftover``: a temporary name to remove if the work stops half-way.
    """
    owner = where.folder_stat.st_uid
    try:
        if os.geteuid() == 0 and owner != 0:
            from installer import asuser  # with socket: only where a user owns the folder

            account = asuser.account_of(owner, where.folder_stat.st_gid)
            asuser.run_as(account, user_work, root_work)
        else:
            user_work(root_work)
    except BaseException as exc:
        if leftover is not None:  # a child stopped before its own clean-up
            with contextlib.suppress(OSError):
                os.unlink(leftover, dir_fd=where.folder)
        if isinstance(exc, OSError):
            raise _access_error(path, exc, action) from None
        raise


def _own(fd: int, wanted: Ownership, label: Optional[bytes]) -> None:
    """Owner, group, mode and SELinux label of an open file, by descriptor only."""
    info = os.fstat(fd)
    if (info.st_uid, info.st_gid) != (wanted.uid, wanted.gid):
        os.chown(fd, wanted.uid, wanted.gid)
    os.chmod(fd, wanted.mode)  # after chown, which may clear set-id bits
    if label is not None:
        with contextlib.suppress(OSError, AttributeError):
            os.setxattr(fd, _SELINUX_XATTR, label)


def _current(where: Located, path: Path) -> tuple[Ownership, Optional[bytes]]:
    """The owner, mode and label of the file being replaced, read through its descriptor."""
    fd = _open_existing(where, path, "write")
    try:
        info = os.fstat(fd)
        label: Optional[bytes] = None
        with contextlib.suppress(OSError, AttributeError):
            label = os.getxattr(fd, _SELINUX_XATTR)
    finally:
        os.close(fd)
    return Ownership(info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)), label


def _open_existing(where: Located, path: Path, action: str) -> int:
    """Open the regular file ``where`` names, read-only, checking it is the one looked at.

    In a folder others control, a file with other hard links is refused: it
    may be someone else's file linked in to be read or replaced.
    """
    assert where.entry is not None
    try:
        fd = os.open(where.name, _READ_FLAGS, dir_fd=where.folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOENT):  # replaced or removed since its lstat
            raise _changed(path, action) from None
        raise _access_error(path, exc, action) from None
    info = os.fstat(fd)
    if not _same_regular_file(info, (where.entry.st_dev, where.entry.st_ino)):
        os.close(fd)
        raise _changed(path, action)
    if not where.trusted and info.st_nlink > 1:
        os.close(fd)
        raise FileAccessError(
            f"{path}: cannot {action}: it has {info.st_nlink} hard links in a folder"
            f" {owner_name(where.folder_stat.st_uid)} can change; fips-setup does not"
            " touch such a file as root: copy it to a file of its own"
        )
    return fd


def _check_unchanged(where: Located, path: Path, expect: bytes) -> None:
    try:
        fd = os.open(where.name, _READ_FLAGS, dir_fd=where.folder)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP):  # gone, or a link now
            raise _edited_meanwhile(path) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(expect):
            raise _edited_meanwhile(path)
        try:
            now = _read_at_most(fd, path, len(expect))
        except FileAccessError:  # it grew meanwhile
            now = None
        if now != expect:
            raise _edited_meanwhile(path)
    finally:
        os.close(fd)


def _check_in_place(where: Located, path: Path, written: FileIdentity) -> None:
    try:
        now = os.stat(where.name, dir_fd=where.folder, follow_symlinks=False)
    except OSError:
        now = None
    if now is None or not _same_regular_file(now, written):
        raise FileAccessError(
            f"{path}: something replaced it right after fips-setup wrote it; check the"
            " file (and who else writes that folder) and run again"
        )


def _same_regular_file(info: os.stat_result, identity: tuple[int, int]) -> bool:
    """True when ``info`` is the regular file ``identity`` names.

    The type is checked too: a freed inode number is often given at once to
    what replaces the file (a link, a FIFO).
    """
    return stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == identity


def _require_same(path: Path, entry: os.stat_result, identity: FileIdentity) -> None:
    if not _same_regular_file(entry, identity):
        raise FileAccessError(
            f"{path}: not removed: it is no longer the file fips-setup created (now"
            f" {_kind(entry.st_mode)} owned by {owner_name(entry.st_uid)}); remove it by"
            " hand if it should go"
        )


def _require_regular(path: Path, entry: os.stat_result, action: str) -> None:
    if not stat.S_ISREG(entry.st_mode):
        kind = _kind(entry.st_mode)
        if stat.S_ISDIR(entry.st_mode):
            raise FileAccessError(f"{path}: cannot {action}: is a folder, not a file")
        raise FileAccessError(f"{path}: cannot {action}: is {kind}, not a regular file")


def _kind(mode: int) -> str:
    kinds: list[tuple[Callable[[int], bool], str]] = [
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _read_at_most(fd: int, path: Path, limit: int) -> bytes:
    """Everything ``fd`` holds; FileAccessError when that is more than ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_large(path, None, limit)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync(folder: int) -> None:
    with contextlib.suppress(OSError):
        os.fsync(folder)


def _too_large(path: Path, size: Optional[int], limit: int) -> FileAccessError:
    shown = f"{size} bytes" if size is not None else "larger than that"
    return FileAccessError(
        f"{path}: cannot read: it is {shown}; fips-setup reads files of at most"
        f" {limit // (1024 * 1024)} MiB: is it the right file?"
    )


def _changed(path: Path, action: str) -> FileAccessError:
    return FileAccessError(
        f"{path}: cannot {action}: it changed while fips-setup looked at it; run again"
    )


def _edited_meanwhile(path: Path) -> FileAccessError:
    return FileAccessError(
        f"{path} was changed by something else while fips-setup was editing it;"
        " nothing was written, run the command again"
    )


def _access_error(path: Path, exc: OSError, action: str) -> FileAccessError:
    reasons = {
        errno.ENOENT: "no such file",
        errno.EISDIR: "is a folder, not a file",
        errno.EACCES: "permission denied; run as root (sudo)",
        errno.EPERM: "operation not permitted; run as root (sudo)",
        errno.ENOSPC: "no space left on the device; nothing was changed, free some space",
        errno.EDQUOT: "disk quota exceeded; nothing was changed",
        errno.EROFS: "the file system is read-only",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.ELOOP: "too many levels of symbolic links",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return FileAccessError(f"{path}: cannot {action}: {reason}")


def read_tail(path: Path, limit: int) -> bytes:
    """The last ``limit`` bytes of the regular file ``path`` (a log, however large).

    Found like :func:`read_bytes` (folder by folder, trusted links only) and
    opened without following a link or blocking, so a link or a FIFO put in
    its place (a log folder belongs to its service's user) is refused
    instead of read or waited on. Raises FileAccessError.
    """
    with locate(path) as where:
        if where.entry is None:
            raise FileAccessError(f"{path}: cannot read: no such file")
        _require_regular(path, where.entry, "read")
        fd = _open_existing(where, path, "read")
        try:
            info = os.fstat(fd)
            os.lseek(fd, max(0, info.st_size - limit), os.SEEK_SET)
            return _read_at_most(fd, path, limit + _CHUNK)[-limit:]
        except OSError as exc:
            raise _access_error(path, exc, "read") from None
        finally:
            os.close(fd)


@contextlib.contextmanager
def scratch_copy(beside: Path, data: bytes, ownership: Ownership) -> Iterator[Path]:
    """A new file holding ``data`` in ``beside``'s folder, removed afterwards.

    For checking a new version of a file with a tool before it replaces the
    file (relative paths in it resolve as they would for the real one).
    Written like any other file (:func:`write_file`, never through an
    existing name), with ``ownership``; removed only if it is still that file.
    Raises FileAccessError.
    """
    with locate(beside) as where:
        folder = Path(where.folder_path)
        name = f".{where.name}.{os.urandom(6).hex()}.check"
    scratch = folder / name
    identity = write_file(scratch, data, new_file=ownership)
    try:
        yield scratch
    finally:
        with contextlib.suppress(FileAccessError):
            remove_created(scratch, identity)


def make_folder(path: Path, ownership: Ownership) -> bool:
    """Create the folder ``path`` (its parent must exist) with ``ownership``.

    Returns False when it exists already (left as it is; a link is refused).
    Created relative to its open parent; owner and mode are set on the open
    new folder, after checking it is the one just made. Raises FileAccessError.
    """
    with locate(path, follow_final=False) as where:
        if where.entry is not None:
            if not stat.S_ISDIR(where.entry.st_mode):
                raise FileAccessError(f"{path}: exists and is not a folder")
            return False
        try:
            os.mkdir(where.name, 0o700, dir_fd=where.folder)
            fd = os.open(
                where.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=where.folder
            )
        except OSError as exc:
            raise _access_error(path, exc, "create") from None
        try:
            info = os.fstat(fd)
            if info.st_uid != os.geteuid() or any(os.scandir(fd)):
                raise FileAccessError(
                    f"{path}: something replaced the new folder right after fips-setup made"
                    " it; check who else writes its parent folder and run again"
                )
            _own(fd, ownership, None)
        except OSError as exc:
            raise _access_error(path, exc, "create") from None
        finally:
            os.close(fd)
        _fsync(where.folder)
        return True


def remove(path: Path) -> None:
    """Remove the file, link or empty folder ``path`` itself; absent is fine.

    Never follows a link at ``path`` (the link is removed, not its target);
    in a folder a non-root user owns, removed as that user. Raises FileAccessError.
    """
    try:
        with locate(path, follow_final=False) as where:
            if where.entry is not None:
                _remove_entry(where, path, stat.S_ISDIR(where.entry.st_mode))
    except FolderMissing:
        return


def _remove_entry(where: Located, path: Path, folder: bool) -> None:
    def user_work(hand_over: HandOver) -> None:
        with contextlib.suppress(FileNotFoundError):
            if folder:
                os.rmdir(where.name, dir_fd=where.folder)
            else:
                os.unlink(where.name, dir_fd=where.folder)

    _as_folder_owner(where, path, "remove", user_work, lambda fd: None)
    _fsync(where.folder)
