"""Help texts: complete, and in step with what the commands read and the documents say."""

from __future__ import annotations

import re
from typing import Any, Optional

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.new_host import INSTALL_VARIABLES
from installer.install import InstallOptions, install
from tests.conftest import REPO
from tests.installer.cli.helpers import run
from tests.installer.conftest import API_KEY, HostFactory

#: Set by the one-step script for fips-setup alone: no operator sets it.
INTERNAL = {"FIPS_SETUP_INSTALLED_BY"}
VARIABLE = re.compile(r"\b(?:DD|FIPS_SETUP)_[A-Z0-9_]+\b")


def help_of(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # one line per row, whatever the terminal
    status, out, err = run(capsys, *args, "--help")
    assert (status, err) == (0, "")
    return out


class Recording(dict):  # type: ignore[type-arg]
    """An environment that notes every variable asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Optional[Any] = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def test_install_help_lists_every_variable_install_reads(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = help_of(capsys, monkeypatch, "install")
    listed = [line.split()[0] for line in out.splitlines() if VARIABLE.match(line.strip())]
    assert listed == [name for name, _ in INSTALL_VARIABLES]
    assert "then enable the FIPS proxy" not in out.split("Reads")[0].replace(
        "with DD_FIPS_MODE, enable the FIPS proxy", ""
    )
    assert "[default: /etc/datadog-agent/datadog.yaml]" in out and "(default:" not in out


@pytest.mark.parametrize("fips_mode", ["1", ""])
def test_the_listed_variables_are_exactly_those_install_reads(
    make_host: HostFactory, fs: FakeFilesystem, fips_mode: str
) -> None:
    host = make_host()
    environment = Recording({"DD_API_KEY": API_KEY, "DD_FIPS_MODE": fips_mode})
    install(host, InstallOptions(environment=environment, dry_run=True))
    assert environment.asked <= {name for name, _ in INSTALL_VARIABLES}
    if fips_mode:
        assert environment.asked == {name for name, _ in INSTALL_VARIABLES}


def test_install_script_md_documents_each_of_them() -> None:
    """docs/install-script.md's tables are where each variable is explained: all are there."""
    text = (REPO / "docs" / "install-script.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in VARIABLE.findall(row.split("|")[1])}
    assert {name for name, _ in INSTALL_VARIABLES} - INTERNAL <= documented


def test_cli_md_points_there_instead_of_a_second_table() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## `fips-setup install`")[1].split("\n## ")[0]
    assert "install-script.md#every-variable" in section
    assert not [line for line in section.splitlines() if line.startswith("| `DD_")]


@pytest.mark.parametrize("command", ["helm", "ecs"])
def test_the_usage_line_and_the_older_option_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    out = help_of(capsys, monkeypatch, command)
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage and ("VALUES.yaml" in usage or "TASKDEF.json" in usage)
    assert "--from-fips-agent" in out
    assert "--from-fips-agent," not in out  # one name a row; the older one is in its help
    assert "--allow-fips-agent is its older name" in out


def test_every_command_has_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = help_of(capsys, monkeypatch)
    for command in ("configure", "enable", "install", "disable", "status", "doctor", "verify",
                    "logs", "dns", "migrate", "rollback", "helm", "ecs"):  # fmt: skip
        row = next((line for line in out.splitlines() if f" {command} " in line), "")
        assert len(row.split(command, 1)[1].strip(" │")) > 10, command
