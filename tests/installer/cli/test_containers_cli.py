"""The command line of ``helm`` and ``ecs``: JSON document, stdout, exit codes, secrets."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from installer.cli import fastpath
from installer.cli.main import main
from tests.installer.cli.helpers import run, run_json

API_KEY = "0123456789abcdef0123456789abcdef"
VALUES = (
    "# Datadog chart values\n"
    "datadog:\n"
    f"  apiKey: {API_KEY}\n"
    "  site: ddog-gov.com\n"
    "fips:\n"
    "  enabled: false\n"
    "  portRange: 16\n"
)
PUBLIC_VALUES = VALUES.replace(f"  apiKey: {API_KEY}\n", "  apiKeyExistingSecret: datadog\n")
DESCRIBED = (
    json.dumps(
        {
            "taskDefinition": {
                "taskDefinitionArn": "arn:aws-us-gov:ecs:us-gov-west-1:1:task-definition/dd:3",
                "containerDefinitions": [
                    {
                        "name": "datadog-agent",
                        "image": "public.ecr.aws/datadog/agent:7",
                        "environment": [
                            {"name": "DD_API_KEY", "value": API_KEY},
                            {"name": "DD_SITE", "value": "ddog-gov.com"},
                        ],
                    }
                ],
                "family": "dd",
                "networkMode": "awsvpc",
                "memory": "1024",
                "revision": 3,
                "status": "ACTIVE",
            },
            "tags": [{"key": "team", "value": "obs"}],
        },
        indent=4,
    )
    + "\n"
)


@pytest.fixture
def values(tmp_path: Path) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(VALUES)
    return path


@pytest.fixture
def taskdef(tmp_path: Path) -> Path:
    path = tmp_path / "td.json"
    path.write_text(DESCRIBED)
    return path


def test_helm_json_in_place_then_nothing(values: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run_json(capsys, "helm", str(values), "--in-place")
    assert (status, doc["changed"], doc["failed"]) == (0, True, False)
    assert doc["destination"] == "in-place"
    assert doc["diff"][0]["path"] == str(values)
    assert "  enabled: true\n" in doc["diff"][0]["after"]
    assert doc["settings"]["enabled"] is True
    assert "helm upgrade" in doc["msg"]
    assert "enabled: true" in values.read_text()
    status, doc = run_json(capsys, "helm", str(values), "--in-place")
    assert (status, doc["changed"], doc["diff"], doc["actions"]) == (0, False, [], [])


def test_helm_json_without_destination_carries_the_new_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(PUBLIC_VALUES)
    status, doc = run_json(capsys, "helm", str(path))
    assert (status, doc["changed"], doc["destination"], doc["output"]) == (0, True, "stdout", None)
    assert doc["diff"][0]["after"].count("use_https: false") == 1
    assert doc["document"] == doc["diff"][0]["after"]
    assert 'the new file is the JSON document\'s "document"' in doc["msg"]
    assert path.read_text() == PUBLIC_VALUES
    status, doc = run_json(capsys, "helm", str(path), "--dry-run")
    assert status == 0 and "document" not in doc


def test_helm_json_without_destination_refuses_a_file_with_secrets(
    values: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, doc = run_json(capsys, "helm", str(values))
    assert (status, doc["failed"], doc["error"]) == (1, True, "precondition")
    assert "--output PATH or --in-place" in doc["msg"] and API_KEY not in json.dumps(doc)
    assert values.read_text() == VALUES


def test_helm_without_destination_prints_the_new_file(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_bytes(PUBLIC_VALUES.replace("\n", "\r\n").encode())
    status = main(["helm", str(path)])
    captured = capsysbinary.readouterr()
    assert status == 0
    expected = PUBLIC_VALUES.replace("  enabled: false\n", "  enabled: true\n").replace(
        "  portRange: 16\n", "  portRange: 16\n  use_https: false\n"
    )
    assert captured.out == expected.replace("\n", "\r\n").encode()
    assert b"the new file is on stdout" in captured.err
    assert path.read_bytes() == PUBLIC_VALUES.replace("\n", "\r\n").encode()


def test_helm_output_and_options(
    values: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rendered.yaml"
    args = ("helm", str(values), "--output", str(out), "--port", "10000")
    args += ("--local-address", "127.0.0.1", "--image-tag", "1.1.17")
    status, doc = run_json(capsys, *args)
    assert (status, doc["changed"], doc["output"]) == (0, True, str(out))
    assert doc["settings"]["port"] == 10000 and doc["settings"]["image_tag"] == "1.1.17"
    assert 'tag: "1.1.17"' in out.read_text()
    assert values.read_text() == VALUES
    status, doc = run_json(capsys, *args)
    assert (status, doc["changed"]) == (0, False)


def test_helm_refuses_the_proxy_on_the_fips_agent_unless_moving_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("useFIPSAgent: true\nfips:\n  enabled: false\n  portRange: 16\n")
    status, out, err = run(capsys, "helm", str(path), "--in-place")
    assert status == 1 and out == ""
    assert err.startswith(f"error: {path}:1: useFIPSAgent is true")
    assert "need no proxy" in err and err.count("\n") == 1
    status, doc = run_json(capsys, "helm", str(path), "--in-place")
    assert (status, doc["failed"], doc["error"]) == (1, True, "precondition")
    assert path.read_text() == "useFIPSAgent: true\nfips:\n  enabled: false\n  portRange: 16\n"
    for spelling in ("--from-fips-agent", "--allow-fips-agent"):  # the older spelling too
        status, doc = run_json(capsys, "helm", str(path), "--dry-run", spelling)
        assert (status, doc["changed"]) == (0, True)
        assert doc["changes"] == [
            "set useFIPSAgent: false, fips.enabled: true, fips.use_https: false"
        ]
        assert doc["warnings"][0].startswith("useFIPSAgent becomes false (line 1)")


def test_ecs_documented_pipeline(
    taskdef: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new.json"
    status, out, err = run(capsys, "ecs", str(taskdef), "--output", str(new))
    assert status == 0 and err == ""
    assert '+      "name": "fips-proxy",' in out.replace("        ", "  ")
    assert f"file://{new}" in out
    written = json.loads(new.read_text())
    assert set(written) == {"containerDefinitions", "family", "networkMode", "memory", "tags"}
    assert written["tags"] == [{"key": "team", "value": "obs"}]
    status, doc = run_json(capsys, "ecs", str(taskdef), "--output", str(new))
    assert (status, doc["changed"], doc["diff"]) == (0, False, [])


def test_ecs_options(taskdef: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("ecs", str(taskdef), "--in-place", "--image-tag", "1.1.29")
    args += ("--port-range-start", "10000", "--agent-container", "datadog-agent")
    status, doc = run_json(capsys, *args)
    assert status == 0
    assert (doc["sidecar_image"], doc["port_range_start"]) == (
        "public.ecr.aws/datadog/fips-proxy:1.1.29",
        10000,
    )
    written = json.loads(taskdef.read_text())
    ports = [m["containerPort"] for m in written["containerDefinitions"][1]["portMappings"]]
    assert ports == list(range(10000, 10016))
    status, doc = run_json(capsys, *args)
    assert (status, doc["changed"]) == (0, False)


def test_helm_fips_agent_then_nothing(values: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values.write_text(VALUES.replace("enabled: false", "enabled: true"))
    status, doc = run_json(capsys, "helm", str(values), "--in-place", "--fips-agent")
    assert (status, doc["changed"], doc["failed"]) == (0, True, False)
    assert doc["changes"] == ["set fips.enabled: false, useFIPSAgent: true"]
    assert (doc["settings"]["useFIPSAgent"], doc["settings"]["enabled"]) == (True, False)
    assert values.read_text() == VALUES + "\nuseFIPSAgent: true\n"
    status, doc = run_json(capsys, "helm", str(values), "--in-place", "--fips-agent")
    assert (status, doc["changed"], doc["diff"], doc["actions"]) == (0, False, [], [])
    assert "already runs the FIPS Agent" in doc["msg"]


def test_ecs_fips_agent_then_nothing(
    taskdef: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new.json"
    args = ("ecs", str(taskdef), "--output", str(new), "--fips-agent")
    status, doc = run_json(capsys, *args)
    assert (status, doc["changed"], doc["fips_agent"], doc["form"]) == (
        0,
        True,
        True,
        "task-definition",
    )
    assert (doc["agent_image"], doc["sidecar_image"], doc["port_range_start"]) == (
        "public.ecr.aws/datadog/agent:7-fips",
        None,
        None,
    )
    assert "register-task-definition" in doc["msg"] and doc["warnings"] == []
    assert json.loads(new.read_text())["containerDefinitions"][0]["image"].endswith(":7-fips")
    status, doc = run_json(capsys, *args)
    assert (status, doc["changed"]) == (0, False)
    status, doc = run_json(capsys, "ecs", str(new), "--in-place", "--fips-agent")
    assert (status, doc["changed"]) == (0, False)
    assert "already runs the FIPS Agent" in doc["msg"]


def test_ecs_moves_back_from_the_fips_agent_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "td.json"
    task = {
        "family": "dd",
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {"name": "datadog-agent", "image": "public.ecr.aws/datadog/agent:7.70.0-fips"}
        ],
    }
    path.write_text(json.dumps(task, indent=2) + "\n")
    status, out, err = run(capsys, "ecs", str(path), "--in-place")
    assert (status, out) == (1, "")
    assert err.startswith(f"error: {path}:6: the Agent container 'datadog-agent' runs")
    assert "--from-fips-agent" in err and err.count("\n") == 1
    status, doc = run_json(capsys, "ecs", str(path), "--in-place")
    assert (status, doc["error"]) == (1, "precondition")
    for spelling in ("--from-fips-agent", "--allow-fips-agent"):
        status, doc = run_json(capsys, "ecs", str(path), "--dry-run", spelling)
        assert (status, doc["changed"]) == (0, True)
        assert doc["agent_image"] == "public.ecr.aws/datadog/agent:7.70.0"
        assert doc["sidecar_image"] == "public.ecr.aws/datadog/fips-proxy:1.1.30"
    assert json.loads(path.read_text()) == task


def test_ecs_refuses_an_image_pinned_by_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "td.json"
    image = "public.ecr.aws/datadog/agent@sha256:" + "0f" * 32
    path.write_text(json.dumps({"containerDefinitions": [{"name": "dd", "image": image}]}))
    status, out, err = run(capsys, "ecs", str(path), "--in-place", "--fips-agent")
    assert (status, out) == (1, "")
    assert err.startswith(f"error: {path}:1: the Agent container 'dd' runs {image}, pinned by")
    assert "public.ecr.aws/datadog/agent:latest-fips" in err and err.count("\n") == 1


TERRAFORM = [
    {
        "name": "datadog-agent",
        "image": "public.ecr.aws/datadog/agent:7.70.0",
        "environment": [{"name": "DD_SITE", "value": "ddog-gov.com"}],
        "secrets": [{"name": "DD_API_KEY", "valueFrom": "${dd_api_key_arn}"}],
    }
]


def test_ecs_a_terraform_list_comes_back_a_list(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "containers.json"
    path.write_text(json.dumps(TERRAFORM, indent=2) + "\n")
    status = main(["ecs", str(path)])
    captured = capsysbinary.readouterr()
    assert status == 0
    printed = json.loads(captured.out)
    assert [c["name"] for c in printed] == ["datadog-agent", "fips-proxy"]
    assert printed[1]["memoryReservation"] == 64  # no task-level memory in this file
    assert b"networkMode is set where these container definitions are used" in captured.err
    status = main(["ecs", str(path), "--in-place", "--fips-agent"])
    captured = capsysbinary.readouterr()
    assert status == 0 and b"terraform apply" in captured.out
    assert json.loads(path.read_text())[0]["image"].endswith(":7.70.0-fips")


def test_ecs_masks_secrets_spelled_as_cloudformation_spells_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "containers.json"
    containers = [
        {
            "Name": "datadog-agent",
            "Image": "public.ecr.aws/datadog/agent:7",
            "Environment": [{"Name": "DD_API_KEY", "Value": API_KEY}],
        }
    ]
    path.write_text(json.dumps(containers, indent=2))
    for extra in (("--dry-run",), ("--dry-run", "--json"), ("--json",), ()):
        for mode in ((), ("--fips-agent",)):
            status, out, err = run(capsys, "ecs", str(path), *extra, *mode)
            assert API_KEY not in out + err, (extra, mode)
            # to stdout (the file itself, or in the JSON): refused, as it holds a secret
            assert status == (0 if "--dry-run" in extra else 1), (extra, mode)
    status, doc = run_json(capsys, "ecs", str(path), "--in-place", "--fips-agent")
    assert (status, doc["form"]) == (0, "cloudformation-container-definitions")
    assert "CloudFormation stack update" in doc["msg"]
    assert json.loads(path.read_text())[0]["Environment"] == [
        {"Name": "DD_API_KEY", "Value": API_KEY}
    ]


@pytest.mark.parametrize("command", ["helm", "ecs"])
def test_secrets_never_appear_in_any_output(
    values: Path, taskdef: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = str(values if command == "helm" else taskdef)
    for extra in (
        ("--dry-run",),
        ("--dry-run", "--json"),
        ("--json",),
        (),
        ("--in-place", "--dry-run"),
        ("--in-place", "--json"),
        ("--in-place",),
    ):
        status, out, err = run(capsys, command, path, *extra)
        assert API_KEY not in out + err, extra
        to_stdout = "--in-place" not in extra and "--dry-run" not in extra
        assert status == (1 if to_stdout else 0), extra
    assert API_KEY in Path(path).read_text()  # the file keeps the real value


@pytest.mark.parametrize(
    ("command", "content", "message"),
    [
        ("helm", "fips: [\n", "values.yaml:2: invalid YAML"),
        ("helm", "fips: 1\n", "values.yaml:1: 'fips' is a number, not a mapping"),
        ("ecs", '{\n  "family": "x"\n  "cpu": "1"\n}\n', "td.json:3: invalid JSON"),
        ("ecs", '{"containerDefinitions": [{"name": "a", "image": "b"}]}', "no Datadog Agent"),
    ],
)
def test_bad_input_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, content: str, message: str
) -> None:
    path = tmp_path / ("values.yaml" if command == "helm" else "td.json")
    path.write_text(content)
    status, out, err = run(capsys, command, str(path), "--in-place")
    assert (status, out) == (1, "")
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    status, doc = run_json(capsys, command, str(path), "--in-place")
    assert (status, doc["failed"], doc["changed"]) == (1, True, False)
    assert doc["error"] in ("invalid-document", "precondition")
    assert path.read_text() == content


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("helm", "/nonexistent/values.yaml"), "no such file"),
        (("ecs", "{file}", "--agent-container", "nope"), "has no container named 'nope'"),
    ],
)
def test_failures_exit_1(
    values: Path,
    taskdef: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    file = values if args[0] == "helm" else taskdef
    args = tuple(arg.format(file=file) for arg in args)
    status, out, err = run(capsys, *args, "--in-place")
    assert (status, out) == (1, "")
    assert message in err and err.count("\n") == 1
    status, doc = run_json(capsys, *args, "--in-place")
    assert status == 1 and message in doc["msg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("helm", "{file}", "--port", "70000"), "--port 70000 is out of range"),
        (("helm", "{file}", "--local-address", "10.1.1.1"), "not a loopback address"),
        (
            ("helm", "{file}", "--image-tag", "a b"),
            "--image-tag: image tag 'a b' is not a valid tag",
        ),
        (
            ("ecs", "{file}", "--image-tag", "a b"),
            "--image-tag: image tag 'a b' is not a valid tag",
        ),
        (("ecs", "{file}", "--port-range-start", "0"), "--port-range-start 0 is out of range"),
    ],
)
def test_a_bad_option_value_is_a_usage_error(
    values: Path,
    taskdef: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    file = values if args[0] == "helm" else taskdef
    before = file.read_bytes()
    for path in (str(file), "/nonexistent/file"):  # checked before the file is read
        argv = tuple(arg.format(file=path) for arg in args)
        status, out, err = run(capsys, *argv, "--in-place")
        assert (status, out) == (2, "")
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
        status, doc = run_json(capsys, *argv, "--in-place")
        assert (status, doc["error"]) == (2, "usage") and message in doc["msg"]
    assert file.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ("helm", "{values}", "--in-place", "--output", "x.yaml"),
        ("ecs", "{taskdef}", "--output", "x.json", "--in-place"),
        ("helm",),
        ("ecs", "{taskdef}", "--port-range-start", "many"),
        ("helm", "{values}", "--unknown"),
        ("helm", "{values}", "--fips-agent", "--port", "10000"),
        ("helm", "{values}", "--from-fips-agent", "--fips-agent"),
        ("ecs", "{taskdef}", "--fips-agent", "--image-tag", "1.1.29"),
        ("ecs", "{taskdef}", "--port-range-start", "10000", "--fips-agent"),
    ],
)
def test_usage_errors_exit_2(
    values: Path, taskdef: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    args = tuple(arg.format(values=values, taskdef=taskdef) for arg in args)
    status, out, err = run(capsys, *args)
    assert status == 2 and "Traceback" not in err
    status, out, err = run(capsys, args[0], "--json", *args[1:])
    doc = json.loads(out)
    assert status == 2 and doc["error"] == "usage"
    assert values.read_text() == VALUES and taskdef.read_text() == DESCRIBED


def test_the_container_commands_are_not_on_the_fast_path() -> None:
    assert "helm" not in fastpath.COMMANDS and "ecs" not in fastpath.COMMANDS
    assert fastpath.parse(["helm", "values.yaml", "--json"]) is None


# -- networkMode, and warnings said once ------------------------------------


def test_ecs_refuses_a_task_whose_agent_cannot_reach_the_sidecar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = json.loads(DESCRIBED)["taskDefinition"]
    for mode in (None, "bridge", "none"):
        if mode is None:
            task.pop("networkMode")
        else:
            task["networkMode"] = mode
        path = tmp_path / "td.json"
        text = json.dumps(task, indent=2) + "\n"
        path.write_text(text)
        status, doc = run_json(capsys, "ecs", str(path), "--in-place")
        assert (status, doc["error"]) == (1, "precondition"), mode
        assert '"networkMode": "awsvpc"' in doc["msg"] and "--allow-bridge" in doc["msg"]
        assert path.read_text() == text
        # the operator sets networkMode where the file is used: written, warned once
        status, doc = run_json(capsys, "ecs", str(path), "--in-place", "--allow-bridge")
        assert (status, doc["changed"]) == (0, True)
        assert [w for w in doc["warnings"] if w.startswith("networkMode is")], doc["warnings"]
        status, doc = run_json(capsys, "ecs", str(path), "--in-place", "--allow-bridge")
        assert (status, doc["changed"], doc["warnings"]) == (0, False, [])
    status, doc = run_json(capsys, "ecs", str(path), "--fips-agent", "--allow-bridge")
    assert (status, doc["error"]) == (2, "usage")


def test_warnings_a_run_that_changes_nothing_would_repeat_are_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    containers = tmp_path / "containers.json"
    agent = {"name": "datadog-agent", "image": "public.ecr.aws/datadog/agent:7"}
    agent["environment"] = [{"name": "DD_SITE", "value": "ddog-gov.com"}]
    containers.write_text(json.dumps([agent], indent=2))
    status, doc = run_json(capsys, "ecs", str(containers), "--in-place")
    assert [w for w in doc["warnings"] if w.startswith("networkMode is set where")]
    status, doc = run_json(capsys, "ecs", str(containers), "--in-place")
    assert (status, doc["changed"], doc["warnings"]) == (0, False, [])
    values = tmp_path / "values.yaml"
    values.write_text(PUBLIC_VALUES.replace("  portRange: 16\n", ""))
    status, doc = run_json(capsys, "helm", str(values), "--in-place")
    assert [w for w in doc["warnings"] if w.startswith("fips.portRange is not set")]
    status, doc = run_json(capsys, "helm", str(values), "--in-place")
    assert (status, doc["changed"], doc["warnings"]) == (0, False, [])


# -- standard input -----------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_helm_reads_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    out = tmp_path / "new.yaml"
    for name in ("-", "/dev/stdin"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(VALUES.encode())))
        assert main(["helm", name, "--output", str(out)]) == 0
        assert out.read_text() == VALUES.replace("  enabled: false\n", "  enabled: true\n").replace(
            "  portRange: 16\n", "  portRange: 16\n  use_https: false\n"
        )
        assert out.stat().st_mode & 0o777 == 0o600  # it holds the API key
        captured = capsysbinary.readouterr()
        assert API_KEY.encode() not in captured.out + captured.err
        out.unlink()
    # no secret: the new file on stdout, as for a file
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PUBLIC_VALUES.encode())))
    assert main(["helm", "-"]) == 0
    assert b"  enabled: true\n" in capsysbinary.readouterr().out


def test_ecs_reads_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DESCRIBED.encode())))
    out = tmp_path / "td.json"
    status, doc = run_json(capsys, "ecs", "-", "--output", str(out))
    assert (status, doc["changed"]) == (0, True)
    assert json.loads(out.read_text())["containerDefinitions"][1]["name"] == "fips-proxy"


def test_standard_input_cannot_be_rewritten_in_place_or_typed_at(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("helm", "ecs"):
        status, doc = run_json(capsys, command, "-", "--in-place")
        assert (status, doc["error"]) == (2, "usage") and "--output PATH" in doc["msg"]
        monkeypatch.setattr(sys, "stdin", _Terminal())
        status, doc = run_json(capsys, command, "-", "--dry-run")
        assert (status, doc["error"]) == (1, "file-access")
        assert "standard input is a terminal" in doc["msg"]


def test_helm_all_ports_declares_every_port_of_the_proxy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(PUBLIC_VALUES.replace("  portRange: 16\n", "  portRange: 13\n"))
    status, doc = run_json(capsys, "helm", str(values), "--in-place", "--all-ports")
    assert (status, doc["changed"], doc["settings"]["portRange"]) == (0, True, 16)
    assert "fips.portRange: 16" in doc["msg"]
    assert not [w for w in doc["warnings"] if "portRange" in w]
    assert "  portRange: 16\n" in values.read_text()
    status, doc = run_json(capsys, "helm", str(values), "--in-place", "--all-ports")
    assert (status, doc["changed"]) == (0, False)
    status, doc = run_json(capsys, "helm", str(values), "--fips-agent", "--all-ports")
    assert (status, doc["error"]) == (2, "usage")


@pytest.mark.parametrize(
    "env",
    [
        '  - name: DD_ADDITIONAL_ENDPOINTS\n    value: \'{"https://app.ddog-gov.com": ["fedcba9876543210fedcba9876543210"]}\'\n',
        "  - name: DD_APP_KEY\n    value: fedcba9876543210fedcba9876543210fedcba98\n",
        "  - name: DD_PROXY_HTTPS\n    value: http://u:fedcba9876543210@proxy:3128\n",
    ],
)
def test_stdout_is_refused_for_every_kind_of_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], env: str
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        PUBLIC_VALUES.replace("  site: ddog-gov.com\n", "  site: ddog-gov.com\n  env:\n" + env)
    )
    status, out, err = run(capsys, "helm", str(path))
    assert status == 1 and out == "" and "holds secrets" in err
    assert "fedcba9876543210" not in err
    status, out, err = run(capsys, "helm", str(path), "--dry-run")
    assert status == 0 and "fedcba9876543210" not in out + err
