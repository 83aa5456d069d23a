"""A host without an Agent: every command says the same thing, with the same code.

The operator who runs fips-setup before the Agent is there gets, from each
command that needs an Agent, one error code (``no-agent``, exit 1) and the
one thing to do (the one-step install script, in FIPS mode or for the FIPS
Agent), never a pointer to another command that needs an Agent too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from installer import host as host_module
from installer.cli import commands
from tests.fakes import FakeHost
from tests.installer.cli.helpers import run, run_json
from tests.installer.conftest import HostFactory

ONE_STEP = "one-step install script with DD_FIPS_MODE=1"
FIPS_AGENT = "DD_AGENT_FLAVOR=datadog-fips-agent"


@pytest.fixture
def bare_host(make_host: HostFactory, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    """Nothing of Datadog's: no package, no /etc/datadog-agent, no dd-agent account."""
    host = make_host(agent_version="")
    shutil.rmtree("/etc/datadog-agent")
    Path("/etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    Path("/etc/group").write_text("root:x:0:\nsystemd-journal:x:101:\n")
    monkeypatch.setattr(host_module, "Host", lambda: host)
    return host


@pytest.mark.parametrize(
    "args",
    [
        ("enable",),
        ("enable", "--dry-run"),
        ("install", "--dry-run"),
        ("install",),
        ("verify",),
    ],
)
def test_each_command_says_the_one_thing_to_do(
    bare_host: FakeHost, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    environment = {"DD_API_KEY": "0123456789abcdef0123456789abcdef", "DD_FIPS_MODE": "1"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        status, document = run_json(capsys, *args)
    assert (status, document["error"]) == (1, "no-agent"), document
    message = document["msg"]
    assert message.startswith("no Datadog Agent is installed"), message
    assert ONE_STEP in message and FIPS_AGENT in message
    assert "fips-setup install" not in message.replace("fips-setup install configures", "")
    assert message.endswith("nothing was changed")


def test_logs_gives_the_same_code(bare_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    # behind Typer, whose Path type does not mix with pyfakefs (the parsing is tested elsewhere)
    status = commands.logs_command(
        "enable", Path(str(commands.DEFAULT_CONFIG)), dry_run=True, as_json=True
    )
    document = json.loads(capsys.readouterr().out)
    assert (status, document["error"]) == (1, "no-agent")
    assert ONE_STEP in document["msg"]


def test_dns_gives_the_same_code(bare_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    status = commands.dns_show_command(Path(str(commands.DEFAULT_CONFIG)), as_json=True)
    document = json.loads(capsys.readouterr().out)
    assert (status, document["error"]) == (1, "no-agent")
    assert "fips-setup enable" not in document["msg"]  # it needs an Agent too


def test_migrate_and_disable_give_the_same_code(
    bare_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    status, document = run_json(capsys, "migrate", "--dry-run")
    assert (status, document["error"]) == (1, "no-agent")
    assert FIPS_AGENT in document["msg"]
    status, document = run_json(capsys, "disable", "--dry-run")
    assert (status, document["error"]) == (1, "no-agent")
    assert "nothing to disable" in document["msg"]


def test_people_get_it_in_one_line(bare_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "enable", "--dry-run")
    assert status == 1 and out == ""
    assert err.startswith("error: no Datadog Agent is installed") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("enable", "--dry-run", "--local-address", "8.8.8.8"), "--local-address: local address"),
        (("enable", "--port-range-start", "65530"), "--port-range-start 65530 is out of range"),
        (("migrate", "--dry-run", "--agent-version", "banana"), "--agent-version 'banana' is not"),
        (("migrate", "--agent-version", "7.60.1"), "--agent-version 7.60.1: the FIPS Agent starts"),
    ],
)
def test_a_bad_option_value_is_named_before_the_host_is_looked_at(
    bare_host: FakeHost, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    status, document = run_json(capsys, *args)
    assert (status, document["error"]) == (2, "usage")
    assert document["msg"].startswith(message)
    assert bare_host.system.calls == []  # not even a package query


def test_dns_set_checks_its_nameservers_first(
    bare_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    status = commands.dns_set_command(
        ["10.0.0.1", "bad"], no_resolv_conf=False, dry_run=True, as_json=True
    )
    document = json.loads(capsys.readouterr().out)
    assert (status, document["error"]) == (2, "usage")
    assert document["msg"].startswith("--nameserver: nameserver 'bad' is not an address")
