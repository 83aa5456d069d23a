"""The command runner, with real processes."""

from __future__ import annotations

import os
import pwd
import time
from pathlib import Path

import pytest

from fipsconf.redact import REDACTOR
from installer.runner import CommandError, Runner

pytestmark = pytest.mark.real_processes


def test_runs_an_exact_argument_list_with_a_fixed_locale() -> None:
    runner = Runner()
    result = runner.run(["sh", "-c", 'echo "$LANG $LC_ALL" "$0"', "a b; c"])
    assert result.stdout == "C C a b; c\n"
    assert runner.history == [result]


def test_a_failure_names_the_command_and_its_error_output() -> None:
    with pytest.raises(CommandError) as caught:
        Runner().run(["sh", "-c", "echo oops >&2; exit 3"])
    assert str(caught.value) == "sh -c echo oops >&2; exit 3 exited with status 3: oops"


def test_secrets_are_masked_in_failures() -> None:
    REDACTOR.register("s3cr3t-api-key-value")
    with pytest.raises(CommandError) as caught:
        Runner().run(["sh", "-c", "echo s3cr3t-api-key-value >&2; exit 1"])
    assert "s3cr3t" not in str(caught.value)


def test_a_secret_passes_through_standard_input_not_arguments() -> None:
    result = Runner().run(["cat"], input="key-from-stdin")
    assert result.stdout == "key-from-stdin"
    assert "key-from-stdin" not in " ".join(result.argv)


def test_timeout_and_missing_command() -> None:
    with pytest.raises(CommandError, match="no answer after 0 s"):
        Runner().run(["sleep", "5"], timeout=0.2)
    with pytest.raises(CommandError, match="no-such-command-xyz: command not found"):
        Runner().run(["no-such-command-xyz"])


def test_a_command_runs_as_another_user_with_its_groups_and_home() -> None:
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root")
    nobody = pwd.getpwnam("nobody")
    result = Runner().run(["sh", "-c", 'id -u; id -g; echo "$HOME"'], user="nobody")
    assert result.stdout.split() == [str(nobody.pw_uid), str(nobody.pw_gid), nobody.pw_dir]


def test_a_command_run_as_another_user_starts_in_a_folder_it_can_enter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root from root's home (Ansible's become, `cd ~; sudo fips-setup doctor`): HAProxy
    # run as dd-agent with 'default-path config' fails when it cannot go back to its folder.
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root")
    private = tmp_path / "root-only"
    private.mkdir(mode=0o700)
    monkeypatch.chdir(private)
    result = Runner().run(["sh", "-c", "cd . && pwd"], user="nobody")
    assert result.stdout == "/\n"


def test_an_unknown_user_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="user 'no-such-user-here' does not exist"):
        Runner().run(["true"], user="no-such-user-here")


def test_start_serves_until_stopped_and_the_stop_ends_its_whole_session() -> None:
    runner = Runner()
    child = runner.start(
        ["sh", "-c", "read line; echo got $line; sleep 30 & sleep 30"], input="hi\n"
    )
    assert child.running()
    time.sleep(0.3)  # it reads its input and answers, then serves (sleeps)
    assert child.running()
    started = time.monotonic()
    result = child.stop()
    assert time.monotonic() - started < 5  # SIGTERM to the session: both sleeps end
    assert not child.running()
    assert result.stdout == "got hi\n" and result.returncode != 0
    assert runner.history[-1] is result
    assert child.stop() is result  # once


def test_start_of_a_missing_program_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="no-such-program: command not found"):
        Runner().start(["no-such-program"])


def test_start_gives_its_input_as_a_file_the_child_can_reopen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a pipe could not be reopened as /dev/stdin by another user than its maker (HAProxy's -f)
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root")
    for memfd in (True, False):
        if not memfd:
            monkeypatch.delattr(os, "memfd_create")
        child = Runner().start(
            ["sh", "-c", "cat /dev/stdin; sleep 30"], input="line 1\nline 2\n", user="nobody"
        )
        time.sleep(0.3)
        result = child.stop()
        assert result.stdout == "line 1\nline 2\n", memfd
