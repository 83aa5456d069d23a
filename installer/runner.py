"""The one door through which fips-setup starts processes.

Every command is an exact argument list (never a shell string), runs with a
fixed locale and PATH, has a timeout, and is recorded with secrets masked.
Secrets are never passed as arguments: give them through ``input`` or an
environment variable, which are not recorded. Children get only the
environment they are given (the API key of ours never reaches them).

A child runs in its own session, so a Ctrl-C in the terminal reaches
fips-setup alone; when a signal asks the run to stop, the child is either
let finish (a package transaction: ``on_interrupt="finish"``) or stopped
with SIGTERM (anything else), and then :class:`~installer.interrupts.Interrupted`
is raised for the plan to undo what was done.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from typing import Any, Mapping, NamedTuple, Optional, Sequence

from fipsconf.errors import FipsSetupError
from fipsconf.redact import REDACTOR
from installer import interrupts

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TIMEOUT = 300.0
_TAIL_LINES = 5
_POLL_SECONDS = 0.1
#: How long a child asked to stop (SIGTERM) gets before it is killed.
STOP_GRACE_SECONDS = 10.0
#: The variables that tell a package manager which HTTP proxy to use.
PROXY_VARIABLES = tuple(
    name for base in ("http_proxy", "https_proxy", "no_proxy") for name in (base, base.upper())
)


def proxy_environment(environ: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The HTTP proxy settings of our environment, for children that download."""
    source = os.environ if environ is None else environ
    return {name: source[name] for name in PROXY_VARIABLES if name in source}


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
        on_interrupt: str = "stop",
        user: Optional[str] = None,
    ) -> ProcessResult:
        """Run ``argv``; return its result, or raise CommandError.

        With ``check``, a non-zero exit status raises CommandError naming the
        command and the end of its error output. ``on_interrupt``: "finish"
        lets the child end by itself when a signal asks the run to stop,
        "stop" sends it SIGTERM; either way Interrupted is raised after it ended.
        ``user``: run as that account (its groups, its home), as ``sudo -u``
        would, from ``/``: the caller's folder may be one that account cannot
        enter (root's home), which HAProxy's ``default-path config`` trips on; needs root.
        """
        args = tuple(argv)
        environment = {"PATH": SAFE_PATH, "LANG": "C", "LC_ALL": "C"}
        identity = _identity(user, environment) if user is not None else {}
        if env:
            environment.update(env)
        start = time.monotonic()
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                env=environment,
                start_new_session=True,
                **identity,
            )
        except FileNotFoundError:
            raise CommandError(f"{args[0]}: command not found") from None
        except PermissionError:
            raise CommandError(f"{args[0]}: cannot run it as {user}; run as root") from None
        try:
            stdout, stderr, timed_out = _communicate(process, input, timeout, on_interrupt)
        except BaseException:
            _stop(process)
            raise
        seconds = time.monotonic() - start
        if timed_out:
            result = ProcessResult(args, -1, stdout, stderr, seconds)
            self.history.append(result)
            raise CommandError(f"{result.shown()}: no answer after {timeout:.0f} s", result)
        result = ProcessResult(args, process.returncode, stdout, stderr, seconds)
        self.history.append(result)
        interrupts.raise_if_pending()
        if check and not result.ok:
            raise CommandError(failure_message(result), result)
        return result

    def start(
        self,
        argv: Sequence[str],
        *,
        input: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        user: Optional[str] = None,
    ) -> Background:
        """Start ``argv`` and return at once; the caller must :meth:`Background.stop` it.

        For a helper that serves while fips-setup works with it (the live
        check's copy of the proxy). ``input`` is its standard input as a file
        (in memory where the kernel can, else an unlinked temporary file),
        not a pipe: a child running as ``user`` can reopen it as ``/dev/stdin``,
        which it could not do with root's pipe. Same environment, identity and
        session rules as :meth:`run`; raises CommandError when it cannot be started.
        """
        args = tuple(argv)
        environment = {"PATH": SAFE_PATH, "LANG": "C", "LC_ALL": "C"}
        identity = _identity(user, environment) if user is not None else {}
        if env:
            environment.update(env)
        stdin = _input_file(input) if input is not None else subprocess.DEVNULL
        try:
            process = subprocess.Popen(
                args,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                env=environment,
                start_new_session=True,
                **identity,
            )
        except FileNotFoundError:
            raise CommandError(f"{args[0]}: command not found") from None
        except PermissionError:
            raise CommandError(f"{args[0]}: cannot run it as {user}; run as root") from None
        finally:
            if input is not None:
                os.close(stdin)  # the child holds its own copy
        return Background(self, process, args)


def _input_file(text: str) -> int:
    """A readable file holding ``text``, at offset 0, reopenable by its holder (mode 644)."""
    data = text.encode("utf-8")
    try:
        fd = os.memfd_create("fips-setup-input", os.MFD_CLOEXEC)
    except (AttributeError, OSError):  # no memfd (Linux before 3.17, Python without it)
        import tempfile

        fd, name = tempfile.mkstemp(prefix="fips-setup-input-")
        os.unlink(name)
    try:
        os.fchmod(fd, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


class Background:
    """A child :meth:`Runner.start` started: ask whether it runs, then stop it (once)."""

    def __init__(self, runner: Runner, process: subprocess.Popen[str], args: tuple[str, ...]):
        self._runner = runner
        self._process = process
        self.args = args
        self._started = time.monotonic()
        self._result: Optional[ProcessResult] = None

    @property
    def pid(self) -> int:
        """Its process id."""
        return self._process.pid

    def running(self) -> bool:
        """True while it has not exited."""
        return self._process.poll() is None

    def stop(self) -> ProcessResult:
        """End it (SIGTERM to its session, then SIGKILL) and return what it did and said."""
        if self._result is None:
            for signum, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, STOP_GRACE_SECONDS)):
                if self._process.poll() is not None:  # reaped: its id may be someone else's now
                    break
                _signal_group(self._process, signum)  # its helpers too (a timeout wrapper)
                try:
                    self._process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:
                stdout, stderr = self._process.communicate(timeout=1.0)
            except (ValueError, OSError, subprocess.TimeoutExpired):
                stdout, stderr = "", ""
            self._result = ProcessResult(
                self.args,
                self._process.returncode if self._process.returncode is not None else -1,
                stdout or "",
                stderr or "",
                time.monotonic() - self._started,
            )
            self._runner.history.append(self._result)
        return self._result


def _communicate(
    process: subprocess.Popen[str], input: Optional[str], timeout: float, on_interrupt: str
) -> tuple[str, str, bool]:
    """Wait for ``process`` (its output, and whether it timed out), minding stop requests."""
    deadline = time.monotonic() + timeout
    stopped = False
    while True:
        try:
            stdout, stderr = process.communicate(input, timeout=_POLL_SECONDS)
            return stdout or "", stderr or "", False
        except subprocess.TimeoutExpired:
            pass
        if interrupts.stopping() and on_interrupt == "stop" and not stopped:
            stopped = True
            _signal_group(process, signal.SIGTERM)
            deadline = min(deadline, time.monotonic() + STOP_GRACE_SECONDS)
        if time.monotonic() >= deadline:
            _stop(process)
            stdout, stderr = process.communicate()
            return stdout or "", stderr or "", not stopped


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop a child that is still running (SIGTERM, then SIGKILL) and reap it."""
    for signum, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, STOP_GRACE_SECONDS)):
        if process.poll() is not None:
            break
        _signal_group(process, signum)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ValueError, OSError, subprocess.TimeoutExpired):
        process.communicate(timeout=1.0)


def _identity(user: str, environment: dict[str, str]) -> dict[str, Any]:
    """The ``subprocess`` arguments that run a command as ``user`` from ``/``, and its HOME."""
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
        "cwd": "/",
    }


def failure_message(result: ProcessResult) -> str:
    """One line: the command, its exit status and the end of its error output."""
    tail = result.tail()
    return f"{result.shown()} exited with status {result.returncode}" + (
        f": {tail}" if tail else ""
    )
