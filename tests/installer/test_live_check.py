"""The live check on a fake host: the copy started as the proxy's user, asked, then stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

import installer.live_check as live
from fipsconf.proxy_probe import HEADER
from installer.net import NoAnswer, PeerMismatch
from installer.runner import ProcessResult
from tests.fakes import FakeClock, FakeHost, FakeSystem, make_executable
from tests.fipsconf.evidence.samples import PROXY_EXAMPLE


class Copy:
    """What Runner.start returns: runs until stopped (or until it "crashes")."""

    def __init__(self, stderr: str = "", alive: bool = True) -> None:
        self.alive = alive
        self.stderr = stderr
        self.stopped = 0

    def running(self) -> bool:
        return self.alive

    def stop(self) -> ProcessResult:
        self.stopped += 1
        self.alive = False
        return ProcessResult(("haproxy",), -15, "", self.stderr, 0.1)


class Starter(FakeSystem):
    def __init__(self, copy: Copy) -> None:
        super().__init__()
        self.copy = copy
        self.started: list[tuple[list[str], Optional[str], Optional[str]]] = []

    def start(self, argv: Any, *, input: Any = None, env: Any = None, user: Any = None) -> Any:
        self.started.append((list(argv), input, user))
        return self.copy


def host_with(copy: Copy, fs: FakeFilesystem) -> tuple[FakeHost, Starter]:
    fs.create_file(
        "/etc/passwd", contents="root:x:0:0::/root:/bin/sh\ndd-agent:x:998:997::/:/sbin/nologin\n"
    )
    fs.create_file("/etc/group", contents="root:x:0:\ndd-agent:x:997:\n")
    make_executable(live.HAPROXY)
    system = Starter(copy)
    host = FakeHost(system)
    host.clock = FakeClock()
    return host, system


def answers(monkeypatch: pytest.MonkeyPatch, *replies: Any) -> list[tuple[str, str, int]]:
    """Script the copy's answers: bytes (a response head) or an exception to raise."""
    asked: list[tuple[str, str, int]] = []
    queue = list(replies)

    def exchange(name: str, host: str, timeout: float, uid: int) -> bytes:
        asked.append((name, host, uid))
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, BaseException):
            raise reply
        return reply

    monkeypatch.setattr(live.net, "abstract_socket_head", exchange)
    return asked


TLS = f"HTTP/1.1 200 OK\r\n{HEADER}: TLSv1.2|ECDHE-RSA-AES128-GCM-SHA256|datadog-metrics/mothership".encode()
NO_SERVER = f"HTTP/1.1 503 Service Unavailable\r\n{HEADER}: ||/".encode()


def test_the_copy_runs_as_the_proxys_user_on_its_configuration_and_reports_the_tls(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = Copy()
    host, system = host_with(copy, fs)
    asked = answers(monkeypatch, ConnectionRefusedError(), NO_SERVER, TLS)
    found = live.live_check(host, PROXY_EXAMPLE, 9804)
    assert found.checked and (found.protocol, found.cipher) == (
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
    )
    assert found.backend == "datadog-metrics/mothership" and found.http_status == 200
    assert found.record()["cipher_verdict"]["approved"] is True
    ((argv, config, user),) = system.started
    assert argv == ["timeout", "-s", "KILL", "10", live.HAPROXY, "-db", "-f", "/dev/stdin"]
    assert user == "dd-agent"
    assert config is not None and "bind abns@fips-setup-live-" in config
    assert "ssl-default-server-ciphers ECDHE-RSA-AES128-GCM-SHA256" in config
    # not yet listening, then no server yet, then the answer: three tries, one socket, dd-agent's
    assert len(asked) == 3 and len({name for name, _, _ in asked}) == 1
    assert asked[0][1:] == ("haproxy-app.agent.ddog-gov.com", 998)
    assert copy.stopped == 1


def test_no_route_is_said_never_guessed(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = Copy()
    host, _ = host_with(copy, fs)
    answers(monkeypatch, NO_SERVER)
    found = live.live_check(host, PROXY_EXAMPLE, 9804)
    assert not found.checked and found.protocol is None and found.cipher is None
    assert found.detail == (
        "not checked: no route to haproxy-app.agent.ddog-gov.com within 1.5 s through a copy of"
        " the proxy (it answered HTTP 503: no intake server reachable)"
    )
    assert host.clock.monotonic() - 1000.0 <= live.TIME_ALLOWED + 0.1  # bounded
    assert copy.stopped == 1


def test_a_copy_that_does_not_start_names_haproxys_alert(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = Copy("[ALERT] (1) : config : parsing [/dev/stdin:12] : unknown keyword 'x'", alive=False)
    host, _ = host_with(copy, fs)
    answers(monkeypatch, ConnectionRefusedError())
    found = live.live_check(host, PROXY_EXAMPLE, 9804)
    assert found.detail == (
        "not checked: the copy of the proxy stopped: [ALERT] (1) : config : parsing"
        " [/dev/stdin:12] : unknown keyword 'x'"
    )


def test_a_socket_held_by_another_user_is_not_trusted(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = Copy()
    host, _ = host_with(copy, fs)
    answers(monkeypatch, PeerMismatch("the socket is held by uid 1000, not 998"))
    found = live.live_check(host, PROXY_EXAMPLE, 9804)
    assert found.detail == (
        "not checked: the copy's socket was taken by someone else (the socket is held by uid"
        " 1000, not 998)"
    )
    assert copy.stopped == 1


@pytest.mark.parametrize(
    ("prepare", "detail"),
    [
        (lambda: Path(live.HAPROXY).unlink(), f"not checked: {live.HAPROXY} is missing"),
        (lambda: Path("/etc/passwd").write_text("root:x:0:0::/:/bin/sh\n"),
         "not checked: the proxy's user dd-agent does not exist"),
    ],
)  # fmt: skip
def test_what_keeps_the_check_from_running(
    fs: FakeFilesystem, prepare: Callable[[], Any], detail: str
) -> None:
    host, system = host_with(Copy(), fs)
    prepare()
    assert live.live_check(host, PROXY_EXAMPLE, 9804).detail == detail
    assert system.started == []


def test_an_intake_that_does_not_answer_in_time_is_no_route(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, _ = host_with(Copy(), fs)
    answers(monkeypatch, NoAnswer("no answer within 1.5 s"))
    found = live.live_check(host, PROXY_EXAMPLE, 9804)
    assert found.detail == (
        "not checked: no route to haproxy-app.agent.ddog-gov.com within 1.5 s through a copy of"
        " the proxy (no answer: the intake did not answer the copy of the proxy in time)"
    )
