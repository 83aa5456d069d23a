"""``fips-setup helm`` and ``fips-setup ecs``: a values.yaml or ECS definition, edited.

Both read one file, compute the new text with :mod:`fipsconf` and then, by
destination: ``--in-place`` rewrites the file atomically (owner and mode
kept), ``--output PATH`` writes the result to PATH (only when PATH does not
hold it already), and neither hands the new text to the command line for
stdout. ``changed`` says whether a file is (or, dry run, would be) written;
for stdout, whether the result differs from the input.

The ``diff`` shows what fips-setup changed in the document: the input
before, the result after, under the name of the file written. Secrets are
kept in the files and masked in everything shown; the new text goes to
stdout (with ``--json``: in the JSON document, as ``document``) only when it
holds no secret, since masking it would make it unusable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from fipsconf.datadog_yaml import Advice
from fipsconf.ecs_taskdef import (
    FORM_CLOUDFORMATION,
    FORM_CONTAINER_DEFINITIONS,
    FORM_TASK_DEFINITION,
    EcsEdit,
    EcsRequest,
    edit_task_definition,
    parse_task_definition,
)
from fipsconf.errors import DocumentError
from fipsconf.helm_values import (
    FipsAgentConflict,
    HelmEdit,
    HelmRequest,
    edit_helm_values,
    fips_values,
)
from fipsconf.redact import REDACTOR, holds_secret, secret_values
from fipsconf.yamldoc import decode_utf8, parse_yaml
from installer.errors import FileAccessError, PreconditionError
from installer.files import (
    MAX_READ,
    FileIdentity,
    Ownership,
    ownership_of,
    read_bytes,
    write_file,
)
from installer.plan import Plan, Step
from installer.results import CommandResult, FileDiff
from installer.undo import file_undo

#: Warnings about what the edit leaves as it is, which a run that changes nothing
#: would only repeat: said once, when the change is made (the chart's declared port
#: range, the network mode of the task a list of containers goes into).
_SAID_WHEN_CHANGED = ("port-range-short", "network-mode")


class Destination(NamedTuple):
    """Where the result goes: the input itself, another file, or stdout (both None/False).

    ``print_document``: with neither file, whether the new file is to be
    printed (False with ``--json``, whose document carries the diff instead).
    """

    in_place: bool = False
    output: Optional[Path] = None
    print_document: bool = True

    def target(self, source: Path) -> Optional[Path]:
        """The file to write, or None for stdout."""
        return source if self.in_place else self.output

    @property
    def name(self) -> str:
        """``in-place``, ``output`` or ``stdout`` (for the JSON document)."""
        return "in-place" if self.in_place else "output" if self.output else "stdout"


class ContainerResult(CommandResult):
    """A command result that may carry the new file for stdout (``document``)."""

    def __init__(
        self,
        *,
        document: Optional[bytes],
        changed: bool,
        msg: str,
        diff: list[FileDiff],
        warnings: list[str],
        actions: list[dict[str, Any]],
        details: dict[str, Any],
        dry_run: bool,
    ) -> None:
        super().__init__(
            changed=changed,
            msg=msg,
            diff=diff,
            warnings=warnings,
            actions=actions,
            details=details,
            dry_run=dry_run,
        )
        #: The new file's bytes, to print when the destination is stdout.
        self.document = document


class _Edited(NamedTuple):
    """What a document editor produced, in the terms this module needs."""

    text: str
    changes: list[str]
    advice: list[Advice]
    details: dict[str, Any]
    mask: Callable[[str], str]
    secrets: frozenset[str]


class _FilePlan(NamedTuple):
    source: Path
    target: Optional[Path]
    before: bytes
    after: bytes
    current: Optional[bytes]
    mode: int

    @property
    def changed(self) -> bool:
        if self.target is None:
            return self.after != self.before
        return self.after != self.current

    def write_step(self, description: str) -> Step:
        target, current = self.target, self.current
        assert target is not None
        new_file = Ownership(os.geteuid(), os.getegid(), self.mode)
        written: list[FileIdentity] = []

        def run() -> None:
            written.append(write_file(target, self.after, expect=current, new_file=new_file))

        return Step(
            kind="write-file",
            description=description,
            run=run,
            undo=lambda: [file_undo(target, self.after)],
        )


#: The names that read the file from standard input (``helm get values R | fips-setup helm -``).
STANDARD_INPUT_NAMES = ("-", "/dev/stdin")


def reads_standard_input(path: Path) -> bool:
    """True when ``path`` names standard input rather than a file."""
    return str(path) in STANDARD_INPUT_NAMES


def _read_standard_input(path: Path, what: str) -> bytes:
    """Standard input, whole (at most MAX_READ bytes); refused when it is a terminal."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise FileAccessError(
            f"{path}: standard input is a terminal, not the {what}: pipe it in"
            f" (helm get values RELEASE -o yaml | fips-setup helm - --output new.yaml)"
        )
    buffer = getattr(stream, "buffer", None)
    data = buffer.read(MAX_READ + 1) if buffer is not None else stream.read(MAX_READ + 1).encode()
    if len(data) > MAX_READ:
        raise FileAccessError(
            f"{path}: standard input holds more than {MAX_READ // (1024 * 1024)} MiB, more"
            f" than a {what} does; fips-setup does not read it"
        )
    return bytes(data)


def _read_source(path: Path, what: str) -> tuple[bytes, int]:
    """The file's bytes and mode (a file made from standard input: 644, or 600 with a secret)."""
    if reads_standard_input(path):
        return _read_standard_input(path, what), 0o644
    if not path.exists() and not path.is_symlink():
        raise FileAccessError(f"{path}: cannot read: no such file; give the path of the {what}")
    data = read_bytes(path)
    owner = ownership_of(path)
    return data, owner.mode if owner is not None else 0o600


def _current(target: Optional[Path], source: Path, before: bytes) -> Optional[bytes]:
    """What the file to write holds now (None: stdout, or no such file yet)."""
    if target is None:
        return None
    if target == source:
        return before
    if not target.exists() and not target.is_symlink():
        if not target.parent.is_dir():
            raise FileAccessError(
                f"{target}: cannot write: the folder {target.parent} does not exist"
            )
        return None
    return read_bytes(target)


def _same_file(target: Optional[Path], source: Path) -> bool:
    if target is None:
        return False
    try:
        return target == source or os.path.samefile(target, source)
    except OSError:
        return False


def helm_values(
    path: Path, request: HelmRequest, destination: Destination, *, dry_run: bool
) -> ContainerResult:
    """Enable the FIPS proxy sidecar, or the FIPS Agent, in a Helm chart ``values.yaml``."""
    before, mode = _read_source(path, "Helm values file")
    try:
        doc = parse_yaml(decode_utf8(before))
        for secret in secret_values(doc.data):
            REDACTOR.register(secret)
        edit = edit_helm_values(doc, request)
    except FipsAgentConflict as exc:
        raise PreconditionError(exc.located(str(path))) from None
    except DocumentError as exc:
        raise exc.in_file(path) from None
    return _finish(
        path,
        before,
        mode,
        destination,
        _helm_edited(edit),
        dry_run=dry_run,
        apply_hint="apply it with helm upgrade RELEASE datadog/datadog -f {file}",
        noun=(
            "the chart already runs the FIPS Agent (useFIPSAgent: true, no fips-proxy sidecar)"
            if request.fips_agent
            else "the FIPS proxy sidecar is already enabled as requested"
        ),
    )


def _helm_edited(edit: HelmEdit) -> _Edited:
    return _Edited(
        text=edit.result.text,
        changes=[f"set {', '.join(edit.summary())}"] if edit.result.changed else [],
        advice=edit.advice,
        details={"settings": fips_values(edit.result.document.data)},
        mask=REDACTOR.redact,
        secrets=frozenset(secret_values(edit.result.document.data)),
    )


def ecs_task_definition(
    path: Path, request: EcsRequest, destination: Destination, *, dry_run: bool
) -> ContainerResult:
    """Set up the FIPS proxy sidecar, or the FIPS Agent, in ECS container definitions.

    The file is a task definition, ``describe-task-definition`` output, or a
    bare list of container definitions (Terraform, CloudFormation).
    """
    before, mode = _read_source(path, "task definition (JSON)")
    try:
        doc = parse_task_definition(decode_utf8(before))
        edit = edit_task_definition(doc, request)
    except DocumentError as exc:
        raise exc.in_file(path) from None
    for secret in edit.secrets:
        REDACTOR.register(secret)
    return _finish(
        path,
        before,
        mode,
        destination,
        _ecs_edited(edit),
        dry_run=dry_run,
        apply_hint=_ECS_APPLY_HINTS[edit.form],
        noun=(
            "the Agent container already runs the FIPS Agent, without the proxy"
            if request.fips_agent
            else "the Agent container already uses the FIPS proxy sidecar as requested"
        ),
    )


#: How to put an edited file to use, by the form it was read in.
_ECS_APPLY_HINTS = {
    FORM_TASK_DEFINITION: (
        "register it with aws ecs register-task-definition --cli-input-json file://{file}"
    ),
    FORM_CONTAINER_DEFINITIONS: "apply it with the task definition that reads it (terraform apply)",
    FORM_CLOUDFORMATION: "deploy it with the stack that reads it (a CloudFormation stack update)",
}


def _ecs_edited(edit: EcsEdit) -> _Edited:
    return _Edited(
        text=edit.text,
        changes=edit.changes,
        advice=edit.advice,
        details={
            "form": edit.form,
            "fips_agent": edit.fips_agent,
            "agent_container": edit.agent_container,
            "agent_image": edit.agent_image,
            "sidecar_image": edit.sidecar_image,
            "port_range_start": edit.port_range_start,
        },
        mask=lambda text: REDACTOR.redact(edit.mask(text)),
        secrets=edit.secrets,
    )


def _finish(
    source: Path,
    before: bytes,
    mode: int,
    destination: Destination,
    edited: _Edited,
    *,
    dry_run: bool,
    apply_hint: str,
    noun: str,
) -> ContainerResult:
    after = edited.text.encode("utf-8") if edited.changes else before
    target = destination.target(source)
    if _same_file(target, source):
        target = source  # --output naming the input is --in-place
    secret = _holds_secret(after.decode("utf-8"), edited.secrets)
    plan_file = _FilePlan(
        source=source,
        target=target,
        before=before,
        after=after,
        current=_current(target, source, before),
        # a new file with a secret is for its owner alone, unless the input was stricter
        mode=mode & 0o600 if secret else mode,
    )
    changed = plan_file.changed
    plan = Plan()
    if target is not None and changed:
        plan.add(plan_file.write_step(f"write {target}"))
    before_text, after_text = before.decode("utf-8"), after.decode("utf-8")
    document: Optional[bytes] = None
    to_stdout = target is None and not dry_run
    if to_stdout:  # printed as it is, or carried in the JSON document ("document")
        if secret:
            raise PreconditionError(
                f"{source} holds secrets (such as an API key), which fips-setup never"
                " prints: write the result to a file with --output PATH or --in-place,"
                " or preview the change with --dry-run"
            )
        document = after
    if not dry_run:
        plan.execute()
    shown = target or source
    diff = (
        [FileDiff(str(shown), edited.mask(before_text), edited.mask(after_text))]
        if changed and after != before
        else []
    )
    return ContainerResult(
        document=document,
        changed=changed,
        msg=_message(
            source, target, edited, changed, dry_run, apply_hint, noun, destination.print_document
        ),
        diff=diff,
        warnings=[
            advice.message
            for advice in edited.advice
            if edited.changes or advice.code not in _SAID_WHEN_CHANGED
        ],
        actions=plan.records(),
        details={
            "path": str(source),
            "output": str(target) if target is not None else None,
            "destination": destination.name,
            "changes": list(edited.changes),
            **edited.details,
            **({"document": after_text} if to_stdout and not destination.print_document else {}),
        },
        dry_run=dry_run,
    )


def _holds_secret(text: str, secrets: frozenset[str]) -> bool:
    """True when printing ``text`` would print a secret: a value found in it, or one by its shape.

    (The same list of what is a secret as every output path: :mod:`fipsconf.redact`.)
    """
    return holds_secret(text, set(secrets))


def _message(
    source: Path,
    target: Optional[Path],
    edited: _Edited,
    changed: bool,
    dry_run: bool,
    apply_hint: str,
    noun: str,
    printed: bool,
) -> str:
    what = "; ".join(edited.changes)
    if not edited.changes:
        state = f"{source}: {noun}"
        if target is None or target == source:
            return f"{state}; nothing to change"
        if not changed:
            return f"{state}, and {target} already holds it; nothing to write"
        if dry_run:
            return f"{state}; would copy it to {target} (dry run: nothing was changed)"
        return f"{state}; copied it to {target}"
    if target is None:
        where = (
            "dry run: nothing was printed"
            if dry_run
            else "the new file is on stdout"
            if printed
            else 'the new file is the JSON document\'s "document"'
        )
        return f"{source}: {what} ({where})"
    if not changed:
        return f"{target} already holds {source} with these changes ({what}); nothing to write"
    if dry_run:
        return (
            f"{source}: would write {target} with these changes: {what}"
            " (dry run: nothing was changed)"
        )
    hint = apply_hint.format(file=target)
    if target == source:
        return f"{source}: {what}; {hint}"
    return f"wrote {target} from {source}: {what}; {hint}"
