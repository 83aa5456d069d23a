"""``status`` reports versions, services, settings in effect and listening ports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer.enable import EnableOptions, enable
from installer.status import status
from tests.installer.conftest import (
    AGENT_GID,
    AGENT_UID,
    DATADOG_YAML,
    PROCMGR_PROCESS,
    HostFactory,
    procmgr_path,
)
from tests.installer.test_enable import add_listener

CONFIG = "/etc/datadog-agent/datadog.yaml"


def test_status_of_an_enabled_host(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host("rocky-9")
    enable(host, EnableOptions(config=Path(CONFIG)))
    add_listener(fs, 9804, 321, b"/opt/datadog-fips-proxy/embedded/sbin/haproxy\0-Ws\0")
    calls = len(host.system.changing_commands())
    result = status(host, Path(CONFIG))
    doc = result.details
    assert doc["platform"]["family"] == "rhel"
    assert doc["packages"] == {
        "datadog-agent": "1:7.50.3-1",
        "datadog-fips-proxy": "1.1.17-1",
        "datadog-fips-agent": None,
    }
    assert doc["services"]["datadog-fips-proxy"] == {"active": True, "enabled": True}
    assert doc["effective"] == {
        "enabled": True,
        "https": False,
        "port_range_start": 9803,
        "local_address": "localhost",
    }
    assert doc["ports"] == [
        {
            "port": 9804,
            "address": "127.0.0.1",
            "pid": 321,
            "command": "/opt/datadog-fips-proxy/embedded/sbin/haproxy -Ws",
        }
    ]
    assert doc["sources"] == {
        "enabled": "file",
        "https": "file",
        "port_range_start": "default",
        "local_address": "default",
    }
    assert doc["proxy_config"]["owner_and_mode_ok"]
    assert (doc["proxy_config"]["uid"], doc["proxy_config"]["gid"]) == (AGENT_UID, AGENT_GID)
    assert (doc["proxy_config"]["owner"], doc["proxy_config"]["group"]) == ("dd-agent", "dd-agent")
    assert doc["proxy_config"]["mode"] == "640"
    assert result.msg.startswith("FIPS proxy mode is on")
    assert not result.changed
    assert host.system.changing_commands()[calls:] == []
    # the proxy is 1.1.17: older than the newest release fips-setup knows
    assert result.warnings == [
        "datadog-fips-proxy 1.1.17-1 is older than 1.1.30 (2026-08-11), the newest release"
        " fips-setup knows: the proxy's releases carry its CVE fixes, about monthly (upgrade it"
        " from the Datadog repository)"
    ]
    host.system.packages["datadog-fips-proxy"] = "1.1.30-1"
    assert status(host, Path(CONFIG)).warnings == []


def test_environment_overrides_win_over_the_file(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.create_file(
        "/etc/systemd/system/datadog-agent.service.d/fips.conf",
        contents="[Service]\nEnvironment=DD_FIPS_ENABLED=true DD_FIPS_PORT_RANGE_START=10000\n",
    )
    doc = status(host, Path(CONFIG)).details
    assert doc["datadog_yaml"]["fips"]["enabled"] is False
    assert doc["effective"]["enabled"] is True
    assert doc["effective"]["port_range_start"] == 10000
    assert [o["variable"] for o in doc["overrides"]] == [
        "DD_FIPS_ENABLED",
        "DD_FIPS_PORT_RANGE_START",
    ]
    drop_in = "/etc/systemd/system/datadog-agent.service.d/fips.conf"
    assert doc["sources"]["enabled"] == f"DD_FIPS_ENABLED in {drop_in}"
    assert doc["sources"]["https"] == "default"


def test_a_proxy_config_owned_by_unknown_ids_shows_the_numbers(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.create_file("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg", contents="global\n")
    os.chown("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg", 4321, 4322)
    os.chmod("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg", 0o644)
    proxy_config = status(host, Path(CONFIG)).details["proxy_config"]
    assert (proxy_config["owner"], proxy_config["group"], proxy_config["mode"]) == (
        "4321",
        "4322",
        "644",
    )
    assert not proxy_config["owner_and_mode_ok"]


def test_status_reports_an_unreadable_datadog_yaml(make_host: HostFactory) -> None:
    host = make_host(datadog_yaml="site: [\n")
    doc = status(host, Path(CONFIG)).details
    assert "invalid YAML" in doc["datadog_yaml"]["error"]


@pytest.mark.parametrize(
    ("block", "environment", "problem"),
    [
        ("fips:\n  port_range_start: abc\n", "", "fips.port_range_start is 'abc' (file): 'abc' is not a whole number"),
        ("fips:\n  local_address: 0.0.0.0\n", "", "fips.local_address is '0.0.0.0' (file)"),
        ("", "DD_FIPS_PORT_RANGE_START=abc\n", "fips.port_range_start is 'abc' (DD_FIPS_PORT_RANGE_START in /etc/datadog-agent/environment)"),
        ("", "DD_FIPS_LOCAL_ADDRESS=0.0.0.0\n", "fips.local_address is '0.0.0.0' (DD_FIPS_LOCAL_ADDRESS in"),
    ],
)  # fmt: skip
def test_a_bad_value_is_a_problem_not_a_crash(
    make_host: HostFactory, fs: FakeFilesystem, block: str, environment: str, problem: str
) -> None:
    host = make_host(datadog_yaml=DATADOG_YAML.replace("# fips:\n", block or "# fips:\n"))
    if environment:
        fs.create_file("/etc/datadog-agent/environment", contents=environment)
    result = status(host, Path(CONFIG))
    assert any(problem in p for p in result.details["problems"]), result.details["problems"]
    assert {p["port"] for p in result.details["ports"]} <= set(range(9803, 9819))


def test_a_datadog_yaml_the_agent_cannot_read_is_said_so(make_host: HostFactory) -> None:
    host = make_host(datadog_yaml="api_key: x\n\tsite: ddog-gov.com\n")
    result = status(host, Path(CONFIG))
    doc = result.details
    assert doc["datadog_yaml"]["error"].startswith(f"{CONFIG}:2: ")
    assert doc["datadog_yaml"]["fips"] is None
    # no setting is "in effect" from a file the Agent cannot read (an override still is)
    assert doc["effective"] == dict.fromkeys(
        ("enabled", "https", "port_range_start", "local_address")
    )
    assert set(doc["sources"].values()) == {None}
    assert "FIPS proxy mode is off" not in result.msg
    assert result.msg.startswith(f"the Agent cannot read {CONFIG}")


def test_a_host_without_an_agent(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host(agent_version="")
    fs.remove_object("/etc/datadog-agent")
    result = status(host, Path(CONFIG))
    assert result.msg.startswith(
        "no Datadog Agent is installed (neither datadog-agent nor datadog-fips-agent): on a new"
        " host, run the one-step install script with DD_FIPS_MODE=1"
    )
    doc = result.details
    assert doc["agent_flavor"] is None
    assert doc["datadog_yaml"]["site"] is None
    assert doc["effective"]["enabled"] is None


def test_status_says_how_the_agents_payloads_run(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    doc = status(host, Path(CONFIG)).details
    assert doc["agent_supervision"]["manager"] == "systemd"
    assert doc["agent_supervision"]["processes"] is None
    procmgr_path(host, fs)
    doc = status(host, Path(CONFIG)).details
    assert doc["agent_supervision"] == {
        "manager": "procmgr",
        "summary": "dd-procmgrd (datadog-agent-procmgr) supervises: datadog-agent-process",
        "units": {"datadog-agent": "active (running)", "datadog-agent-procmgr": "active (running)"},
        "processes": [{"name": "datadog-agent-process", "state": "Running", "pid": 412}],
        "processes_problem": None,
    }
    assert doc["problems"] == []
    host.system.procmgr_processes = [{**PROCMGR_PROCESS, "state": "Crashed", "pid": 0}]
    doc = status(host, Path(CONFIG)).details
    assert doc["problems"] == ["datadog-agent-process Crashed under dd-procmgrd"]
