"""Plans run their steps in order and undo the done ones when a step fails."""

from __future__ import annotations

import pytest

from installer.errors import FileAccessError
from installer.plan import Plan, PlanFailed, Step


def recording_plan(log: list[str], fail_at: str, undo_fails: str = "") -> Plan:
    plan = Plan()
    for name in ("install", "configure", "start", "restart"):

        def run(name: str = name) -> None:
            if name == fail_at:
                raise FileAccessError(f"{name} broke")
            log.append(f"do {name}")

        def undo(name: str = name) -> None:
            if name == undo_fails:
                raise RuntimeError("cannot undo")
            log.append(f"undo {name}")

        plan.add(Step("test", name, run, undo if name != "install" else None))
    return plan


def test_all_steps_run_in_order() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="")
    plan.execute()
    assert log == ["do install", "do configure", "do start", "do restart"]
    assert [r["status"] for r in plan.records()] == ["done"] * 4


def test_a_failure_undoes_the_done_steps_in_reverse() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="restart")
    with pytest.raises(PlanFailed) as caught:
        plan.execute()
    assert log == ["do install", "do configure", "do start", "undo start", "undo configure"]
    assert [r["status"] for r in plan.records()] == ["done", "undone", "undone", "failed"]
    assert str(caught.value) == "restart failed: restart broke; still in place: install"


def test_a_failure_at_the_first_step_changed_nothing() -> None:
    plan = recording_plan([], fail_at="install")
    with pytest.raises(PlanFailed, match="nothing was changed"):
        plan.execute()


def test_an_undo_that_fails_is_reported() -> None:
    log: list[str] = []
    plan = recording_plan(log, fail_at="restart", undo_fails="configure")
    with pytest.raises(PlanFailed) as caught:
        plan.execute()
    assert "still in place: install; configure" in str(caught.value)
    assert plan.records()[1]["status"] == "undo-failed"


def test_progress_is_told_each_step_before_it_runs() -> None:
    seen: list[str] = []
    plan = recording_plan([], fail_at="")
    plan.execute(progress=lambda step: seen.append(step.description))
    assert seen == ["install", "configure", "start", "restart"]
