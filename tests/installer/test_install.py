"""``install`` on a fake new host: datadog.yaml from the example, then enable."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.errors import FipsSetupError
from installer.cli.render import show_result
from installer.files import Ownership, ownership_of
from installer.install import InstallOptions, install
from tests.fakes import FakeHost
from tests.installer.conftest import AGENT_GID, AGENT_UID, API_KEY, HostFactory
from tests.oracle import load_yaml11

CONFIG = "/etc/datadog-agent/datadog.yaml"
EXAMPLE = """## @param api_key - string - required
api_key:

## @param site - string - optional - default: datadoghq.com
#
# site: datadoghq.com

## @param hostname - string - optional
#
# hostname: <HOSTNAME_NAME>

## @param tags  - list of key:value elements - optional
#
# tags:
#   - environment:dev

## @param env - string - optional
#
# env: <environment name>

## @param fips - custom object - optional
#
# fips:

  # enabled: false
"""
ENV = {
    "DD_API_KEY": API_KEY,
    "DD_FIPS_MODE": "1",
    "DD_HOSTNAME": "web-01",
    "DD_TAGS": "team:a,path:/x",
}


@pytest.fixture
def new_host(make_host: HostFactory, fs: FakeFilesystem) -> FakeHost:
    host = make_host()
    Path(CONFIG).unlink()
    fs.create_file(CONFIG + ".example", contents=EXAMPLE)
    return host


def run_install(host: FakeHost, environment: dict[str, str] = ENV, **options: Any) -> Any:
    return install(host, InstallOptions(environment=environment, **options))


def test_a_new_host_gets_its_settings_where_the_example_documents_them(new_host: FakeHost) -> None:
    result = run_install(new_host)
    assert result.changed
    text = Path(CONFIG).read_text()
    assert text == (
        EXAMPLE.replace("api_key:\n", f"api_key: {API_KEY}\n")
        .replace("# site: datadoghq.com\n", "site: ddog-gov.com\n")
        .replace("# hostname: <HOSTNAME_NAME>\n", "hostname: web-01\n")
        .replace("# tags:\n", 'tags:\n  - "team:a"\n  - "path:/x"\n')
        .replace("# fips:\n", "fips:\n  enabled: true\n  https: false\n")
    )
    assert load_yaml11(text)["tags"] == ["team:a", "path:/x"]
    assert ownership_of(Path(CONFIG)) == Ownership(AGENT_UID, AGENT_GID, 0o640)
    assert new_host.system.active["datadog-fips-proxy"]
    kinds = [a["kind"] for a in result.actions]
    assert kinds == [
        "write-file",
        "install-package",
        "write-file",
        "start-service",
        "enable-service",
        "wait-ports",
        "write-file",
        "restart-service",
    ]
    # One diff per file: datadog.yaml from nothing to its final text, shown
    # to people as a change of its example.
    assert [(d.path, d.before, d.after) for d in result.diff] == [
        (CONFIG, "", text),
        ("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg", "", ANY),
    ]
    assert result.diff[0].template == (CONFIG + ".example", EXAMPLE)


def test_people_see_the_new_datadog_yaml_as_a_change_of_its_example(
    new_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    show_result(run_install(new_host), as_json=False)
    out = capsys.readouterr().out
    assert f"--- {CONFIG}.example (template)\n+++ {CONFIG} (after)\n" in out
    assert "+hostname: web-01\n" in out
    assert "+fips:\n+  enabled: true\n+  https: false\n" in out
    assert " ## @param site" in out  # unchanged lines are context, not additions
    assert "+## @param site" not in out
    assert API_KEY not in out


def test_a_second_run_changes_nothing(new_host: FakeHost) -> None:
    run_install(new_host)
    before = Path(CONFIG).read_bytes()
    result = run_install(new_host)
    assert not result.changed
    assert Path(CONFIG).read_bytes() == before


def test_an_existing_datadog_yaml_is_kept_and_enabled(make_host: HostFactory) -> None:
    host = make_host()
    result = run_install(host, {"DD_FIPS_MODE": "true"})
    assert result.changed
    assert f"api_key: {API_KEY}" in Path(CONFIG).read_text()
    assert "fips:\n  enabled: true" in Path(CONFIG).read_text()
    assert any("exists: kept" in w for w in result.warnings)


def test_without_fips_mode_only_the_file_is_created(new_host: FakeHost) -> None:
    result = run_install(new_host, {"DD_API_KEY": API_KEY, "DD_SITE": "datadoghq.com"})
    assert result.changed
    assert "site: datadoghq.com\n" in Path(CONFIG).read_text()
    assert "datadog-fips-proxy" not in new_host.system.packages


def test_the_key_is_required_to_create_the_file(new_host: FakeHost) -> None:
    with pytest.raises(FipsSetupError, match=r"set DD_API_KEY \(or DD_API_KEY_FILE\)"):
        run_install(new_host, {"DD_FIPS_MODE": "1"})
    assert not Path(CONFIG).exists()


def test_the_key_can_come_from_a_file(new_host: FakeHost, fs: FakeFilesystem) -> None:
    fs.create_file("/root/dd-key", contents=API_KEY + "\n")
    run_install(new_host, {"DD_API_KEY_FILE": "/root/dd-key", "DD_FIPS_MODE": "1"})
    assert f"api_key: {API_KEY}\n" in Path(CONFIG).read_text()


def test_a_failed_enable_removes_the_new_file(new_host: FakeHost) -> None:
    new_host.system.fail("apt-get", "install")
    with pytest.raises(FipsSetupError, match=f"undone as well: create {CONFIG} from its example"):
        run_install(new_host)
    assert not Path(CONFIG).exists()
    assert "datadog-fips-proxy" not in new_host.system.packages


def test_dry_run_on_a_new_host(new_host: FakeHost) -> None:
    result = run_install(new_host, dry_run=True)
    assert result.changed and result.dry_run
    assert not Path(CONFIG).exists()
    assert new_host.system.changing_commands() == []
    assert result.diff[0].before == "" and f"api_key: {API_KEY}" in result.diff[0].after


# The stand-in Agent package's examples, read before pyfakefs hides the real files.
SECURITY_EXAMPLES = {
    name: (
        Path(__file__).resolve().parents[1] / "e2e" / "packages" / "datadog-agent" / name
    ).read_text()
    for name in ("security-agent.yaml.example", "system-probe.yaml.example")
}
SECURITY_AGENT = "/etc/datadog-agent/security-agent.yaml"
SYSTEM_PROBE = "/etc/datadog-agent/system-probe.yaml"
INSTALL_INFO = "/etc/datadog-agent/install_info"
DIRECT = {"DD_API_KEY": API_KEY, "DD_SITE": "datadoghq.com"}


@pytest.fixture
def security_examples(new_host: FakeHost, fs: FakeFilesystem) -> FakeHost:
    for name, text in SECURITY_EXAMPLES.items():
        fs.create_file(f"/etc/datadog-agent/{name}", contents=text)
    return new_host


def test_without_fips_mode_the_agent_is_started_with_its_new_file(new_host: FakeHost) -> None:
    new_host.system.active["datadog-agent"] = False
    result = run_install(new_host, DIRECT)
    assert [a["kind"] for a in result.actions] == ["write-file", "restart-service"]
    assert new_host.system.active["datadog-agent"]
    assert result.msg == f"{CONFIG} created, datadog-agent started (FIPS mode off)"
    again = run_install(new_host, DIRECT)
    assert (again.changed, again.actions) == (False, [])
    assert new_host.system.restarts["datadog-agent"] == 1


def test_a_stopped_agent_with_its_file_is_started(make_host: HostFactory) -> None:
    host = make_host()
    host.system.active["datadog-agent"] = False
    result = run_install(host, DIRECT)
    assert result.changed and host.system.active["datadog-agent"]
    assert result.msg == f"{CONFIG} kept, datadog-agent started (FIPS mode off)"


def test_install_only_starts_nothing(new_host: FakeHost) -> None:
    new_host.system.active["datadog-agent"] = False
    result = run_install(new_host, {**DIRECT, "DD_INSTALL_ONLY": "true"})
    assert [a["kind"] for a in result.actions] == ["write-file"]
    assert not new_host.system.active["datadog-agent"]


def test_install_only_in_fips_mode_configures_and_starts_nothing(new_host: FakeHost) -> None:
    new_host.system.active["datadog-agent"] = False
    proxied = run_install(new_host, {**ENV, "DD_INSTALL_ONLY": "1"})
    kinds = [a["kind"] for a in proxied.actions]
    assert "install-package" in kinds and "write-file" in kinds
    assert not {"start-service", "restart-service", "wait-ports"} & set(kinds)
    assert not new_host.system.active.get("datadog-fips-proxy")
    assert not new_host.system.active["datadog-agent"]
    assert "fips:\n  enabled: true" in Path(CONFIG).read_text()
    started = run_install(new_host, ENV)  # a later run without DD_INSTALL_ONLY starts both
    assert new_host.system.active["datadog-fips-proxy"] and new_host.system.active["datadog-agent"]
    assert started.actions[-1]["description"] == "start datadog-agent and check that it is running"


def test_the_fips_agent_reports_directly_to_the_fed_site(new_host: FakeHost) -> None:
    new_host.system.packages = {"datadog-fips-agent": "1:7.65.2-1"}
    new_host.system.active["datadog-agent"] = False
    result = run_install(new_host, {"DD_API_KEY": API_KEY, "DD_AGENT_FLAVOR": "datadog-fips-agent"})
    text = Path(CONFIG).read_text()
    assert "site: ddog-gov.com\n" in text and "\nfips:" not in text
    assert new_host.system.active["datadog-agent"]
    assert "datadog-fips-proxy" not in new_host.system.packages
    assert result.msg.endswith("(the FIPS Agent)")


def test_dd_url_and_host_tags_reach_the_new_file(new_host: FakeHost) -> None:
    run_install(new_host, {**DIRECT, "DD_URL": "https://relay.example:8443", "DD_HOST_TAGS": "a:b"})
    data = load_yaml11(Path(CONFIG).read_text())
    assert (data["dd_url"], data["tags"]) == ("https://relay.example:8443", ["a:b"])


def test_cloud_security_files_come_from_their_examples(security_examples: FakeHost) -> None:
    environment = {
        **DIRECT,
        "DD_RUNTIME_SECURITY_CONFIG_ENABLED": "true",
        "DD_COMPLIANCE_CONFIG_ENABLED": "true",
    }
    result = run_install(security_examples, environment)
    agent = load_yaml11(Path(SECURITY_AGENT).read_text())
    probe = load_yaml11(Path(SYSTEM_PROBE).read_text())
    assert agent == {
        "runtime_security_config": {"enabled": True},
        "compliance_config": {"enabled": True},
    }
    assert probe == {"runtime_security_config": {"enabled": True}}
    for path in (SECURITY_AGENT, SYSTEM_PROBE):
        assert ownership_of(Path(path)) == Ownership(0, AGENT_GID, 0o640)
    assert [d.path for d in result.diff] == [CONFIG, SECURITY_AGENT, SYSTEM_PROBE]
    assert not run_install(security_examples, environment).changed


def test_the_vendor_1_37_to_1_46_switches_reach_their_files(security_examples: FakeHost) -> None:
    environment = {
        **DIRECT,
        "DD_INFRASTRUCTURE_MODE": "basic",
        "DD_LOGS_CONFIG_PROCESS_COLLECT_ALL": "true",
        "DD_DISCOVERY_ENABLED": "true",
        "DD_PRIVILEGED_LOGS_ENABLED": "true",
        "DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED": "true",
    }
    result = run_install(security_examples, environment)
    data = load_yaml11(Path(CONFIG).read_text())
    assert data["infrastructure_mode"] == "basic"
    assert data["logs_enabled"] is True
    assert data["logs_config"] == {"process_exclude_agent": True, "auto_multi_line_detection": True}
    assert data["process_config"] == {"process_collection": {"use_wlm": True}}
    assert data["extra_config_providers"] == ["process_log"]
    probe = load_yaml11(Path(SYSTEM_PROBE).read_text())
    assert probe == {
        "discovery": {"enabled": True},
        "privileged_logs": {"enabled": True},
        "service_monitoring_config": {"enabled": True},
    }
    assert not Path(SECURITY_AGENT).exists()  # no Cloud Security asked for
    assert [d.path for d in result.diff] == [CONFIG, SYSTEM_PROBE]
    assert not run_install(security_examples, environment).changed


def test_an_existing_security_file_is_kept_and_the_missing_setting_named(
    security_examples: FakeHost, fs: FakeFilesystem
) -> None:
    fs.create_file(SECURITY_AGENT, contents="compliance_config:\n  enabled: false\n")
    result = run_install(security_examples, {**DIRECT, "DD_COMPLIANCE_CONFIG_ENABLED": "1"})
    assert Path(SECURITY_AGENT).read_text() == "compliance_config:\n  enabled: false\n"
    assert f"{SECURITY_AGENT} exists: kept as it is, without compliance_config.enabled: true" in (
        result.warnings
    )


def test_install_info_records_the_script_once(new_host: FakeHost) -> None:
    environment = {**DIRECT, "FIPS_SETUP_INSTALLED_BY": "install_script_agent7"}
    run_install(new_host, environment)
    text = Path(INSTALL_INFO).read_text()
    assert text.startswith(
        "---\ninstall_method:\n  tool: install_script\n  tool_version: install_script_agent7\n"
        "  installer_version: install_script-fips-setup-"
    )
    assert ownership_of(Path(INSTALL_INFO)) == Ownership(0, 0, 0o644)
    assert not run_install(new_host, environment).changed
    with pytest.raises(FipsSetupError, match="is not a plain name"):
        run_install(new_host, {**DIRECT, "FIPS_SETUP_INSTALLED_BY": "x\ntool: other"})


def test_without_the_script_there_is_no_install_info(new_host: FakeHost) -> None:
    run_install(new_host, DIRECT)
    assert not Path(INSTALL_INFO).exists()


def test_a_failed_enable_takes_back_every_file_this_run_made(security_examples: FakeHost) -> None:
    security_examples.system.fail("apt-get", "install")
    environment = {
        **ENV,
        "DD_RUNTIME_SECURITY_CONFIG_ENABLED": "1",
        "FIPS_SETUP_INSTALLED_BY": "install_script_agent7",
    }
    with pytest.raises(FipsSetupError, match="undone as well"):
        run_install(security_examples, environment)
    for path in (CONFIG, SECURITY_AGENT, SYSTEM_PROBE, INSTALL_INFO):
        assert not Path(path).exists(), path
