"""``fips-setup rollback``: put the host back as it was before the last run that changed it.

The last run's journal (``/var/lib/fips-setup/checkpoint``) lists, for each
step it took, the actions that undo it; rollback applies those not applied
yet, last step first, whether that run finished or was killed. Before the
first change it checks that nothing else changed the files since (it would
not overwrite someone's later edit). Each action looks at the host first,
so a rollback that was itself cut short can simply be run again.
"""

from __future__ import annotations

from typing import Optional

from installer import interrupts
from installer.enable import require_root
from installer.errors import FipsSetupError, PreconditionError
from installer.host import Host
from installer.journal import Checkpoint, Entry, ensure_state_dir, load_checkpoint, locked_run
from installer.journal import state_dir as state_folder
from installer.plan import PlanFailed, PlanInterrupted, Progress, Step
from installer.results import CommandResult
from installer.undo import UndoContext


def rollback(host: Host, *, dry_run: bool, progress: Optional[Progress] = None) -> CommandResult:
    """Undo the last run's recorded changes (``dry_run``: list them). Raises FipsSetupError."""
    require_root(host, dry_run=False)  # the journal is root's alone, dry run or not
    if dry_run:
        folder = state_folder(host)
        checkpoint = load_checkpoint(folder) if folder.is_dir() else None
        return _rollback(host, checkpoint, dry_run=True, progress=progress)
    ensure_state_dir(state_folder(host))
    with locked_run(host, "rollback"):
        checkpoint = load_checkpoint(state_folder(host))
        return _rollback(host, checkpoint, dry_run=False, progress=progress)


def _groups(checkpoint: Checkpoint) -> list[tuple[str, list[Entry]]]:
    """The pending actions by step, last step first (each step's actions last first)."""
    groups: list[tuple[str, list[Entry]]] = []
    for entry in checkpoint.pending():
        if groups and groups[-1][0] == entry.step:
            groups[-1][1].append(entry)
        else:
            groups.append((entry.step, [entry]))
    return [(step, list(reversed(entries))) for step, entries in reversed(groups)]


def _rollback(
    host: Host, checkpoint: Optional[Checkpoint], *, dry_run: bool, progress: Optional[Progress]
) -> CommandResult:
    if checkpoint is None or not checkpoint.pending():
        why = (
            "no fips-setup run has changed this host"
            if checkpoint is None
            else f"the last run, {checkpoint.describe()}, has been undone already"
        )
        return CommandResult(changed=False, msg=f"nothing to roll back: {why}", dry_run=dry_run)
    context = UndoContext(host)
    groups = _groups(checkpoint)
    conflicts = [
        problem
        for _, entries in groups
        for entry in entries
        for problem in [entry.action.conflict(context)]
        if problem
    ]
    if conflicts:
        raise PreconditionError(
            "; ".join(conflicts) + "; rolling back would lose those changes: put the files"
            " back as fips-setup left them (or edit by hand); nothing was changed"
        )
    steps = [
        Step(
            "rollback",
            f"undo '{step}': " + "; ".join(entry.action.describe() for entry in entries),
            lambda: None,
        )
        for step, entries in groups
    ]
    summary = checkpoint.summary()
    if dry_run:
        return CommandResult(
            changed=True,
            msg=f"dry run: these steps would undo {checkpoint.describe()}; nothing was changed",
            actions=[step.record() for step in steps],
            details={"checkpoint": summary},
            dry_run=True,
        )
    _apply(checkpoint, groups, steps, context, progress)
    return CommandResult(
        changed=True,
        msg=f"rolled back {checkpoint.describe()}: the host is as it was before it",
        actions=[step.record() for step in steps],
        details={"checkpoint": {**summary, "state": "rolled-back"}},
    )


def _apply(
    checkpoint: Checkpoint,
    groups: list[tuple[str, list[Entry]]],
    steps: list[Step],
    context: UndoContext,
    progress: Optional[Progress],
) -> None:
    """Apply each group, noting it in the journal; stop at a failure or a signal."""
    with interrupts.deferred():
        for step, (_, entries) in zip(steps, groups):
            try:
                interrupts.raise_if_pending()
                if progress is not None:
                    progress(step)
                for entry in entries:
                    entry.action.apply(context)
            except interrupts.Interrupted as signal:
                raise PlanInterrupted(
                    f"{signal} during the rollback{_left(steps)}", steps, signal
                ) from None
            except Exception as exc:
                step.status = "failed"
                step.error = str(exc) if isinstance(exc, FipsSetupError) else repr(exc)
                raise PlanFailed(
                    f"rollback failed: {step.description}: {step.error}{_left(steps)}", steps
                ) from exc
            step.status = "done"
            checkpoint.save([entry.position for entry in entries])
    checkpoint.save([], state="rolled-back")


def _left(steps: list[Step]) -> str:
    done = [s.description for s in steps if s.status == "done"]
    shown = "; done: " + "; ".join(done) if done else "; nothing was changed"
    return shown + "; run 'fips-setup rollback' again to finish"
