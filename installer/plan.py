"""Plans: a command's steps, built first, then shown (``--dry-run``) or run.

Before a changing step runs, the actions that undo it are computed (from
the host as it is then) and, for a journalled run, written to the journal.
When a step fails, or a signal interrupts the run, the steps done so far
and whatever the stopped step did are undone in reverse order (certbot's
reverter), and the error says which state the host is left in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from installer import interrupts
from installer.errors import FipsSetupError

if TYPE_CHECKING:  # undo actions are loaded when a step first needs them
    from installer.undo import UndoAction, UndoContext

if TYPE_CHECKING:
    Progress = Callable[["Step"], Any]
    UndoFactory = Callable[[], Sequence["UndoAction"]]
else:  # the same at run time, without the names typing would compile on import (10 ms)
    Progress = UndoFactory = Callable


class Step:
    """One action on the host: what it is, how to do it, how to take it back.

    ``undo`` computes, just before the step runs, the actions that put back
    what it changes (None: it cannot be undone). ``changes`` is False for a
    step that only checks (waiting for a port).

    ``status`` goes from "planned" to "done", "failed", "interrupted",
    "undone" or "undo-failed".
    """

    def __init__(
        self,
        kind: str,
        description: str,
        run: Callable[[], None],
        undo: Optional[UndoFactory] = None,
        *,
        changes: bool = True,
    ) -> None:
        self.kind = kind
        self.changes = changes
        self.description = description
        self.run = run
        self.undo = undo
        self.status = "planned"
        self.error: Optional[str] = None
        self.undo_actions: list[UndoAction] = []
        self.journal_indexes: list[int] = []

    def record(self) -> dict[str, Any]:
        """The step as it appears in the JSON ``actions`` list."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "description": self.description,
            "status": self.status,
        }
        if self.error:
            out["error"] = self.error
        return out


class PlanFailed(FipsSetupError):
    """A step failed; the steps before it were undone as far as possible."""

    code = "step-failed"

    def __init__(self, message: str, steps: list[Step]) -> None:
        super().__init__(message)
        self.steps = steps

    @property
    def undone(self) -> list[str]:
        """The steps that were undone, in the order they were undone."""
        return [step.description for step in reversed(self.steps) if step.status == "undone"]


class PlanInterrupted(PlanFailed):
    """A signal stopped the run; what it had done was undone as far as possible."""

    code = "interrupted"

    def __init__(self, message: str, steps: list[Step], signal: interrupts.Interrupted) -> None:
        super().__init__(message, steps)
        self.signal = signal


class Plan:
    """An ordered list of steps."""

    def __init__(self, context: Optional[UndoContext] = None) -> None:
        self.steps: list[Step] = []
        self.context = context

    def add(self, step: Step) -> None:
        """Append ``step`` to the plan."""
        self.steps.append(step)

    def changes_anything(self) -> bool:
        """True when some step changes the host (not only checks it)."""
        return any(step.changes for step in self.steps)

    def records(self) -> list[dict[str, Any]]:
        """Every step as a JSON-ready record."""
        return [step.record() for step in self.steps]

    def execute(self, progress: Optional[Progress] = None, journal: Any = None) -> None:
        """Run the steps in order. Raises PlanFailed or PlanInterrupted after undoing.

        ``progress`` is called with each step before it runs (for a spinner).
        ``journal`` (a :class:`~installer.journal.Journal`) records each
        step's undo actions before the step runs. Signals are held back while
        a step writes, and taken at the runner's and the waits' safe points.
        """
        with interrupts.deferred():
            for step in self.steps:
                current: Optional[Step] = None
                try:
                    interrupts.raise_if_pending()
                    if progress is not None:
                        progress(step)
                    current = step
                    if step.undo is not None:
                        step.undo_actions = list(step.undo())
                    if journal is not None and step.changes:
                        step.journal_indexes = journal.record(step.description, step.undo_actions)
                    step.run()
                except interrupts.Interrupted as signal:
                    if current is not None:
                        step.status, step.error = "interrupted", str(signal)
                    during = f" during: {step.description}" if current is not None else ""
                    tail = self._undo(current, journal)
                    raise PlanInterrupted(f"{signal}{during}{tail}", self.steps, signal) from None
                except Exception as exc:
                    text = str(exc) if isinstance(exc, FipsSetupError) else _internal(exc)
                    step.status, step.error = "failed", text
                    tail = self._undo(step, journal)
                    raise PlanFailed(
                        f"{step.description} failed: {text}{tail}", self.steps
                    ) from exc
                step.status = "done"
            try:  # a signal that came during the last step: the run was still asked to stop
                interrupts.raise_if_pending()
            except interrupts.Interrupted as signal:
                tail = self._undo(None, journal)
                raise PlanInterrupted(f"{signal}{tail}", self.steps, signal) from None

    def undo_done(self, journal: Any = None) -> str:
        """Undo the steps done so far (a later command failed); what state that leaves."""
        return self._undo(None, journal)

    def _undo(self, stopped: Optional[Step], journal: Any) -> str:
        """Undo ``stopped`` (what it did of itself) and the done steps, in reverse order.

        Returns the end of the message: ``; nothing was changed``, ``; ... the
        host is as it was`` or ``; still in place: ...``.
        """
        context = self.context or _default_context()
        done = [s for s in self.steps if s.status == "done" and s.changes]
        to_undo = list(reversed(done))
        if stopped is not None and stopped.changes and stopped.undo_actions:
            to_undo.insert(0, stopped)
        stopped_changed = False
        left: list[Step] = []
        with interrupts.shielded():
            for step in to_undo:
                if step.undo is None:
                    left.append(step)
                    continue
                try:
                    changed = False
                    for action in reversed(step.undo_actions):
                        changed = action.apply(context) or changed
                except Exception as exc:
                    step.error = str(exc) if isinstance(exc, FipsSetupError) else _internal(exc)
                    step.status = "undo-failed"
                    left.append(step)
                    continue
                if journal is not None:
                    journal.mark_undone(step.journal_indexes)
                if step is stopped:
                    stopped_changed = changed
                    if changed:
                        step.status = "undone"
                else:
                    step.status = "undone"
        if left:
            return "; still in place: " + "; ".join(s.description for s in reversed(left))
        if not done and not stopped_changed:
            return "; nothing was changed"
        if stopped_changed:
            return "; what it had done and the earlier steps were undone, the host is as it was"
        return "; the earlier steps were undone, the host is as it was"


def _internal(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _default_context() -> UndoContext:
    from installer.host import Host
    from installer.undo import UndoContext

    return UndoContext(Host())
