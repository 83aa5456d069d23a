"""Undo actions: what puts one piece of the host back, recorded before it changes.

Each action is data (it can be written to the journal and read back by a
later ``fips-setup rollback``) and knows how to bring its piece back to the
recorded state. Applying an action twice is harmless: it first looks at the
current state and changes only what differs, and says whether it changed
anything. A file that something else changed since fips-setup wrote it is
not overwritten: :class:`UndoConflict` names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from fipsconf.errors import FipsSetupError
from installer.files import Ownership, atomic_write, make_folder, ownership_of, read_bytes, remove

if TYPE_CHECKING:  # the host is handed in: putting a file back does not need its commands
    from installer.host import Host


class UndoConflict(FipsSetupError):
    """The piece to put back was changed by something else since this run changed it."""

    code = "undo-conflict"


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex (how the journal remembers a file's contents)."""
    return hashlib.sha256(data).hexdigest()


class UndoContext:
    """The host's package and service managers, found when an action first needs them."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._packages: Any = None
        self._services: Any = None

    @property
    def packages(self) -> Any:
        """The host's :class:`~installer.packages.PackageManager`."""
        if self._packages is None:
            from installer.packages import package_manager_for
            from installer.platform import detect_platform

            self._packages = package_manager_for(self.host, detect_platform(self.host))
        return self._packages

    @property
    def services(self) -> Any:
        """The host's :class:`~installer.services.ServiceManager`."""
        if self._services is None:
            from installer.services import service_manager_for

            self._services = service_manager_for(self.host)
        return self._services


class UndoAction:
    """One recorded way back. Subclasses are dataclasses named by ``kind``."""

    kind = "?"

    def describe(self) -> str:
        """What applying it does, for people."""
        raise NotImplementedError

    def apply(self, context: UndoContext) -> bool:
        """Bring the piece back to the recorded state; True when something changed."""
        raise NotImplementedError

    def conflict(self, context: UndoContext) -> Optional[str]:
        """Why applying it would lose someone else's change (None: it would not)."""
        return None

    def fields(self) -> dict[str, Any]:
        """The action's data for the journal (without file contents)."""
        raise NotImplementedError


def _current(path: Path) -> Optional[bytes]:
    if not path.exists() and not path.is_symlink():
        return None
    return read_bytes(path)


@dataclass
class RestoreFile(UndoAction):
    """Put a file's earlier contents, owner and mode back."""

    path: str
    before: bytes
    ownership: Ownership
    #: The SHA-256 of what this run wrote (None: not known, the run was cut while writing).
    after_sha256: Optional[str] = None
    kind = "restore-file"

    def describe(self) -> str:
        return f"put back {self.path} as it was"

    def conflict(self, context: UndoContext) -> Optional[str]:
        current = _current(Path(self.path))
        if current is None or self.after_sha256 is None:
            return None
        if digest(current) not in (digest(self.before), self.after_sha256):
            return f"{self.path} was changed by something else since fips-setup wrote it"
        return None

    def apply(self, context: UndoContext) -> bool:
        problem = self.conflict(context)
        if problem:
            raise UndoConflict(f"{problem}; it is left as it is")
        path = Path(self.path)
        current = _current(path)
        if current == self.before and ownership_of(path) == self.ownership:
            return False
        atomic_write(path, self.before, expect=current, new_file=self.ownership)
        return True

    def fields(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": digest(self.before),
            "uid": self.ownership.uid,
            "gid": self.ownership.gid,
            "mode": self.ownership.mode,
            "after_sha256": self.after_sha256,
        }


@dataclass
class RemoveFile(UndoAction):
    """Remove a file this run created (the link itself if it is one, never its target)."""

    path: str
    after_sha256: Optional[str] = None
    kind = "remove-file"

    def describe(self) -> str:
        return f"remove {self.path}"

    def conflict(self, context: UndoContext) -> Optional[str]:
        path = Path(self.path)
        if path.is_symlink():
            return f"{self.path} was replaced by a symbolic link since fips-setup created it"
        if self.after_sha256 is None or not path.exists():
            return None
        if digest(read_bytes(path)) != self.after_sha256:
            return f"{self.path} was changed by something else since fips-setup created it"
        return None

    def apply(self, context: UndoContext) -> bool:
        problem = self.conflict(context)
        if problem:
            raise UndoConflict(f"{problem}; it is left as it is")
        path = Path(self.path)
        if not path.exists():
            return False
        remove(path)  # the entry itself, in its open folder, as the folder's owner
        return True

    def fields(self) -> dict[str, Any]:
        return {"path": self.path, "after_sha256": self.after_sha256}


@dataclass
class PackageVersion(UndoAction):
    """A package back to a version, or removed (``version`` None).

    ``file``: a copy of that version's package file (kept by fips-setup, for a
    version the repository no longer serves); installed from the repository
    when None.
    """

    name: str
    version: Optional[str]
    file: Optional[str] = None
    kind = "package"

    def describe(self) -> str:
        if self.version is None:
            return f"remove {self.name}"
        source = f" (from {self.file})" if self.file else ""
        return f"put {self.name} back to version {self.version}{source}"

    def apply(self, context: UndoContext) -> bool:
        from installer.packages import same_version

        packages = context.packages
        if self.version is None:
            if not packages.is_present(self.name):
                return False
            packages.remove(self.name)
            return True
        installed = packages.installed_version(self.name)
        if installed is not None and same_version(installed, self.version):
            return False
        if self.file is not None:
            packages.install_file(Path(self.file))
        else:
            packages.install_version(self.name, self.version)
        return True

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.file is not None:
            out["file"] = self.file
        return out


@dataclass
class ServiceState(UndoAction):
    """A service back to running or stopped, enabled or disabled at boot (None: left as is).

    ``restart``: a service that is to run and runs is restarted, because the
    configuration it runs with was put back.
    """

    name: str
    active: Optional[bool]
    enabled: Optional[bool] = None
    restart: bool = False
    kind = "service"

    def describe(self) -> str:
        parts = []
        if self.active and self.restart:
            parts.append(f"restart {self.name} (or start it)")
        elif self.active is not None:
            parts.append(f"{'start' if self.active else 'stop'} {self.name}")
        if self.enabled is not None:
            parts.append(f"{'enable' if self.enabled else 'disable'} {self.name} at boot")
        return ", ".join(parts)

    def apply(self, context: UndoContext) -> bool:
        services = context.services
        changed = False
        if self.enabled is not None and services.is_enabled(self.name) is not self.enabled:
            (services.enable if self.enabled else services.disable)(self.name)
            changed = True
        if self.active is None:
            return changed
        running = services.is_active(self.name)
        if self.active and (not running or self.restart):
            (services.restart if running else services.start)(self.name)
            changed = True
        elif not self.active:
            if running or services.is_starting(self.name):
                services.stop(self.name)
                changed = True
            # a start cut short leaves the unit "failed": back to plain inactive
            changed = services.reset_failed(self.name) or changed
        return changed

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "active": self.active,
            "enabled": self.enabled,
            "restart": self.restart,
        }


@dataclass
class FolderState(UndoAction):
    """A folder back to present (made again with its owner and mode) or absent (if empty)."""

    path: str
    present: bool
    ownership: Optional[Ownership] = None
    kind = "folder"

    def describe(self) -> str:
        return f"{'create' if self.present else 'remove'} the folder {self.path}"

    def apply(self, context: UndoContext) -> bool:
        # Checked here, not in conflict(): the files this run put in the folder are
        # removed by the actions applied before this one.
        path = Path(self.path)
        if not self.present and path.is_dir() and any(path.iterdir()):
            raise UndoConflict(
                f"{self.path} holds files fips-setup did not put there; it is left as it is"
            )
        exists = path.is_dir() and not path.is_symlink()
        if exists == self.present:
            return False
        if self.present:
            if self.ownership is None:
                raise UndoConflict(f"{self.path}: no owner recorded to create it with")
            return make_folder(path, self.ownership)
        remove(path)
        return True

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "present": self.present}
        if self.ownership is not None:
            out.update(uid=self.ownership.uid, gid=self.ownership.gid, mode=self.ownership.mode)
        return out


@dataclass
class GroupMember(UndoAction):
    """A user back in (``member``) or out of a group, with ``gpasswd``."""

    user: str
    group: str
    member: bool
    kind = "group-member"

    def describe(self) -> str:
        if self.member:
            return f"add {self.user} to the {self.group} group"
        return f"remove {self.user} from the {self.group} group"

    def apply(self, context: UndoContext) -> bool:
        current = context.host.in_group(self.user, self.group)
        if current is None or current is self.member:
            return False
        flag = "-a" if self.member else "-d"
        context.host.runner.run(["gpasswd", flag, self.user, self.group])
        return True

    def fields(self) -> dict[str, Any]:
        return {"user": self.user, "group": self.group, "member": self.member}


KINDS: dict[str, type[UndoAction]] = {
    cls.kind: cls
    for cls in (RestoreFile, RemoveFile, PackageVersion, ServiceState, FolderState, GroupMember)
}


def from_record(record: dict[str, Any], backup: Optional[bytes]) -> UndoAction:
    """The action a journal record describes (``backup``: a restored file's contents).

    Raises ValueError for a record this version does not know.
    """
    kind = record.get("kind")
    ownership = None
    if "uid" in record:
        ownership = Ownership(int(record["uid"]), int(record["gid"]), int(record["mode"]))
    if kind == RestoreFile.kind:
        if backup is None or digest(backup) != record["sha256"] or ownership is None:
            raise ValueError(f"the backup of {record['path']} is missing or damaged")
        return RestoreFile(record["path"], backup, ownership, record.get("after_sha256"))
    if kind == RemoveFile.kind:
        return RemoveFile(record["path"], record.get("after_sha256"))
    if kind == PackageVersion.kind:
        return PackageVersion(record["name"], record.get("version"), record.get("file"))
    if kind == ServiceState.kind:
        return ServiceState(
            record["name"], record.get("active"), record.get("enabled"), bool(record["restart"])
        )
    if kind == FolderState.kind:
        return FolderState(record["path"], bool(record["present"]), ownership)
    if kind == GroupMember.kind:
        return GroupMember(record["user"], record["group"], bool(record["member"]))
    raise ValueError(f"unknown undo action {kind!r}")


def file_undo(path: Path, after: Optional[bytes]) -> UndoAction:
    """How to put ``path`` back as it is now (restore it, or remove it if it is absent).

    ``after``: what the run is about to write there (None: not known yet).
    """
    after_sha256 = digest(after) if after is not None else None
    current = _current(path)
    owner = ownership_of(path)
    if current is None or owner is None:
        return RemoveFile(str(path), after_sha256)
    return RestoreFile(str(path), current, owner, after_sha256)
