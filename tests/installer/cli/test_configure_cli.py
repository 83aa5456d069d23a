"""The command line contract of ``configure``: JSON document, exit codes, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.installer.cli.helpers import run, run_json

API_KEY = "0123456789abcdef0123456789abcdef"
ORIGINAL = f"api_key: {API_KEY}\nsite: ddog-gov.com\n"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A datadog.yaml in a temporary folder (real files, the real writer)."""
    path = tmp_path / "datadog.yaml"
    path.write_text(ORIGINAL)
    path.chmod(0o640)
    return path


def test_json_success_document(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "configure", "--config", str(config))
    assert status == 0
    assert doc["changed"] is True
    assert doc["failed"] is False
    assert isinstance(doc["msg"], str)
    assert doc["diff"][0]["path"] == str(config)
    assert doc["diff"][0]["after"].endswith("fips:\n  enabled: true\n  https: false\n")
    assert doc["settings"]["enabled"] is True

    status, doc = run_json(capsys, "configure", "--config", str(config))
    assert (status, doc["changed"], doc["diff"]) == (0, False, [])


def test_dry_run_json_changes_nothing(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "configure", "--config", str(config), "--dry-run")
    assert (status, doc["changed"], doc["dry_run"]) == (0, True, True)
    assert config.read_text() == ORIGINAL


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--local-address", "10.0.0.1"), "--local-address: local address '10.0.0.1' is not a"),
        (("--port-range-start", "65521"), "--port-range-start 65521 is out of range"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_before_the_file_is_read(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    for path in (str(config), "/nonexistent.yaml"):  # the file is not looked at
        status, out, err = run(capsys, "configure", "--config", path, *args)
        assert (status, out) == (2, "")
        assert err.startswith(f"error: {message}") and err.count("\n") == 1
        status, doc = run_json(capsys, "configure", "--config", path, *args)
        assert (status, doc["error"]) == (2, "usage") and doc["msg"].startswith(message)
    assert config.read_text() == ORIGINAL


def test_the_api_key_never_appears(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for args in (("--dry-run",), ("--dry-run", "--json"), (), ("--json",), ("--disable",)):
        status, out, err = run(capsys, "configure", "--config", str(config), *args)
        assert status == 0
        assert API_KEY not in out + err
        outputs.append(out)
    assert "-api_key: ********" not in outputs[0]  # the key line is unchanged, so not in the diff
    document = json.loads(outputs[1])
    assert document["diff"][0]["before"].startswith("api_key: ********\n")
    assert document["diff"][0]["after"].startswith("api_key: ********\n")


def test_a_secret_in_a_broken_file_stays_out_of_the_error(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text(f"api_key: {API_KEY}\napi_key: {API_KEY}x\n")
    for json_flag in ((), ("--json",)):
        status, out, err = run(capsys, "configure", "--config", str(config), *json_flag)
        assert status == 1
        assert API_KEY not in out + err


def test_human_output_shows_the_diff_and_warnings(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text("site: datadoghq.com\n")
    status, out, err = run(capsys, "configure", "--config", str(config), "--dry-run")
    assert status == 0
    assert "+fips:" in out
    assert "warning: site is datadoghq.com" in out
    assert "dry run: nothing was changed" in out
    assert err == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--config", "/nonexistent.yaml"), "/nonexistent.yaml: cannot read: no such file"),
        (("--config", "{folder}"), "{folder}: cannot read: is a folder"),
    ],
)
def test_failures_exit_1_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    args = tuple(arg.format(folder=config.parent) for arg in args)
    message = message.format(folder=config.parent)
    status, out, err = run(capsys, "configure", *args)
    assert status == 1
    assert out == ""
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err

    status, doc = run_json(capsys, "configure", *args)
    assert status == 1
    assert doc["failed"] is True and doc["changed"] is False
    assert message in doc["msg"]
    assert config.read_text() == ORIGINAL


@pytest.mark.parametrize(
    "args",
    [
        ("configure", "--port-range-start", "many"),
        ("configure", "--unknown"),
        ("configure", "--config"),
        ("frobnicate",),
    ],
)
def test_usage_errors_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    status, out, err = run(capsys, *args)
    assert status == 2
    assert "Traceback" not in err
    # --json right after the command name, so that no option takes it as its value
    status, out, err = run(capsys, args[0], "--json", *args[1:])
    doc = json.loads(out)
    assert status == 2
    assert doc["failed"] is True and doc["error"] == "usage"
