"""What a command returns to the command line: data, never text to print."""

from typing import Any, NamedTuple, Optional


class Template(NamedTuple):
    """The file a new file was made from: people see the new file as a change of it."""

    path: str
    text: str


class FileDiff(NamedTuple):
    """A file's text before and after, in the shape of Ansible's diff mode."""

    path: str
    before: str
    after: str
    template: Optional[Template] = None

    def record(self) -> dict[str, str]:
        """The JSON form: ``{"path", "before", "after"}``."""
        return {"path": self.path, "before": self.before, "after": self.after}


class CommandResult:
    """The outcome of a command that ran to its end (or, in a dry run, would).

    ``failed`` with an ``error`` code: it ran, but what it found or checked
    failed (``doctor`` found a problem, ``enable`` could not verify); the
    command line then exits 1 with the whole document.
    """

    def __init__(
        self,
        *,
        changed: bool,
        msg: str,
        diff: Optional[list[FileDiff]] = None,
        warnings: Optional[list[str]] = None,
        actions: Optional[list[dict[str, Any]]] = None,
        details: Optional[dict[str, Any]] = None,
        dry_run: bool = False,
        failed: bool = False,
        error: Optional[str] = None,
    ) -> None:
        self.changed = changed
        self.msg = msg
        self.diff = diff or []
        self.warnings = warnings or []
        self.actions = actions or []
        self.details = details or {}
        self.dry_run = dry_run
        self.failed = failed
        self.error = error

    def record(self) -> dict[str, Any]:
        """The JSON document (before redaction, which the renderer applies)."""
        out: dict[str, Any] = {
            "changed": self.changed,
            "failed": self.failed,
            "msg": self.msg,
            "dry_run": self.dry_run,
            "diff": [d.record() for d in self.diff],
            "warnings": list(self.warnings),
            "actions": list(self.actions),
        }
        if self.failed:
            out["error"] = self.error or "failed"
        out.update(self.details)
        return out
