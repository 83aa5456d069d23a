"""The one door through which fips-setup reads and writes files.

Writes are atomic: a temporary file in the same folder (mode 600 until its
final owner and mode are set), fsync, rename over the target, fsync the
folder. The target keeps its owner, group, mode and SELinux label; a symlink
is followed and stays a link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Iterator, NamedTuple, Optional

from installer.errors import FileAccessError

_SELINUX_XATTR = "security.selinux"


class Ownership(NamedTuple):
    """Owner, group and permission bits for a file."""

    uid: int
    gid: int
    mode: int


def read_bytes(path: Path) -> bytes:
    """The contents of ``path``. Raises FileAccessError with a one-line reason."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _access_error(path, exc, "read") from None


def ownership_of(path: Path) -> Optional[Ownership]:
    """The owner, group and mode of ``path`` (following links), or None if absent."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _access_error(path, exc, "read") from None
    return Ownership(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))


def atomic_write(
    path: Path,
    data: bytes,
    *,
    expect: Optional[bytes] = None,
    new_file: Optional[Ownership] = None,
) -> None:
    """Replace the file at ``path`` (or its symlink target) with ``data``.

    ``expect``: the contents the caller read; if the file no longer holds
    them, nothing is written (someone else edited it meanwhile). ``new_file``:
    owner and mode when the file does not exist yet (default: ours, 600).
    Raises FileAccessError; on any failure the original file is untouched
    and no temporary file is left behind.
    """
    target = Path(os.path.realpath(path))
    current = ownership_of(target)
    wanted = current or new_file or Ownership(os.geteuid(), os.getegid(), 0o600)
    label = _selinux_label(target) if current else None
    import tempfile  # with its shutil and random: only commands that write pay for it

    try:
        fd, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise _access_error(target, exc, "write") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # By path: the temporary file is ours, in the target's own folder.
        if (wanted.uid, wanted.gid) != (os.geteuid(), os.getegid()):
            os.chown(temp, wanted.uid, wanted.gid)
        os.chmod(temp, wanted.mode)  # after chown, which may clear set-id bits
        if label is not None:
            with contextlib.suppress(OSError):
                os.setxattr(temp, _SELINUX_XATTR, label)
        if expect is not None and read_bytes(target) != expect:
            raise FileAccessError(
                f"{path} was changed by something else while fips-setup was editing it;"
                " nothing was written, run the command again"
            )
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _access_error(target, exc, "write") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _selinux_label(path: Path) -> Optional[bytes]:
    try:
        return os.getxattr(path, _SELINUX_XATTR)
    except (OSError, AttributeError):
        return None


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    """The last ``limit`` bytes of the regular file ``path`` (a log).

    Opened without following a symlink and without blocking, so a link or
    a FIFO put in its place (a log folder belongs to its service's user)
    is refused instead of read or waited on. Raises FileAccessError.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise _access_error(path, exc, "read") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileAccessError(f"{path}: cannot read: not a regular file")
        os.lseek(fd, max(0, info.st_size - limit), os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)[-limit:]
    except OSError as exc:
        raise _access_error(path, exc, "read") from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def scratch_copy(beside: Path, data: bytes, ownership: Ownership) -> Iterator[Path]:
    """A temporary file holding ``data`` in ``beside``'s folder, removed afterwards.

    For checking a new version of a file with a tool before it replaces the
    file (relative paths in it resolve as they would for the real one).
    Created exclusively (never through an existing name), with ``ownership``.
    Raises FileAccessError.
    """
    import tempfile

    target = Path(os.path.realpath(beside))
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".check")
    except OSError as exc:
        raise _access_error(target, exc, "write") from None
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.chown(handle.fileno(), ownership.uid, ownership.gid)  # on the descriptor
            os.chmod(handle.fileno(), ownership.mode)
        yield temp
    except OSError as exc:
        raise _access_error(target, exc, "write") from None
    finally:
        temp.unlink(missing_ok=True)


def make_folder(path: Path, ownership: Ownership) -> bool:
    """Create the folder ``path`` (its parent must exist) with ``ownership``.

    Returns False when it exists already (left as it is; a symlink is
    refused). Owner and mode are set on the open folder, never by path.
    Raises FileAccessError.
    """
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path) or os.path.islink(path):
            raise FileAccessError(f"{path}: exists and is not a folder") from None
        return False
    except OSError as exc:
        raise _access_error(path, exc, "create") from None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            os.chown(fd, ownership.uid, ownership.gid)
            os.chmod(fd, ownership.mode)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _access_error(path, exc, "create") from None
    return True


def remove(path: Path) -> None:
    """Remove the file (or empty folder) ``path``; absent is fine. Raises FileAccessError."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _access_error(path, exc, "remove") from None
