"""``configure`` on a (fake) host: what it writes, what it leaves alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

from fipsconf.datadog_yaml import FipsRequest
from fipsconf.errors import FipsSetupError
from installer.configure import configure
from installer.files import Ownership, ownership_of

# A string, made into a Path inside each test: on Python 3.9 a Path created
# before pyfakefs starts keeps using the real file system.
CONFIG_PATH = "/etc/datadog-agent/datadog.yaml"
ORIGINAL = "api_key: 0123456789abcdef0123456789abcdef\nsite: ddog-gov.com\n"
ENABLED = ORIGINAL + "\nfips:\n  enabled: true\n  https: false\n"


def snapshot(folder: Path) -> dict[str, tuple[bytes, float, int]]:
    return {
        entry.name: (entry.read_bytes(), entry.stat().st_mtime, entry.stat().st_mode)
        for entry in sorted(folder.iterdir())
        if entry.is_file()
    }


@pytest.fixture
def host(fs: FakeFilesystem) -> FakeFilesystem:
    fs.create_file(Path(CONFIG_PATH), contents=ORIGINAL, st_mode=stat.S_IFREG | 0o640)
    os.chown(Path(CONFIG_PATH), 998, 997)
    return fs


def test_enable_writes_the_block_and_keeps_owner_and_mode(host: FakeFilesystem) -> None:
    result = configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)
    assert result.changed
    assert Path(CONFIG_PATH).read_text() == ENABLED
    assert ownership_of(Path(CONFIG_PATH)) == Ownership(998, 997, 0o640)
    assert result.diff[0].before == ORIGINAL
    assert result.diff[0].after == ENABLED
    assert [a["status"] for a in result.actions] == ["done"]


def test_a_second_run_changes_nothing_and_writes_nothing(host: FakeFilesystem) -> None:
    configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)
    before = snapshot(Path(CONFIG_PATH).parent)
    result = configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)
    assert not result.changed
    assert result.diff == []
    assert result.actions == []
    assert snapshot(Path(CONFIG_PATH).parent) == before


def test_dry_run_reports_the_change_and_touches_nothing(host: FakeFilesystem) -> None:
    before = snapshot(Path(CONFIG_PATH).parent)
    result = configure(Path(CONFIG_PATH), FipsRequest(), dry_run=True)
    assert result.changed
    assert result.dry_run
    assert result.diff[0].after == ENABLED
    assert [a["status"] for a in result.actions] == ["planned"]
    assert snapshot(Path(CONFIG_PATH).parent) == before


@pytest.mark.parametrize(
    ("content", "request_", "message"),
    [
        ("site: [unclosed\n", FipsRequest(), f"{Path(CONFIG_PATH)}:2: invalid YAML"),
        (b"site: h\xe9\n", FipsRequest(), f"{Path(CONFIG_PATH)}:1: is not valid UTF-8"),
        ("- a\n", FipsRequest(), f"{Path(CONFIG_PATH)}:1: the top level is a list"),
        ("fips: [1]\n", FipsRequest(), f"{Path(CONFIG_PATH)}:1: 'fips' is a list"),
        (ORIGINAL, FipsRequest(local_address="192.168.1.1"), "local address '192.168.1.1'"),
        (ORIGINAL, FipsRequest(port_range_start=0), "port range start 0 is out of range"),
        (ORIGINAL, FipsRequest(port_range_start=65521), "port range start 65521"),
    ],
)
def test_bad_input_changes_nothing(
    fs: FakeFilesystem, content: object, request_: FipsRequest, message: str
) -> None:
    fs.create_file(Path(CONFIG_PATH), contents=content)
    before = snapshot(Path(CONFIG_PATH).parent)
    with pytest.raises(FipsSetupError) as caught:
        configure(Path(CONFIG_PATH), request_, dry_run=False)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert snapshot(Path(CONFIG_PATH).parent) == before


def test_a_missing_file_says_so(fs: FakeFilesystem) -> None:
    fs.create_dir(Path(CONFIG_PATH).parent)
    with pytest.raises(FipsSetupError, match="no such file; is the Agent installed"):
        configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)
    assert os.listdir(Path(CONFIG_PATH).parent) == []


def test_a_folder_says_so(fs: FakeFilesystem) -> None:
    fs.create_dir(Path(CONFIG_PATH))
    with pytest.raises(FipsSetupError, match="is a folder, not a file"):
        configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)


def test_warnings_do_not_stop_the_change(fs: FakeFilesystem) -> None:
    fs.create_file(Path(CONFIG_PATH), contents="site: datadoghq.com\ndd_url: https://x.example\n")
    result = configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)
    assert result.changed
    assert len(result.warnings) == 2
    assert "site is datadoghq.com" in result.warnings[0]


@pytest.mark.parametrize(
    ("init", "restart"),
    [
        ("systemd", "systemctl restart datadog-agent"),
        ("sysv", "service datadog-agent restart"),
        ("upstart", "initctl restart datadog-agent"),
    ],
)
def test_the_restart_it_asks_for_is_the_hosts(
    fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch, init: str, restart: str
) -> None:
    import installer.host
    from tests.fakes import make_executable

    real_host = installer.host.Host  # its default root was made before pyfakefs (Python 3.9)
    monkeypatch.setattr(installer.host, "Host", lambda: real_host(Path("/")))
    config = Path(CONFIG_PATH)
    fs.create_file(config, contents=ORIGINAL)
    if init == "systemd":
        fs.create_dir("/run/systemd/system")
    elif init == "upstart":
        make_executable("/sbin/initctl")
        fs.create_dir("/etc/init")
    else:
        make_executable("/usr/sbin/service")
    result = configure(config, FipsRequest(enabled=True), dry_run=False)
    assert result.msg.endswith(f"restart the Agent for it to take effect ({restart})")
    assert "systemctl" not in result.msg or init == "systemd"


def test_a_missing_file_named_with_config_is_not_answered_with_use_config(
    fs: FakeFilesystem,
) -> None:
    with pytest.raises(FipsSetupError) as caught:
        configure(Path("/srv/agent/missing.yaml"), FipsRequest(enabled=True), dry_run=True)
    assert str(caught.value) == "/srv/agent/missing.yaml: cannot read: no such file"
    with pytest.raises(FipsSetupError) as caught:
        configure(Path(CONFIG_PATH), FipsRequest(enabled=True), dry_run=True)
    assert str(caught.value) == (
        f"{CONFIG_PATH}: cannot read: no such file; is the Agent installed? Use --config PATH"
        " for a configuration elsewhere"
    )


def test_us2_fed_is_refused_and_the_file_is_left_unchanged(fs: FakeFilesystem) -> None:
    # The proxy forwards to US1-FED only: enabling it here would send this host's
    # payloads to the wrong site, and "set site: ddog-gov.com" is no advice for it.
    text = "api_key: 0123456789abcdef0123456789abcdef\nsite: us2.ddog-gov.com\n"
    fs.create_file(Path(CONFIG_PATH), contents=text)
    before = snapshot(Path(CONFIG_PATH).parent)
    with pytest.raises(FipsSetupError) as caught:
        configure(Path(CONFIG_PATH), FipsRequest(), dry_run=False)
    assert caught.value.code == "precondition"
    assert str(caught.value).startswith(f"{CONFIG_PATH}:2: site is us2.ddog-gov.com (US2-FED)")
    way = (
        "use the FIPS Agent, which sends to US2-FED's own intake (on this host: fips-setup migrate)"
    )
    assert way in str(caught.value)
    assert snapshot(Path(CONFIG_PATH).parent) == before
    # turning the proxy off is always allowed
    assert not configure(Path(CONFIG_PATH), FipsRequest(enabled=False), dry_run=False).changed
