"""``fips-setup migrate`` (and ``status``, ``rollback`` after it) on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from installer import host as host_module
from installer.cli import app, fastpath
from tests.fakes import FakeHost
from tests.installer.cli.helpers import run, run_json
from tests.installer.conftest import API_KEY, HostFactory
from tests.installer.test_migrate import AGENT, CONFIG, MOVED_YAML, proxied, state

CONFIG_OPTION = ("--config", CONFIG)


@pytest.fixture
def fake_host(make_host: HostFactory, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    host = proxied(make_host)
    monkeypatch.setattr(host_module, "Host", lambda: host)
    return host


def test_migrate_json_then_again_then_rollback(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    before = state(fake_host)
    status, doc = run_json(capsys, "migrate", *CONFIG_OPTION)
    assert (status, doc["changed"], doc["failed"]) == (0, True, False), doc
    assert doc["agent_version"] == AGENT and doc["fips_agent_version"] == "1:7.66.1-1"
    assert doc["verification"]["verified"] is True
    assert isinstance(doc["agent_stopped_seconds"], float)
    assert [d["path"] for d in doc["diff"]] == [CONFIG]
    assert doc["diff"][0]["after"] == MOVED_YAML.replace(API_KEY, "********")
    assert API_KEY not in json.dumps(doc)
    status, again = run_json(capsys, "migrate", *CONFIG_OPTION)
    assert (status, again["changed"], again["actions"]) == (0, False, [])
    status, back = run_json(capsys, "rollback")
    assert (status, back["changed"]) == (0, True)
    assert back["checkpoint"]["command"] == "migrate"
    assert state(fake_host) == before


def test_a_failed_migration_is_one_document_naming_what_was_undone(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_host.system.status_mode = "proxy"
    status, doc = run_json(capsys, "migrate", *CONFIG_OPTION)
    assert status == 1 and doc["failed"] is True and doc["changed"] is False
    assert doc["error"] == "step-failed"
    assert doc["msg"].startswith("verify the FIPS Agent: its status shows FIPS Mode: enabled")
    assert "fips-mode: sudo -u dd-agent datadog-agent status: FIPS Mode: proxy" in doc["msg"]
    assert doc["undone"] == [
        "start datadog-agent (the FIPS Agent) and check it runs",
        "install datadog-fips-agent 1:7.66.1-1 with apt",
        f"set fips.enabled: false in {CONFIG}",
        f"remove datadog-agent {AGENT} with apt (not purged: /etc/datadog-agent stays)",
        "stop datadog-agent",
    ]
    assert fake_host.system.packages["datadog-agent"] == AGENT


def test_human_migrate_and_status(fake_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "migrate", *CONFIG_OPTION)
    assert status == 0, err
    assert "✓ remove datadog-agent 1:7.50.3-1 with apt" in out
    assert "-  enabled: true\n+  enabled: false" in out
    assert "✓ moved to the FIPS Agent: datadog-fips-agent 1:7.66.1-1 replaced" in out
    status, out, err = run(capsys, "status", *CONFIG_OPTION)
    assert status == 0
    assert "Agent flavor" in out and "the FIPS Agent" in out
    assert "the FIPS Agent (datadog-fips-agent) encrypts with its own FIPS module" in out
    status, doc = run_json(capsys, "status", *CONFIG_OPTION)
    assert doc["agent_flavor"] == "datadog-fips-agent"
    assert API_KEY not in out + err


def test_the_fast_path_passes_every_migrate_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from installer.cli import commands

    seen: dict[str, Any] = {}

    def record(*args: Any, **kwargs: Any) -> int:
        seen["call"] = (args, kwargs)
        return 0

    monkeypatch.setattr(commands, "migrate_command", record)
    argv = ["migrate", "--remove-proxy", "--agent-version", "7.65.2", "--package-file",
            "/p.rpm", "--dry-run", "--json"]  # fmt: skip
    assert fastpath.run(argv) == 0
    args, kwargs = seen["call"]
    assert args == (commands.DEFAULT_CONFIG,) and str(kwargs.pop("package_file")) == "/p.rpm"
    assert kwargs == {"remove_proxy": True, "agent_version": "7.65.2", "dry_run": True,
                      "as_json": True}  # fmt: skip
    assert fastpath.parse(["migrate", "--agent-version", "--json"]) is None  # Typer says why


def test_typer_passes_every_migrate_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from installer.cli import commands

    seen: dict[str, Any] = {}

    def record(*args: Any, **kwargs: Any) -> int:
        seen["call"] = (args, kwargs)
        return 0

    monkeypatch.setattr(commands, "migrate_command", record)
    argv = ["migrate", "--config=/x.yaml", "--remove-proxy", "--agent-version", "7.65.2",
            "--package-file", "/p.rpm", "--dry-run", "--json"]  # fmt: skip
    assert app.run(argv) == 0
    args, kwargs = seen["call"]
    assert str(args[0]) == "/x.yaml" and str(kwargs.pop("package_file")) == "/p.rpm"
    assert kwargs == {"remove_proxy": True, "agent_version": "7.65.2", "dry_run": True,
                      "as_json": True}  # fmt: skip
    assert Path(str(args[0])).name == "x.yaml"
