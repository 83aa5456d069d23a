"""enable, disable and status: their output and exit codes, on a fake host.

The commands are called behind Typer (Typer's own file checks do not mix
with pyfakefs); ``test_typer_passes_every_option`` covers the parsing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer import host as host_module
from installer.cli import app, commands
from tests.fakes import FakeHost
from tests.installer.conftest import API_KEY, HostFactory


@pytest.fixture
def fake_host(make_host: HostFactory, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    host = make_host()
    monkeypatch.setattr(host_module, "Host", lambda: host)
    return host


def call(*args: str) -> int:
    """Call the command function the way Typer would for ``args``."""
    # A new Path: on Python 3.9 one made before pyfakefs started reads the real disk.
    config = Path(str(commands.DEFAULT_CONFIG))
    name, flags = args[0], set(args[1:])
    as_json, dry_run = "--json" in flags, "--dry-run" in flags
    if name == "enable":
        return commands.enable_command(
            config,
            port_range_start=None,
            local_address=None,
            package_file=None,
            no_install=False,
            no_restart=False,
            refresh_proxy_config=False,
            allow_other_site=False,
            dry_run=dry_run,
            as_json=as_json,
        )
    if name == "disable":
        return commands.disable_command(
            config, remove_package=False, no_restart=False, dry_run=dry_run, as_json=as_json
        )
    return commands.status_command(config, as_json=as_json)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = call(*args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status, out, err = run(capsys, *args, "--json")
    assert out.count("\n") == 1 and err == ""
    return status, json.loads(out)


def test_enable_json_then_again(fake_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "enable")
    assert (status, doc["changed"], doc["failed"]) == (0, True, False), doc["msg"]
    assert doc["actions"][0]["kind"] == "install-package"
    assert doc["proxy_version"] == "1.1.17-1"
    assert [d["path"] for d in doc["diff"]] == [
        "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg",
        "/etc/datadog-agent/datadog.yaml",
    ]
    proxy_config = doc["diff"][0]
    assert proxy_config["before"] == "" and "frontend" in proxy_config["after"]
    assert set(proxy_config) == {"path", "before", "after"}
    assert ["apt-get", "update"] in [c["argv"][:2] for c in doc["commands"]]
    status, doc = run_json(capsys, "enable")
    assert (status, doc["changed"], doc["actions"]) == (0, False, [])


def test_enable_failure_json_lists_what_was_undone(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_host.system.proxy_opens_ports = False
    status, doc = run_json(capsys, "enable")
    assert status == 1
    assert doc["failed"] is True and doc["error"] == "step-failed"
    assert "the host is as it was" in doc["msg"]
    statuses = [a["status"] for a in doc["actions"]]
    assert statuses == ["undone", "undone", "undone", "undone", "failed", "planned", "planned"]


def test_human_enable_and_status(fake_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "enable")
    assert status == 0
    assert "✓ install datadog-fips-proxy with apt" in out
    # says what was checked, not that payloads flow (that is for a verification to say)
    assert (
        "the FIPS proxy accepts connections on ports 9803-9818; the Agent restarted with"
        " fips.enabled: true and is running" in out
    )
    status, out, err = run(capsys, "status")
    assert status == 0
    assert "FIPS proxy mode is on" in out
    assert "warning: datadog-fips-proxy 1.1.17-1 is older than 1.1.30 (2026-08-11)" in out
    # Settings as datadog.yaml spells them, each with where it comes from.
    assert "fips.enabled" in out and "true (file)" in out
    assert "9803 (default)" in out
    assert "(dd-agent:dd-agent 640: ok)" in out
    assert API_KEY not in out + err


def test_disable_json(fake_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    run_json(capsys, "enable")
    status, doc = run_json(capsys, "disable", "--dry-run")
    assert (status, doc["changed"], doc["dry_run"]) == (0, True, True)
    status, doc = run_json(capsys, "disable")
    assert (status, doc["changed"]) == (0, True)
    assert not fake_host.system.active["datadog-fips-proxy"]


def test_status_json_never_shows_the_key(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    status, doc = run_json(capsys, "status")
    assert status == 0
    assert doc["changed"] is False
    assert API_KEY not in json.dumps(doc)


def test_a_refusal_exits_1_with_one_line(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_host.system.packages["datadog-agent"] = "1:7.40.0-1"
    status, _, err = run(capsys, "enable")
    assert status == 1
    assert err.count("\n") == 1 and "needs 7.45 or newer" in err
    assert "Traceback" not in err


def test_typer_passes_every_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def record(name: str) -> Any:
        def fake(*args: Any, **kwargs: Any) -> int:
            seen[name] = (args, kwargs)
            return 0

        return fake

    for name in ("enable_command", "disable_command", "status_command"):
        monkeypatch.setattr(commands, name, record(name))
    assert app.run(
        ["enable", "--config", "/x.yaml", "--port-range-start", "10000", "--local-address",
         "::1", "--package-file", "/p.deb", "--no-install", "--no-restart",
         "--refresh-proxy-config", "--allow-other-site", "--dry-run", "--json"]
    ) == 0  # fmt: skip
    args, kwargs = seen["enable_command"]
    assert str(args[0]) == "/x.yaml"
    assert kwargs == {
        "port_range_start": 10000,
        "local_address": "::1",
        "package_file": kwargs["package_file"],
        "no_install": True,
        "no_restart": True,
        "refresh_proxy_config": True,
        "allow_other_site": True,
        "dry_run": True,
        "as_json": True,
    }
    assert str(kwargs["package_file"]) == "/p.deb"
    assert app.run(["disable", "--remove-package", "--no-restart", "--dry-run"]) == 0
    assert seen["disable_command"][1] == {
        "remove_package": True, "no_restart": True, "dry_run": True, "as_json": False,
    }  # fmt: skip
    assert app.run(["status", "--json"]) == 0
    assert seen["status_command"][1] == {"as_json": True}


def test_human_status_of_a_host_without_an_agent(
    fake_host: FakeHost, fs: FakeFilesystem, capsys: pytest.CaptureFixture[str]
) -> None:
    del fake_host.system.packages["datadog-agent"]
    fake_host.system.active["datadog-agent"] = False
    fake_host.system.enabled.pop("datadog-agent", None)
    fs.remove_object("/etc/datadog-agent")
    status, out, err = run(capsys, "status")
    assert status == 0 and err == ""
    for word in ("None", "?", "FIPS proxy mode is off", "sends directly"):
        assert word not in out, word
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in out.splitlines()
        if line.count("│") == 3
    }
    assert rows["datadog-agent service"] == "not installed"
    assert rows["datadog-fips-proxy service"] == "not installed"
    assert rows["site"] == "not set"
    assert rows["fips.enabled"] == "unknown"
    assert "no Datadog Agent is installed" in out
