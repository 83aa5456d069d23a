"""The Typer-free fast path must behave exactly like the Typer application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from installer.cli import app, fastpath


def typer_options(command_name: str) -> dict[str, bool]:
    """Option name -> is a flag, as the Typer application declares them."""
    group = typer.main.get_command(app.app)
    command = group.commands[command_name]  # type: ignore[attr-defined]
    return {
        name: bool(param.is_flag)
        for param in command.params
        for name in param.opts
        if name != "--help"
    }


@pytest.mark.parametrize("command_name", sorted(fastpath.COMMANDS))
def test_the_fast_table_matches_the_typer_declaration(command_name: str) -> None:
    fast = fastpath.COMMANDS[command_name]
    declared = {name: True for name in fast.flags} | {name: False for name in fast.values}
    assert declared == typer_options(command_name)


ARGS = [
    ["configure"],
    ["configure", "--dry-run", "--json"],
    ["configure", "--json", "--disable"],
    ["configure", "--port-range-start", "10000", "--local-address", "127.0.0.1", "--json"],
    ["configure", "--local-address", "::1", "--dry-run"],
    ["configure", "--port-range-start", "70000", "--json"],
    ["configure", "--local-address", "example.com"],
    ["configure", "--config", "/missing.yaml", "--json"],
]


@pytest.mark.parametrize("args", ARGS, ids=" ".join)
def test_same_output_and_status_as_typer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    original = "site: ddog-gov.com\n"
    config = tmp_path / "datadog.yaml"
    config.write_text(original)
    full = [*args[:1], "--config", str(config), *args[1:]] if "--config" not in args else args

    fast_status = fastpath.run(full)
    assert fast_status is not None, "the fast path should take this call"
    fast = capsys.readouterr()
    fast_file = config.read_text()
    config.write_text(original)

    typer_status = app.run(full)
    slow = capsys.readouterr()
    assert (fast_status, fast.out, fast.err) == (typer_status, slow.out, slow.err)
    assert config.read_text() == fast_file


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["configure", "--help"],
        ["configure", "--config=/x"],
        ["configure", "--json", "--json"],
        ["configure", "--port-range-start", "+5"],
        ["configure", "--port-range-start"],
        ["configure", "--local-address", "--json"],
        ["configure", "extra"],
        ["status", "--dry-run"],
        ["doctor", "--dry-run"],
        ["logs", "enable"],
        ["dns", "show"],
    ],
)
def test_anything_unusual_goes_to_typer(args: list[str]) -> None:
    assert fastpath.parse(args) is None


def test_every_command_on_the_fast_path_reaches_its_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from installer.cli import commands

    calls: dict[str, tuple[Any, ...]] = {}
    for command in fastpath.COMMANDS.values():

        def record(*args: Any, _name: str = command.function, **kwargs: Any) -> int:
            calls[_name] = (args, kwargs)
            return 0

        monkeypatch.setattr(commands, command.function, record)
    assert fastpath.run(["status"]) == 0
    assert calls["status_command"] == ((commands.DEFAULT_CONFIG,), {"as_json": False})
    assert fastpath.run(["install", "--json"]) == 0
    assert calls["install_command"] == ((None,), {"dry_run": False, "as_json": True})
    assert fastpath.run(["enable", "--package-file", "/p.deb", "--no-restart"]) == 0
    _, kwargs = calls["enable_command"]
    assert str(kwargs["package_file"]) == "/p.deb" and kwargs["no_restart"] is True
    assert kwargs["port_range_start"] is None and kwargs["as_json"] is False
