"""Files ``install`` makes besides datadog.yaml: Cloud Security's configs and ``install_info``.

Each is planned as a step (created only when absent, or in ``install_info``'s
case when its text differs), so a dry run shows it and a second run changes
nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple, Optional

from fipsconf.errors import DocumentError
from fipsconf.security_configs import (
    SecurityRequest,
    config_from_example,
    sections_not_enabled,
)
from fipsconf.yamldoc import decode_utf8
from installer import __version__
from installer.errors import PreconditionError, SettingError
from installer.files import Ownership, atomic_write, read_bytes
from installer.host import Host
from installer.plan import Step
from installer.proxy import proxy_ownership
from installer.results import FileDiff, Template
from installer.undo import file_undo

INSTALL_INFO = "/etc/datadog-agent/install_info"
#: Set by the one-step script when it installed the Agent package: the vendor's ``tool_version``.
INSTALLED_BY = "FIPS_SETUP_INSTALLED_BY"
_TOOL_VERSION = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


class FilesPlan(NamedTuple):
    """Steps that create files, their diffs, and warnings about files kept as they are."""

    steps: list[Step]
    diff: list[FileDiff]
    warnings: list[str]


def plan_security_files(host: Host, request: SecurityRequest) -> FilesPlan:
    """``system-probe.yaml`` / ``security-agent.yaml`` from their examples, where asked and absent.

    They get ``root:dd-agent``, mode 640, as Datadog's script gives them; an
    existing file is kept (with a warning when an asked-for section is not on).
    Raises PreconditionError (no example: no Agent package) and DocumentError.
    """
    plan = FilesPlan([], [], [])
    for location, sections in request.files().items():
        path = host.path(location)
        if path.exists() or path.is_symlink():
            off = _sections_off(path, sections)
            if off:
                settings = ", ".join(f"{section}.enabled" for section in off)
                plan.warnings.append(f"{location} exists: kept as it is, without {settings}: true")
            continue
        example = path.with_name(path.name + ".example")
        if not example.is_file():
            raise PreconditionError(
                f"{location} does not exist and neither does {example}: is the Agent package"
                " installed?"
            )
        try:
            example_text = decode_utf8(read_bytes(example))
            text = config_from_example(example_text, sections)
        except DocumentError as exc:
            raise exc.in_file(example) from None
        agent_group = proxy_ownership(host).gid
        ownership = Ownership(0, agent_group, 0o640)
        description = f"create {location} from its example (root:dd-agent, 640)"
        plan.steps.append(_write_step(path, text.encode("utf-8"), ownership, description))
        plan.diff.append(FileDiff(location, "", text, Template(str(example), example_text)))
    return plan


def plan_install_info(host: Host, tool_version: Optional[str]) -> FilesPlan:
    """``install_info``: how the Agent was installed, in the shape Datadog's script writes.

    ``tool_version``: the script's name (``install_script_agent7``); None
    when the Agent package was not installed by the script (nothing to record).
    Raises SettingError for a name that is not a plain word.
    """
    if tool_version is None:
        return FilesPlan([], [], [])
    if not _TOOL_VERSION.match(tool_version):
        raise SettingError(f"{INSTALLED_BY}={tool_version!r} is not a plain name")
    text = (
        "---\n"
        "install_method:\n"
        "  tool: install_script\n"
        f"  tool_version: {tool_version}\n"
        f"  installer_version: install_script-fips-setup-{__version__}\n"
    )
    path = host.path(INSTALL_INFO)
    before = path.read_text(errors="replace") if path.is_file() else None
    if before == text:
        return FilesPlan([], [], [])
    verb = "create" if before is None else "update"
    description = f"{verb} {INSTALL_INFO}: how the Agent was installed (root, 644)"
    step = _write_step(path, text.encode("utf-8"), Ownership(0, 0, 0o644), description)
    return FilesPlan([step], [FileDiff(INSTALL_INFO, before or "", text)], [])


def _sections_off(path: Path, sections: tuple[str, ...]) -> list[str]:
    try:
        return sections_not_enabled(decode_utf8(read_bytes(path)), sections)
    except DocumentError as exc:
        raise exc.in_file(path) from None


def _write_step(path: Path, data: bytes, ownership: Ownership, description: str) -> Step:
    """Write ``data`` at ``path``; undoing removes the new file or puts the old one back."""
    return Step(
        "write-file",
        description,
        lambda: atomic_write(path, data, new_file=ownership),
        lambda: [file_undo(path, data)],
    )
