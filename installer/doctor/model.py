"""A check's result, and a command's result made of checks (``doctor``, ``verify``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from fipsconf.errors import FipsSetupError
from installer.results import CommandResult

if TYPE_CHECKING:
    from installer.doctor.facts import Facts

PASS, WARN, FAIL, SKIP, INFO = "pass", "warn", "fail", "skip", "info"
#: The order people see them in: what needs action first.
STATUS_ORDER = (FAIL, WARN, INFO, SKIP, PASS)


class Outcome(NamedTuple):
    """What a check found: its status, a one-line finding and, unless it passed, a fix."""

    status: str
    finding: str
    fix: Optional[str] = None


def passed(finding: str) -> Outcome:
    """The check passed."""
    return Outcome(PASS, finding)


def failed(finding: str, fix: str) -> Outcome:
    """The check failed; ``fix``: a command to paste, or one sentence."""
    return Outcome(FAIL, finding, fix)


def warned(finding: str, fix: str) -> Outcome:
    """A problem that does not, by itself, stop payloads."""
    return Outcome(WARN, finding, fix)


def skipped(reason: str) -> Outcome:
    """The check could not run or does not apply here, and why."""
    return Outcome(SKIP, reason)


def noted(finding: str, fix: Optional[str] = None) -> Outcome:
    """Something to know, neither good nor bad (``fix``: a suggestion)."""
    return Outcome(INFO, finding, fix)


class Check(NamedTuple):
    """One check's result: a stable ``id`` with its outcome."""

    id: str
    status: str
    finding: str
    fix: Optional[str] = None

    def record(self) -> dict[str, Any]:
        """The JSON form: ``{"id", "status", "finding", "fix"}``."""
        return {"id": self.id, "status": self.status, "finding": self.finding, "fix": self.fix}


class CheckFunction(NamedTuple):
    """A check: its id and the function that looks at the host's facts."""

    id: str
    look: Callable[[Facts], Outcome]

    def run(self, facts: Facts) -> Check:
        """Run the check; an error inside it becomes a failed check, never a traceback."""
        try:
            outcome = self.look(facts)
        except FipsSetupError as exc:
            outcome = failed(str(exc), "fix what the message names, then run the check again")
        except Exception as exc:  # a bug in a check must not hide the other checks
            outcome = failed(
                f"the check itself failed ({type(exc).__name__}: {exc})",
                "please report this as a fips-setup problem",
            )
        return Check(self.id, *outcome)


def check(check_id: str, registry: list[CheckFunction]) -> Callable[..., CheckFunction]:
    """Decorator: register a ``facts -> Outcome`` function as the check ``check_id``."""

    def register(look: Callable[[Facts], Outcome]) -> CheckFunction:
        function = CheckFunction(check_id, look)
        registry.append(function)
        return function

    return register


def sorted_for_people(checks: list[Check]) -> list[Check]:
    """Failures first, then warnings, notes, skips and passes (stable within each)."""
    return sorted(checks, key=lambda c: STATUS_ORDER.index(c.status))


def summary(checks: list[Check]) -> dict[str, int]:
    """How many checks have each status."""
    return {status: sum(1 for c in checks if c.status == status) for status in STATUS_ORDER}


class ChecksResult(CommandResult):
    """A command whose outcome is a list of checks; it fails when one of them fails."""

    def __init__(
        self,
        checks: list[Check],
        msg: str,
        details: Optional[dict[str, Any]] = None,
    ) -> None:
        failing = any(c.status == FAIL for c in checks)
        super().__init__(
            changed=False,
            msg=msg,
            details={
                **(details or {}),
                "checks": [c.record() for c in checks],
                "summary": summary(checks),
            },
            failed=failing,
            error="checks-failed" if failing else None,
        )
        self.checks = checks
