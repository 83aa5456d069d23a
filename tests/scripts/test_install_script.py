"""The one-step install script's checks and choices, without a host (bash, for real)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import REPO, skip_or_fail

SCRIPT = REPO / "scripts" / "install_script_agent7.sh"
pytestmark = pytest.mark.real_processes


def call(
    function: str, env: Optional[dict[str, str]] = None, tmp: Optional[Path] = None
) -> subprocess.CompletedProcess[str]:
    """Source the script (without running main) and call one of its functions."""
    environment = {"PATH": "/usr/bin:/bin", "FIPS_SETUP_SOURCED": "1"}
    if tmp is not None:
        environment["DATADOG_YAML"] = str(tmp / "datadog.yaml")
    environment.update(env or {})
    return subprocess.run(
        ["bash", "-c", f'source "$0"; {function}', str(SCRIPT)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


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
def test_fips_mode_accepts_the_documented_values(value: str, expected: str) -> None:
    result = call("fips_mode", {"DD_FIPS_MODE": value})
    assert (result.returncode, result.stdout) == (0, expected + "\n")


@pytest.mark.parametrize("value", ["2", "on", "enabled", "y e s"])
def test_any_other_fips_mode_stops_before_anything(value: str) -> None:
    result = call("fips_mode", {"DD_FIPS_MODE": value})
    assert result.returncode == 2
    assert f"DD_FIPS_MODE='{value}' is not understood" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DD_SITE": "datadoghq.com", "DD_API_KEY": "k"},
            "the FIPS proxy only forwards to ddog-gov.com",
        ),
        (
            {"DD_REPO_URL": "http://mirror.example", "DD_API_KEY": "k"},
            "must start with https:// or file://",
        ),
        ({"DD_AGENT_MAJOR_VERSION": "6", "DD_API_KEY": "k"}, "installs Agent 7 only"),
        ({"DD_AGENT_MINOR_VERSION": "52; rm -rf /", "DD_API_KEY": "k"}, "is not a version"),
        ({}, "set DD_API_KEY (or DD_API_KEY_FILE)"),
    ],
)
def test_bad_variables_exit_2(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = call("check_variables on", env, tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_an_existing_datadog_yaml_needs_no_key(tmp_path: Path) -> None:
    (tmp_path / "datadog.yaml").write_text("api_key: x\n")
    assert call("check_variables on", {}, tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("os_release", "family"),
    [
        ("ID=debian\n", "debian"),
        ("ID=ubuntu\nID_LIKE=debian\n", "debian"),
        ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "rhel"),
        ('ID="amzn"\n', "rhel"),
        ('ID="sles"\nID_LIKE="suse"\n', "suse"),
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


@pytest.mark.parametrize(
    ("family", "env", "expected"),
    [
        ("debian", {}, "https://apt.datadoghq.com"),
        ("rhel", {}, "https://yum.datadoghq.com/stable/7/aarch64"),
        ("suse", {}, "https://yum.datadoghq.com/suse/stable/7/aarch64"),
        ("debian", {"DD_REPO_URL": "file:///srv/mirror/"}, "file:///srv/mirror/apt"),
        (
            "suse",
            {"DD_REPO_URL": "https://mirror.example"},
            "https://mirror.example/rpm/stable/7/aarch64",
        ),
    ],
)
def test_repository_locations(family: str, env: dict[str, str], expected: str) -> None:
    assert call(f"repo_base {family} aarch64", env).stdout == expected + "\n"


@pytest.mark.parametrize(
    ("family", "pin", "expected"),
    [
        ("debian", "", "datadog-agent"),
        ("debian", "52.1", "datadog-agent=1:7.52.1*"),
        ("rhel", "52", "datadog-agent-7.52"),
        ("suse", "52.1", "datadog-agent-7.52.1"),
    ],
)
def test_agent_pins(family: str, pin: str, expected: str) -> None:
    assert (
        call(f"agent_package {family}", {"DD_AGENT_MINOR_VERSION": pin}).stdout == expected + "\n"
    )


def test_the_toolkit_must_be_verified(tmp_path: Path) -> None:
    result = call("obtain_toolkit")
    assert result.returncode == 1
    assert "carries no fips-setup checksum" in result.stderr
    pyz = tmp_path / "fips-setup.pyz"
    pyz.write_bytes(b"not the real thing")
    tampered = call(
        f"FIPS_SETUP_PYZ_SHA256={'0' * 64}; obtain_toolkit",
        {"FIPS_SETUP_PYZ_URL": pyz.as_uri()},
    )
    assert tampered.returncode == 1
    assert "does not match the checksum" in tampered.stderr
    digest = hashlib.sha256(pyz.read_bytes()).hexdigest()
    good = call(
        f"FIPS_SETUP_PYZ_SHA256={digest}; obtain_toolkit", {"FIPS_SETUP_PYZ_URL": pyz.as_uri()}
    )
    assert good.returncode == 0
    downloaded = Path(good.stdout.strip())
    assert downloaded.read_bytes() == b"not the real thing"
    downloaded.unlink()


def test_plain_http_is_never_fetched(tmp_path: Path) -> None:
    result = call(f'fetch http://127.0.0.1:9/x "{tmp_path}/x"')
    assert result.returncode != 0
    assert 'Protocol "http" not supported' in result.stderr or "disabled" in result.stderr


def test_shellcheck_is_clean() -> None:
    if shutil.which("shellcheck") is None:
        skip_or_fail("shellcheck is not installed (Debian package shellcheck)")
    result = subprocess.run(
        ["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
