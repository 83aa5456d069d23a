"""Find a file the way root may: folder by folder, through links only root controls.

Every folder on the way is opened relative to the one before it (``openat``
with ``O_NOFOLLOW``), so once a folder is open nobody can redirect what is
found under it by renaming or replacing something above it. A symbolic link
is followed only when it is trusted: the link, the folders on the way to it
and every folder on the way from it to its target belong to a trusted owner
and nobody else can write them (a root-owned sticky folder such as ``/tmp``
counts as such: others cannot replace what root owns there). Trusted owners
are root and, when fips-setup does not run as root, the user running it.
Anything else is refused, naming the link and its owner (DESIGN rule 1).
"""

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Iterator, NamedTuple, Optional

from installer.errors import FileAccessError

#: The kernel's own limit on links followed while resolving one path.
MAX_LINKS = 40
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_ONLY = getattr(os, "O_PATH", 0)


class Located(NamedTuple):
    """Where a path leads: an open folder and a name in it.

    ``folder`` is a descriptor of the folder (closed by :func:`locate`'s
    context manager); ``entry`` the ``lstat`` of ``name`` in it, None when
    there is no such entry; ``link`` the symbolic link the path ended in and
    that led here (None: the path did not end in a link); ``trusted`` whether
    the folder and the folders on the way to it are all trusted (nobody but a
    trusted owner can change them).
    """

    folder: int
    folder_path: str
    folder_stat: os.stat_result
    name: str
    entry: Optional[os.stat_result]
    link: Optional[str]
    trusted: bool

    @property
    def path(self) -> str:
        """The path of the entry, as resolved (links replaced by their targets)."""
        return os.path.join(self.folder_path, self.name)


class FolderMissing(FileAccessError):
    """A folder on the way to a path does not exist (so neither does the path)."""


class _Folder(NamedTuple):
    fd: int
    path: str
    stat: os.stat_result
    #: Why the way to this folder (itself included) is not trusted; None when it is.
    distrust: Optional[str]


def trusted_owners() -> frozenset[int]:
    """Root, and the user fips-setup runs as."""
    return frozenset({0, os.geteuid()})


def is_trusted_folder(info: os.stat_result, owners: frozenset[int]) -> bool:
    """True when only a trusted owner can change the entries of the folder ``info``."""
    if info.st_uid not in owners:
        return False
    others_write = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return not others_write or bool(info.st_mode & stat.S_ISVTX)


def owner_name(uid: int) -> str:
    """The user name of ``uid`` (``uid N`` when it has none)."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return f"uid {uid}"


def _untrusted_reason(info: os.stat_result, owners: frozenset[int]) -> str:
    if info.st_uid not in owners:
        return f"owned by {owner_name(info.st_uid)}"
    if info.st_mode & stat.S_IWOTH:
        return "writable by everyone"
    return "writable by its group"


@contextlib.contextmanager
def locate(path: Path, *, follow_final: bool = True) -> Iterator[Located]:
    """Resolve ``path`` under the link policy; the folder stays open inside the ``with``.

    ``follow_final=False``: a link at the end of the path is the entry itself.
    A relative path is taken from the current folder. Raises FileAccessError
    for an untrusted link, a missing folder on the way, a part of the path
    that is not a folder, or too many links.
    """
    shown = str(path)
    owners = trusted_owners()
    parts = list(Path(os.path.abspath(path)).parts[1:])
    stack: list[_Folder] = [_open_root(shown, owners)]
    links = 0
    followed: Optional[str] = None  # a link was followed: what lies beyond must be trusted
    link: Optional[str] = None
    try:
        while True:
            if not parts:  # the path named a folder ("/", or ending in "..")
                raise FileAccessError(f"{shown}: is a folder, not a file")
            name = parts.pop(0)
            here = stack[-1]
            if name in ("", "."):
                continue
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop().fd)
                continue
            entry = _lstat(name, here, shown)
            final = not parts
            if entry is not None and stat.S_ISLNK(entry.st_mode) and (follow_final or not final):
                links += 1
                followed = os.path.join(here.path, name)
                _check_link(shown, followed, entry, here, owners, links)
                if final:
                    link = followed
                target = os.readlink(name, dir_fd=here.fd)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop().fd)
                parts = [p for p in target.split("/") if p] + parts
                continue
            if final:
                yield Located(
                    here.fd, here.path, here.stat, name, entry, link, here.distrust is None
                )
                return
            if entry is None:
                where = os.path.join(here.path, name)
                raise FolderMissing(f"{shown}: cannot reach it: the folder {where} does not exist")
            if not stat.S_ISDIR(entry.st_mode):
                where = os.path.join(here.path, name)
                raise FileAccessError(f"{shown}: cannot reach it: {where} is not a folder")
            folder = _open_folder(name, here, entry, shown, owners)
            stack.append(folder)
            if followed is not None and not is_trusted_folder(folder.stat, owners):
                raise FileAccessError(
                    f"{shown}: refusing to follow the symbolic link {followed}: it leads into"
                    f" {folder.path}, {_untrusted_reason(folder.stat, owners)}; as root,"
                    " fips-setup follows only links that root alone controls: give the"
                    " file's real path or replace the link with the file"
                )
    finally:
        for folder in stack:
            os.close(folder.fd)


def _open_root(shown: str, owners: frozenset[int]) -> _Folder:
    try:
        fd = os.open("/", _FOLDER_FLAGS)
        info = os.fstat(fd)
    except OSError as exc:
        raise FileAccessError(f"{shown}: cannot open the root folder: {exc.strerror}") from None
    return _Folder(fd, "/", info, _distrust("/", info, owners))


def _lstat(name: str, here: _Folder, shown: str) -> Optional[os.stat_result]:
    try:
        return os.stat(name, dir_fd=here.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileAccessError(f"{shown}: cannot look into {here.path}: {_reason(exc)}") from None


def _open_folder(
    name: str, here: _Folder, entry: os.stat_result, shown: str, owners: frozenset[int]
) -> _Folder:
    path = os.path.join(here.path, name)
    try:
        try:
            fd = os.open(name, _FOLDER_FLAGS, dir_fd=here.fd)
        except PermissionError:
            if not _PATH_ONLY:
                raise
            # a folder we may pass through but not list (mode 711)
            fd = os.open(name, _PATH_ONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=here.fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # replaced since its lstat
            raise FileAccessError(
                f"{shown}: {path} changed while fips-setup read it; run again"
            ) from None
        raise FileAccessError(f"{shown}: cannot open the folder {path}: {_reason(exc)}") from None
    info = os.fstat(fd)
    if (info.st_dev, info.st_ino) != (entry.st_dev, entry.st_ino):
        os.close(fd)
        raise FileAccessError(f"{shown}: {path} changed while fips-setup read it; run again")
    return _Folder(fd, path, info, here.distrust or _distrust(path, info, owners))


def _check_link(
    shown: str,
    link: str,
    entry: os.stat_result,
    here: _Folder,
    owners: frozenset[int],
    links: int,
) -> None:
    if links > MAX_LINKS:
        raise FileAccessError(f"{shown}: cannot reach it: too many levels of symbolic links")
    if entry.st_uid not in owners:
        problem = f"the link is owned by {owner_name(entry.st_uid)}"
    elif here.distrust is not None:
        problem = here.distrust
    else:
        return
    raise FileAccessError(
        f"{shown}: refusing to follow the symbolic link {link}: {problem}; as root,"
        " fips-setup follows only links that root alone controls: give the file's real"
        " path or replace the link with the file"
    )


def _distrust(path: str, info: os.stat_result, owners: frozenset[int]) -> Optional[str]:
    """None for a trusted folder, else what makes it untrusted (for messages)."""
    if is_trusted_folder(info, owners):
        return None
    return f"the folder {path} is {_untrusted_reason(info, owners)}"


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; run as root (sudo)"
    return exc.strerror or type(exc).__name__
