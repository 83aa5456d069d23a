"""Usage mistakes still get one JSON document with ``--json``, and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from installer.cli.main import after_the_command
from tests.installer.cli.helpers import run


def one_document(out: str) -> dict[str, object]:
    document = json.loads(out)
    assert isinstance(document, dict) and out.count("\n") == 1
    return document


@pytest.mark.parametrize(
    "args",
    [
        ("configure", "--config", "--json"),
        ("configure", "--config", "--json", "--dry-run"),
        ("ecs", "td.json", "--output", "--json"),
        ("dns", "set", "--nameserver", "--json"),
    ],
)
def test_an_option_followed_by_an_option_instead_of_its_value(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    status, out, err = run(capsys, *args)
    assert (status, err) == (2, "")
    document = one_document(out)
    assert document["error"] == "usage"
    assert document["msg"] == (
        f"{args[-2] if args[-1] == '--json' else args[-3]} needs a value, and is followed by"
        " the option --json (for a file of that name:"
        f" {args[-2] if args[-1] == '--json' else args[-3]} ./--json)"
    )


def test_json_before_the_command_goes_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "datadog.yaml"
    config.write_text("api_key: x\n")
    for args in (("--json",), ("--json", "--dry-run"), ("--dry-run", "--json")):
        status, out, err = run(capsys, *args, "configure", "--config", str(config), "--dry-run")
        assert (status, err) == (0, "")
        assert one_document(out)["dry_run"] is True
    assert config.read_text() == "api_key: x\n"


@pytest.mark.parametrize("args", [("--json",), ("--json", "--version"), ("--dry-run", "--json")])
def test_json_without_a_command_says_where_it_goes(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    status, out, err = run(capsys, *args)
    assert (status, err) == (2, "")
    first = args[0]
    assert one_document(out)["msg"] == (
        f"{first} goes with a command: fips-setup COMMAND [OPTIONS] {first}"
        " (fips-setup --help lists the commands)"
    )


def test_only_what_comes_before_the_command_moves() -> None:
    assert after_the_command(["--json", "dns", "set", "10.0.0.2"]) == [
        "dns", "set", "10.0.0.2", "--json"
    ]  # fmt: skip
    assert after_the_command(["status", "--json"]) == ["status", "--json"]
    assert after_the_command(["dns", "--json", "show"]) == ["dns", "show", "--json"]
    assert after_the_command(["--json", "logs", "--dry-run", "enable"]) == [
        "logs", "enable", "--json", "--dry-run"
    ]  # fmt: skip
    assert after_the_command(["--json", "helm", "v.yaml", "--", "--x"]) == [
        "helm", "v.yaml", "--json", "--", "--x"
    ]  # fmt: skip
