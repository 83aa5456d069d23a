"""logs enable / disable: the vendor's three changes and a restart; disable takes back exactly those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.logs_config import JOURNALD_SOURCE
from installer.errors import FipsSetupError, PreconditionError
from installer.files import ownership_of
from installer.logs import LOGS_CONF, RECORD, LogsOptions, logs_disable, logs_enable
from installer.plan import PlanFailed
from tests.fakes import FakeHost
from tests.installer.conftest import AGENT_GID, AGENT_UID, DATADOG_YAML, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"  # a Path only inside tests (pyfakefs on 3.9)


@pytest.fixture
def host(make_host: HostFactory, fs: FakeFilesystem) -> FakeHost:
    fake = make_host()
    fs.create_dir("/etc/datadog-agent/conf.d")
    fs.create_dir("/var/lib")
    return fake


def member(host: FakeHost) -> bool:
    return bool(host.in_group("dd-agent", "systemd-journal"))


def test_enable_then_disable_leaves_everything_as_it_was(host: FakeHost) -> None:
    group_before = Path("/etc/group").read_bytes()
    restarts = host.system.restarts.get("datadog-agent", 0)
    result = logs_enable(host, LogsOptions(Path(CONFIG)))
    assert result.changed and not result.failed
    assert [a["kind"] for a in result.actions] == [
        "write-file", "write-file", "group", "write-file", "restart-service"
    ]  # fmt: skip
    conf = Path(LOGS_CONF)
    assert conf.read_text() == JOURNALD_SOURCE
    assert ownership_of(conf) == (AGENT_UID, AGENT_GID, 0o640)
    assert "\nlogs_enabled: true\n" in Path(CONFIG).read_text()
    assert Path(CONFIG).read_text() == DATADOG_YAML.replace(
        "logs_enabled: false", "logs_enabled: true"
    )
    assert member(host)
    assert ["gpasswd", "-a", "dd-agent", "systemd-journal"] in host.system.commands()
    assert host.system.restarts["datadog-agent"] == restarts + 1
    assert ownership_of(Path(RECORD)) == (0, 0, 0o600)
    assert ownership_of(Path(RECORD).parent) == (0, 0, 0o700)
    record = json.loads(Path(RECORD).read_text())
    assert record["group_added"] and record["folder_created"]
    assert record["datadog_yaml"]["logs_enabled_before"] is False

    again = logs_enable(host, LogsOptions(Path(CONFIG)))
    assert (again.changed, again.actions) == (False, [])
    assert host.system.restarts["datadog-agent"] == restarts + 1

    undone = logs_disable(host, LogsOptions(Path(CONFIG)))
    assert undone.changed and undone.warnings == []
    assert Path(CONFIG).read_text() == DATADOG_YAML
    assert not conf.exists() and not conf.parent.exists()
    assert Path("/etc/group").read_bytes() == group_before
    assert not Path(RECORD).exists()
    assert host.system.restarts["datadog-agent"] == restarts + 2

    nothing = logs_disable(host, LogsOptions(Path(CONFIG)))
    assert not nothing.changed and "nothing to take back" in nothing.msg


def test_what_was_there_before_stays(host: FakeHost, fs: FakeFilesystem) -> None:
    Path(CONFIG).write_text(DATADOG_YAML.replace("logs_enabled: false", "logs_enabled: true"))
    Path("/etc/group").write_text(
        Path("/etc/group")
        .read_text()
        .replace("systemd-journal:x:101:", "systemd-journal:x:101:dd-agent")
    )
    result = logs_enable(host, LogsOptions(Path(CONFIG)))
    assert result.actions[0]["description"].startswith(f"create {LOGS_CONF}")
    assert len(result.actions) == 3  # the file, the record, the restart
    logs_disable(host, LogsOptions(Path(CONFIG)))
    assert "logs_enabled: true" in Path(CONFIG).read_text()
    assert member(host)
    assert not Path(LOGS_CONF).exists()


def test_a_source_of_the_operators_own_is_left_alone(host: FakeHost, fs: FakeFilesystem) -> None:
    mine = "# mine\n" + JOURNALD_SOURCE
    fs.create_file(LOGS_CONF, contents=mine)
    logs_enable(host, LogsOptions(Path(CONFIG)))
    assert json.loads(Path(RECORD).read_text())["conf_sha256"] is None
    logs_disable(host, LogsOptions(Path(CONFIG)))
    assert Path(LOGS_CONF).read_text() == mine


def test_another_conf_file_is_refused(host: FakeHost, fs: FakeFilesystem) -> None:
    fs.create_file(LOGS_CONF, contents="logs:\n  - type: file\n    path: /var/log/x.log\n")
    with pytest.raises(PreconditionError, match="exists without the proxy's journald source"):
        logs_enable(host, LogsOptions(Path(CONFIG)))
    assert Path(CONFIG).read_text() == DATADOG_YAML and not member(host)


def test_an_edited_conf_file_is_kept_by_disable(host: FakeHost) -> None:
    logs_enable(host, LogsOptions(Path(CONFIG)))
    Path(LOGS_CONF).write_text(JOURNALD_SOURCE + "    service: proxy\n")
    result = logs_disable(host, LogsOptions(Path(CONFIG)))
    assert result.warnings == [f"{LOGS_CONF} was edited after fips-setup created it: left in place"]
    assert Path(LOGS_CONF).exists() and Path(CONFIG).read_text() == DATADOG_YAML


def test_a_changed_logs_enabled_line_is_set_back_by_meaning(host: FakeHost) -> None:
    logs_enable(host, LogsOptions(Path(CONFIG)))
    Path(CONFIG).write_text(
        Path(CONFIG).read_text().replace("logs_enabled: true", "logs_enabled: true # on")
    )
    result = logs_disable(host, LogsOptions(Path(CONFIG)))
    assert "logs_enabled is set to false" in result.warnings[0]
    assert "logs_enabled: false # on" in Path(CONFIG).read_text()


def test_dry_runs_change_nothing(host: FakeHost) -> None:
    result = logs_enable(host, LogsOptions(Path(CONFIG), dry_run=True))
    assert result.changed and result.dry_run
    assert {a["status"] for a in result.actions} == {"planned"}
    assert [d.path for d in result.diff] == [LOGS_CONF, str(CONFIG)]
    assert not Path(LOGS_CONF).exists() and not Path(RECORD).exists()
    assert Path(CONFIG).read_text() == DATADOG_YAML and not member(host)
    assert host.system.changing_commands() == []


def test_a_failed_restart_undoes_everything(host: FakeHost) -> None:
    host.system.agent_crashes_after_restart = True
    with pytest.raises(PlanFailed, match="the earlier steps were undone"):
        logs_enable(host, LogsOptions(Path(CONFIG)))
    assert Path(CONFIG).read_text() == DATADOG_YAML
    assert not Path(LOGS_CONF).exists() and not Path(RECORD).exists()
    assert not member(host)
    # the Agent crashed on the new settings: it is started again on the ones put back
    assert host.system.commands("systemctl")[-1] == ["systemctl", "start", "datadog-agent"]


def test_no_systemd_no_journald(host: FakeHost, fs: FakeFilesystem) -> None:
    fs.remove_object("/run/systemd/system")
    with pytest.raises(PreconditionError, match="journald, which needs systemd"):
        logs_enable(host, LogsOptions(Path(CONFIG)))


def test_a_damaged_record_is_not_trusted(host: FakeHost, fs: FakeFilesystem) -> None:
    fs.create_file(RECORD, contents="{not json")
    with pytest.raises(PreconditionError, match="is not a record fips-setup wrote"):
        logs_disable(host, LogsOptions(Path(CONFIG)))


def test_rollback_takes_back_a_logs_enable_through_its_journal(host: FakeHost) -> None:
    from installer.rollback import rollback

    config_before = Path(CONFIG).read_bytes()
    logs_enable(host, LogsOptions(Path(CONFIG)))
    assert member(host) and Path(LOGS_CONF).exists()
    restarts = host.system.restarts["datadog-agent"]
    result = rollback(host, dry_run=False)
    assert result.changed
    assert Path(CONFIG).read_bytes() == config_before
    assert not Path(LOGS_CONF).exists() and not Path(LOGS_CONF).parent.exists()
    assert not Path(RECORD).exists()
    assert not member(host)
    assert host.system.restarts["datadog-agent"] == restarts + 1  # on the settings put back
    assert not rollback(host, dry_run=False).changed


def test_rollback_of_logs_disable_brings_the_folder_and_file_back(host: FakeHost) -> None:
    from installer.rollback import rollback

    logs_enable(host, LogsOptions(Path(CONFIG)))
    shipped = Path(LOGS_CONF).read_bytes()
    logs_disable(host, LogsOptions(Path(CONFIG)))
    assert not Path(LOGS_CONF).parent.exists()
    rollback(host, dry_run=False)
    assert Path(LOGS_CONF).read_bytes() == shipped
    assert ownership_of(Path(LOGS_CONF)) == (AGENT_UID, AGENT_GID, 0o640)
    assert member(host)
    assert "\nlogs_enabled: true\n" in Path(CONFIG).read_text()


def test_rollback_leaves_a_folder_that_holds_someone_elses_file(
    host: FakeHost, fs: FakeFilesystem
) -> None:
    from installer.rollback import rollback

    logs_enable(host, LogsOptions(Path(CONFIG)))
    theirs = Path(LOGS_CONF).parent / "other.yaml"
    fs.create_file(theirs, contents="logs: []\n")
    with pytest.raises(FipsSetupError, match=r"fips_proxy\.d holds files fips-setup did not put"):
        rollback(host, dry_run=False)
    assert theirs.read_text() == "logs: []\n"
    assert not Path(LOGS_CONF).exists()
