"""The one door through which fips-setup starts processes.

Every command is an exact argument list (never a shell string), runs with a
fixed locale and PATH, has a timeout, and is recorded with secrets masked.
Secrets are never passed as arguments: give them through ``input`` or an
environment variable, which are not recorded.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any, Mapping, NamedTuple, Optional, Sequence

from fipsconf.errors import FipsSetupError
from fipsconf.redact import REDACTOR

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TIMEOUT = 300.0
_TAIL_LINES = 5


class ProcessResult(NamedTuple):
    """A finished command: its arguments, exit status, output and duration."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.returncode == 0

    def shown(self) -> str:
        """The command line as text, secrets masked."""
        return REDACTOR.redact(" ".join(self.argv))

    def record(self) -> dict[str, object]:
        """The JSON form in a command's ``commands`` list (no output: it may hold secrets)."""
        return {
            "argv": list(self.argv),
            "returncode": self.returncode,
            "seconds": round(self.seconds, 3),
        }

    def tail(self) -> str:
        """The last lines of its error output (else its output), secrets masked."""
        text = (self.stderr or self.stdout).strip()
        return REDACTOR.redact(" | ".join(text.splitlines()[-_TAIL_LINES:]))


class CommandError(FipsSetupError):
    """A command that failed, timed out or could not be started."""

    code = "command-failed"

    def __init__(self, message: str, result: Optional[ProcessResult] = None) -> None:
        super().__init__(message)
        self.result = result


class Runner:
    """Runs commands on this host and remembers what it ran."""

    def __init__(self) -> None:
        self.history: list[ProcessResult] = []

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        env: Optional[Mapping[str, str]] = None,
        input: Optional[str] = None,
        user: Optional[str] = None,
    ) -> ProcessResult:
        """Run ``argv``; return its result, or raise CommandError.

        With ``check``, a non-zero exit status raises CommandError naming the
        command and the end of its error output. ``user``: run as that account
        (its groups, its home), as ``sudo -u`` would; needs root.
        """
        args = tuple(argv)
        environment = {"PATH": SAFE_PATH, "LANG": "C", "LC_ALL": "C"}
        identity = _identity(user, environment) if user is not None else {}
        if env:
            environment.update(env)
        start = time.monotonic()
        try:
            completed = subprocess.run(
                args,
                input=input,
                capture_output=True,
                text=True,
                errors="replace",
                env=environment,
                timeout=timeout,
                check=False,
                **identity,
            )
        except FileNotFoundError:
            raise CommandError(f"{args[0]}: command not found") from None
        except PermissionError:
            raise CommandError(f"{args[0]}: cannot run it as {user}; run as root") from None
        except subprocess.TimeoutExpired:
            result = ProcessResult(args, -1, "", "", time.monotonic() - start)
            self.history.append(result)
            raise CommandError(
                f"{result.shown()}: no answer after {timeout:.0f} s", result
            ) from None
        result = ProcessResult(
            args, completed.returncode, completed.stdout, completed.stderr, time.monotonic() - start
        )
        self.history.append(result)
        if check and not result.ok:
            raise CommandError(failure_message(result), result)
        return result


def _identity(user: str, environment: dict[str, str]) -> dict[str, Any]:
    """The ``subprocess`` arguments that run a command as ``user``, and its HOME."""
    import pwd

    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise CommandError(f"user {user!r} does not exist") from None
    environment["HOME"] = account.pw_dir
    return {
        "user": account.pw_uid,
        "group": account.pw_gid,
        "extra_groups": os.getgrouplist(user, account.pw_gid),
    }


def failure_message(result: ProcessResult) -> str:
    """One line: the command, its exit status and the end of its error output."""
    tail = result.tail()
    return f"{result.shown()} exited with status {result.returncode}" + (
        f": {tail}" if tail else ""
    )
