"""SIGINT, SIGTERM and SIGHUP turned into one exception, raised only where it is safe.

The command line installs :func:`handle_signals` for the whole run. Outside
a plan (checks, reads) a signal raises :class:`Interrupted` at once. While a
plan changes the host (:func:`deferred`), a signal is only recorded: the
runner and the waits call :func:`raise_if_pending` between commands and
polls, so no file write or package transaction is cut in the middle, and the
plan then undoes what it did.
"""

from __future__ import annotations

import contextlib
import signal
from types import FrameType
from typing import Any, Iterator, Optional

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """The run was interrupted by a signal (not an Exception: nothing swallows it by accident)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.name}")

    @property
    def exit_status(self) -> int:
        """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP."""
        return 128 + self.signum


class _State:
    pending: Optional[int] = None
    deferring = 0
    shielded = 0


def _handler(signum: int, frame: Optional[FrameType]) -> None:
    if _State.pending is None:
        _State.pending = signum
    if _State.deferring == 0:
        raise Interrupted(signum)


def pending() -> Optional[int]:
    """The first signal received and not yet raised, or None."""
    return _State.pending


def raise_if_pending() -> None:
    """Raise Interrupted when a signal arrived; a safe point to stop at (not while undoing)."""
    if _State.pending is not None and _State.shielded == 0:
        raise Interrupted(_State.pending)


def stopping() -> bool:
    """True when a signal asks the run to stop and it is not undoing (the runner's question)."""
    return _State.pending is not None and _State.shielded == 0


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Inside, a signal is recorded rather than raised (see :func:`raise_if_pending`)."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Undoing: signals are recorded, and nothing stops for them until the end."""
    _State.deferring += 1
    _State.shielded += 1
    try:
        yield
    finally:
        _State.shielded -= 1
        _State.deferring -= 1


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into Interrupted for the duration; restore after."""
    previous: dict[signal.Signals, Any] = {}
    _reset()
    try:
        for signum in HANDLED:
            previous[signum] = signal.signal(signum, _handler)
    except ValueError:  # not the main thread (an embedding): leave signals alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _reset()


def _reset() -> None:
    _State.pending, _State.deferring, _State.shielded = None, 0, 0
