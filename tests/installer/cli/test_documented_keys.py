"""Every key of a command's JSON document is in docs/cli.md, under that command or for all."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pyfakefs.fake_filesystem import FakeFilesystem

from installer.doctor import DoctorOptions, doctor
from installer.enable import EnableOptions, enable
from installer.status import status
from installer.verify import verify
from tests.conftest import REPO
from tests.installer.conftest import HostFactory
from tests.installer.doctor.conftest import HAPROXY_CMDLINE, PROXY_PID, listen

CONFIG = "/etc/datadog-agent/datadog.yaml"
CLI_MD = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")


def section(command: str) -> str:
    """The text of ``## `fips-setup COMMAND``` up to the next section."""
    return CLI_MD.split(f"## `fips-setup {command}`")[1].split("\n## ")[0]


COMMON = CLI_MD.split("## Common to every command")[1].split("\n## `fips-setup")[0]


def keys(document: Any, depth: int = 2) -> set[str]:
    """The keys of ``document`` and of the mappings in it, ``depth`` levels down.

    Keys that are names rather than fields (package, service, setting names) are left
    out by their parent (see NAMED).
    """
    found: set[str] = set()
    if depth == 0:
        return found
    items = document if isinstance(document, list) else [document]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            found.add(key)
            if key not in NAMED:
                found |= keys(value, depth - 1)
    return found


#: Mappings whose keys are names (of packages, services, settings), not fields.
NAMED = {"packages", "services", "effective", "sources", "settings", "summary"}


def undocumented(document: dict[str, Any], command: str) -> list[str]:
    text = section(command) + COMMON + (section("doctor") if command == "verify" else "")
    # named in backquotes, or a key of the document shown (``"dry_run": false``)
    return sorted(
        key
        for key in keys(document)
        if not re.search(rf'`"?{re.escape(key)}"?`|"{re.escape(key)}"[:,}}]', text)
    )


def test_status_keys(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host()
    enable(host, EnableOptions(config=Path(CONFIG)))
    listen(fs, range(9803, 9819), PROXY_PID, HAPROXY_CMDLINE)
    document = status(host, Path(CONFIG)).record()
    assert "last_run" in document and "problems" in document
    assert undocumented(document, "status") == []


def test_doctor_and_verify_keys(make_host: HostFactory, fs: FakeFilesystem) -> None:
    host = make_host()
    enable(host, EnableOptions(config=Path(CONFIG)))
    listen(fs, range(9803, 9819), PROXY_PID, HAPROXY_CMDLINE)
    checked = doctor(host, DoctorOptions(Path(CONFIG), agent_check=False)).record()
    assert "config" in checked
    assert undocumented(checked, "doctor") == []
    verified = verify(host, Path(CONFIG), patience=0).record()
    assert undocumented(verified, "verify") == []  # its checks are "like doctor's"


def test_enable_keys(make_host: HostFactory) -> None:
    document = enable(make_host(), EnableOptions(config=Path(CONFIG))).record()
    assert undocumented(document, "enable") == []
