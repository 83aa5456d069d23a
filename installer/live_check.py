"""The live check: one request through a copy of the proxy, and the TLS it negotiated.

The copy is the proxy's own HAProxy on the proxy's own configuration (see
:mod:`fipsconf.proxy_probe`: listening on abstract sockets only, nothing that
acts outside it), run as the proxy's user for at most a few seconds. One
request to its metrics frontend goes to the intake the way the Agent's would;
the answer names the protocol and cipher HAProxy negotiated. When the intake
cannot be reached within the time allowed, the result says so, "not checked:
no route", and nothing is guessed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple, Optional

from fipsconf.errors import FipsSetupError
from fipsconf.proxy_probe import ProbeAnswer, probe_config, read_answer
from fipsconf.tls_policy import judge_cipher
from installer import net
from installer.host import Host
from installer.proxy import PROXY_CONFIG, PROXY_USER
from installer.runner import CommandError

HAPROXY = "/opt/datadog-fips-proxy/embedded/sbin/haproxy"
#: The whole check, from starting the copy to its answer (DESIGN section 8: evidence in 2 s).
TIME_ALLOWED = 1.5
#: The copy is killed after this many seconds whatever happens to fips-setup.
COPY_LIFETIME = 10
_RETRY = 0.05
#: Answers that mean the copy had no intake server to forward to (yet).
_NO_SERVER = (502, 503, 504)


class LiveCheck(NamedTuple):
    """What the live check found; ``checked`` False with the reason in ``detail``."""

    checked: bool
    detail: str
    server: Optional[str] = None  # the intake host name asked for
    backend: Optional[str] = None  # backend/server of the copy that answered
    protocol: Optional[str] = None
    cipher: Optional[str] = None
    http_status: Optional[int] = None
    seconds: Optional[float] = None

    def record(self) -> dict[str, Any]:
        """The JSON form, the cipher judged."""
        out = self._asdict()
        out["cipher_verdict"] = judge_cipher(self.cipher).record() if self.cipher else None
        return out


def not_checked(why: str) -> LiveCheck:
    """The check did not run, and why (never a guess of the result)."""
    return LiveCheck(False, f"not checked: {why}")


def live_check(host: Host, config_text: str, metrics_port: int) -> LiveCheck:
    """Start a copy of the proxy, send it one request, read the TLS it used; stop the copy."""
    if not host.path(HAPROXY).is_file():
        return not_checked(f"{HAPROXY} is missing")
    ids = host.account_ids(PROXY_USER)
    if ids is None:
        return not_checked(f"the proxy's user {PROXY_USER} does not exist")
    prefix = f"fips-setup-live-{os.urandom(8).hex()}"
    try:
        probe = probe_config(config_text, str(Path(PROXY_CONFIG).parent), prefix, metrics_port)
    except FipsSetupError as exc:
        return not_checked(str(exc))
    intake = probe.intake or "the intake"
    started = host.clock.monotonic()
    argv = ["timeout", "-s", "KILL", str(COPY_LIFETIME), HAPROXY, "-db", "-f", "/dev/stdin"]
    try:
        copy = host.runner.start(argv, input=probe.text, user=PROXY_USER)
    except CommandError as exc:
        return not_checked(f"the proxy's program could not be started: {exc}")
    answer: Optional[ProbeAnswer] = None
    problem = "no answer"
    exited = False
    try:
        while True:
            left = TIME_ALLOWED - (host.clock.monotonic() - started)
            if left <= 0:
                break
            if not copy.running():
                exited = True
                break
            try:
                head = net.abstract_socket_head(probe.socket, intake, left, ids[0])
                answer = read_answer(head)
            except net.PeerMismatch as exc:
                return not_checked(f"the copy's socket was taken by someone else ({exc})")
            except (ConnectionRefusedError, FileNotFoundError):
                problem = "the copy of the proxy did not listen in time"
            except net.NoAnswer:
                problem = "no answer: the intake did not answer the copy of the proxy in time"
            except (OSError, ValueError) as exc:  # a reset, not HTTP
                problem = str(exc) or type(exc).__name__
            else:
                if answer.protocol or answer.status not in _NO_SERVER:
                    break
                problem = f"it answered HTTP {answer.status}: no intake server reachable"
            host.clock.sleep(_RETRY)
    finally:
        result = copy.stop()
    seconds = round(host.clock.monotonic() - started, 3)
    if answer is not None and (answer.protocol or answer.status not in _NO_SERVER):
        return LiveCheck(
            True,
            f"one request through a copy of the proxy (its HAProxy, its configuration) to {intake}",
            intake,
            answer.server,
            answer.protocol,
            answer.cipher,
            answer.status,
            seconds,
        )
    if exited:
        alerts = [line.strip() for line in result.stderr.splitlines() if "ALERT" in line]
        said = alerts[0] if alerts else result.tail() or f"exit status {result.returncode}"
        return not_checked(f"the copy of the proxy stopped: {said[:200]}")
    return LiveCheck(
        False,
        f"not checked: no route to {intake} within {TIME_ALLOWED:g} s through a copy of the"
        f" proxy ({problem})",
        intake,
        seconds=seconds,
        http_status=answer.status if answer else None,
    )
