"""``fips-setup configure``: set the ``fips`` block of ``datadog.yaml``, nothing else."""

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Optional

from fipsconf.datadog_yaml import (
    Advice,
    DatadogYamlEdit,
    FipsRequest,
    edit_datadog_yaml,
    fips_settings,
    refuse_wrong_site,
    site_line,
)
from fipsconf.errors import DocumentError
from fipsconf.redact import REDACTOR
from fipsconf.scalars import render_scalar
from fipsconf.yamldoc import decode_utf8, parse_yaml
from installer.errors import FileAccessError
from installer.files import atomic_write, read_bytes
from installer.plan import Plan, Step
from installer.results import CommandResult, FileDiff

if TYPE_CHECKING:
    from installer.undo import UndoAction

DEFAULT_CONFIG = Path("/etc/datadog-agent/datadog.yaml")


class DatadogYamlChange(NamedTuple):
    """A planned edit of one ``datadog.yaml``: old and new bytes, and advice."""

    path: Path
    before: bytes
    after: bytes
    edit: DatadogYamlEdit

    @property
    def changed(self) -> bool:
        """True when the file must be rewritten."""
        return self.before != self.after

    def diff(self) -> FileDiff:
        """The change as text, for ``--json`` and for people."""
        return FileDiff(str(self.path), self.before.decode("utf-8"), self.after.decode("utf-8"))

    def write_step(self) -> Step:
        """The step that writes the new file (atomically, only if unchanged meanwhile)."""
        return Step(
            kind="write-file",
            description=f"set {', '.join(self.summary())} in {self.path}",
            run=lambda: atomic_write(self.path, self.after, expect=self.before),
            undo=self._undo,
        )

    def _undo(self) -> "list[UndoAction]":
        from installer.undo import file_undo  # loaded for a real run only

        return [file_undo(self.path, self.after)]

    def summary(self) -> list[str]:
        """``key: value`` for each setting the edit changes."""
        return [f"{c.dotted}: {render_scalar(c.after)}" for c in self.edit.result.changes]

    @property
    def advice(self) -> list[Advice]:
        """Warnings about the configuration (site, ignored settings)."""
        return self.edit.advice


def plan_datadog_yaml(
    path: Path, request: FipsRequest, contents: Optional[bytes] = None
) -> DatadogYamlChange:
    """Read and parse ``path`` and compute its edit, without writing.

    ``contents``: plan against these bytes instead of the file's (a dry run
    of ``install``, where the file does not exist yet). Raises
    FileAccessError, DocumentError (naming the file and line) or SettingError.
    """
    if contents is None and not path.exists() and not path.is_symlink():
        hint = (
            "; is the Agent installed? Use --config PATH for a configuration elsewhere"
            if str(path) == str(DEFAULT_CONFIG)
            else ""  # --config named it: the operator knows where it should be
        )
        raise FileAccessError(f"{path}: cannot read: no such file{hint}")
    before = read_bytes(path) if contents is None else contents
    try:
        doc = parse_yaml(decode_utf8(before))
        REDACTOR.register_from(doc.data)
        edit = edit_datadog_yaml(doc, request)
    except DocumentError as exc:
        raise exc.in_file(path) from None
    after = edit.result.text.encode("utf-8") if edit.result.changed else before
    return DatadogYamlChange(path=path, before=before, after=after, edit=edit)


def configure(path: Path, request: FipsRequest, *, dry_run: bool) -> CommandResult:
    """Set the ``fips`` settings in ``path``; with ``dry_run``, only say what would change."""
    change = plan_datadog_yaml(path, request)
    if request.enabled:  # the proxy would carry a US2-FED host's payloads to US1-FED
        refuse_wrong_site(change.advice, str(path), site_line(change.edit.result.document))
    plan = Plan()
    if change.changed:
        plan.add(change.write_step())
    if not dry_run:
        plan.execute()
    return CommandResult(
        changed=change.changed,
        msg=_message(change, request, dry_run),
        diff=[change.diff()] if change.changed else [],
        warnings=[advice.message for advice in change.advice],
        actions=plan.records(),
        details={"path": str(path), "settings": _settings(change)},
        dry_run=dry_run,
    )


def _settings(change: DatadogYamlChange) -> dict[str, object]:
    return fips_settings(change.edit.result.document.data)


def _message(change: DatadogYamlChange, request: FipsRequest, dry_run: bool) -> str:
    if not change.changed:
        state = "on" if request.enabled else "off"
        return f"{change.path}: FIPS proxy mode is already {state} as requested; nothing to change"
    settings = ", ".join(change.summary())
    if dry_run:
        return f"{change.path}: would set {settings} (dry run: nothing was changed)"
    return (
        f"{change.path}: set {settings}; restart the Agent for it to take effect"
        f" ({_restart_command()})"
    )


def _restart_command() -> str:
    """How the operator restarts the Agent on this host (``systemctl``, ``service``...)."""
    from installer.host import Host  # a real change only: a dry run needs neither
    from installer.services import AGENT_SERVICE, service_manager_for

    return service_manager_for(Host()).command_line("restart", AGENT_SERVICE)
