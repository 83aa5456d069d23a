"""``helm`` and ``ecs`` on real files: destinations, idempotency, secrets, bad input."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.ecs_taskdef import EcsRequest
from fipsconf.errors import FipsSetupError
from fipsconf.helm_values import HelmRequest
from installer.containers import Destination, ecs_task_definition, helm_values
from installer.errors import FileAccessError, PreconditionError
from installer.files import Ownership, ownership_of

API_KEY = "0123456789abcdef0123456789abcdef"
VALUES = f"datadog:\n  apiKey: {API_KEY}\n  site: ddog-gov.com\nfips:\n  enabled: false\n"
ENABLED = VALUES.replace("enabled: false\n", "enabled: true\n  use_https: false\n")
NO_SECRET_VALUES = "datadog:\n  site: ddog-gov.com\nfips:\n  enabled: false\n  portRange: 16\n"
TASK = {
    "family": "datadog-agent-task",
    "networkMode": "awsvpc",
    "memory": "1024",
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
}
DESCRIBED = json.dumps({"taskDefinition": {**TASK, "revision": 4}, "tags": []}, indent=4) + "\n"

IN_PLACE = Destination(in_place=True)
STDOUT = Destination()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        entry.name: (entry.read_bytes(), entry.stat().st_mtime_ns, entry.stat().st_mode)
        for entry in sorted(folder.iterdir())
        if entry.is_file() and not entry.is_symlink()
    }


def everything_shown(result: object) -> str:
    """All the text a result would show (msg, warnings, diff, details)."""
    return json.dumps(result.record())  # type: ignore[attr-defined]


@pytest.fixture
def values(tmp_path: Path) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(VALUES)
    path.chmod(0o640)
    return path


@pytest.fixture
def taskdef(tmp_path: Path) -> Path:
    path = tmp_path / "td.json"
    path.write_text(DESCRIBED)
    return path


# -- in place -------------------------------------------------------------


def test_in_place_writes_and_a_second_run_writes_nothing(values: Path) -> None:
    result = helm_values(values, HelmRequest(), IN_PLACE, dry_run=False)
    assert result.changed
    assert values.read_text() == ENABLED
    assert stat.S_IMODE(values.stat().st_mode) == 0o640
    assert [a["status"] for a in result.actions] == ["done"]
    assert result.document is None
    before = snapshot(values.parent)
    again = helm_values(values, HelmRequest(), IN_PLACE, dry_run=False)
    assert (again.changed, again.diff, again.actions) == (False, [], [])
    assert "nothing to change" in again.msg
    assert snapshot(values.parent) == before


def test_in_place_keeps_owner_and_mode(fs: FakeFilesystem) -> None:
    path = Path("/srv/helm/values.yaml")
    fs.create_file(path, contents=NO_SECRET_VALUES, st_mode=stat.S_IFREG | 0o600)
    os.chown(path, 1001, 1002)
    helm_values(path, HelmRequest(), IN_PLACE, dry_run=False)
    assert ownership_of(path) == Ownership(1001, 1002, 0o600)
    assert "enabled: true" in path.read_text()


def test_in_place_through_a_symlink_keeps_the_link(values: Path) -> None:
    link = values.parent / "current.yaml"
    link.symlink_to(values.name)
    helm_values(link, HelmRequest(), IN_PLACE, dry_run=False)
    assert link.is_symlink()
    assert values.read_text() == ENABLED


def test_dry_run_plans_and_touches_nothing(values: Path) -> None:
    before = snapshot(values.parent)
    result = helm_values(values, HelmRequest(), IN_PLACE, dry_run=True)
    assert result.changed and result.dry_run
    assert [a["status"] for a in result.actions] == ["planned"]
    assert "dry run" in result.msg
    assert snapshot(values.parent) == before


# -- output ---------------------------------------------------------------


def test_output_creates_the_file_with_the_inputs_mode(tmp_path: Path) -> None:
    source = tmp_path / "public.yaml"
    source.write_text(NO_SECRET_VALUES)
    source.chmod(0o644)
    out = tmp_path / "public-out.yaml"
    helm_values(source, HelmRequest(), Destination(output=out), dry_run=False)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


@pytest.mark.parametrize(("input_mode", "output_mode"), [(0o644, 0o600), (0o640, 0o600),
                                                         (0o400, 0o400)])  # fmt: skip
def test_an_output_holding_a_secret_is_for_its_owner_alone(
    tmp_path: Path, input_mode: int, output_mode: int
) -> None:
    source = tmp_path / "values.yaml"
    source.write_text(VALUES)
    source.chmod(input_mode)
    out = tmp_path / "out.yaml"
    helm_values(source, HelmRequest(), Destination(output=out), dry_run=False)
    assert API_KEY in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == output_mode


def test_output_writes_the_new_file(values: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "values.yaml"
    out.parent.mkdir()
    result = helm_values(values, HelmRequest(), Destination(output=out), dry_run=False)
    assert result.changed
    assert out.read_text() == ENABLED
    assert values.read_text() == VALUES
    assert result.diff[0].path == str(out)
    assert result.record()["output"] == str(out)
    assert result.msg.startswith(f"wrote {out} from {values}")
    before = snapshot(out.parent)
    again = helm_values(values, HelmRequest(), Destination(output=out), dry_run=False)
    assert (again.changed, again.diff, again.actions) == (False, [], [])
    assert "nothing to write" in again.msg
    assert snapshot(out.parent) == before


def test_output_replaces_a_stale_file_and_keeps_its_mode(values: Path, tmp_path: Path) -> None:
    out = tmp_path / "rendered.yaml"
    out.write_text("stale\n")
    out.chmod(0o600)
    result = helm_values(values, HelmRequest(), Destination(output=out), dry_run=False)
    assert result.changed
    assert out.read_text() == ENABLED
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_output_of_an_unchanged_input_is_a_copy(tmp_path: Path) -> None:
    source = tmp_path / "values.yaml"
    source.write_text(ENABLED)
    out = tmp_path / "copy.yaml"
    result = helm_values(source, HelmRequest(), Destination(output=out), dry_run=False)
    assert result.changed and result.diff == []
    assert "copied it to" in result.msg
    assert out.read_text() == ENABLED


def test_output_naming_the_input_is_in_place(values: Path) -> None:
    other_spelling = values.parent / "." / values.name
    result = helm_values(values, HelmRequest(), Destination(output=other_spelling), dry_run=False)
    assert result.changed
    assert values.read_text() == ENABLED
    assert sorted(p.name for p in values.parent.iterdir()) == ["values.yaml"]


def test_output_dry_run_creates_nothing(values: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    result = helm_values(values, HelmRequest(), Destination(output=out), dry_run=True)
    assert result.changed and not out.exists()


def test_output_into_a_missing_folder_fails_cleanly(values: Path, tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match=r"cannot write: the folder .* does not exist"):
        helm_values(
            values, HelmRequest(), Destination(output=tmp_path / "no" / "x.yaml"), dry_run=False
        )


# -- stdout ---------------------------------------------------------------


def test_stdout_carries_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(NO_SECRET_VALUES)
    before = snapshot(tmp_path)
    result = helm_values(path, HelmRequest(), STDOUT, dry_run=False)
    assert result.changed and result.actions == []
    assert result.document is not None
    assert result.document.decode() == NO_SECRET_VALUES.replace(
        "enabled: false\n", "enabled: true\n", 1
    ).replace("portRange: 16\n", "portRange: 16\n  use_https: false\n")
    assert snapshot(tmp_path) == before
    assert helm_values(path, HelmRequest(), STDOUT, dry_run=True).document is None


def test_stdout_refuses_a_file_with_secrets(values: Path, taskdef: Path) -> None:
    for call in (
        lambda: helm_values(values, HelmRequest(), STDOUT, dry_run=False),
        lambda: ecs_task_definition(taskdef, EcsRequest(), STDOUT, dry_run=False),
    ):
        with pytest.raises(PreconditionError, match="never prints") as caught:
            call()
        assert API_KEY not in str(caught.value)
    # a dry run shows the (masked) diff instead
    result = helm_values(values, HelmRequest(), STDOUT, dry_run=True)
    assert result.changed and API_KEY not in everything_shown(result)


# -- ecs ------------------------------------------------------------------


def test_ecs_pipeline_output_is_register_ready(taskdef: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    result = ecs_task_definition(taskdef, EcsRequest(), Destination(output=new), dry_run=False)
    assert result.changed
    written = json.loads(new.read_text())
    assert "taskDefinition" not in written and "revision" not in written
    assert [c["name"] for c in written["containerDefinitions"]] == ["datadog-agent", "fips-proxy"]
    assert written["containerDefinitions"][0]["environment"][0] == {
        "name": "DD_API_KEY",
        "value": API_KEY,
    }
    assert API_KEY not in everything_shown(result)
    assert "register-task-definition --cli-input-json file://" in result.msg
    record = result.record()
    assert (record["agent_container"], record["port_range_start"]) == ("datadog-agent", 9803)
    again = ecs_task_definition(new, EcsRequest(), IN_PLACE, dry_run=False)
    assert not again.changed


def test_ecs_in_place_is_idempotent(taskdef: Path) -> None:
    first = ecs_task_definition(taskdef, EcsRequest(), IN_PLACE, dry_run=False)
    assert first.changed
    before = snapshot(taskdef.parent)
    second = ecs_task_definition(taskdef, EcsRequest(), IN_PLACE, dry_run=False)
    assert (second.changed, second.diff, second.actions) == (False, [], [])
    assert snapshot(taskdef.parent) == before


def test_ecs_secret_with_a_short_value_is_masked_too(tmp_path: Path) -> None:
    task = json.loads(json.dumps(TASK))
    task["containerDefinitions"][0]["environment"].append({"name": "DB_PASSWORD", "value": "x9"})
    path = tmp_path / "td.json"
    path.write_text(json.dumps(task, indent=2))
    result = ecs_task_definition(path, EcsRequest(), IN_PLACE, dry_run=True)
    assert '"value": "x9"' not in everything_shown(result)


# -- bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("values.yaml", "fips: [\n", "values.yaml:2: invalid YAML"),
        ("values.yaml", "fips: on\n", "values.yaml:1: 'fips' is a boolean, not a mapping"),
        ("values.yaml", "useFIPSAgent: true\n", "values.yaml:1: useFIPSAgent is true"),
        ("td.json", '{\n  "a": 1,\n}\n', "td.json:2: invalid JSON, a comma before '}'"),
        ("td.json", '{"containerDefinitions": [{"name": "x", "image": "y"}]}', "no Datadog Agent"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = snapshot(tmp_path)
    command = helm_values if name.endswith(".yaml") else ecs_task_definition
    request = HelmRequest() if name.endswith(".yaml") else EcsRequest()
    for destination in (IN_PLACE, STDOUT, Destination(output=tmp_path / f"out-{name}")):
        with pytest.raises(FipsSetupError) as caught:
            command(path, request, destination, dry_run=False)  # type: ignore[operator]
        assert message in str(caught.value)
        assert str(caught.value).startswith(str(tmp_path))
        assert "\n" not in str(caught.value)
    assert snapshot(tmp_path) == before


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="no such file; give the path of the Helm values"):
        helm_values(tmp_path / "nope.yaml", HelmRequest(), IN_PLACE, dry_run=False)
    with pytest.raises(FileAccessError, match="is a folder"):
        ecs_task_definition(tmp_path, EcsRequest(), IN_PLACE, dry_run=False)


def test_stdout_prints_a_file_whose_key_is_in_a_kubernetes_secret(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("datadog:\n  apiKeyExistingSecret: datadog-secret\nfips:\n  portRange: 16\n")
    result = helm_values(path, HelmRequest(), STDOUT, dry_run=False)
    assert result.document is not None
    assert b"apiKeyExistingSecret: datadog-secret\n" in result.document


def test_stdout_refuses_a_password_in_a_url(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("proxy:\n  https: http://user:hunter22@proxy:3128\nfips:\n  portRange: 16\n")
    with pytest.raises(PreconditionError, match="never prints"):
        helm_values(path, HelmRequest(), STDOUT, dry_run=False)
