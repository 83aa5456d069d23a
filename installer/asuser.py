"""File work done as another account: how root writes in a folder a user owns.

When a non-root user owns a folder (``dd-agent`` owns ``/etc/datadog-agent``),
root must not create, rename or remove names there itself: the owner can
swap any name for a link between two of root's steps. As ``sudoedit`` does,
that part runs in a forked child that has dropped to the owner's uid, gid and
groups, so a race can only reach what the owner could reach anyway. What needs
root (owner, mode and SELinux label of the new file) is done by the parent on
the open descriptor the child hands over through a Unix socket, never by name.

``run_as`` is the switch :mod:`installer.files` uses; unit tests replace it
with :func:`in_process` (they may not fork), which runs both parts in order
in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
from typing import Any, Callable, NamedTuple, Optional

from installer.errors import FileAccessError

#: Hands an open descriptor to the root side and returns when it is done with it.
HandOver = Callable[[int], None]
#: The part done as the account: file-system calls by name, in the folder.
UserWork = Callable[[HandOver], None]
#: The part done as root: calls on the descriptor the user part hands over.
RootWork = Callable[[int], None]
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_MESSAGE_SIZE = 65536


class Account(NamedTuple):
    """Whom to act as: uid, primary gid, supplementary groups, and a name for messages."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    name: str


def account_of(uid: int, gid: int) -> Account:
    """The account of ``uid`` from the user database; ``gid`` (a folder's group) if unknown."""
    import pwd

    try:
        entry = pwd.getpwuid(uid)
    except (KeyError, OverflowError):
        return Account(uid, gid, (gid,), f"uid {uid}")
    try:
        groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    except OSError:
        groups = (entry.pw_gid,)
    return Account(uid, entry.pw_gid, groups, entry.pw_name)


def in_process(account: Account, user_work: UserWork, root_work: RootWork) -> None:
    """Both parts in this process, as whoever runs it (unit tests; nothing to drop)."""
    user_work(root_work)


def forked(account: Account, user_work: UserWork, root_work: RootWork) -> None:
    """``user_work`` in a child running as ``account``; ``root_work`` here, on its descriptors.

    Raises what either part raised (an OSError keeps its errno, a
    FileAccessError its message); a child that dies is a FileAccessError.
    """
    import warnings

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork in a process with threads (a
            # spinner): the child only makes system calls and exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        ours.close()
        theirs.close()
        raise
    if pid == 0:  # the child: never returns
        ours.close()
        _child(account, theirs, user_work, blocked)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    theirs.close()
    try:
        failure = _serve(account, ours, root_work)
    except BaseException:  # interrupted, or the child broke the protocol: stop it
        ours.close()
        _kill(pid)
        _reap(pid)
        raise
    ours.close()
    _reap(pid)  # after a root-side failure the child removes its temporary file first
    if failure is not None:
        raise failure


def _child(account: Account, channel: socket.socket, user_work: UserWork, mask: Any) -> None:
    """Drop to ``account``, run ``user_work``, report, exit (no cleanup handlers, no output)."""
    status = 1
    try:
        for number in _SIGNALS:  # the parent handles interrupts and stops us if need be
            signal.signal(number, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.setgroups(list(account.groups))
        os.setresgid(account.gid, account.gid, account.gid)
        os.setresuid(account.uid, account.uid, account.uid)

        def hand_over(fd: int) -> None:
            socket.send_fds(channel, [b'{"fd": true}'], [fd])
            if _receive(channel)[0] != {"error": None}:  # the root side failed, or died
                raise _Abandoned()

        user_work(hand_over)
        _send(channel, {"done": True})
        status = 0
    except _Abandoned:
        pass
    except FileAccessError as exc:
        _send_quietly(channel, {"error": "file", "message": exc.message})
    except OSError as exc:
        _send_quietly(channel, {"error": "os", "errno": exc.errno, "strerror": exc.strerror})
    except BaseException as exc:
        _send_quietly(channel, {"error": "internal", "message": f"{type(exc).__name__}: {exc}"})
    finally:
        os._exit(status)


class _Abandoned(Exception):
    """The root side failed; the child cleans up and exits."""


def _serve(
    account: Account, channel: socket.socket, root_work: RootWork
) -> Optional[BaseException]:
    """Answer the child's hand-overs until it reports.

    Returns what the root side raised (the child then gives up); raises what
    the child reported.
    """
    while True:
        message, fds = _receive(channel)
        if fds:
            failure: Optional[BaseException] = None
            try:
                for fd in fds[1:]:
                    os.close(fd)
                root_work(fds[0])
            except BaseException as exc:
                failure = exc
            finally:
                os.close(fds[0])
            _send(channel, {"error": None if failure is None else "root"})
            if failure is not None:
                return failure
            continue
        if message.get("done"):
            return None
        kind = message.get("error")
        if kind == "os":
            raise OSError(int(message["errno"]), str(message["strerror"]))
        if kind == "file":
            raise FileAccessError(str(message["message"]))
        if kind == "internal":
            raise RuntimeError(f"writing as {account.name}: {message['message']}")
        raise FileAccessError(
            f"the helper process writing as {account.name} stopped before it finished;"
            " nothing was changed by it, run again"
        )


def _receive(channel: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One message and the descriptors sent with it; ``{}`` when the other side closed."""
    data, fds, _flags, _address = socket.recv_fds(channel, _MESSAGE_SIZE, 4)
    if not data:
        for fd in fds:
            os.close(fd)
        return {}, []
    message = json.loads(data.decode("utf-8"))
    return (message if isinstance(message, dict) else {}), list(fds)


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    channel.send(json.dumps(message).encode("utf-8"))


def _send_quietly(channel: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        _send(channel, message)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> None:
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except ChildProcessError:
            return
        except InterruptedError:
            continue


#: How :mod:`installer.files` runs work as another account (tests: :func:`in_process`).
run_as: Callable[[Account, UserWork, RootWork], None] = forked
