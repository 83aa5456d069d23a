"""The run lock and the journal of undo actions under ``/var/lib/fips-setup/`` (root, 700).

One run at a time changes a host: ``lock`` is held with ``flock`` for the
run's life and names its pid. Before each changing step, the actions that
undo it (:mod:`installer.undo`) are written to ``checkpoint/journal.json``,
the files they restore to ``checkpoint/files/`` (mode 600: they may hold the
API key), each write fsynced. A run killed outright (SIGKILL, power loss)
leaves its journal in the state ``running``; a run that ended keeps it as
the last checkpoint (``finished``), so ``fips-setup rollback`` can undo
either. A new changing run replaces a finished checkpoint and carries on an
unfinished one, so that rolling back still reaches the state before both.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Optional

from installer.errors import FileAccessError, PreconditionError
from installer.files import Ownership, atomic_write, make_folder, read_bytes
from installer.host import Host
from installer.undo import RestoreFile, UndoAction, from_record

STATE_DIR = "/var/lib/fips-setup"
LOCK_NAME = "lock"
CHECKPOINT = "checkpoint"
JOURNAL_NAME = "journal.json"
PACKAGES = "packages"
FORMAT = 1
_PID_WIDTH = 16


def state_dir(host: Host) -> Path:
    """The host's fips-setup state folder (not created)."""
    return host.path(STATE_DIR)


def ensure_state_dir(folder: Path) -> Path:
    """Create ``folder`` (mode 700) or check it: a real folder of ours that no one else can use.

    Raises FileAccessError for a link, a file, or a folder owned by someone else.
    """
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        raise FileAccessError(f"{folder}: cannot create the state folder: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise FileAccessError(
            f"{folder} is not a folder owned by this user (uid {info.st_uid}); it holds"
            " fips-setup's journal and backups: remove it or make it a root-owned folder, mode 700"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


class RunLock:
    """``flock`` on the state folder's ``lock`` file, naming the holder's pid."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: Optional[int] = None

    def acquire(self) -> None:
        """Take the lock, or raise PreconditionError naming the pid of the run holding it."""
        import fcntl

        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise FileAccessError(
                f"{self.path}: cannot open the run lock: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise PreconditionError(
                    f"another fips-setup run (pid {holder}) is changing this host; wait for it"
                    " to finish, then run again; nothing was changed"
                ) from None
            raise FileAccessError(f"{self.path}: cannot lock: {exc.strerror}") from None
        # the pid, padded to a fixed width: it replaces a longer one without truncating
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}".ljust(_PID_WIDTH).encode())
        self._fd = fd

    def release(self) -> None:
        """Let the next run in (closing the file releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def held_by_other(self) -> Optional[str]:
        """The pid of another process holding the lock now, or None (for ``status``)."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        finally:
            os.close(fd)
        return None


class Entry(NamedTuple):
    """One recorded undo action: the step it undoes, and whether it was undone already."""

    position: int
    step: str
    action: UndoAction
    undone: bool


class Checkpoint:
    """The journal of the last run that changed the host, as read from disk."""

    def __init__(self, folder: Path, header: dict[str, Any], entries: list[Entry]) -> None:
        self.folder = folder
        self.header = header
        self.entries = entries

    @property
    def state(self) -> str:
        """``running`` (in progress, or killed), ``finished`` or ``rolled-back``."""
        return str(self.header.get("state", "running"))

    @property
    def command(self) -> str:
        """The command that wrote it (``enable``, ``disable``...)."""
        return str(self.header.get("command", "?"))

    def pending(self) -> list[Entry]:
        """The actions still to undo, in the order they were recorded."""
        return [entry for entry in self.entries if not entry.undone]

    def summary(self) -> dict[str, Any]:
        """The journal's header for ``status`` and JSON documents."""
        return {
            "command": self.command,
            "pid": self.header.get("pid"),
            "started": self.header.get("started"),
            "state": self.state,
            "actions": len(self.pending()),
            "path": str(self.folder / JOURNAL_NAME),
        }

    def save(self, undone: list[int], state: Optional[str] = None) -> None:
        """Note actions ``undone`` (and, when given, the new ``state``) in the journal on disk."""
        path = self.folder / JOURNAL_NAME
        data = json.loads(read_bytes(path).decode("utf-8"))
        for index in undone:
            data["actions"][index]["undone"] = True
        if state is not None:
            data["state"] = self.header["state"] = state
        text = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
        atomic_write(path, text, new_file=Ownership(os.geteuid(), os.getegid(), 0o600))

    def describe(self) -> str:
        """``enable (pid 42, started 2025-01-01T00:00:00Z)``."""
        header = self.header
        return f"{self.command} (pid {header.get('pid')}, started {header.get('started')})"


def load_checkpoint(folder: Path) -> Optional[Checkpoint]:
    """The last checkpoint under the state folder ``folder``, or None.

    Raises FileAccessError for a journal that cannot be read, or is damaged.
    """
    where = folder / CHECKPOINT
    path = where / JOURNAL_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(read_bytes(path).decode("utf-8"))
        entries: list[Entry] = []
        for record in data["actions"]:
            undo = record["undo"]
            backup = None
            if undo.get("kind") == RestoreFile.kind:
                backup_path = where / record["backup"]
                backup = read_bytes(backup_path) if backup_path.exists() else None
            action = from_record(undo, backup)
            entries.append(Entry(len(entries), record["step"], action, bool(record["undone"])))
    except (ValueError, KeyError, TypeError) as exc:
        raise FileAccessError(
            f"{path}: the journal is damaged ({exc}); it cannot be used"
        ) from None
    header = {key: value for key, value in data.items() if key != "actions"}
    return Checkpoint(where, header, entries)


class Journal:
    """The journal a changing run writes, step by step (see the module's docstring)."""

    def __init__(self, folder: Path, command: str, previous: Optional[Checkpoint]) -> None:
        self.folder = folder / CHECKPOINT
        self.command = command
        #: An unfinished checkpoint this run carries on (its actions come first).
        self.continues = previous if previous is not None and previous.state == "running" else None
        self._replace = previous is not None and self.continues is None
        self._records: list[dict[str, Any]] = []
        self._started = False
        self._backups = 0
        self.header: dict[str, Any] = {
            "format": FORMAT,
            "command": command,
            "pid": os.getpid(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "state": "running",
        }

    def record(self, step: str, actions: list[UndoAction]) -> list[int]:
        """Write ``actions`` (and backups) durably before ``step`` runs; their indexes."""
        self._start()
        indexes = []
        for action in actions:
            record: dict[str, Any] = {
                "step": step,
                "undo": {"kind": action.kind, **action.fields()},
                "undone": False,
            }
            if isinstance(action, RestoreFile):
                self._backups += 1
                name = f"files/{len(self._records):04d}-{Path(action.path).name}"
                self._write(self.folder / name, action.before)
                record["backup"] = name
            indexes.append(len(self._records))
            self._records.append(record)
        self._save()
        return indexes

    def mark_undone(self, indexes: list[int]) -> None:
        """Note that these actions were applied (a rollback must not apply them again)."""
        for index in indexes:
            self._records[index]["undone"] = True
        if self._started:
            self._save()

    def finish(self) -> None:
        """The run ended (done, or failed and undone): keep the journal as the last checkpoint."""
        if not self._started:
            return
        pending = any(not record["undone"] for record in self._records)
        self.header["state"] = "finished" if pending else "rolled-back"
        self._save()

    def _start(self) -> None:
        if self._started:
            return
        if self._replace and self.folder.exists():
            shutil.rmtree(self.folder)
        private = Ownership(os.geteuid(), os.getegid(), 0o700)
        for folder in (self.folder, self.folder / "files"):
            make_folder(folder, private)
        if self.continues is not None:
            previous = json.loads(read_bytes(self.folder / JOURNAL_NAME).decode("utf-8"))
            self._records = list(previous["actions"])
            earlier = [*previous.get("earlier", []), self.continues.summary()]
            self.header["earlier"] = earlier
            self._backups = len(self._records)
        self._started = True

    def _save(self) -> None:
        data = {**self.header, "actions": self._records}
        text = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
        self._write(self.folder / JOURNAL_NAME, text)

    def _write(self, path: Path, data: bytes) -> None:
        atomic_write(path, data, new_file=Ownership(os.geteuid(), os.getegid(), 0o600))


def kept_package_path(host: Host, source: Path) -> Path:
    """Where :func:`keep_package_file` keeps its copy of ``source``."""
    return state_dir(host) / PACKAGES / source.name


def keep_package_file(host: Host, source: Path) -> Path:
    """Copy a package file into the state folder (``packages/``, mode 600); the copy's path.

    For a way back that must not depend on the package manager's cache, which
    a later transaction may clean. Raises FileAccessError.
    """
    target = kept_package_path(host, source)
    folder = ensure_state_dir(state_dir(host)) / PACKAGES
    scratch = folder / f".{source.name}.part"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        shutil.copyfile(source, scratch, follow_symlinks=False)
        os.chmod(scratch, 0o600)
        os.replace(scratch, target)
    except OSError as exc:
        raise FileAccessError(f"{source}: cannot keep a copy in {folder}: {exc.strerror}") from None
    return target


@contextlib.contextmanager
def locked_run(host: Host, command: str) -> Iterator[Journal]:
    """Hold the run lock and give the run its journal; the journal is finished on the way out.

    Raises PreconditionError when another run holds the lock, FileAccessError
    when the state folder is unsafe or the journal unreadable.
    """
    folder = ensure_state_dir(state_dir(host))
    lock = RunLock(folder)
    lock.acquire()
    try:
        journal = Journal(folder, command, load_checkpoint(folder))
        try:
            yield journal
        finally:
            journal.finish()
    finally:
        lock.release()


def unfinished_warning(journal: Journal) -> Optional[str]:
    """What to tell the operator when this run carries on a killed run's journal."""
    if journal.continues is None:
        return None
    return (
        f"an earlier fips-setup {journal.continues.describe()} stopped before it finished"
        " (killed, or the host went down); this run carries on from where it left the host,"
        " and 'fips-setup rollback' undoes both"
    )
