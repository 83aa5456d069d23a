"""doctor, verify, logs and dns on the command line: exit codes, one JSON document, the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from installer import host as host_module
from installer.cli import app, commands
from installer.enable import EnableOptions, enable
from tests.fakes import FakeHost
from tests.installer.conftest import API_KEY, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"


@pytest.fixture
def fake_host(make_host: HostFactory, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    host = make_host()
    monkeypatch.setattr(host_module, "Host", lambda: host)
    return host


def json_of(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.count("\n") == 1
    document = json.loads(captured.out)
    assert isinstance(document, dict)
    return document


def test_doctor_exits_1_with_failures_first(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    status = commands.doctor_command(Path(CONFIG), no_agent_check=True, as_json=False)
    out = capsys.readouterr().out
    assert status == 1
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split()[:2] == ["status", "check"]
    assert lines[1].split()[:2] == ["FAIL", "proxy-installed"]
    assert "→ fips-setup enable" in out
    assert lines[-1].startswith("✗ ") and "check(s) failed" in lines[-1]
    assert API_KEY not in out


def test_doctor_json_and_a_passing_host(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not enable(fake_host, EnableOptions(config=Path(CONFIG))).failed
    Path("/etc/resolv.conf").write_text("nameserver 10.0.0.53\n")
    capsys.readouterr()
    status = commands.doctor_command(Path(CONFIG), no_agent_check=True, as_json=True)
    document = json_of(capsys)
    failing = [c for c in document["checks"] if c["status"] == "fail"]
    # the fake host has no listeners in /proc: the proxy's ports are not seen
    assert [c["id"] for c in failing] == ["proxy-ports"]
    assert status == 1 and document["failed"] is True and document["error"] == "checks-failed"
    assert document["changed"] is False


def test_verify_exit_codes(fake_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    assert commands.verify_command(Path(CONFIG), as_json=True) == 1
    document = json_of(capsys)
    assert document["checks"][0]["id"] == "metrics-request"
    assert "connection refused" in document["checks"][0]["finding"]
    assert not enable(fake_host, EnableOptions(config=Path(CONFIG))).failed
    capsys.readouterr()
    assert commands.verify_command(Path(CONFIG), as_json=True) == 0
    assert json_of(capsys)["msg"].startswith("verified:")


def test_typer_passes_the_new_commands_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}

    def record(name: str) -> Any:
        def function(*args: Any, **kwargs: Any) -> int:
            calls[name] = (args, kwargs)
            return 0

        return function

    for name in ("doctor_command", "verify_command", "logs_command", "dns_show_command",
                 "dns_set_command"):  # fmt: skip
        monkeypatch.setattr(commands, name, record(name))
    assert app.run(["doctor", "--no-agent-check", "--config", "/x.yaml", "--json"]) == 0
    assert calls["doctor_command"] == (
        (Path("/x.yaml"),),
        {"no_agent_check": True, "as_json": True},
    )
    assert app.run(["verify"]) == 0
    assert calls["verify_command"] == ((Path(CONFIG),), {"as_json": False})
    assert app.run(["logs", "disable", "--dry-run"]) == 0
    assert calls["logs_command"] == (
        ("disable", Path(CONFIG)),
        {"dry_run": True, "as_json": False},
    )
    assert app.run(["dns", "show", "--json"]) == 0
    assert calls["dns_show_command"] == ((Path(CONFIG),), {"as_json": True})
    assert (
        app.run(["dns", "set", "--nameserver", "10.0.0.2", "[fd00::53]:53", "--no-resolv-conf"])
        == 0
    )
    assert calls["dns_set_command"] == (
        (["10.0.0.2", "[fd00::53]:53"],),
        {"no_resolv_conf": True, "dry_run": False, "as_json": False},
    )
    assert app.run(["dns", "set", "--nameserver", "a", "--nameserver", "b", "--json"]) == 0
    assert calls["dns_set_command"][0] == (["a", "b"],)


def test_dns_set_without_a_nameserver_is_refused(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    status = commands.dns_set_command([], no_resolv_conf=False, dry_run=False, as_json=True)
    assert status == 2  # a required option left out: a usage error, as everywhere
    document = json_of(capsys)
    assert document["msg"] == "give at least one --nameserver ADDR[:PORT]"
    assert document["error"] == "usage"
