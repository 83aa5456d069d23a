"""``fips-setup logs enable | disable``: ship the proxy's journald logs with the Agent.

``enable`` does what the vendor's page asks: ``logs_enabled: true`` in
datadog.yaml (the careful editor: nothing else changes), a
``conf.d/fips_proxy.d/conf.yaml`` with the journald source of the proxy's
unit (``dd-agent:dd-agent`` 640), ``dd-agent`` in ``systemd-journal``, and an
Agent restart. Whatever was already so is left alone.

``disable`` takes back exactly what ``enable`` added and nothing else. What
that was is kept in a record, ``/var/lib/fips-setup/logs.json`` (root's, mode
600, in a folder only root can write): the lines of datadog.yaml it changed
and their old text, whether it created the conf file (and its checksum) and
its folder, whether it added the group membership. The record is root's
because ``dd-agent`` owns the Agent's configuration folder, and a record
there could be forged to make root undo things it never did.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple, Optional

from fipsconf.datadog_yaml import template_slots
from fipsconf.errors import DocumentError, FipsSetupError
from fipsconf.logs_config import (
    JOURNALD_SOURCE,
    LineEdit,
    enable_logs,
    has_proxy_source,
    line_edits,
    logs_enabled,
    undo_line_edits,
)
from fipsconf.redact import REDACTOR
from fipsconf.yamldoc import decode_utf8, parse_yaml
from fipsconf.yamledit import Assignment, case_insensitive_keys, set_values
from installer.agent import agent_missing
from installer.enable import require_root, restart_and_confirm
from installer.errors import PreconditionError
from installer.files import Ownership, atomic_write, make_folder, ownership_of, read_bytes, remove
from installer.host import Host
from installer.journal import locked_run
from installer.plan import Plan, Progress, Step
from installer.proxy import CONFIG_MODE, PROXY_USER
from installer.results import CommandResult, FileDiff
from installer.services import AGENT_SERVICE, ServiceManager, Systemd, service_manager_for
from installer.undo import (
    FolderState,
    GroupMember,
    ServiceState,
    UndoAction,
    UndoContext,
    file_undo,
)

LOGS_CONF = "/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml"
JOURNAL_GROUP = "systemd-journal"
STATE_FOLDER = "/var/lib/fips-setup"
RECORD = f"{STATE_FOLDER}/logs.json"


class LogsOptions(NamedTuple):
    """What the operator asked ``logs enable`` / ``logs disable`` for."""

    config: Path
    dry_run: bool = False


class Record(NamedTuple):
    """What ``logs enable`` added, so that ``logs disable`` takes back that and only that."""

    conf_sha256: Optional[str] = None  # the conf.yaml enable created (its checksum)
    folder_created: bool = False  # enable created fips_proxy.d
    yaml_edits: Optional[list[LineEdit]] = None  # the lines of datadog.yaml enable changed
    logs_enabled_before: Any = None  # logs_enabled before (None: absent)
    group_added: bool = False

    @property
    def empty(self) -> bool:
        """True when enable added nothing."""
        return not (self.conf_sha256 or self.yaml_edits is not None or self.group_added)

    def to_json(self) -> bytes:
        """The record file's contents."""
        edits = None if self.yaml_edits is None else [e.record() for e in self.yaml_edits]
        data = {
            "conf_sha256": self.conf_sha256,
            "folder_created": self.folder_created,
            "datadog_yaml": None
            if edits is None
            else {"edits": edits, "logs_enabled_before": self.logs_enabled_before},
            "group_added": self.group_added,
        }
        return (json.dumps(data, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Record:
        """Read a record file. Raises ValueError when it is not one."""
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        yaml_part = data.get("datadog_yaml")
        edits = None
        before = None
        if yaml_part is not None:
            edits = [LineEdit.from_record(e) for e in yaml_part["edits"]]
            before = yaml_part.get("logs_enabled_before")
        sha = data.get("conf_sha256")
        if sha is not None and not isinstance(sha, str):
            raise ValueError("conf_sha256 is not a string")
        return cls(
            sha, bool(data.get("folder_created")), edits, before, bool(data.get("group_added"))
        )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_record(host: Host) -> Optional[Record]:
    """The record of the last ``logs enable`` (None: none). Raises PreconditionError if damaged."""
    path = host.path(RECORD)
    if not path.exists():
        return None
    try:
        return Record.from_json(read_bytes(path))
    except (ValueError, KeyError, TypeError):
        raise PreconditionError(
            f"{RECORD} is not a record fips-setup wrote; move it away and run again"
        ) from None


def _open(host: Host, dry_run: bool) -> ServiceManager:
    require_root(host, dry_run)
    if host.account_ids(PROXY_USER) is None:  # every Agent package makes it
        raise agent_missing(f" (no {PROXY_USER!r} account), and the Agent ships the logs")
    services = service_manager_for(host)
    if not isinstance(services, Systemd):
        raise PreconditionError(
            f"the proxy logs to journald, which needs systemd; this host's init system is"
            f" {services.name}: nothing was changed"
        )
    if host.in_group(PROXY_USER, JOURNAL_GROUP) is None:
        raise PreconditionError(f"group {JOURNAL_GROUP!r} does not exist: is journald installed?")
    return services


class _YamlChange(NamedTuple):
    path: Path
    before: bytes
    after: bytes

    def step(self, description: str) -> Step:
        return Step(
            "write-file",
            description,
            lambda: atomic_write(self.path, self.after, expect=self.before),
            lambda: [file_undo(self.path, self.after)],
        )

    def diff(self) -> FileDiff:
        return FileDiff(str(self.path), self.before.decode("utf-8"), self.after.decode("utf-8"))


def _read_yaml(path: Path) -> tuple[bytes, Any, str]:
    if not path.exists():
        default = str(path) == "/etc/datadog-agent/datadog.yaml"
        hint = ": is the Agent installed? (--config PATH)" if default else ""
        raise PreconditionError(f"{path} does not exist{hint}")
    raw = read_bytes(path)
    try:
        text = decode_utf8(raw)
        doc = parse_yaml(text)
        REDACTOR.register_from(doc.data)
    except DocumentError as exc:
        raise exc.in_file(path) from None
    return raw, doc, text


def _group_step(host: Host, verb: str) -> Step:
    """``gpasswd -a`` (verb "add") or ``-d`` ("remove") of dd-agent in systemd-journal."""
    forward = ["gpasswd", "-a" if verb == "add" else "-d", PROXY_USER, JOURNAL_GROUP]

    def run() -> None:
        host.runner.run(forward)

    def undo() -> list[UndoAction]:
        return [GroupMember(PROXY_USER, JOURNAL_GROUP, member=verb != "add")]

    where = "to" if verb == "add" else "from"
    return Step("group", f"{verb} {PROXY_USER} {where} the {JOURNAL_GROUP} group", run, undo)


def _record_step(host: Host, record: Optional[Record], previous: Optional[bytes]) -> Step:
    path = host.path(RECORD)

    def write() -> None:
        make_folder(host.path(STATE_FOLDER), Ownership(0, 0, 0o700))
        if record is None:
            remove(path)
        else:
            atomic_write(path, record.to_json(), new_file=Ownership(0, 0, 0o600))

    def undo() -> list[UndoAction]:
        return [file_undo(path, None if record is None else record.to_json())]

    what = f"remove {RECORD}" if record is None else f"record what was added in {RECORD}"
    return Step("write-file", what, write, undo)


def _restart_first_on_undo(plan: Plan, services: ServiceManager) -> None:
    """Undoing the plan ends with an Agent restart on the configuration it had."""
    first = next((step for step in plan.steps if step.changes), None)
    if first is None or first.undo is None:
        return
    undo = first.undo

    def undo_and_restart() -> list[UndoAction]:
        # recorded first, so applied last: the Agent restarts on what was put back
        return [ServiceState(AGENT_SERVICE, active=True, restart=True), *undo()]

    first.undo = undo_and_restart


def _finish(
    host: Host,
    plan: Plan,
    services: ServiceManager,
    options: LogsOptions,
    progress: Optional[Progress],
    *,
    restart: bool,
    command: str,
) -> None:
    """Add the Agent restart (when the Agent's files or groups change) and run the plan."""
    if restart:
        _restart_first_on_undo(plan, services)
        plan.add(
            Step(
                "restart-service",
                f"restart {AGENT_SERVICE} and check that it is running",
                lambda: restart_and_confirm(host, services, AGENT_SERVICE),
            )
        )
    if options.dry_run:
        return
    with locked_run(host, command) as journal:
        plan.execute(progress, journal)


def _folder_ownership(folder: Path) -> Ownership:
    """A new folder in ``folder``: the same owner, mode 755."""
    info = folder.stat()
    return Ownership(info.st_uid, info.st_gid, 0o755)


def logs_enable(
    host: Host, options: LogsOptions, progress: Optional[Progress] = None
) -> CommandResult:
    """Ship the proxy's logs (or, with ``dry_run``, show how). Raises FipsSetupError."""
    services = _open(host, options.dry_run)
    uid, gid = host.account_ids(PROXY_USER) or (0, 0)
    previous_raw = read_bytes(host.path(RECORD)) if host.path(RECORD).exists() else None
    record = load_record(host) or Record()
    plan = Plan(UndoContext(host))
    diff: list[FileDiff] = []

    conf = host.path(LOGS_CONF)
    if conf.exists():
        current = read_bytes(conf).decode("utf-8", errors="replace")
        if not has_proxy_source(current):
            raise PreconditionError(
                f"{conf} exists without the proxy's journald source; add it there (see"
                " docs/cli.md) or move the file away, then run again: nothing was changed"
            )
    else:
        data = JOURNALD_SOURCE.encode()
        folder_new = not conf.parent.exists()
        if not conf.parent.parent.is_dir():
            raise PreconditionError(f"{conf.parent.parent} does not exist: is the Agent installed?")
        folder_owner = _folder_ownership(conf.parent.parent)

        def create() -> None:
            if folder_new:
                make_folder(conf.parent, folder_owner)
            atomic_write(conf, data, new_file=Ownership(uid, gid, CONFIG_MODE))

        def take_back() -> list[UndoAction]:
            folder = [FolderState(str(conf.parent), present=False)] if folder_new else []
            return [*folder, file_undo(conf, data)]

        plan.add(
            Step(
                "write-file",
                f"create {conf} with the proxy's journald source ({PROXY_USER}, 640)",
                create,
                take_back,
            )
        )
        diff.append(FileDiff(str(conf), "", JOURNALD_SOURCE))
        record = record._replace(conf_sha256=_sha256(data), folder_created=folder_new)

    raw, doc, text = _read_yaml(options.config)
    before_value = logs_enabled(doc.data)
    if before_value is not True:
        edited = enable_logs(doc, template_slots(doc, ["logs_enabled"]))
        change = _YamlChange(options.config, raw, edited.text.encode("utf-8"))
        plan.add(change.step(f"set logs_enabled: true in {options.config}"))
        diff.append(change.diff())
        edits = line_edits(text, edited.text)
        if record.yaml_edits is None:
            record = record._replace(yaml_edits=edits, logs_enabled_before=before_value)

    if not host.in_group(PROXY_USER, JOURNAL_GROUP):
        plan.add(_group_step(host, "add"))
        record = record._replace(group_added=True)

    changing = bool(plan.steps)
    if changing:
        plan.add(_record_step(host, record, previous_raw))
    _finish(host, plan, services, options, progress, restart=changing, command="logs enable")
    return CommandResult(
        changed=changing,
        msg=_enable_message(options, changing),
        diff=diff,
        actions=plan.records(),
        details={"conf": LOGS_CONF, "record": RECORD},
        dry_run=options.dry_run,
    )


def _enable_message(options: LogsOptions, changed: bool) -> str:
    if not changed:
        return "the proxy's logs are shipped already (journald source, logs_enabled, group)"
    if options.dry_run:
        return "dry run: these steps would ship the proxy's logs; nothing was changed"
    return (
        "the Agent now ships the proxy's journald logs (source: datadog-fips-proxy);"
        " fips-setup logs disable takes this back"
    )


def logs_disable(
    host: Host, options: LogsOptions, progress: Optional[Progress] = None
) -> CommandResult:
    """Take back what ``logs enable`` added (or, with ``dry_run``, show how)."""
    services = _open(host, options.dry_run)
    record = load_record(host)
    if record is None:
        return CommandResult(
            changed=False,
            msg="fips-setup did not ship the proxy's logs here (no record of it): nothing to take"
            " back",
            warnings=[f"{LOGS_CONF} was not made by fips-setup: left alone"]
            if host.path(LOGS_CONF).exists()
            else [],
            dry_run=options.dry_run,
        )
    plan = Plan(UndoContext(host))
    diff: list[FileDiff] = []
    warnings: list[str] = []

    if record.yaml_edits is not None:
        raw, doc, text = _read_yaml(options.config)
        if logs_enabled(doc.data) is True:
            restored = _restored_yaml(doc, text, record, warnings)
            if restored is not None:
                change = _YamlChange(options.config, raw, restored.encode("utf-8"))
                plan.add(change.step(f"put logs_enabled back as it was in {options.config}"))
                diff.append(change.diff())

    conf = host.path(LOGS_CONF)
    if record.conf_sha256 and conf.exists():
        current = read_bytes(conf)
        if _sha256(current) != record.conf_sha256:
            warnings.append(f"{conf} was edited after fips-setup created it: left in place")
        else:
            folder_created = record.folder_created

            def take_back() -> None:
                remove(conf)
                if folder_created and not any(conf.parent.iterdir()):
                    remove(conf.parent)

            def put_back() -> list[UndoAction]:
                folder_owner = ownership_of(conf.parent)
                folder = [FolderState(str(conf.parent), True, folder_owner)] if folder_owner else []
                return [file_undo(conf, None), *folder]

            plan.add(Step("remove-file", f"remove {conf}", take_back, put_back))
            diff.append(FileDiff(str(conf), current.decode("utf-8", "replace"), ""))

    if record.group_added and host.in_group(PROXY_USER, JOURNAL_GROUP):
        plan.add(_group_step(host, "remove"))
    agent_changes = bool(plan.steps)
    plan.add(_record_step(host, None, read_bytes(host.path(RECORD))))
    _finish(host, plan, services, options, progress, restart=agent_changes, command="logs disable")
    return CommandResult(
        changed=True,
        msg=(
            "dry run: these steps would stop shipping the proxy's logs; nothing was changed"
            if options.dry_run
            else "the proxy's logs are no longer shipped; what logs enable had added is gone"
        ),
        diff=diff,
        warnings=warnings,
        actions=plan.records(),
        dry_run=options.dry_run,
    )


def _restored_yaml(doc: Any, text: str, record: Record, warnings: list[str]) -> Optional[str]:
    """datadog.yaml with enable's lines put back; else logs_enabled set as it was."""
    assert record.yaml_edits is not None
    restored = undo_line_edits(text, record.yaml_edits, record.logs_enabled_before)
    if restored is not None:
        return restored
    before = record.logs_enabled_before
    value = before if isinstance(before, bool) else False
    warnings.append(
        "datadog.yaml changed around logs_enabled since logs enable: its old line could not be"
        f" put back as it was, so logs_enabled is set to {str(value).lower()}"
    )
    try:
        return set_values(
            doc, [Assignment(("logs_enabled",), value)], keys_match=case_insensitive_keys
        ).text
    except FipsSetupError as exc:
        warnings.append(f"logs_enabled left as it is: {exc}")
        return None
