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
        .replace("# tags:\n", 'tags: ["team:a", "path:/x"]\n')
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
    with pytest.raises(FipsSetupError, match="was removed again"):
        run_install(new_host)
    assert not Path(CONFIG).exists()
    assert "datadog-fips-proxy" not in new_host.system.packages


def test_dry_run_on_a_new_host(new_host: FakeHost) -> None:
    result = run_install(new_host, dry_run=True)
    assert result.changed and result.dry_run
    assert not Path(CONFIG).exists()
    assert new_host.system.changing_commands() == []
    assert result.diff[0].before == "" and f"api_key: {API_KEY}" in result.diff[0].after
