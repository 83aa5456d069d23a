"""The runner and a signal: the child is stopped or let finish, then the run stops."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from installer import interrupts
from installer.runner import Runner, proxy_environment

pytestmark = pytest.mark.real_processes


def signal_soon(signum: int, delay: float = 0.3) -> threading.Timer:
    timer = threading.Timer(delay, os.kill, (os.getpid(), signum))
    timer.start()
    return timer


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stoppable_child_is_stopped_and_the_signal_raised(signum: int) -> None:
    runner = Runner()
    started = time.monotonic()
    with interrupts.handle_signals(), interrupts.deferred():
        signal_soon(signum)
        with pytest.raises(interrupts.Interrupted) as caught:
            runner.run(["sleep", "30"])
    assert time.monotonic() - started < 5
    assert caught.value.exit_status == 128 + signum
    assert runner.history[-1].returncode == -signal.SIGTERM  # stopped with SIGTERM, cleanly


def test_a_package_transaction_is_let_finish_then_the_signal_raised() -> None:
    runner = Runner()
    started = time.monotonic()
    with interrupts.handle_signals(), interrupts.deferred():
        signal_soon(signal.SIGTERM, 0.2)
        with pytest.raises(interrupts.Interrupted):
            runner.run(["sh", "-c", "sleep 1; echo finished"], on_interrupt="finish")
    assert time.monotonic() - started >= 1
    assert runner.history[-1].stdout == "finished\n"


def test_the_child_has_its_own_session_so_a_terminal_ctrl_c_misses_it() -> None:
    result = Runner().run(["sh", "-c", 'ps -o sid= -p $$; ps -o sid= -p "$PPID"'])
    child, parent = result.stdout.split()
    assert child != parent


def test_children_get_no_variable_of_ours_but_what_they_are_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DD_API_KEY", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("http_proxy", "http://proxy.internal:3128")
    result = Runner().run(["env"], env=proxy_environment())
    assert "DD_API_KEY" not in result.stdout
    assert "http_proxy=http://proxy.internal:3128" in result.stdout
