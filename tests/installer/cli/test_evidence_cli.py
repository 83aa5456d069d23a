"""evidence and evidence merge on the command line: formats, files, one-line errors, exit codes.

The commands are called behind Typer on the fake host (Typer's own path checks do
not mix with pyfakefs); ``test_typer_passes_the_evidence_options`` covers the parsing.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Optional

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

import installer.evidence as collecting
from fipsconf.evidence.document import digest_of
from installer import host as host_module
from installer.cli import app, commands
from installer.enable import EnableOptions, enable
from installer.live_check import not_checked
from tests.fakes import FakeHost, SequentialExecutor
from tests.installer.conftest import API_KEY, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"


@pytest.fixture
def fake_host(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch, fs: FakeFilesystem
) -> FakeHost:
    host = make_host()
    assert not enable(host, EnableOptions(config=Path(CONFIG))).failed
    monkeypatch.setattr(host_module, "Host", lambda: host)
    monkeypatch.setattr(collecting, "ThreadPoolExecutor", SequentialExecutor)
    monkeypatch.setattr(collecting, "live_check", lambda *a: not_checked("no route (test)"))
    fs.create_dir("/srv/out")
    return host


def evidence(
    capsys: pytest.CaptureFixture[str], form: str = "json", output: Optional[str] = None,
    as_json: bool = False,
) -> tuple[int, str, str]:  # fmt: skip
    status = commands.evidence_command(
        Path(CONFIG),
        form=form,
        output=Path(output) if output else None,
        agent_check=False,
        as_json=as_json,
    )
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def merge(
    capsys: pytest.CaptureFixture[str], *files: str, form: str = "html",
    output: Optional[str] = None, as_json: bool = False,
) -> tuple[int, str, str]:  # fmt: skip
    status = commands.evidence_merge_command(
        [Path(f) for f in files], form=form, output=Path(output) if output else None,
        as_json=as_json,
    )  # fmt: skip
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_document(out: str, err: str) -> dict[str, Any]:
    assert err == "" and out.count("\n") == 1
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def test_evidence_json_by_default_on_stdout_and_exit_0_even_when_not_compliant(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = evidence(capsys)
    assert status == 0
    document = json.loads(out)  # stdout is the evidence itself
    assert document["schema"] == "fips-setup-evidence/1"
    assert document["digest"]["value"] == digest_of(document)
    assert "NOT compliant" in err  # the verdict, for people, on stderr
    assert API_KEY not in out + err


def test_evidence_with_json_wraps_it(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    document = one_document(*evidence(capsys, "html", as_json=True)[1:])
    assert document["failed"] is False and document["changed"] is False
    assert document["format"] == "html" and document["output"] is None
    assert document["document"].startswith("<!DOCTYPE html>")
    assert document["evidence"]["digest"]["value"] == digest_of(document["evidence"])
    assert "NOT compliant" in document["msg"]


@pytest.mark.parametrize("form", ["json", "hdf", "oscal", "html"])
def test_evidence_output_writes_the_format_asked_mode_600(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    target = f"/srv/out/e.{form}"
    status, out, err = evidence(capsys, form, target, as_json=True)
    document = one_document(out, err)
    assert status == 0 and document["changed"] is True and document["output"] == target
    assert "document" not in document
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    text = Path(target).read_text()
    if form == "html":
        assert text.startswith("<!DOCTYPE html>")
    else:
        assert isinstance(json.loads(text), dict)


def test_merge_formats_and_bad_input(
    fake_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    assert evidence(capsys, output="/srv/out/a.json")[0] == 0
    for form in ("html", "hdf", "oscal", "csv", "json"):
        status, out, err = merge(
            capsys, "/srv/out/a.json", form=form, output=f"/srv/out/fleet.{form}", as_json=True
        )
        document = one_document(out, err)
        assert status == 0, document
        assert document["summary"]["hosts"] == 1 and document["summary"]["compliant"] == 0
    status, out, err = merge(capsys, "/srv/out/a.json", form="csv")
    assert status == 0 and out.startswith("host,compliant,") and "0 of 1 hosts" in err

    Path("/srv/out/b.json").write_text('{"schema": "something else"}')
    status, out, err = merge(capsys, "/srv/out/a.json", "/srv/out/b.json")
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(
        "error: /srv/out/b.json: not fips-setup evidence"
    )
    status, out, err = merge(capsys, "/srv/out/b.json", as_json=True)
    assert status == 1 and one_document(out, err)["error"] == "bad-evidence"


def test_typer_passes_the_evidence_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def record(name: str) -> Any:
        def fake(*args: Any, **kwargs: Any) -> int:
            seen[name] = (args, kwargs)
            return 0

        return fake

    for name in ("evidence_command", "evidence_merge_command"):
        monkeypatch.setattr(commands, name, record(name))
    argv = ["evidence", "--config", "/x.yaml", "--format", "oscal", "--output", "/o.json",
            "--agent-check", "--json"]  # fmt: skip
    assert app.run(argv) == 0
    args, kwargs = seen.pop("evidence_command")
    assert str(args[0]) == "/x.yaml" and str(kwargs.pop("output")) == "/o.json"
    assert kwargs == {"form": "oscal", "agent_check": True, "as_json": True}
    assert app.run(["evidence"]) == 0
    assert seen.pop("evidence_command")[1]["form"] == "json"
    assert app.run(["evidence", "merge", "a.json", "b.json", "--format", "csv"]) == 0
    args, kwargs = seen.pop("evidence_merge_command")
    assert [str(p) for p in args[0]] == ["a.json", "b.json"]
    assert kwargs == {"form": "csv", "output": None, "as_json": False}
    assert "evidence_command" not in seen  # merge does not collect this host's evidence
    assert app.run(["evidence", "merge", "x.json"]) == 0
    assert seen["evidence_merge_command"][1]["form"] == "html"
    # usage errors: exit 2
    assert app.run(["evidence", "merge"]) == 2
    assert app.run(["evidence", "--format", "pdf", "--json"]) == 2
    document = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert document["error"] == "usage"
