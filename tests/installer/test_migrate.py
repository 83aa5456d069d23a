"""``migrate`` on fake hosts: checks first, the swap's order, every failure undone, rollback."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from installer import interrupts
from installer.enable import EnableOptions, enable
from installer.errors import FipsSetupError
from installer.files import ownership_of
from installer.journal import load_checkpoint
from installer.migrate import MigrateOptions, migrate
from installer.plan import PlanFailed, PlanInterrupted
from installer.rollback import rollback
from tests.fakes import FakeHost
from tests.installer.conftest import DATADOG_YAML, DISTROS, HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"
PROXY_CONFIG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
ENVIRONMENT = "/etc/datadog-agent/environment"
AGENT = "1:7.50.3-1"
PROXIED_YAML = DATADOG_YAML.replace("\n# fips:\n", "\nfips:\n  enabled: true\n  https: false\n")
MOVED_YAML = PROXIED_YAML.replace("  enabled: true\n", "  enabled: false\n")
APT_OPTIONS = [
    "-y", "-o", "DPkg::Lock::Timeout=120",
    "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
]  # fmt: skip
DIAGNOSE_FAIL = """=== Starting diagnose ===
Suite: connectivity-datadog-core-endpoints
1. FAIL [connectivity-datadog-core-endpoints] Connectivity to https://app.ddog-gov.com
   Diagnosis: Post "https://app.ddog-gov.com/api/v1/validate": connect: connection refused
-------------------------
Total:1, Success:0, Fail:1
"""


def proxied(make_host: HostFactory, distro: str = "ubuntu-22.04", **kwargs: Any) -> FakeHost:
    """A host whose Agent sends through a running proxy; the repository serves the FIPS Agent."""
    host = make_host(distro, **kwargs)
    result = enable(host, EnableOptions(config=Path(CONFIG)))
    assert not result.failed, result.msg
    system = host.system
    system.serve("datadog-agent", "1:7.49.0-1", AGENT)
    system.serve("datadog-fips-proxy", "1.1.17-1")
    system.serve("datadog-fips-agent", "1:7.64.1-1", "1:7.65.2-1", "1:7.66.1-1", "1:7.67.0~rc.1-1")
    Path("/proc/sys/crypto").mkdir(parents=True, exist_ok=True)
    Path("/proc/sys/crypto/fips_enabled").write_text("1\n")
    return host


def run_migrate(host: FakeHost, **options: Any) -> Any:
    return migrate(host, MigrateOptions(config=Path(CONFIG), **options))


def state(host: FakeHost) -> dict[str, Any]:
    """Files (bytes, owner, mode), packages with versions, services running and at boot."""
    return host.snapshot(CONFIG, PROXY_CONFIG, ENVIRONMENT)


def moved(host: FakeHost, version: str = "1:7.66.1-1") -> None:
    system = host.system
    assert system.packages == {"datadog-fips-agent": version, "datadog-fips-proxy": "1.1.17-1"}
    assert system.active["datadog-agent"] and system.enabled["datadog-agent"]
    assert not system.active["datadog-fips-proxy"] and not system.enabled["datadog-fips-proxy"]
    assert Path(CONFIG).read_text() == MOVED_YAML


# -- the move -------------------------------------------------------------------


APT_SWAP = [
    ["apt-get", "update", "-o", "Dir::Etc::sourcelist=sources.list.d/datadog.list",
     "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0"],
    ["apt-get", "install", *APT_OPTIONS, "--download-only", "datadog-fips-agent=1:7.66.1-1"],
    ["systemctl", "stop", "datadog-agent"],
    ["apt-get", "remove", "-y", "datadog-agent"],
    ["apt-get", "install", *APT_OPTIONS, "--allow-downgrades", "datadog-fips-agent=1:7.66.1-1"],
    ["systemctl", "stop", "datadog-fips-proxy"],
    ["systemctl", "disable", "datadog-fips-proxy"],
]  # fmt: skip
DNF_SWAP = [
    ["dnf", "-y", "makecache", "--disablerepo=*", "--enablerepo=datadog",
     "--setopt=datadog.metadata_expire=0"],
    ["dnf", "-y", "--disablerepo=*", "--enablerepo=datadog", "install", "--downloadonly",
     "datadog-fips-agent-1:7.66.1-1"],
    ["systemctl", "stop", "datadog-agent"],
    ["dnf", "-y", "remove", "datadog-agent"],
    ["dnf", "-y", "--disablerepo=*", "--enablerepo=datadog", "install",
     "datadog-fips-agent-1:7.66.1-1"],
    ["systemctl", "stop", "datadog-fips-proxy"],
    ["systemctl", "disable", "datadog-fips-proxy"],
]  # fmt: skip
ZYPPER_SWAP = [
    ["zypper", "--non-interactive", "refresh", "datadog"],
    ["zypper", "--non-interactive", "--no-refresh", "install", "--download-only",
     "datadog-fips-agent=1:7.66.1-1"],
    ["systemctl", "stop", "datadog-agent"],
    ["zypper", "--non-interactive", "remove", "datadog-agent"],
    ["zypper", "--non-interactive", "--no-refresh", "install", "--oldpackage",
     "datadog-fips-agent=1:7.66.1-1"],
    ["systemctl", "stop", "datadog-fips-proxy"],
    ["systemctl", "disable", "datadog-fips-proxy"],
]  # fmt: skip


@pytest.mark.parametrize(
    ("distro", "expected"),
    [("ubuntu-22.04", APT_SWAP), ("rocky-9", DNF_SWAP), ("sles-12", ZYPPER_SWAP)],
)
def test_a_proxied_host_moves_to_the_fips_agent(
    make_host: HostFactory, distro: str, expected: list[list[str]]
) -> None:
    host = proxied(make_host, distro)
    calls = len(host.system.changing_commands())
    result = run_migrate(host)
    assert result.changed and not result.failed, result.msg
    # the FIPS Agent's package starts it (its post-install script): fips-setup does not
    assert host.system.changing_commands()[calls:] == expected
    moved(host)
    assert result.details["agent_version"] == AGENT
    assert result.details["fips_agent_version"] == "1:7.66.1-1"
    assert result.details["verification"]["verified"] is True
    assert [c["id"] for c in result.details["verification"]["checks"]] == [
        "fips-mode",
        "agent-connectivity",
        "agent-supervision",
    ]
    assert [d.record() for d in result.diff] == [
        {"path": CONFIG, "before": PROXIED_YAML, "after": MOVED_YAML}
    ]
    assert "moved to the FIPS Agent: datadog-fips-agent 1:7.66.1-1 replaced datadog-agent" in (
        result.msg
    )


@pytest.mark.parametrize("distro", sorted(DISTROS))
def test_every_distribution_moves(make_host: HostFactory, distro: str) -> None:
    host = proxied(make_host, distro)
    result = run_migrate(host)
    assert result.changed and not result.failed, result.msg
    moved(host)


def test_the_steps_in_order_and_the_proxy_runs_until_verified(make_host: HostFactory) -> None:
    host = proxied(make_host)
    proxy_when_checked: list[bool] = []
    host.system.on(
        "/opt/datadog-agent/bin/agent/agent",
        "status",
        call=lambda a: proxy_when_checked.append(host.system.active["datadog-fips-proxy"]),
    )
    result = run_migrate(host)
    assert [(a["kind"], a["status"]) for a in result.actions] == [
        ("download", "done"),
        ("stop-service", "done"),
        ("remove-package", "done"),
        ("write-file", "done"),
        ("install-package", "done"),
        ("start-service", "done"),
        ("verify", "done"),
        ("stop-service", "done"),
        ("disable-service", "done"),
    ]
    assert proxy_when_checked == [True]
    assert "not purged" in result.actions[2]["description"]


def test_the_fips_agents_status_and_connectivity_run_as_dd_agent(make_host: HostFactory) -> None:
    host = proxied(make_host)
    run_migrate(host)
    users = dict(zip(host.system.calls, host.system.users))
    agent = "/opt/datadog-agent/bin/agent/agent"
    assert users[(agent, "status")] == "dd-agent"
    assert users[(agent, "diagnose", "--include", "connectivity-datadog-core-endpoints")] == (
        "dd-agent"
    )


def test_a_second_migrate_changes_and_restarts_nothing(make_host: HostFactory) -> None:
    host = proxied(make_host)
    run_migrate(host)
    before = state(host)
    restarts = dict(host.system.restarts)
    calls = len(host.system.changing_commands())
    result = run_migrate(host)
    assert not result.changed and not result.failed, result.msg
    assert result.actions == [] and result.diff == []
    assert host.system.changing_commands()[calls:] == []
    assert host.system.restarts == restarts
    assert state(host) == before
    assert result.details["verification"]["verified"] is True
    assert "is in place; the FIPS proxy is stopped and disabled at boot" in result.msg
    assert "nothing to change" in result.msg


def test_a_second_migrate_says_when_the_fips_agent_no_longer_passes(
    make_host: HostFactory,
) -> None:
    host = proxied(make_host)
    run_migrate(host)
    host.system.diagnose = (1, DIAGNOSE_FAIL)
    result = run_migrate(host)
    assert not result.changed and result.failed and result.error == "not-verified"
    assert "NOT verified: agent-connectivity" in result.msg


def test_a_dry_run_changes_nothing_and_shows_the_plan(make_host: HostFactory) -> None:
    host = proxied(make_host)
    before = state(host)
    calls = len(host.system.changing_commands())
    result = run_migrate(host, dry_run=True)
    assert result.changed and result.dry_run
    assert {a["status"] for a in result.actions} == {"planned"}
    assert len(result.actions) == 9
    assert result.diff[0].after == MOVED_YAML
    assert host.system.changing_commands()[calls:] == []  # not even the repository's refresh
    assert state(host) == before
    assert "would move this host to the FIPS Agent (datadog-fips-agent 1:7.66.1-1)" in result.msg


def test_a_dry_run_says_the_metadata_was_not_refreshed(make_host: HostFactory) -> None:
    host = proxied(make_host)
    host.system.available["datadog-fips-agent"] = []
    with pytest.raises(FipsSetupError, match=r"\(dry run: the repository's metadata was read"):
        run_migrate(host, dry_run=True)


def test_a_dry_run_may_look_as_anyone(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = proxied(make_host)
    monkeypatch.setattr(host, "is_root", lambda: False)
    assert run_migrate(host, dry_run=True).changed
    with pytest.raises(FipsSetupError, match="must run as root"):
        run_migrate(host)


# -- which FIPS Agent -------------------------------------------------------------


def test_a_pinned_version_is_installed_exactly(make_host: HostFactory) -> None:
    host = proxied(make_host)
    result = run_migrate(host, agent_version="7.65.2")
    assert result.details["fips_agent_version"] == "1:7.65.2-1"
    moved(host, "1:7.65.2-1")
    assert run_migrate(host, agent_version="1:7.65.2-1").changed is False


def refused(host: FakeHost, match: str, **options: Any) -> None:
    before = state(host)
    calls = len(host.system.changing_commands())
    with pytest.raises(FipsSetupError, match=match):
        run_migrate(host, **options)
    changing = host.system.changing_commands()[calls:]
    assert [c for c in changing if c[1] not in ("update", "makecache", "refresh")] == []
    assert state(host) == before


@pytest.mark.parametrize(
    ("wanted", "match"),
    [
        ("7.70.0", r"has no datadog-fips-agent 7.70.0 \(it has: 1:7.64.1-1, 1:7.65.2-1, 1:7.66.1-1, 1:7.67.0~rc.1-1\)"),
        ("7.64.1", r"datadog-fips-agent 1:7.64.1-1: the FIPS Agent is supported from 7.65.0"),
    ],
)  # fmt: skip
def test_a_pin_that_cannot_be_had_is_refused(
    make_host: HostFactory, wanted: str, match: str
) -> None:
    refused(proxied(make_host), match, agent_version=wanted)


def test_a_pre_release_only_when_pinned(make_host: HostFactory) -> None:
    host = proxied(make_host)
    host.system.available["datadog-fips-agent"] = ["1:7.64.1-1", "1:7.67.0~rc.1-1"]
    refused(host, r"has no datadog-fips-agent 7.65 or newer \(it has 1:7.64.1-1, 1:7.67.0~rc.1-1\)")
    result = run_migrate(host, agent_version="1:7.67.0~rc.1-1")
    assert result.details["fips_agent_version"] == "1:7.67.0~rc.1-1"


def test_no_repository_and_no_package_file(make_host: HostFactory) -> None:
    host = proxied(make_host)
    Path("/etc/apt/sources.list.d/datadog.list").unlink()
    refused(host, "no Datadog package repository is configured for apt")


def test_a_package_file_of_the_fips_agent(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = proxied(make_host)
    fs.create_file("/srv/fips.deb", contents="package")
    host.system.package_files["/srv/fips.deb"] = ("datadog-fips-agent", "1:7.65.2-1")
    result = run_migrate(host, package_file=Path("/srv/fips.deb"))
    assert result.changed and not result.failed, result.msg
    moved(host, "1:7.65.2-1")
    installs = [c for c in host.system.commands("apt-get") if "install" in c]
    assert installs[-1] == ["apt-get", "install", *APT_OPTIONS, "/srv/fips.deb"]
    assert ("datadog-fips-agent", "1:7.66.1-1") not in host.system.downloads
    assert not run_migrate(host, package_file=Path("/srv/fips.deb")).changed


@pytest.mark.parametrize(
    ("identity", "options", "match"),
    [
        (("datadog-agent", "1:7.70.0-1"), {}, r"/srv/fips.deb is a package of datadog-agent, not datadog-fips-agent"),
        (("datadog-fips-agent", "1:7.65.2-1"), {"agent_version": "7.66.1"}, r"is datadog-fips-agent 1:7.65.2-1, not 7.66.1"),
        (None, {}, r"is not a package file"),
    ],
)  # fmt: skip
def test_a_wrong_package_file_is_refused(
    make_host: HostFactory,
    fs: FakeFilesystem,
    identity: Any,
    options: dict[str, Any],
    match: str,
) -> None:
    host = proxied(make_host)
    fs.create_file("/srv/fips.deb", contents="package")
    if identity:
        host.system.package_files["/srv/fips.deb"] = identity
    refused(host, match, package_file=Path("/srv/fips.deb"), **options)


# -- checks before anything changes -----------------------------------------------


def test_another_site_is_refused(make_host: HostFactory) -> None:
    host = proxied(make_host)
    Path(CONFIG).write_text(PROXIED_YAML.replace("site: ddog-gov.com", "site: datadoghq.com"))
    refused(
        host,
        f"{CONFIG}: site is datadoghq.com: the FIPS Agent is for the government sites, US1-FED"
        r" \(ddog-gov.com\) and US2-FED",
    )


def test_a_us2_fed_host_moves_with_a_note(make_host: HostFactory) -> None:
    """The FIPS Agent sends to US2-FED's own intake: the way forward there, not refused."""
    host = proxied(make_host)
    Path(CONFIG).write_text(PROXIED_YAML.replace("site: ddog-gov.com", "site: us2.ddog-gov.com"))
    result = run_migrate(host)
    assert result.changed and not result.failed, result.msg
    assert host.system.packages["datadog-fips-agent"] == "1:7.66.1-1"
    notes = [w for w in result.warnings if "US2-FED" in w]
    assert notes == [
        f"{CONFIG}: site is us2.ddog-gov.com (US2-FED): the FIPS Agent sends to US2-FED's own"
        " intake; Datadog's FIPS Compliance page names US1-FED, its US2-FED pages point FED"
        " users to the FIPS Agent: keep your authorization's record of which one you rely on"
    ]
    assert "\nsite: us2.ddog-gov.com\n" in Path(CONFIG).read_text()  # the site is kept


def test_dd_site_wins_over_the_file(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = proxied(make_host)
    fs.create_file(ENVIRONMENT, contents="DD_SITE=datadoghq.eu\n")
    refused(host, f"DD_SITE in {ENVIRONMENT}:1: site is datadoghq.eu")
    Path(ENVIRONMENT).write_text("DD_SITE=ddog-gov.com\n")
    Path(CONFIG).write_text(PROXIED_YAML.replace("site: ddog-gov.com\n", ""))
    assert run_migrate(host).changed


def test_without_the_previous_version_there_is_no_way_back(make_host: HostFactory) -> None:
    host = proxied(make_host)
    host.system.available["datadog-agent"] = ["1:7.49.0-1"]
    refused(
        host,
        r"datadog-agent 1:7.50.3-1 is installed, but neither the Datadog repository \(it serves:"
        r" 1:7.49.0-1\) nor the package cache \(/var/cache/apt/archives\) has that version",
    )


def test_the_previous_version_from_the_package_cache(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = proxied(make_host, "rocky-9")
    host.system.available["datadog-agent"] = []
    cached = "/var/cache/dnf/datadog-5e0c3a0f/packages/datadog-agent-7.50.3-1.x86_64.rpm"
    fs.create_file(cached, contents="the Agent's package")
    host.system.package_files[cached] = ("datadog-agent", AGENT)
    before = state(host)
    result = run_migrate(host)
    assert result.actions[0]["kind"] == "keep-package"
    copy = "/var/lib/fips-setup/packages/datadog-agent-7.50.3-1.x86_64.rpm"
    assert Path(copy).read_text() == "the Agent's package"
    assert ownership_of(Path(copy)).mode == 0o600  # type: ignore[union-attr]
    Path(cached).unlink()  # a later transaction cleans the cache: the copy stays
    host.system.package_files[copy] = ("datadog-agent", AGENT)
    assert rollback(host, dry_run=False).changed
    assert ["dnf", "-y", "--disablerepo=*", "install", copy] in host.system.changing_commands()
    assert state(host) == before


def test_a_proxy_to_remove_must_be_reinstallable(make_host: HostFactory) -> None:
    host = proxied(make_host)
    host.system.available["datadog-fips-proxy"] = []
    refused(host, "datadog-fips-proxy 1.1.17-1 is installed, but neither", remove_proxy=True)


def test_not_enough_disk_space(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = proxied(make_host)
    host.system.sizes["datadog-agent"] = 800 * 1024 * 1024
    fs.set_disk_usage(fs.get_disk_usage().used + 500 * 1024 * 1024)
    refused(
        host,
        r"not enough free disk space for the move: /var/cache/apt/archives and /opt/datadog-agent"
        r" has 500 MiB free, it needs 880 MiB",
    )


def test_separate_file_systems_are_counted_apart(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = proxied(make_host)
    host.system.sizes["datadog-agent"] = 800 * 1024 * 1024
    fs.add_mount_point("/var", total_size=900 * 1024 * 1024)
    assert run_migrate(host).changed  # 900 MiB for the cache; /opt has plenty


def test_the_kernels_fips_mode_is_a_warning(make_host: HostFactory) -> None:
    host = proxied(make_host)
    Path("/proc/sys/crypto/fips_enabled").write_text("0\n")
    result = run_migrate(host)
    assert result.changed and not result.failed
    assert any(
        "the kernel is not in FIPS mode (/proc/sys/crypto/fips_enabled: 0)" in w
        for w in result.warnings
    )


def test_settings_the_proxied_agent_ignored_are_named(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    host = proxied(make_host)
    text = PROXIED_YAML.replace(
        "logs_enabled: false\n", "logs_enabled: false\ndd_url: https://relay.example\n"
    )
    Path(CONFIG).write_text(text)
    fs.create_file(ENVIRONMENT, contents="HTTPS_PROXY=http://squid:3128\n")
    result = run_migrate(host)
    assert any(
        w.startswith(f"dd_url, HTTPS_PROXY in {ENVIRONMENT}: ignored while the Agent sends"
                     " through the proxy, used by the FIPS Agent")
        for w in result.warnings
    ), result.warnings  # fmt: skip


@pytest.mark.parametrize(
    ("packages", "match"),
    [
        ({"datadog-agent": AGENT, "datadog-fips-agent": "1:7.65.2-1"}, "both datadog-agent 1:7.50.3-1 and datadog-fips-agent 1:7.65.2-1 are installed"),
        ({}, r"no Datadog Agent is installed .* DD_AGENT_FLAVOR=datadog-fips-agent"),
    ],
)  # fmt: skip
def test_agents_that_cannot_be_moved(
    make_host: HostFactory, packages: dict[str, str], match: str
) -> None:
    host = proxied(make_host)
    host.system.packages.pop("datadog-agent")
    host.system.packages.update(packages)
    refused(host, match)


def test_a_half_installed_fips_agent_is_refused(make_host: HostFactory) -> None:
    host = proxied(make_host)
    host.system.half_installed["datadog-fips-agent"] = "install ok half-configured"
    refused(host, "datadog-fips-agent is half-installed")


def test_without_an_init_system(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = proxied(make_host)
    fs.remove_object("/run/systemd/system")
    refused(host, "no init system found.*helm/ecs --fips-agent")


# -- failures are undone ----------------------------------------------------------


def as_before(host: FakeHost, before: dict[str, Any]) -> None:
    assert state(host) == before
    assert host.system.active["datadog-fips-proxy"] and host.system.active["datadog-agent"]


def test_a_failed_download_changes_nothing(make_host: HostFactory) -> None:
    host = proxied(make_host)
    before = state(host)
    host.system.fail("apt-get", "install", "-y", stderr="E: Failed to fetch")
    with pytest.raises(PlanFailed) as caught:
        run_migrate(host)
    assert "download datadog-fips-agent 1:7.66.1-1" in str(caught.value)
    assert str(caught.value).endswith("nothing was changed")
    as_before(host, before)
    assert ["systemctl", "stop", "datadog-agent"] not in host.system.changing_commands()


@pytest.mark.parametrize(
    ("distro", "swap"),
    [("ubuntu-22.04", APT_SWAP), ("rocky-9", DNF_SWAP), ("sles-12", ZYPPER_SWAP)],
)
def test_a_failed_install_puts_the_exact_agent_back(
    make_host: HostFactory, distro: str, swap: list[list[str]]
) -> None:
    host = proxied(make_host, distro)
    before = state(host)
    install_fips_agent = swap[4]
    host.system.fail(*install_fips_agent, stderr="error: file conflicts with datadog-agent")
    with pytest.raises(PlanFailed) as caught:
        run_migrate(host)
    message = str(caught.value)
    assert message.startswith("install datadog-fips-agent 1:7.66.1-1 with")
    assert "file conflicts" in message
    assert message.endswith("the earlier steps were undone, the host is as it was")
    as_before(host, before)
    back = [part.replace("datadog-fips-agent", "datadog-agent").replace("1:7.66.1-1", AGENT)
            for part in install_fips_agent]  # fmt: skip
    assert host.system.changing_commands()[-1] == back  # exactly the previous version


def test_a_fips_agent_whose_script_failed_is_removed_before_the_agent_returns(
    make_host: HostFactory,
) -> None:
    host = proxied(make_host)
    before = state(host)
    install = [
        "apt-get",
        "install",
        *APT_OPTIONS,
        "--allow-downgrades",
        "datadog-fips-agent=1:7.66.1-1",
    ]

    def half_installed(args: Any) -> None:
        host.system.half_installed["datadog-fips-agent"] = "install ok half-configured"

    host.system.on(*install, call=half_installed)
    host.system.fail(
        *install, returncode=100, stderr="E: Sub-process /usr/bin/dpkg returned an error code (1)"
    )
    with pytest.raises(PlanFailed) as caught:
        run_migrate(host)
    assert "what it had done and the earlier steps were undone" in str(caught.value)
    changing = host.system.changing_commands()
    remove = changing.index(["apt-get", "remove", "-y", "datadog-fips-agent"])
    again = changing.index(
        ["apt-get", "install", *APT_OPTIONS, "--allow-downgrades", f"datadog-agent={AGENT}"]
    )
    assert remove < again  # the two packages' files clash: the FIPS Agent goes first
    as_before(host, before)


def test_a_fips_agent_that_does_not_start_is_undone(make_host: HostFactory) -> None:
    host = proxied(make_host)
    before = state(host)
    host.system.on(
        "apt-get", "remove", call=lambda a: setattr(host.system, "agent_fails_to_start", True)
    )
    host.system.on(
        "apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=120", "-o", "Dpkg::Options::=--force-confdef",
        "-o", "Dpkg::Options::=--force-confold", "--allow-downgrades", f"datadog-agent={AGENT}",
        call=lambda a: setattr(host.system, "agent_fails_to_start", False),
    )  # fmt: skip
    with pytest.raises(
        PlanFailed,
        match=r"start datadog-agent \(the FIPS Agent\) and check it runs failed: datadog-agent is not running",
    ):
        run_migrate(host)
    as_before(host, before)


@pytest.mark.parametrize(
    ("trouble", "match"),
    [
        ("status", r"fips-mode: sudo -u dd-agent datadog-agent status: FIPS Mode: disabled, not enabled"),
        ("diagnose", r"agent-connectivity: sudo -u dd-agent datadog-agent diagnose .*: 1 of 1 failed"),
    ],
)  # fmt: skip
def test_a_fips_agent_that_fails_its_verification_is_undone(
    make_host: HostFactory, trouble: str, match: str
) -> None:
    host = proxied(make_host)
    before = state(host)
    if trouble == "status":
        host.system.status_mode = "disabled"
    else:
        host.system.diagnose = (1, DIAGNOSE_FAIL)
    with pytest.raises(PlanFailed, match=match) as caught:
        run_migrate(host)
    assert str(caught.value).startswith("verify the FIPS Agent")
    assert str(caught.value).endswith("the earlier steps were undone, the host is as it was")
    as_before(host, before)
    assert 20 <= host.clock.slept < 22  # type: ignore[attr-defined]  # it was given time


def test_a_failed_removal_starts_the_agent_again(make_host: HostFactory) -> None:
    host = proxied(make_host)
    before = state(host)
    host.system.fail("apt-get", "remove", "-y", "datadog-agent", stderr="E: dpkg was interrupted")
    with pytest.raises(PlanFailed, match=r"remove datadog-agent 1:7\.50\.3-1 with apt"):
        run_migrate(host)
    as_before(host, before)


def test_a_failure_to_stop_the_proxy_undoes_the_whole_move(make_host: HostFactory) -> None:
    host = proxied(make_host)
    before = state(host)
    host.system.fail("systemctl", "stop", "datadog-fips-proxy")
    with pytest.raises(PlanFailed, match="could not stop datadog-fips-proxy"):
        run_migrate(host)
    as_before(host, before)


@pytest.mark.parametrize("during", ["remove", "install"])
def test_a_signal_in_the_middle_puts_the_host_back(make_host: HostFactory, during: str) -> None:
    host = proxied(make_host)
    before = state(host)
    prefix = ("apt-get", "remove", "-y", "datadog-agent") if during == "remove" else (
        "apt-get", "install", *APT_OPTIONS, "--allow-downgrades", "datadog-fips-agent=1:7.66.1-1")  # fmt: skip
    host.system.on(*prefix, call=lambda a: os.kill(os.getpid(), signal.SIGTERM))
    with interrupts.handle_signals(), pytest.raises(PlanInterrupted) as caught:
        run_migrate(host)
    assert str(caught.value).startswith("interrupted by SIGTERM during: ")
    assert str(caught.value).endswith("the host is as it was")
    as_before(host, before)


# -- the proxy's package, rollback, the journal ---------------------------------------


def test_remove_proxy_removes_its_package_and_keeps_its_configuration(
    make_host: HostFactory,
) -> None:
    host = proxied(make_host)
    config = Path(PROXY_CONFIG).read_bytes()
    result = run_migrate(host, remove_proxy=True)
    assert result.actions[-1]["kind"] == "remove-package"
    assert "datadog-fips-proxy" not in host.system.packages
    assert Path(PROXY_CONFIG).read_bytes() == config
    assert "datadog-fips-proxy is removed (its configuration is kept)" in result.msg
    assert not run_migrate(host, remove_proxy=True).changed


@pytest.mark.parametrize("remove_proxy", [False, True])
def test_rollback_after_a_completed_move(make_host: HostFactory, remove_proxy: bool) -> None:
    host = proxied(make_host)
    before = state(host)
    run_migrate(host, remove_proxy=remove_proxy)
    dry = rollback(host, dry_run=True)
    assert dry.changed and "migrate" in dry.msg
    result = rollback(host, dry_run=False)
    assert result.changed, result.msg
    assert state(host) == before
    changing = host.system.changing_commands()
    assert changing.index(["apt-get", "remove", "-y", "datadog-fips-agent"]) < changing.index(
        ["apt-get", "install", *APT_OPTIONS, "--allow-downgrades", f"datadog-agent={AGENT}"]
    )
    assert not rollback(host, dry_run=False).changed


def test_the_journal_records_the_way_back(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = proxied(make_host)
    fs.create_file(ENVIRONMENT, contents="DD_FIPS_ENABLED=true\n")
    run_migrate(host)
    checkpoint = load_checkpoint(Path("/var/lib/fips-setup"))
    assert checkpoint is not None and checkpoint.command == "migrate"
    fields = [(e.step.split(" ")[0], e.action.kind, e.action.fields()) for e in checkpoint.entries]
    packages = [f for _, kind, f in fields if kind == "package"]
    assert packages == [
        {"name": "datadog-agent", "version": AGENT},
        {"name": "datadog-fips-agent", "version": None},
    ]
    restored = sorted(f["path"] for _, kind, f in fields if kind == "restore-file")
    assert restored == sorted([CONFIG, ENVIRONMENT, PROXY_CONFIG])
    services = [f for _, kind, f in fields if kind == "service"]
    assert {"name": "datadog-agent", "active": True, "enabled": True, "restart": False} in services


def test_rollback_refuses_to_lose_a_later_edit(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = proxied(make_host)
    fs.create_file(ENVIRONMENT, contents="DD_LOG_LEVEL=info\n")
    run_migrate(host)
    Path(ENVIRONMENT).write_text("DD_LOG_LEVEL=debug\n")
    moved_state = state(host)
    with pytest.raises(FipsSetupError, match=f"{ENVIRONMENT} was changed by something else"):
        rollback(host, dry_run=False)
    assert state(host) == moved_state


# -- a partly moved host ----------------------------------------------------------------


def test_a_fips_agent_installed_by_hand_beside_a_running_proxy(make_host: HostFactory) -> None:
    host = proxied(make_host)
    system = host.system
    system.packages.pop("datadog-agent")
    system.packages["datadog-fips-agent"] = "1:7.65.2-1"
    calls = len(system.changing_commands())
    result = run_migrate(host)
    assert [a["kind"] for a in result.actions] == [
        "write-file", "verify", "stop-service", "disable-service",
    ]  # fmt: skip
    assert system.changing_commands()[calls:] == [
        ["systemctl", "stop", "datadog-fips-proxy"],
        ["systemctl", "disable", "datadog-fips-proxy"],
    ]  # fips.* is ignored by the FIPS Agent: no restart for datadog.yaml
    assert Path(CONFIG).read_text() == MOVED_YAML
    assert "runs and is verified" in result.msg


def test_the_proxy_is_stopped_only_after_the_fips_agent_is_verified(
    make_host: HostFactory,
) -> None:
    host = proxied(make_host)
    system = host.system
    system.packages.pop("datadog-agent")
    system.packages["datadog-fips-agent"] = "1:7.65.2-1"
    Path(CONFIG).write_text(MOVED_YAML)
    system.status_mode = "disabled"  # not the FIPS Agent it claims to be
    before = state(host)
    with pytest.raises(PlanFailed, match="FIPS Mode: disabled, not enabled"):
        run_migrate(host)
    assert state(host) == before and system.active["datadog-fips-proxy"]
    system.status_mode = None
    result = run_migrate(host)
    assert [a["kind"] for a in result.actions] == ["verify", "stop-service", "disable-service"]


def test_an_installed_fips_agent_is_not_changed_to_another_version(make_host: HostFactory) -> None:
    host = proxied(make_host)
    run_migrate(host)
    refused(
        host,
        r"datadog-fips-agent 1:7.66.1-1 is installed already; migrate does not change its version \(asked: 7.65.2\)",
        agent_version="7.65.2",
    )


# -- the interpreter may vanish mid-run ---------------------------------------------------

#: What ``fips-setup migrate`` has loaded when its plan starts: the command line's own
#: modules, then what migrate loads ahead and what printing needs.
LOADED_AT_START = """
import json, sys
from installer.cli import main, commands, render
from installer import host, interrupts, plan, migrate
migrate.load_ahead()
render.warm_up()
print(json.dumps(sorted(sys.modules)))
"""
#: Modules whose functions dispatch to every command: what migrate's own path imports is
#: among the modules loaded above.
DISPATCH = {"installer.cli.commands", "installer.cli.fastpath", "installer.cli.main",
            "installer.cli.app", "installer.cli.options", "installer.zipapp_main"}  # fmt: skip


def imported_in_functions(source: str) -> set[str]:
    """The modules a file imports inside its functions (when they run, not when it loads)."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found |= {alias.name for alias in inner.names}
                elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                    found.add(inner.module)
    return found


@pytest.mark.real_processes
def test_nothing_is_imported_once_the_move_began() -> None:
    """The move removes the Agent's embedded Python, often the one running fips-setup.

    Its standard library goes with it: whatever the run's modules import inside
    their functions must be loaded before the first change.
    """
    import json
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, "-c", LOADED_AT_START], capture_output=True, text=True, cwd=repo
    )
    assert child.returncode == 0, child.stderr
    loaded = set(json.loads(child.stdout))
    missing = {}
    for name in sorted(loaded):
        if name.split(".")[0] not in ("installer", "fipsconf") or name in DISPATCH:
            continue
        path = repo / name.replace(".", "/")
        source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        lazy = sorted(m for m in imported_in_functions(source.read_text()) if m not in loaded)
        if lazy:
            missing[name] = lazy
    assert missing == {}
