"""``disable``: the Agent goes back to direct first, then the proxy stops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.errors import FipsSetupError
from installer.disable import DisableOptions, disable
from installer.enable import EnableOptions, enable
from installer.plan import PlanFailed
from tests.fakes import FakeHost
from tests.installer.conftest import DATADOG_YAML, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"
DISABLED_YAML = DATADOG_YAML.replace("\n# fips:\n", "\nfips:\n  enabled: false\n  https: false\n")


def enabled_host(make_host: HostFactory, distro: str = "ubuntu-22.04") -> FakeHost:
    host = make_host(distro)
    enable(host, EnableOptions(config=Path(CONFIG)))
    host.system.calls.clear()
    return host


def run_disable(host: FakeHost, **options: Any) -> Any:
    return disable(host, DisableOptions(config=Path(CONFIG), **options))


def test_disable_points_the_agent_back_before_stopping_the_proxy(make_host: HostFactory) -> None:
    host = enabled_host(make_host)
    result = run_disable(host)
    assert result.changed
    assert Path(CONFIG).read_text() == DISABLED_YAML
    assert host.system.changing_commands() == [
        ["systemctl", "restart", "datadog-agent"],
        ["systemctl", "stop", "datadog-fips-proxy"],
        ["systemctl", "disable", "datadog-fips-proxy"],
    ]
    assert [a["kind"] for a in result.actions] == [
        "write-file",
        "restart-service",
        "stop-service",
        "disable-service",
    ]
    assert host.system.packages["datadog-fips-proxy"]  # kept unless asked


def test_a_second_disable_changes_nothing(make_host: HostFactory) -> None:
    host = enabled_host(make_host)
    run_disable(host)
    host.system.calls.clear()
    result = run_disable(host)
    assert not result.changed
    assert host.system.changing_commands() == []


def test_remove_package(make_host: HostFactory) -> None:
    host = enabled_host(make_host, "rocky-9")
    run_disable(host, remove_package=True)
    assert host.system.changing_commands()[-1] == ["dnf", "-y", "remove", "datadog-fips-proxy"]
    assert "datadog-fips-proxy" not in host.system.packages


def test_a_failed_agent_restart_puts_the_proxy_setup_back(make_host: HostFactory) -> None:
    host = enabled_host(make_host)
    enabled = Path(CONFIG).read_bytes()
    host.system.fail("systemctl", "restart", "datadog-agent", times=1)
    with pytest.raises(PlanFailed, match="the earlier steps were undone"):
        run_disable(host)
    assert Path(CONFIG).read_bytes() == enabled
    assert host.system.active["datadog-fips-proxy"]
    assert host.system.active["datadog-agent"]


def test_dry_run(make_host: HostFactory) -> None:
    host = enabled_host(make_host)
    enabled = Path(CONFIG).read_bytes()
    result = run_disable(host, dry_run=True)
    assert result.changed and [a["status"] for a in result.actions] == ["planned"] * 4
    assert Path(CONFIG).read_bytes() == enabled
    assert host.system.changing_commands() == []


def test_an_environment_override_that_keeps_fips_on_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = enabled_host(make_host)
    fs.create_file("/etc/datadog-agent/environment", contents="DD_FIPS_ENABLED=true\n")
    with pytest.raises(FipsSetupError, match="environment:1: DD_FIPS_ENABLED=true"):
        run_disable(host)
    assert host.system.changing_commands() == []
