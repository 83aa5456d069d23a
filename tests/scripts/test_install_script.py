"""The one-step install script's checks and choices, without a host (bash, for real).

The script is sourced (``FIPS_SETUP_SOURCED=1`` skips ``main``) and its functions
called one at a time; commands that would look at the host (``id``, ``sudo``,
``dpkg-query``) are small fakes put first on ``PATH``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.conftest import REPO, skip_or_fail

SCRIPT = REPO / "scripts" / "install_script_agent7.sh"
KEY = "0123456789abcdef0123456789abcdef"
GOOD = {"DD_API_KEY": KEY}
pytestmark = pytest.mark.real_processes


def call(
    function: str,
    env: Optional[dict[str, str]] = None,
    tmp: Optional[Path] = None,
    path: str = "/usr/bin:/bin",
    stdin: Optional[str] = None,
) -> subprocess.CompletedProcess[str]:
    """Source the script (without running main) and run ``function`` (any bash)."""
    environment = {"PATH": path, "FIPS_SETUP_SOURCED": "1"}
    if tmp is not None:
        environment["DATADOG_YAML"] = str(tmp / "datadog.yaml")
    environment.update(env or {})
    return subprocess.run(
        ["bash", "-c", f'source "$0"; {function}', str(SCRIPT)],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def fake_commands(folder: Path, **commands: str) -> str:
    """Executables named after the keywords (bodies are sh), first on a PATH that is returned."""
    folder.mkdir(exist_ok=True)
    for name, body in commands.items():
        target = folder / name.replace("_", "-")
        target.write_text(f"#!/bin/sh\n{body}\n")
        target.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


# --- variables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "on"),
        ("true", "on"),
        ("YES", "on"),
        ("0", "off"),
        ("false", "off"),
        ("no", "off"),
        ("", "off"),
    ],
)
def test_yes_no_variables_accept_the_documented_values(value: str, expected: str) -> None:
    for name in ("DD_FIPS_MODE", "DD_INSTALL_ONLY", "DD_UPGRADE_AGENT", "DD_DRY_RUN"):
        result = call(f"flag {name}", {name: value})
        assert (result.returncode, result.stdout) == (0, expected + "\n")


@pytest.mark.parametrize("value", ["2", "on", "enabled", "y e s"])
def test_any_other_yes_no_value_stops_before_anything(value: str) -> None:
    result = call("flag DD_FIPS_MODE", {"DD_FIPS_MODE": value})
    assert result.returncode == 2
    assert f"DD_FIPS_MODE='{value}' is not understood" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DD_AGENT_FLAVOR": "datadog-iot-agent"}, "this script installs datadog-agent (the default) and datadog-fips-agent"),
        ({"DD_AGENT_FLAVOR": "datadog-fips-agent", "DD_FIPS_MODE": "1"}, "one or the other"),
        ({"DD_AGENT_MAJOR_VERSION": "6"}, "installs Agent 7 only"),
        ({"DD_AGENT_MINOR_VERSION": "52; rm -rf /"}, "is not a version"),
        ({"DD_AGENT_MINOR_VERSION": "44.1", "DD_FIPS_MODE": "1"}, "the FIPS proxy needs Agent 7.45 or newer"),
        ({"DD_AGENT_MINOR_VERSION": "64", "DD_AGENT_FLAVOR": "datadog-fips-agent"}, "supported from 7.65"),
        ({"DD_SITE": "datadoghq.com", "DD_FIPS_MODE": "1"}, "the FIPS proxy only forwards to ddog-gov.com"),
        ({"DD_SITE": "datadoghq.eu", "DD_AGENT_FLAVOR": "datadog-fips-agent"}, "the FIPS Agent is for the government sites, ddog-gov.com (US1-FED) and us2.ddog-gov.com (US2-FED)"),
        ({"DD_SITE": "us2.ddog-gov.com", "DD_FIPS_MODE": "1"}, "DD_SITE=us2.ddog-gov.com (US2-FED) with DD_FIPS_MODE: the FIPS proxy forwards to US1-FED (ddog-gov.com) only, so its payloads would go to the wrong site; use the FIPS Agent, which sends to US2-FED's own intake (DD_AGENT_FLAVOR=datadog-fips-agent in place of DD_FIPS_MODE)"),
        ({"DD_SITE": "US2.ddog-gov.com", "DD_FIPS_MODE": "1"}, "(US2-FED) with DD_FIPS_MODE"),
        ({"DD_SITE": "ddog-gov.com\nhostname: x"}, "is not a site name"),
        ({"DD_REPO_URL": "http://mirror.example"}, "DD_REPO_URL must start with https:// or file:// (nothing is fetched over plain HTTP)"),
        ({"DD_MIRROR_URL": "ftp://mirror.example"}, "DD_MIRROR_URL must start with https:// or file://"),
        ({"DD_REPO_URL": "https://m.example/x\ngpgcheck=0"}, "DD_REPO_URL must not contain spaces, quotes"),
        ({"DD_REPO_URL": "not a domain"}, "DD_REPO_URL is neither a domain like datadoghq.com"),
        ({"REPO_URL": "https://m.example/x y"}, "REPO_URL must not contain spaces, quotes"),
        ({"DD_REPO_URL": "https://a.example", "DD_MIRROR_URL": "https://b.example"}, "DD_REPO_URL and DD_MIRROR_URL name two different mirrors"),
        ({"DD_INFRASTRUCTURE_MODE": "lite"}, "DD_INFRASTRUCTURE_MODE=lite is not one of the Agent's modes: full, basic, end_user_device, none"),
        ({"DD_DRY_RUN": "maybe"}, "DD_DRY_RUN='maybe' is not understood"),
        ({"DD_DISCOVERY_ENABLED": "ture"}, "DD_DISCOVERY_ENABLED='ture' is not understood"),
        ({"DD_PRIVILEGED_LOGS_ENABLED": "on"}, "DD_PRIVILEGED_LOGS_ENABLED='on' is not understood"),
        ({"DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED": "y"}, "DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED='y' is not understood"),
        ({"DD_LOGS_CONFIG_PROCESS_COLLECT_ALL": "all"}, "DD_LOGS_CONFIG_PROCESS_COLLECT_ALL='all' is not understood"),
        ({"DD_OTELCOLLECTOR_ENABLED": "true", "DD_FIPS_MODE": "1"}, "DD_OTELCOLLECTOR_ENABLED with DD_FIPS_MODE: the DDOT Collector exports to Datadog itself and the FIPS proxy has no port for it"),
        ({"DD_OTELCOLLECTOR_ENABLED": "true", "DD_AGENT_FLAVOR": "datadog-fips-agent"}, "Datadog lists the DDOT Collector as not supported by the FIPS Agent"),
        ({"DD_PRIVATE_ACTION_RUNNER_ENABLED": "true", "DD_FIPS_MODE": "1"}, "DD_PRIVATE_ACTION_RUNNER_ENABLED with DD_FIPS_MODE: the Private Action Runner talks to Datadog itself"),
        ({"DD_REPO_URL": "datad0g.com", "DD_MIRROR_URL": "https://m.example"}, "and DD_MIRROR_URL: set one"),
        ({"DD_AGENT_DIST_CHANNEL": "edge"}, "use stable or beta"),
        ({"DD_AGENT_DIST_CHANNEL": "nightly"}, "on custom repositories only"),
        ({"DD_RPM_REPO_GPGCHECK": "sometimes"}, "DD_RPM_REPO_GPGCHECK='sometimes' is not understood"),
        ({"DD_REPO_KEY_FINGERPRINTS": "ABCD"}, "is not a 40-hex-digit key fingerprint"),
        ({"DD_HOSTNAME": "web\napi_key: stolen"}, "DD_HOSTNAME contains a newline"),
        ({"DD_TAGS": "a:b\rc"}, "DD_TAGS contains a newline"),
        ({"DD_API_KEY": "not-a-key"}, "does not look like a Datadog API key"),
        ({"DD_APP_KEY": "short"}, "does not look like a Datadog application key"),
        ({"DD_RUNTIME_SECURITY_CONFIG_ENABLED": "ture"}, "DD_RUNTIME_SECURITY_CONFIG_ENABLED='ture'"),
        ({"DD_INSTALL_ONLY": "y"}, "DD_INSTALL_ONLY='y' is not understood"),
    ],
)  # fmt: skip
def test_bad_variables_exit_2(env: dict[str, str], message: str) -> None:
    result = call("read_settings", {**GOOD, **env})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert KEY not in result.stderr


SETTINGS = 'printf "%s|" "$FIPS" "$FLAVOR" "$SITE" "$CHANNEL" "$MIRROR" "$REPO_DOMAIN" "$GPGCHECK"'


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "off|datadog-agent||stable||||"),
        ({"DD_FIPS_MODE": "yes"}, "on|datadog-agent|ddog-gov.com|stable||||"),
        ({"DD_AGENT_FLAVOR": "datadog-fips-agent"}, "off|datadog-fips-agent|ddog-gov.com|stable||||"),
        ({"DD_AGENT_FLAVOR": "datadog-fips-agent", "DD_SITE": "us2.ddog-gov.com"}, "off|datadog-fips-agent|us2.ddog-gov.com|stable||||"),
        ({"DD_SITE": "us2.ddog-gov.com"}, "off|datadog-agent|us2.ddog-gov.com|stable||||"),
        ({"DD_REPO_URL": "datad0g.com", "DD_AGENT_DIST_CHANNEL": "beta"}, "off|datadog-agent||beta||datad0g.com||"),
        ({"DD_REPO_URL": "file:///srv/mirror", "DD_AGENT_DIST_CHANNEL": "nightly"}, "off|datadog-agent||nightly|file:///srv/mirror|||"),
        ({"DD_MIRROR_URL": "https://m.example/dd", "DD_RPM_REPO_GPGCHECK": "true"}, "off|datadog-agent||stable|https://m.example/dd||1|"),
        ({"DD_RPM_REPO_GPGCHECK": "0"}, "off|datadog-agent||stable|||0|"),
    ],
)  # fmt: skip
def test_settings(env: dict[str, str], expected: str) -> None:
    result = call(f"read_settings; {SETTINGS}", {**GOOD, **env})
    assert (result.returncode, result.stdout) == (0, expected), result.stderr


def test_the_older_repo_url_name_works_with_a_warning() -> None:
    result = call(f"read_settings; {SETTINGS}", {**GOOD, "REPO_URL": "datad0g.com"})
    assert result.stdout == "off|datadog-agent||stable||datad0g.com||"
    assert "REPO_URL is deprecated" in result.stderr


def test_fingerprints_as_gpg_prints_them_or_compact() -> None:
    spaced = "1F53 DEB8 63BB 2DD5 4747  5E72 725F 7BFB 77B1 953E"
    compact = "d18886567eabad8b2d2526900d826eb906462314"
    result = call(f'fingerprint_list "{spaced}, {compact};"')
    assert result.stdout.split() == [
        "1F53DEB863BB2DD547475E72725F7BFB77B1953E",
        "D18886567EABAD8B2D2526900D826EB906462314",
    ]


def test_every_vendor_variable_this_script_does_not_honour_is_named() -> None:
    names = call('printf "%s\\n" $UNSUPPORTED_VARIABLES').stdout.split()
    assert {"DD_APM_INSTRUMENTATION_ENABLED", "DD_REMOTE_UPDATES", "DD_UPGRADE"} <= set(names)
    env = {name: "1" for name in names}
    result = call("read_settings; warn_about_variables", {**GOOD, **env})
    assert result.returncode == 0, result.stderr
    for name in names:
        assert f"warning: {name} is not supported by this script and is ignored" in result.stderr


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("DD_APM_ERROR_TRACKING_STANDALONE", "it goes with APM single-step instrumentation"),
        ("DD_OTELCOLLECTOR_ENABLED", "this script does not install the DDOT Collector"),
        ("DD_DDOT_DIST_CHANNEL", "this script does not install the DDOT Collector"),
        ("DD_PRIVATE_ACTION_RUNNER_ENABLED", "this script does not set up the Private Action Runner"),
        ("DD_PRIVATE_ACTION_RUNNER_ACTIONS_ALLOWLIST", "this script does not set up the Private Action Runner"),
        ("DD_PRIVATE_ACTION_RUNNER_API_KEY_ONLY_ENROLLMENT", "this script does not set up the Private Action Runner"),
    ],
)  # fmt: skip
def test_vendor_1_37_to_1_46_variables_not_honoured_say_why(name: str, reason: str) -> None:
    result = call("read_settings; warn_about_variables", {**GOOD, name: "true"})
    assert result.returncode == 0, result.stderr
    assert f"warning: {name} is not supported by this script and is ignored: {reason}" in (
        result.stderr
    )


@pytest.mark.parametrize(
    "name",
    [
        "DD_DISCOVERY_ENABLED",
        "DD_PRIVILEGED_LOGS_ENABLED",
        "DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED",
        "DD_LOGS_CONFIG_PROCESS_COLLECT_ALL",
        "DD_INFRASTRUCTURE_MODE",
    ],
)
def test_vendor_1_37_to_1_46_variables_honoured_raise_no_warning(name: str) -> None:
    value = "basic" if name == "DD_INFRASTRUCTURE_MODE" else "true"
    result = call("read_settings; warn_about_variables", {**GOOD, "DD_FIPS_MODE": "1", name: value})
    assert (result.returncode, result.stderr) == (0, "")  # honoured: fips-setup install writes it


def test_forward_proxies() -> None:
    env = {
        **GOOD,
        "DD_FIPS_MODE": "1",
        "DD_PROXY_HTTPS": "http://proxy:3128",
        "https_proxy": "http://u:pw@proxy:3128",
    }
    result = call("read_settings; warn_about_variables", env)
    assert "DD_PROXY_HTTPS is ignored: the FIPS proxy sends straight to the intake" in result.stderr
    assert "https_proxy is set: curl and the package manager go through that proxy" in result.stderr
    assert "pw@" not in result.stderr
    direct = call("read_settings; warn_about_variables", {**GOOD, "DD_PROXY_HTTP": "http://p:1"})
    assert "DD_PROXY_HTTP is not written by this script" in direct.stderr


# --- platform --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_release", "family"),
    [
        ("ID=debian\n", "debian"),
        ("ID=ubuntu\nID_LIKE=debian\n", "debian"),
        ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "rhel"),
        ("ID='almalinux'\nID_LIKE='rhel centos fedora'\n", "rhel"),
        ('ID="amzn"\n', "rhel"),
        ('ID="sles"\nID_LIKE="suse"\n', "suse"),
        ("ID='opensuse-leap'\n", "suse"),
    ],
)
def test_family_detection(tmp_path: Path, os_release: str, family: str) -> None:
    (tmp_path / "os-release").write_text(os_release)
    result = call("detect_family", {"OS_RELEASE": str(tmp_path / "os-release")})
    assert (result.returncode, result.stdout) == (0, family + "\n")


def test_an_unsupported_platform_exits_3(tmp_path: Path) -> None:
    (tmp_path / "os-release").write_text("ID=alpine\n")
    result = call("detect_family", {"OS_RELEASE": str(tmp_path / "os-release")})
    assert result.returncode == 3
    assert "alpine is not supported" in result.stderr


# --- repositories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "env", "expected"),
    [
        ("debian", {}, "https://apt.datadoghq.com"),
        ("rhel", {}, "https://yum.datadoghq.com/stable/7/aarch64"),
        (
            "suse",
            {"DD_AGENT_DIST_CHANNEL": "beta"},
            "https://yum.datadoghq.com/suse/beta/7/aarch64",
        ),
        ("debian", {"DD_REPO_URL": "datad0g.com"}, "https://apt.datad0g.com"),
        ("rhel", {"DD_REPO_URL": "datad0g.com"}, "https://yum.datad0g.com/stable/7/aarch64"),
        ("debian", {"DD_REPO_URL": "file:///srv/mirror/"}, "file:///srv/mirror/apt"),
        (
            "suse",
            {"DD_MIRROR_URL": "https://mirror.example"},
            "https://mirror.example/rpm/stable/7/aarch64",
        ),
    ],
)
def test_repository_locations(family: str, env: dict[str, str], expected: str) -> None:
    assert (
        call(f"read_settings; repo_base {family} aarch64", {**GOOD, **env}).stdout
        == expected + "\n"
    )


def test_keys_come_from_datadog_unless_a_mirror_carries_them() -> None:
    assert (
        call("read_settings; keys_base", {**GOOD, "DD_REPO_URL": "datad0g.com"}).stdout
        == "https://keys.datadoghq.com\n"
    )
    assert (
        call("read_settings; keys_base", {**GOOD, "DD_MIRROR_URL": "file:///m/"}).stdout
        == "file:///m/keys\n"
    )


@pytest.mark.parametrize(
    ("env", "os_release", "expected"),
    [
        ({}, 'ID="rhel"\nVERSION_ID="9.4"\n', "1"),
        ({}, 'ID="rhel"\nVERSION_ID="8.1"\n', "0"),
        ({"DD_REPO_URL": "file:///srv/m"}, 'ID="rhel"\nVERSION_ID="9.4"\n', "0"),
        ({"DD_REPO_URL": "file:///srv/m", "DD_RPM_REPO_GPGCHECK": "1"}, 'ID="rhel"\nVERSION_ID="9.4"\n', "1"),
        ({"DD_RPM_REPO_GPGCHECK": "false"}, 'ID="sles"\nVERSION_ID="15.5"\n', "0"),
    ],
)  # fmt: skip
def test_repo_gpgcheck_as_the_vendor_sets_it(
    tmp_path: Path, env: dict[str, str], os_release: str, expected: str
) -> None:
    (tmp_path / "os-release").write_text(os_release)
    env = {**GOOD, **env, "OS_RELEASE": str(tmp_path / "os-release")}
    result = call("read_settings; FAMILY=$(detect_family); repo_gpgcheck", env)
    assert result.stdout == expected + "\n", result.stderr


def test_rpm_repository_files(tmp_path: Path) -> None:
    (tmp_path / "os-release").write_text('ID="rhel"\nVERSION_ID="9.4"\n')
    env = {**GOOD, "OS_RELEASE": str(tmp_path / "os-release"), "DD_AGENT_DIST_CHANNEL": "beta"}
    setup = "read_settings; FAMILY=$(detect_family); ARCH=x86_64; "
    yum = call(setup + "rpm_repo_file /k/A.public /k/B.public", env).stdout
    assert yum == (
        "[datadog]\nname=Datadog, Inc.\npriority=1\n"
        "baseurl=https://yum.datadoghq.com/beta/7/x86_64/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\n"
        "gpgkey=file:///k/A.public file:///k/B.public\n"
    )
    zypp = call(setup + "FAMILY=suse; rpm_repo_file /k/A.public", env).stdout
    assert zypp.startswith(
        "[datadog]\nname=datadog\ntype=rpm-md\nbaseurl=https://yum.datadoghq.com/suse/beta/7/x86_64/\n"
    )


def test_apt_source_lines(tmp_path: Path) -> None:
    new_apt = fake_commands(tmp_path / "new", apt_get="echo 'apt 2.6.1 (amd64)'")
    old_apt = fake_commands(tmp_path / "old", apt_get="echo 'apt 1.0.9.8.6 for amd64'")
    setup = "read_settings; ARCH=x86_64; apt_source_line /usr/share/keyrings/k.gpg"
    assert call(setup, GOOD, path=new_apt).stdout == (
        "deb [signed-by=/usr/share/keyrings/k.gpg] https://apt.datadoghq.com/ stable 7\n"
    )
    assert call(setup, GOOD, path=old_apt).stdout == "deb https://apt.datadoghq.com/ stable 7\n"


# --- versions --------------------------------------------------------------------------------

VERSIONS = "1:7.50.3-1\n1:7.52.0-1\n1:7.52.1-1\n1:7.52.10-1\n1:7.53.0~rc.1-1\n1:7.53.0~rc.2-1\n"


@pytest.mark.parametrize(
    ("pin", "resolved"),
    [
        ("52", "1:7.52.10-1"),
        ("52.1", "1:7.52.1-1"),
        ("52.1-1", "1:7.52.1-1"),
        ("53.0~rc.1", "1:7.53.0~rc.1-1"),
        ("50", "1:7.50.3-1"),
    ],
)
def test_pins_resolve_to_exact_repository_versions(pin: str, resolved: str) -> None:
    result = call(f"resolve_pin {pin}", stdin=VERSIONS)
    assert (result.returncode, result.stdout) == (0, resolved + "\n")


@pytest.mark.parametrize("pin", ["53", "52.2", "5", "52.1-2", "53.0~rc.3"])
def test_a_pin_the_repository_lacks_resolves_to_nothing(pin: str) -> None:
    assert call(f"resolve_pin {pin}", stdin=VERSIONS).returncode != 0


def test_the_newest_release_sorts_after_its_pre_releases() -> None:
    assert call("newest", stdin=VERSIONS + "1:7.53.0-1\n").stdout == "1:7.53.0-1\n"
    assert call("newest", stdin=VERSIONS).stdout == "1:7.53.0~rc.2-1\n"


def test_yum_listings_with_a_wrapped_long_name() -> None:
    listing = (
        "Installed Packages\n"
        "datadog-agent.x86_64     1:7.50.3-1     @datadog\n"
        "Available Packages\n"
        "datadog-agent.x86_64     1:7.52.1-1     datadog\n"
        "datadog-fips-agent.x86_64\n"
        "                          1:7.65.2-1     datadog\n"
    )
    assert call("parse_yum_list datadog-agent", stdin=listing).stdout.split() == [
        "1:7.50.3-1",
        "1:7.52.1-1",
    ]
    assert call("parse_yum_list datadog-fips-agent", stdin=listing).stdout.split() == ["1:7.65.2-1"]


def test_package_specs() -> None:
    assert (
        call("FAMILY=debian; package_spec datadog-agent 1:7.52.1-1").stdout
        == "datadog-agent=1:7.52.1-1\n"
    )
    assert (
        call("FAMILY=rhel; package_spec datadog-agent 1:7.52.1-1").stdout
        == "datadog-agent-1:7.52.1-1\n"
    )
    assert (
        call("FAMILY=suse; package_spec datadog-agent 1:7.52.1-1").stdout
        == "datadog-agent=1:7.52.1-1\n"
    )


CHOOSE = (
    'read_settings; FAMILY=rhel; ARCH=x86_64; INSTALLED="$FAKE_INSTALLED"; WORK=$(mktemp -d); '
    "probe_versions() { printf '%s %s\\n' $FAKE_LISTING; }; "
    "installed_version() { :; }; "
    'choose_versions; printf "target=%s\\n" "$TARGET"; rm -rf "$WORK"'
)
LISTING = "datadog-agent 1:7.50.3-1 datadog-agent 1:7.52.1-1 datadog-fips-agent 1:7.65.2-1"


@pytest.mark.parametrize(
    ("env", "target"),
    [
        ({}, "1:7.52.1-1"),  # a new host gets the newest
        ({"FAKE_INSTALLED": "1:7.50.3-1"}, ""),  # an installed Agent is kept...
        (
            {"FAKE_INSTALLED": "1:7.50.3-1", "DD_UPGRADE_AGENT": "true"},
            "1:7.52.1-1",
        ),  # ...unless asked
        ({"FAKE_INSTALLED": "1:7.50.3-1", "DD_AGENT_MINOR_VERSION": "52"}, "1:7.52.1-1"),
        ({"FAKE_INSTALLED": "1:7.52.1-1", "DD_AGENT_MINOR_VERSION": "52"}, ""),  # already there
        ({"DD_AGENT_FLAVOR": "datadog-fips-agent"}, "1:7.65.2-1"),
    ],
)
def test_which_version_gets_installed(env: dict[str, str], target: str) -> None:
    result = call(CHOOSE, {**GOOD, "FAKE_LISTING": LISTING, "FAKE_INSTALLED": "", **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"target={target}\n"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DD_AGENT_MINOR_VERSION": "51"}, "DD_AGENT_MINOR_VERSION=51: the repository has no datadog-agent 7.51 (newest: 7.52.1); nothing was changed"),
        ({"FAKE_INSTALLED": "1:7.52.1-1", "DD_AGENT_MINOR_VERSION": "50"}, "this script does not downgrade"),
        ({"FAKE_LISTING": "datadog-agent 1:7.44.0-1", "DD_FIPS_MODE": "1"}, "the FIPS proxy needs Agent 7.45 or newer"),
        ({"FAKE_LISTING": "datadog-fips-agent 1:7.64.0-1", "DD_AGENT_FLAVOR": "datadog-fips-agent"}, "supported from 7.65"),
        ({"FAKE_INSTALLED": "1:7.44.1-1", "DD_FIPS_MODE": "1"}, "the installed datadog-agent 7.44.1: the FIPS proxy needs Agent 7.45 or newer; set DD_UPGRADE_AGENT=true"),
        ({"FAKE_LISTING": "datadog-agent 1:7.52.1-1", "DD_AGENT_FLAVOR": "datadog-fips-agent"}, "has no datadog-fips-agent"),
    ],
)  # fmt: skip
def test_versions_that_stop_before_any_change(env: dict[str, str], message: str) -> None:
    result = call(CHOOSE, {**GOOD, "FAKE_LISTING": LISTING, "FAKE_INSTALLED": "", **env})
    assert result.returncode != 0
    assert message in result.stderr


# --- the host ------------------------------------------------------------------------------


def dpkg_with(tmp_path: Path, **installed: str) -> str:
    """A fake dpkg-query answering for ``installed`` packages (name_with_underscores=version)."""
    cases = "".join(
        f'  {name.replace("_", "-")}) echo "install ok installed|{version}" ;;\n'
        for name, version in installed.items()
    )
    body = f'for last; do :; done\ncase "$last" in\n{cases}  *) exit 1 ;;\nesac'
    return fake_commands(tmp_path / "bin", dpkg_query=body)


@pytest.mark.parametrize(
    ("installed", "env", "message"),
    [
        ({"datadog_fips_agent": "1:7.65.2-1"}, {}, "the FIPS Agent (datadog-fips-agent 7.65.2) is installed"),
        ({"datadog_agent": "1:7.50.3-1"}, {"DD_AGENT_FLAVOR": "datadog-fips-agent"}, "this host has datadog-agent 7.50.3: moving it to the FIPS Agent is 'fips-setup migrate'"),
        ({"datadog_agent": "1:7.50.3-1", "datadog_fips_proxy": "1:1.1.17-1"}, {"DD_AGENT_FLAVOR": "datadog-fips-agent"}, "datadog-agent 7.50.3 and datadog-fips-proxy 1.1.17"),
        ({}, {"DD_NO_AGENT_INSTALL": "1"}, "DD_NO_AGENT_INSTALL: no datadog-agent is installed here to configure"),
        ({}, {"DD_API_KEY": ""}, "set DD_API_KEY (or DD_API_KEY_FILE)"),
    ],
)  # fmt: skip
def test_hosts_the_script_refuses(
    tmp_path: Path, installed: dict[str, str], env: dict[str, str], message: str
) -> None:
    path = dpkg_with(tmp_path, **installed)
    result = call("read_settings; FAMILY=debian; check_host", {**GOOD, **env}, tmp_path, path=path)
    assert result.returncode != 0
    assert message in result.stderr


def test_an_existing_datadog_yaml_needs_no_key(tmp_path: Path) -> None:
    (tmp_path / "datadog.yaml").write_text("api_key: x\n")
    path = dpkg_with(tmp_path, datadog_agent="1:7.50.3-1")
    result = call(
        "read_settings; FAMILY=debian; check_host; echo $INSTALLED", {}, tmp_path, path=path
    )
    assert (result.returncode, result.stdout) == (0, "1:7.50.3-1\n"), result.stderr


# --- keys -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A throwaway public key file and its fingerprint."""
    if shutil.which("gpg") is None:
        skip_or_fail("gpg is not installed (Debian package gnupg)")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]
    subprocess.run(
        [*gpg, "--quick-gen-key", "mirror <m@example.invalid>", "ed25519", "sign", "1y"],
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        [*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True
    ).stdout
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
    )
    key = home / "mirror.public"
    key.write_bytes(
        subprocess.run([*gpg, "--armor", "--export"], check=True, capture_output=True).stdout
    )
    yield key, fingerprint
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


CHECK = 'WORK=$(mktemp -d); mkdir -m 700 "$WORK/gnupg"; check_key_file "$KEY_FILE" "$ALLOWED"; status=$?; cleanup; exit $status'


def test_a_key_with_a_pinned_fingerprint_is_trusted(signing_key: tuple[Path, str]) -> None:
    key, fingerprint = signing_key
    result = call(CHECK, {"KEY_FILE": str(key), "ALLOWED": f"AAAA\n{fingerprint}\n"})
    assert (result.returncode, result.stdout) == (0, f"pub {fingerprint}\n"), result.stderr


def test_any_other_key_is_refused(signing_key: tuple[Path, str], tmp_path: Path) -> None:
    key, fingerprint = signing_key
    result = call(
        CHECK, {"KEY_FILE": str(key), "ALLOWED": call("printf '%s\\n' $APT_FINGERPRINTS").stdout}
    )
    assert result.returncode == 1
    assert f"holds key {fingerprint}, which is not one of Datadog's signing keys" in result.stderr
    junk = tmp_path / "junk.public"
    junk.write_text("<html>not found</html>\n")
    result = call(CHECK, {"KEY_FILE": str(junk), "ALLOWED": fingerprint})
    assert result.returncode == 1 and "holds no OpenPGP public key" in result.stderr


def test_a_mirror_key_is_trusted_only_when_given(
    signing_key: tuple[Path, str], tmp_path: Path
) -> None:
    key, fingerprint = signing_key
    mirror = tmp_path / "mirror"
    (mirror / "keys").mkdir(parents=True)
    shutil.copy(key, mirror / "keys" / "DATADOG_APT_KEY_CURRENT.public")
    fetch = 'read_settings; FAMILY=debian; WORK=$(mktemp -d); trap cleanup EXIT; fetch_keys; echo "$PRIMARY_KEYS"'
    env = {**GOOD, "DD_MIRROR_URL": mirror.as_uri()}
    refused = call(fetch, env)
    assert refused.returncode == 1
    assert "DATADOG_APT_KEY_CURRENT.public is not trusted; nothing was changed" in refused.stderr
    trusted = call(fetch, {**env, "DD_REPO_KEY_FINGERPRINTS": fingerprint.lower()})
    assert (trusted.returncode, trusted.stdout) == (0, fingerprint + "\n"), trusted.stderr


def test_the_pinned_fingerprints_are_datadogs() -> None:
    # DataDog/documentation content/en/data_security/agent.md, "Agent distribution"
    assert call("echo $APT_FINGERPRINTS").stdout.split() == [
        "D18886567EABAD8B2D2526900D826EB906462314",
        "5F1E256061D813B125E156E8E6266D4AC0962C7D",
        "D75CEA17048B9ACBF186794B32637D44F14F620E",
        "A2923DFF56EDA6E76E55E492D3A80E30382E94DE",
    ]
    assert call("echo $RPM_FINGERPRINTS").stdout.split() == [
        "2416A37757B1BB0268B3634B52AFC5994F09D16B",
        "7408BFD56BC5BF0C361AAAE85D88EEA3B01082D3",
        "C6559B690CA882F023BDF3F63F4D1729FD4BF915",
        "A4C0B90D7443CF6E4E8AA341F1068E14E09422B3",
    ]
    names = call("echo $APT_KEY_NAMES $RPM_KEY_NAMES").stdout.split()
    assert "DATADOG_APT_KEY_06462314" in names and "DATADOG_RPM_KEY_4F09D16B" in names


# --- root -----------------------------------------------------------------------------------


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder another user can use (pytest's own is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="fips-setup-test-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_another_user(argv: list[str]) -> list[str]:
    """``argv`` run by an unprivileged user (nobody) when the tests run as root."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        skip_or_fail("setpriv is not installed (Debian package util-linux)")
    return [str(setpriv), "--reuid=65534", "--regid=65534", "--clear-groups", "--", *argv]


def sudo_fake(folder: Path) -> str:
    """A ``sudo`` that records its arguments and standard input, and stops there (status 7)."""
    return fake_commands(
        folder / "bin",
        sudo=f'printf "%s\\n" "$@" > {folder}/sudo.argv; cat > {folder}/sudo.stdin; exit 7',
    )


TRICKY = {
    "DD_API_KEY": KEY,
    "DD_TAGS": 'team:a, quote:"x" dollar:$HOME back:`id`',
    "DD_HOSTNAME": "it's-a-host",
    "https_proxy": "http://user:pw@proxy.example:3128",
    "no_proxy": "localhost,.internal",
}


def test_not_root_runs_again_with_sudo_and_no_value_in_its_arguments(open_tmp: Path) -> None:
    # Exactly as the README shows it: bash -c "$(curl ...)", where $0 is "bash".
    env = {"PATH": sudo_fake(open_tmp), **TRICKY, "UNRELATED": "x"}
    argv = as_another_user(["bash", "-c", SCRIPT.read_text()])
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 7, result.stderr  # sudo's status comes back
    assert "not root: running again with sudo" in result.stderr
    sudo_argv = (open_tmp / "sudo.argv").read_text().splitlines()
    assert sudo_argv == ["bash", "-c", 'eval "$(cat)"']  # no --preserve-env (sudo < 1.8.21), no -E
    stdin = (open_tmp / "sudo.stdin").read_text()
    assert stdin.rstrip("\n").endswith(SCRIPT.read_text().rstrip("\n"))
    # The root run sees the very same values, and nothing it was not given.
    shown = subprocess.run(
        [
            "bash",
            "-c",
            'eval "$(cat)"; printf "%s|" "$DD_API_KEY" "$DD_TAGS" "$DD_HOSTNAME" "$https_proxy" "$no_proxy" "${UNRELATED-unset}"',
        ],
        env={"PATH": "/usr/bin:/bin", "FIPS_SETUP_SOURCED": "1"},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    names = ("DD_API_KEY", "DD_TAGS", "DD_HOSTNAME", "https_proxy", "no_proxy")
    assert shown.stdout.split("|")[:6] == [*(TRICKY[n] for n in names), "unset"]


def test_not_root_from_a_file_runs_the_file_again(open_tmp: Path) -> None:
    copy = open_tmp / "install_script_agent7.sh"
    shutil.copy(SCRIPT, copy)
    copy.chmod(0o644)
    env = {"PATH": sudo_fake(open_tmp), "DD_API_KEY": KEY}
    result = subprocess.run(
        as_another_user(["bash", str(copy)]), env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 7, result.stderr
    assert (
        (open_tmp / "sudo.stdin").read_text().rstrip("\n").endswith(SCRIPT.read_text().rstrip("\n"))
    )


def test_not_root_without_sudo_exits_4(open_tmp: Path) -> None:
    argv = as_another_user(["/bin/bash", "-c", SCRIPT.read_text()])
    result = subprocess.run(
        argv, env={"PATH": str(open_tmp)}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 4
    assert "sudo is not available" in result.stderr


# --- the whole script, stopping early -------------------------------------------------------


def run_script(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The script as root, with its temporary folder under ``tmp_path / "tmp"``."""
    if os.geteuid() != 0:
        skip_or_fail("the whole script needs root (it runs itself again with sudo otherwise)")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    base = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "TMPDIR": str(tmp_path / "tmp"),
        "DATADOG_YAML": str(tmp_path / "datadog.yaml"),
    }
    return subprocess.run(
        ["bash", "-c", SCRIPT.read_text()],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_exit_removes_the_temporary_files(tmp_path: Path) -> None:
    (tmp_path / "os-release").write_text("ID=alpine\n")
    result = run_script({**GOOD, "OS_RELEASE": str(tmp_path / "os-release")}, tmp_path)
    assert result.returncode == 3, result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_bad_variable_stops_the_whole_script_with_2(tmp_path: Path) -> None:
    result = run_script({**GOOD, "DD_AGENT_FLAVOR": "datadog-dogstatsd"}, tmp_path)
    assert result.returncode == 2
    assert "DD_AGENT_FLAVOR=datadog-dogstatsd" in result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


# --- the toolkit --------------------------------------------------------------------------------


def test_the_toolkit_must_be_verified(tmp_path: Path) -> None:
    work = f"WORK={tmp_path}; "
    result = call(work + "obtain_toolkit")
    assert result.returncode == 1
    assert "carries no fips-setup checksum" in result.stderr
    pyz = tmp_path / "fips-setup-source.pyz"
    pyz.write_bytes(b"not the real thing")
    tampered = call(
        work + f"FIPS_SETUP_PYZ_SHA256={'0' * 64}; obtain_toolkit",
        {"FIPS_SETUP_PYZ_URL": pyz.as_uri()},
    )
    assert tampered.returncode == 1
    assert "does not match the checksum" in tampered.stderr
    digest = hashlib.sha256(pyz.read_bytes()).hexdigest()
    good = call(
        work + f'FIPS_SETUP_PYZ_SHA256={digest}; obtain_toolkit; echo "$PYZ"',
        {"FIPS_SETUP_PYZ_URL": pyz.as_uri()},
    )
    assert good.returncode == 0, good.stderr
    assert Path(good.stdout.strip()).read_bytes() == b"not the real thing"


def test_plain_http_is_never_fetched(tmp_path: Path) -> None:
    result = call(f'fetch http://127.0.0.1:9/x "{tmp_path}/x"')
    assert result.returncode != 0
    assert 'Protocol "http" not supported' in result.stderr or "disabled" in result.stderr


def test_the_documentation_lists_every_variable_the_script_reads() -> None:
    doc = (REPO / "docs" / "install-script.md").read_text()
    read = set(re.findall(r"\b(DD_[A-Z0-9_]+|TESTING_[A-Z_]+|REPO_URL)\b", SCRIPT.read_text()))
    assert len(read) > 50
    assert sorted(name for name in read if f"`{name}`" not in doc) == []


def test_shellcheck_is_clean() -> None:
    if shutil.which("shellcheck") is None:
        skip_or_fail("shellcheck is not installed (Debian package shellcheck)")
    result = subprocess.run(
        ["shellcheck", "--severity=info", str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
