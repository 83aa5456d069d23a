"""Errors raised by host operations; all derive from :class:`FipsSetupError`."""

from __future__ import annotations

from fipsconf.errors import DocumentError, FipsSetupError, SettingError

__all__ = [
    "AgentMissingError",
    "DocumentError",
    "FileAccessError",
    "FipsSetupError",
    "PreconditionError",
    "SettingError",
]


class FileAccessError(FipsSetupError):
    """A file that cannot be read or written (missing, a folder, no permission, disk full)."""

    code = "file-access"


class PreconditionError(FipsSetupError):
    """The host or the request does not allow the command to start; nothing was changed."""

    code = "precondition"


class AgentMissingError(PreconditionError):
    """No Datadog Agent is installed: the same code from every command that needs one."""

    code = "no-agent"
