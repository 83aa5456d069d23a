"""Plans run their steps in order and undo what was done when a step fails or a signal comes."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any, Optional

import pytest

from installer import interrupts
from installer.errors import FileAccessError
from installer.plan import Plan, PlanFailed, PlanInterrupted, Step
from installer.undo import UndoAction, UndoContext


@dataclass
class Undo(UndoAction):
    """Records its application in ``log``; changes something unless told otherwise."""

    log: list[str]
    name: str
    fails: bool = False
    changes: bool = True
    kind = "test"

    def describe(self) -> str:
        return f"undo {self.name}"

    def apply(self, context: UndoContext) -> bool:
        if self.fails:
            raise RuntimeError("cannot undo")
        self.log.append(f"undo {self.name}")
        return self.changes

    def fields(self) -> dict[str, Any]:
        return {"name": self.name}


class Journal:
    """Stands in for installer.journal.Journal: what was recorded and marked undone."""

    def __init__(self) -> None:
        self.records: list[tuple[str, list[str]]] = []
        self.undone: list[int] = []

    def record(self, step: str, actions: list[UndoAction]) -> list[int]:
        start = sum(len(names) for _, names in self.records)
        self.records.append((step, [a.describe() for a in actions]))
        return list(range(start, start + len(actions)))

    def mark_undone(self, indexes: list[int]) -> None:
        self.undone += indexes


def recording_plan(
    log: list[str],
    fail_at: str = "",
    undo_fails: str = "",
    on_run: Optional[dict[str, Any]] = None,
) -> Plan:
    plan = Plan(UndoContext.__new__(UndoContext))
    for name in ("install", "configure", "wait", "restart"):

        def run(name: str = name) -> None:
            if on_run and name in on_run:
                on_run[name]()
            if name == fail_at:
                raise FileAccessError(f"{name} broke")
            log.append(f"do {name}")

        def undo(name: str = name) -> list[UndoAction]:
            return [Undo(log, name, fails=name == undo_fails)]

        plan.add(
            Step(
                "test",
                name,
                run,
                undo if name not in ("install", "wait") else None,
                changes=name != "wait",
            )
        )
    return plan


def test_all_steps_run_in_order() -> None:
    log: list[str] = []
    plan = recording_plan(log)
    plan.execute()
    assert log == ["do install", "do configure", "do wait", "do restart"]
    assert [r["status"] for r in plan.records()] == ["done"] * 4


def test_a_failure_undoes_the_done_steps_in_reverse() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="restart")
    with pytest.raises(PlanFailed) as caught:
        plan.execute()
    # the failed step's own undo runs too (it may have done part of its work)
    assert log == ["do install", "do configure", "do wait", "undo restart", "undo configure"]
    assert [r["status"] for r in plan.records()] == ["done", "undone", "done", "undone"]
    assert str(caught.value) == "restart failed: restart broke; still in place: install"


def test_a_read_only_check_is_never_still_in_place() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="restart")
    plan.steps[0].undo = lambda: [Undo(log, "install")]
    with pytest.raises(PlanFailed) as caught:
        plan.execute()
    assert "wait" not in str(caught.value)
    assert str(caught.value).endswith(
        "; what it had done and the earlier steps were undone, the host is as it was"
    )


def test_a_failure_at_the_first_step_changed_nothing() -> None:
    plan = recording_plan([], fail_at="install")
    with pytest.raises(PlanFailed, match="nothing was changed"):
        plan.execute()


def test_a_half_done_first_step_is_not_nothing_changed() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="configure")
    plan.steps = plan.steps[1:]  # configure first: its undo finds something to put back
    with pytest.raises(PlanFailed) as caught:
        plan.execute()
    assert "nothing was changed" not in str(caught.value)
    assert "what it had done" in str(caught.value)
    assert plan.records()[0]["status"] == "undone"


def test_an_undo_that_fails_is_reported() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="restart", undo_fails="configure")
    with pytest.raises(PlanFailed) as caught:
        plan.execute()
    assert "still in place: install; configure" in str(caught.value)
    assert plan.records()[1]["status"] == "undo-failed"


def test_progress_is_told_each_step_before_it_runs() -> None:
    seen: list[str] = []
    plan = recording_plan([])
    plan.execute(progress=lambda step: seen.append(step.description))
    assert seen == ["install", "configure", "wait", "restart"]


def test_the_journal_gets_each_changing_steps_undo_before_it_runs() -> None:
    log: list[str] = []
    journal = Journal()
    plan = recording_plan(log)
    plan.steps[3].run = lambda: log.append(f"recorded: {journal.records[-1][0]}")
    plan.execute(journal=journal)
    assert journal.records == [("install", []), ("configure", ["undo configure"]),
                               ("restart", ["undo restart"])]  # fmt: skip
    assert log[-1] == "recorded: restart"


def test_a_signal_during_a_step_undoes_it_and_the_done_ones() -> None:
    log: list[str] = []
    journal = Journal()

    def signal_arrives() -> None:
        interrupts._handler(signal.SIGTERM, None)  # as the handler would, deferred
        interrupts.raise_if_pending()

    plan = recording_plan(log, on_run={"restart": signal_arrives})
    plan.steps[0].undo = lambda: [Undo(log, "install")]
    with interrupts.handle_signals(), pytest.raises(PlanInterrupted) as caught:
        plan.execute(journal=journal)
    assert caught.value.signal.exit_status == 143
    assert log == ["do install", "do configure", "do wait",
                   "undo restart", "undo configure", "undo install"]  # fmt: skip
    assert str(caught.value) == (
        "interrupted by SIGTERM during: restart; what it had done and the earlier steps were"
        " undone, the host is as it was"
    )
    assert [r["status"] for r in plan.records()] == ["undone", "undone", "done", "undone"]
    assert sorted(journal.undone) == [0, 1, 2]  # a rollback will not apply them again


def test_a_signal_while_undoing_does_not_stop_the_undo() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="restart")

    class Signalled(Undo):
        def apply(self, context: UndoContext) -> bool:
            interrupts._handler(signal.SIGINT, None)
            interrupts.raise_if_pending()  # a safe point: shielded while undoing
            return super().apply(context)

    plan.steps[3].undo = lambda: [Signalled(log, "restart")]
    with interrupts.handle_signals(), pytest.raises(PlanFailed), interrupts.deferred():
        plan.execute()
    assert log[-2:] == ["undo restart", "undo configure"]
