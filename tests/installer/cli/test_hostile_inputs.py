"""Hostile inputs through the real command line: one JSON document and exit 1, never a hang.

Each case runs ``fips-setup`` as a process with a timeout: the bound. Before
this work a FIFO as ``--config`` hung forever, ``/dev/zero`` filled the
memory, deep nesting was a RecursionError traceback, an alias bomb kept
``configure`` and ``helm`` busy for good, and one long line of the form
``token x: a-a-a-...`` took minutes to redact.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.hostile import HOSTILE, SPECIAL, text_file

pytestmark = pytest.mark.real_processes

#: Seconds any of these may take, Python's start included, on a loaded machine.
BOUND = 10.0


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "installer.cli.main", *args, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    return result, time.monotonic() - started


YAML = {name: (text_file(text), words) for name, (text, _line, words) in HOSTILE.items()}
COMMANDS = {
    "configure": ["configure", "--dry-run", "--config"],
    "helm": ["helm", "--dry-run"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(SPECIAL) + sorted(YAML))
def test_a_hostile_input_is_answered_in_time_with_one_line(
    tmp_path: Path, command: str, name: str
) -> None:
    make, words = {**SPECIAL, **YAML}[name]
    path = make(tmp_path)
    result, elapsed = run_cli(*COMMANDS[command], str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["failed"] is True
    assert words in document["msg"], document["msg"]
    assert "Traceback" not in result.stderr
    print(f"{command} {name}: {elapsed:.2f} s")


@pytest.mark.parametrize("name", ["fifo", "dev-zero", "deep-json"])
def test_a_hostile_task_definition_is_answered_in_time(tmp_path: Path, name: str) -> None:
    if name == "deep-json":
        path = text_file('{"family": "x", "x": ' + "[" * 100000 + "]" * 100000 + "}")(tmp_path)
        words = "nests collections more than 100 levels deep"
    else:
        make, words = SPECIAL[name]
        path = make(tmp_path)
    result, _elapsed = run_cli("ecs", "--dry-run", str(path))
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert words in document["msg"], document["msg"]


def test_lines_built_to_slow_the_redaction_are_shown_in_time(tmp_path: Path) -> None:
    hostile = {
        "token x": "a-" * 100000 + "b",
        "url": "a://" * 50000,
        "api_key": "x" + " " * 200000 + "y",
        "basic": "Basic " + "QUJD" * 50000,
        "bearer": "bearer " * 30000,
        "dual": "additional_endpoints [" + "a," * 100000 + "]",
    }
    config = tmp_path / "datadog.yaml"
    config.write_text(
        "".join(f"{key}: {value}\n" for key, value in hostile.items())
        + "additional_endpoints:\n"
        + "".join(f"  https://x{i}:\n  - k\n" for i in range(20000))
    )
    result, _elapsed = run_cli("configure", "--dry-run", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["changed"] is True
    assert "x" + " " * 200000 + "y" not in result.stdout  # the api_key value is masked
