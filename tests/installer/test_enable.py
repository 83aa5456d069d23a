"""``enable`` on fake hosts of every family: exact commands, order, host state, undo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.errors import FipsSetupError
from installer.enable import EnableOptions, enable
from installer.files import Ownership, ownership_of
from installer.plan import PlanFailed
from tests.fakes import PROXY_EXAMPLE, FakeHost
from tests.installer.conftest import (
    AGENT_GID,
    AGENT_UID,
    DATADOG_YAML,
    DISTROS,
    HostFactory,
    procmgr_path,
)

# Strings made into Paths inside tests: on Python 3.9 a Path created before
# pyfakefs starts keeps using the real file system.
CONFIG = "/etc/datadog-agent/datadog.yaml"
PROXY_CONFIG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
ENABLED_YAML = DATADOG_YAML.replace("\n# fips:\n", "\nfips:\n  enabled: true\n  https: false\n")

APT_UPDATE = [
    "apt-get", "update", "-o", "Dir::Etc::sourcelist=sources.list.d/datadog.list",
    "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0",
]  # fmt: skip
APT_INSTALL = [
    "apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=120",
    "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
    "datadog-fips-proxy",
]  # fmt: skip
SYSTEMD = [
    ["systemctl", "start", "datadog-fips-proxy"],
    ["systemctl", "enable", "datadog-fips-proxy"],
    ["systemctl", "restart", "datadog-agent"],
]


def yum(tool: str) -> list[list[str]]:
    return [
        [
            tool,
            "-y",
            "makecache",
            "--disablerepo=*",
            "--enablerepo=datadog",
            "--setopt=datadog.metadata_expire=0",
        ],
        # installs from the Datadog repository alone
        [tool, "-y", "--disablerepo=*", "--enablerepo=datadog", "install", "datadog-fips-proxy"],
    ]


ZYPPER = [
    ["zypper", "--non-interactive", "refresh", "datadog"],
    ["zypper", "--non-interactive", "--no-refresh", "install", "datadog-fips-proxy"],
]
EXPECTED_COMMANDS = {
    "debian-8": [APT_UPDATE, APT_INSTALL, *SYSTEMD],
    "ubuntu-14.04": [
        APT_UPDATE,
        APT_INSTALL,
        ["initctl", "start", "datadog-fips-proxy"],
        ["initctl", "restart", "datadog-agent"],
    ],
    "ubuntu-22.04": [APT_UPDATE, APT_INSTALL, *SYSTEMD],
    "rhel-7": [*yum("yum"), *SYSTEMD],
    "rocky-9": [*yum("dnf"), *SYSTEMD],
    "amzn-2023": [*yum("dnf"), *SYSTEMD],
    "fedora-40": [*yum("dnf"), *SYSTEMD],
    "sles-12": [*ZYPPER, *SYSTEMD],
    "opensuse-15": [*ZYPPER, *SYSTEMD],
}


def run_enable(host: FakeHost, **options: Any) -> Any:
    return enable(host, EnableOptions(config=Path(CONFIG), **options))


def files_state() -> dict[str, Any]:
    paths = [CONFIG, PROXY_CONFIG]
    return {
        p: (Path(p).read_bytes(), ownership_of(Path(p))) if Path(p).exists() else None
        for p in paths
    }


@pytest.mark.parametrize("distro", sorted(DISTROS))
def test_enable_runs_the_familys_exact_commands(make_host: HostFactory, distro: str) -> None:
    host = make_host(distro)
    result = run_enable(host)
    assert result.changed
    assert host.system.changing_commands() == EXPECTED_COMMANDS[distro]


@pytest.mark.parametrize("distro", sorted(DISTROS))
def test_enable_leaves_the_host_configured(make_host: HostFactory, distro: str) -> None:
    host = make_host(distro)
    run_enable(host)
    system = host.system
    assert system.packages["datadog-fips-proxy"] == "1.1.17-1"
    assert system.active["datadog-fips-proxy"]
    assert Path(PROXY_CONFIG).read_text() == PROXY_EXAMPLE
    assert ownership_of(Path(PROXY_CONFIG)) == Ownership(AGENT_UID, AGENT_GID, 0o640)
    assert Path(CONFIG).read_text() == ENABLED_YAML
    assert ownership_of(Path(CONFIG)) == Ownership(AGENT_UID, AGENT_GID, 0o640)
    assert system.restarts["datadog-agent"] == 1


def test_package_commands_are_non_interactive(make_host: HostFactory) -> None:
    host = make_host("ubuntu-22.04")
    run_enable(host)
    env_of = dict(zip(host.system.calls, host.system.envs))
    assert env_of[tuple(APT_INSTALL)]["DEBIAN_FRONTEND"] == "noninteractive"


def test_zypper_waits_for_its_lock(make_host: HostFactory) -> None:
    host = make_host("sles-12")
    run_enable(host)
    env_of = dict(zip(host.system.calls, host.system.envs))
    assert env_of[tuple(ZYPPER[1])]["ZYPP_LOCK_TIMEOUT"] == "120"


def test_the_order_loses_no_data(make_host: HostFactory) -> None:
    host = make_host()
    result = run_enable(host)
    assert [(a["kind"], a["status"]) for a in result.actions] == [
        ("install-package", "done"),
        ("write-file", "done"),  # the proxy's configuration
        ("start-service", "done"),
        ("enable-service", "done"),
        ("wait-ports", "done"),  # the proxy accepts connections...
        ("write-file", "done"),  # ...before the Agent is pointed at it
        ("restart-service", "done"),
    ]
    assert "datadog.yaml" in result.actions[5]["description"]


def test_a_second_run_changes_and_restarts_nothing(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host)
    before = files_state()
    calls = len(host.system.changing_commands())
    result = run_enable(host)
    assert not result.changed
    assert result.actions == []
    assert host.system.changing_commands()[calls:] == []
    assert host.system.restarts == {"datadog-agent": 1, "datadog-fips-proxy": 1}
    assert files_state() == before


def test_dry_run_changes_nothing_and_shows_the_plan(make_host: HostFactory) -> None:
    host = make_host()
    before = files_state()
    result = run_enable(host, dry_run=True)
    assert result.changed and result.dry_run
    assert [a["status"] for a in result.actions] == ["planned"] * 7
    assert result.diff[0].after == ENABLED_YAML
    assert host.system.changing_commands() == []
    assert files_state() == before


def test_a_stopped_proxy_is_started_without_restarting_the_agent(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host)
    host.system.active["datadog-fips-proxy"] = False
    result = run_enable(host)
    assert result.changed
    assert [a["kind"] for a in result.actions] == ["start-service", "wait-ports"]
    assert host.system.restarts["datadog-agent"] == 1


def assert_host_as_it_was(host: FakeHost, before: dict[str, Any]) -> None:
    assert files_state() == before
    assert "datadog-fips-proxy" not in host.system.packages
    assert not host.system.active.get("datadog-fips-proxy")
    assert not host.system.enabled.get("datadog-fips-proxy")
    assert host.system.active["datadog-agent"]


def test_package_install_failure_changes_nothing(make_host: HostFactory) -> None:
    host = make_host()
    host.system.fail("apt-get", "install", stderr="E: Unable to locate package")
    before = files_state()
    with pytest.raises(PlanFailed) as caught:
        run_enable(host)
    assert "Unable to locate package" in str(caught.value)
    assert "nothing was changed" in str(caught.value)
    assert_host_as_it_was(host, before)
    assert host.system.restarts.get("datadog-agent", 0) == 0


def test_a_proxy_that_never_opens_its_ports_is_rolled_back(make_host: HostFactory) -> None:
    host = make_host()
    host.system.proxy_opens_ports = False
    before = files_state()
    with pytest.raises(PlanFailed) as caught:
        run_enable(host)
    message = str(caught.value)
    assert "did not open port(s) 9803, 9804" in message
    assert "[ALERT] something the proxy logged" in message
    assert "the host is as it was" in message
    assert_host_as_it_was(host, before)
    assert host.system.restarts.get("datadog-agent", 0) == 0
    assert 30 <= host.clock.slept <= 30.1  # type: ignore[attr-defined]


def test_an_agent_restart_failure_restores_datadog_yaml(make_host: HostFactory) -> None:
    host = make_host()
    host.system.fail("systemctl", "restart", "datadog-agent", times=1)
    before = files_state()
    with pytest.raises(PlanFailed) as caught:
        run_enable(host)
    assert "could not restart datadog-agent" in str(caught.value)
    assert_host_as_it_was(host, before)
    # restarted again on the restored file
    assert host.system.changing_commands()[-5:-3] == [
        ["systemctl", "restart", "datadog-agent"],
        ["systemctl", "restart", "datadog-agent"],
    ]


def test_an_agent_that_crashes_after_its_restart_is_rolled_back(make_host: HostFactory) -> None:
    host = make_host()
    host.system.agent_crashes_after_restart = True
    before = files_state()
    with pytest.raises(PlanFailed, match="datadog-agent is not running after its restart"):
        run_enable(host)
    assert files_state() == before
    assert "datadog-fips-proxy" not in host.system.packages


def test_disk_full_when_writing_datadog_yaml_is_rolled_back(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    before = files_state()
    used = fs.get_disk_usage().used
    # room for the package's example and the proxy configuration, not for datadog.yaml
    fs.set_disk_usage(used + 2 * len(PROXY_EXAMPLE) + 60)
    with pytest.raises(PlanFailed, match="no space left"):
        run_enable(host)
    assert_host_as_it_was(host, before)
    assert sorted(os.listdir("/etc/datadog-agent")) == ["datadog.yaml"]


def test_the_package_manager_lock_is_waited_for(make_host: HostFactory) -> None:
    host = make_host()
    host.system.fail(
        "apt-get", "install", returncode=100, times=2,
        stderr="E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 77 (apt)",
    )  # fmt: skip
    run_enable(host)
    assert host.system.packages["datadog-fips-proxy"]
    assert host.system.commands("apt-get").count(APT_INSTALL) == 3
    assert host.clock.slept >= 10  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("distro", "expected"),
    [
        ("ubuntu-22.04", ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=120",
                          "-o", "Dpkg::Options::=--force-confdef",
                          "-o", "Dpkg::Options::=--force-confold", "/srv/proxy.deb"]),
        ("debian-8", ["dpkg", "-i", "/srv/proxy.deb"]),
        ("rocky-9", ["dnf", "-y", "--disablerepo=*", "install", "/srv/proxy.rpm"]),
        ("sles-12", ["zypper", "--non-interactive", "install", "/srv/proxy.rpm"]),
    ],
)  # fmt: skip
def test_a_local_package_file_is_installed_without_a_repository(
    make_host: HostFactory, fs: FakeFilesystem, distro: str, expected: list[str]
) -> None:
    host = make_host(distro, repository=False)
    fs.create_file(expected[-1], contents="package")
    run_enable(host, package_file=Path(expected[-1]))
    assert host.system.changing_commands()[0] == expected
    assert host.system.packages["datadog-fips-proxy"]


def test_a_package_file_of_the_wrong_kind_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host("rocky-9", repository=False)
    fs.create_file("/srv/proxy.deb", contents="package")
    with pytest.raises(FipsSetupError, match=r"expected a \.rpm file"):
        run_enable(host, package_file=Path("/srv/proxy.deb"))
    assert "datadog-fips-proxy" not in host.system.packages


def refused(host: FakeHost, match: str, **options: Any) -> None:
    before = files_state()
    with pytest.raises(FipsSetupError, match=match):
        run_enable(host, **options)
    assert host.system.changing_commands() == []
    assert files_state() == before


def test_no_repository_and_no_package_file(make_host: HostFactory) -> None:
    refused(make_host(repository=False), "no Datadog package repository is configured for apt")


def test_an_old_agent_is_refused(make_host: HostFactory) -> None:
    refused(make_host(agent_version="1:7.44.1-1"), "version 7.44.1; the FIPS proxy needs 7.45")


def test_a_missing_agent_is_refused(make_host: HostFactory) -> None:
    refused(make_host(agent_version=""), "no Datadog Agent is installed .* DD_FIPS_MODE=1")


def test_the_fips_agent_is_refused(make_host: HostFactory) -> None:
    host = make_host()
    host.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    refused(host, "FIPS Agent .datadog-fips-agent. is installed: .* needs no proxy")


def test_an_unsupported_system_is_refused(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host()
    Path("/etc/os-release").write_text(
        'ID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME="Alpine Linux v3.20"\n'
    )
    refused(host, "Alpine Linux v3.20 is not supported; supported: Debian >= 8")


def test_an_old_release_is_refused(make_host: HostFactory) -> None:
    host = make_host()
    Path("/etc/os-release").write_text('ID="centos"\nVERSION_ID="6"\nPRETTY_NAME="CentOS 6"\n')
    refused(host, "CentOS 6 is not supported")


def test_not_root_is_refused(make_host: HostFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    host = make_host()
    monkeypatch.setattr(host, "is_root", lambda: False)
    refused(host, "must run as root")
    run_enable(host, dry_run=True)  # a dry run may look as anyone


def test_another_site_is_refused_unless_allowed(make_host: HostFactory) -> None:
    host = make_host(datadog_yaml=DATADOG_YAML.replace("site: ddog-gov.com", "site: datadoghq.eu"))
    refused(host, "site is datadoghq.eu; .* or pass --allow-other-site")
    result = run_enable(host, allow_other_site=True)
    assert result.changed
    assert any("site is datadoghq.eu" in w for w in result.warnings)


def test_a_contradicting_environment_file_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.create_file(
        "/etc/datadog-agent/environment", contents="DD_API_KEY=x\nDD_FIPS_ENABLED=false\n"
    )
    refused(host, "/etc/datadog-agent/environment:2: DD_FIPS_ENABLED=false overrides datadog.yaml")


def test_a_contradicting_systemd_drop_in_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.create_file(
        "/etc/systemd/system/datadog-agent.service.d/override.conf",
        contents='[Service]\nEnvironment="DD_FIPS_HTTPS=true" DD_SITE=ddog-gov.com\n',
    )
    refused(host, "override.conf:2: DD_FIPS_HTTPS=true")


def test_invalid_datadog_yaml_is_refused_before_installing(make_host: HostFactory) -> None:
    refused(make_host(datadog_yaml="site: [\n"), f"{CONFIG}:2: invalid YAML")


def add_listener(fs: FakeFilesystem, port: int, pid: int, command: bytes) -> None:
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    row = f"   0: 0100007F:{port:04X} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 {pid}77 1 0000000000000000 100 0 0 10 0\n"
    path = Path("/proc/net/tcp")
    if path.exists():
        path.write_text(path.read_text() + row)
    else:
        fs.create_file(path, contents=header + row)
    fs.create_file(f"/proc/{pid}/cmdline", contents=command)
    fs.create_symlink(f"/proc/{pid}/fd/3", f"socket:[{pid}77]")


def test_a_port_held_by_another_process_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    add_listener(fs, 9806, 4242, b"nc\0-l\0-p\09806\0")
    refused(host, r"port 9806 \(pid 4242: nc -l -p 9806\) is in use")


def test_the_proxys_own_ports_are_not_a_clash(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host()
    run_enable(host)
    add_listener(
        fs,
        9804,
        555,
        b"/opt/datadog-fips-proxy/embedded/sbin/haproxy\0-f\0/etc/datadog-fips-proxy/datadog-fips-proxy.cfg\0",
    )
    assert not run_enable(host).changed


def test_without_an_init_system_only_no_restart_proceeds(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.remove_object("/run/systemd/system")
    refused(host, "no init system found .* run with --no-restart")
    result = run_enable(host, no_restart=True)
    assert result.changed
    assert Path(CONFIG).read_text() == ENABLED_YAML
    assert Path(PROXY_CONFIG).exists()
    assert not [c for c in host.system.changing_commands() if c[0] in ("systemctl", "service")]


def test_a_port_range_moves_the_proxy_and_the_agent(make_host: HostFactory) -> None:
    host = make_host()
    run_enable(host, port_range_start=10000, local_address="127.0.0.1")
    text = Path(PROXY_CONFIG).read_text()
    assert "bind ${DD_FIPS_LOCAL_ADDRESS}:10000\n" in text
    assert "bind ${DD_FIPS_LOCAL_ADDRESS}:10015\n" in text
    assert ":9803" not in text
    yaml = Path(CONFIG).read_text()
    assert '  port_range_start: 10000\n  local_address: "127.0.0.1"\n' in yaml
    assert not run_enable(host).changed  # the next run keeps the range from datadog.yaml


def test_an_outdated_proxy_config_is_reported_and_refreshed_on_request(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    run_enable(host)
    custom = (
        Path(PROXY_CONFIG)
        .read_text()
        .replace(
            "    # nameserver dns1 <Your DNS IP>:<Port>\n", "    nameserver dns1 10.0.0.2:53\n"
        )
    )
    Path(PROXY_CONFIG).write_text(custom)
    new_example = PROXY_EXAMPLE.replace("timeout connect 5s", "timeout connect 7s")
    Path(PROXY_CONFIG + ".example").write_text(new_example)

    result = run_enable(host)
    assert not result.changed
    assert any("--refresh-proxy-config" in w for w in result.warnings)
    assert Path(PROXY_CONFIG).read_text() == custom

    result = run_enable(host, refresh_proxy_config=True)
    assert result.changed
    refreshed = Path(PROXY_CONFIG).read_text()
    assert "timeout connect 7s" in refreshed
    assert "    nameserver dns1 10.0.0.2:53\n" in refreshed
    assert [a["kind"] for a in result.actions] == ["write-file", "restart-service", "wait-ports"]
    assert [(d.path, d.before, d.after) for d in result.diff] == [(PROXY_CONFIG, custom, refreshed)]
    backups = [n for n in os.listdir("/etc/datadog-fips-proxy") if ".bak-" in n]
    assert len(backups) == 1
    backup = Path("/etc/datadog-fips-proxy") / backups[0]
    assert backup.read_text() == custom
    assert ownership_of(backup) == Ownership(AGENT_UID, AGENT_GID, 0o640)
    assert not run_enable(host, refresh_proxy_config=True).changed


def test_an_apt_refresh_that_fails_its_signature_check_stops_the_install(
    make_host: HostFactory,
) -> None:
    # apt-get update exits 0 here and would install from the previous index.
    host = make_host()
    host.system.fail(
        "apt-get", "update", returncode=0,
        stderr="W: GPG error: https://apt.datadoghq.com stable InRelease: The following signatures"
        " couldn't be verified because the public key is not available: NO_PUBKEY 701BDB117104706F",
    )  # fmt: skip
    before = files_state()
    with pytest.raises(PlanFailed) as caught:
        run_enable(host)
    message = str(caught.value)
    assert "could not be refreshed: W: GPG error" in message
    assert "NO_PUBKEY 701BDB117104706F" in message and "nothing was changed" in message
    assert APT_INSTALL not in host.system.commands("apt-get")
    assert_host_as_it_was(host, before)


# -- values read from files are checked like flags ---------------------------


@pytest.mark.parametrize(
    ("block", "match"),
    [
        ("fips:\n  local_address: 0.0.0.0\n", r"datadog.yaml:\d+: fips.local_address is '0.0.0.0': .* not a loopback"),
        ("fips:\n  port_range_start: abc\n", r"datadog.yaml:\d+: fips.port_range_start is 'abc': 'abc' is not a whole number"),
        ("fips:\n  port_range_start: 65530\n", r"fips.port_range_start is 65530: port range start 65530 is out of range"),
        ("fips:\n  port_range_start: true\n", r"fips.port_range_start is True: True is not a whole number"),
    ],
)  # fmt: skip
def test_a_bad_value_in_datadog_yaml_is_refused_with_its_line(
    make_host: HostFactory, block: str, match: str
) -> None:
    refused(make_host(datadog_yaml=DATADOG_YAML.replace("# fips:\n", block)), match)


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("DD_FIPS_LOCAL_ADDRESS=0.0.0.0", "environment:1: DD_FIPS_LOCAL_ADDRESS=0.0.0.0 overrides datadog.yaml and local address '0.0.0.0' is not a loopback"),
        ("DD_FIPS_PORT_RANGE_START=abc", "DD_FIPS_PORT_RANGE_START=abc overrides datadog.yaml and 'abc' is not a whole number"),
        ("DD_FIPS_PORT_RANGE_START=10000", "contradicts fips.port_range_start: 9803"),
        ("DD_FIPS_LOCAL_ADDRESS=127.0.0.2", "contradicts fips.local_address: localhost"),
        ("DD_FIPS_HTTPS=maybe", "DD_FIPS_HTTPS=maybe overrides datadog.yaml and is not true or false"),
    ],
)  # fmt: skip
def test_every_override_is_checked_against_the_change(
    make_host: HostFactory, fs: FakeFilesystem, line: str, match: str
) -> None:
    host = make_host()
    fs.create_file("/etc/datadog-agent/environment", contents=line + "\n")
    refused(host, match)


def test_an_override_that_agrees_is_accepted(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host()
    fs.create_file(
        "/etc/datadog-agent/environment",
        contents="DD_FIPS_LOCAL_ADDRESS=127.0.0.1\nDD_FIPS_PORT_RANGE_START=9803\n",
    )
    assert run_enable(host).changed


def test_a_dd_site_override_counts_for_the_site_check(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.create_file("/etc/datadog-agent/environment", contents="DD_SITE=datadoghq.com\n")
    refused(host, r"environment: site is datadoghq.com \(DD_SITE in /etc/datadog-agent/env")
    Path("/etc/datadog-agent/environment").write_text("DD_SITE=ddog-gov.com\n")
    text = DATADOG_YAML.replace("site: ddog-gov.com", "site: datadoghq.eu")
    Path(CONFIG).write_text(text)
    assert run_enable(host).changed  # the variable wins over the file, as in the Agent


def test_a_post_install_failure_is_reported_as_in_place_then_undone(
    make_host: HostFactory,
) -> None:
    host = make_host()

    def half_installed(args: Any) -> None:
        host.system.half_installed["datadog-fips-proxy"] = "install ok half-configured"

    host.system.on("apt-get", "install", call=half_installed)
    host.system.fail(
        "apt-get", "install", returncode=100,
        stderr="E: Sub-process /usr/bin/dpkg returned an error code (1)",
    )  # fmt: skip
    with pytest.raises(PlanFailed) as caught:
        run_enable(host)
    message = str(caught.value)
    assert "nothing was changed" not in message
    assert "what it had done and the earlier steps were undone" in message
    assert ["apt-get", "remove", "-y", "datadog-fips-proxy"] in host.system.changing_commands()
    assert host.system.half_installed == {}


def test_us2_fed_is_refused_even_with_allow_other_site(make_host: HostFactory) -> None:
    host = make_host(
        datadog_yaml=DATADOG_YAML.replace("site: ddog-gov.com", "site: us2.ddog-gov.com")
    )
    for allow in (False, True):
        refused(
            host,
            rf"^{CONFIG}:\d+: site is us2.ddog-gov.com \(US2-FED\).*the wrong site.*nothing was",
            allow_other_site=allow,
        )


def test_a_dd_site_override_to_us2_fed_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = make_host()
    fs.create_file("/etc/datadog-agent/environment", contents="DD_SITE=us2.ddog-gov.com\n")
    refused(
        host,
        r"^site is us2.ddog-gov.com \(DD_SITE in /etc/datadog-agent/environment\)",
        allow_other_site=True,
    )


def test_on_the_process_manager_path_dd_procmgrd_restarts_with_the_agent(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    # Agent 7.84: the payloads under dd-procmgrd read fips.* too; restarting
    # datadog-agent restarts dd-procmgrd (BindsTo=), which enable waits for.
    host = procmgr_path(make_host(), fs)
    result = run_enable(host)
    assert result.changed and not result.failed
    assert host.system.restarts["datadog-agent"] == 1
    assert host.system.restarts["datadog-agent-procmgr"] == 1
    assert ["systemctl", "restart", "datadog-agent-procmgr"] not in host.system.commands()


def test_dd_procmgrd_that_does_not_come_back_rolls_enable_back(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = procmgr_path(make_host(), fs)
    host.system.procmgr_fails_to_start = True
    before = files_state()
    with pytest.raises(PlanFailed, match="datadog-agent-procmgr is not running after its restart"):
        run_enable(host)
    assert files_state() == before
    assert "datadog-fips-proxy" not in host.system.packages


def test_a_process_manager_definition_that_contradicts_is_refused(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    # Agent 7.84: a payload's own env: in processes.d wins over datadog.yaml for it.
    host = procmgr_path(make_host(), fs)
    path = "/opt/datadog-agent/processes.d/datadog-agent-process.yaml"
    Path(path).write_text(Path(path).read_text() + "env:\n  DD_FIPS_ENABLED: false\n")
    refused(host, f"{path}:4: DD_FIPS_ENABLED=false overrides datadog.yaml")
