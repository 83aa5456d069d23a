"""Plans: a command's steps, built first, then shown (``--dry-run``) or run.

Running a plan undoes the steps already done, in reverse order, when a later
step fails (certbot's reverter), and says which state the host is left in.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from installer.errors import FipsSetupError

Progress = Callable[["Step"], Any]


class Step:
    """One action on the host: what it is, how to do it, how to take it back.

    ``changes`` is False for a step that only checks (waiting for a port).

    ``status`` goes from "planned" to "done", "failed", "undone" or "undo-failed".
    """

    def __init__(
        self,
        kind: str,
        description: str,
        run: Callable[[], None],
        undo: Optional[Callable[[], None]] = None,
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


class Plan:
    """An ordered list of steps."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, step: Step) -> None:
        """Append ``step`` to the plan."""
        self.steps.append(step)

    def changes_anything(self) -> bool:
        """True when some step changes the host (not only checks it)."""
        return any(step.changes for step in self.steps)

    def records(self) -> list[dict[str, Any]]:
        """Every step as a JSON-ready record."""
        return [step.record() for step in self.steps]

    def execute(self, progress: Optional[Progress] = None) -> None:
        """Run the steps in order. Raises PlanFailed after undoing the done steps.

        ``progress`` is called with each step before it runs (for a spinner).
        """
        done: list[Step] = []
        for step in self.steps:
            if progress is not None:
                progress(step)
            try:
                step.run()
            except FipsSetupError as exc:
                step.status, step.error = "failed", str(exc)
                raise PlanFailed(self._failure_message(step, exc, done), self.steps) from exc
            except Exception as exc:
                step.status, step.error = "failed", f"{type(exc).__name__}: {exc}"
                raise PlanFailed(self._failure_message(step, exc, done), self.steps) from exc
            step.status = "done"
            done.append(step)

    @staticmethod
    def _failure_message(failed: Step, exc: BaseException, done: list[Step]) -> str:
        not_undone: list[Step] = []
        for step in reversed(done):
            if step.undo is None:
                if step.changes:  # a check (waiting for a port) has nothing to take back
                    not_undone.append(step)
                continue
            try:
                step.undo()
            except Exception as undo_exc:
                step.status, step.error = "undo-failed", str(undo_exc)
                not_undone.append(step)
            else:
                step.status = "undone"
        message = f"{failed.description} failed: {exc}"
        if not done:
            return message + "; nothing was changed"
        if not not_undone:
            return message + "; the earlier steps were undone, the host is as it was"
        left = "; ".join(step.description for step in reversed(not_undone))
        return message + f"; still in place: {left}"
