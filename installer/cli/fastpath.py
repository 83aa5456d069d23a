"""Run the host commands without loading Typer.

``fips-setup configure ... --json`` runs on every host of a fleet, often from
Ansible, and ``enable``/``install`` from the one-step script; Typer's imports
alone cost about as much as ``configure`` itself. This module recognises
exactly the plain spellings of the host commands' options and runs them
through the same functions as the Typer application. Anything else
(help, ``--opt=value``, an unknown, repeated or odd-looking option, a value
that is not a plain number) returns None so that Typer parses it and gives
its usual help or usage error. ``tests/installer/cli/test_fastpath.py`` checks
that this table and the Typer declaration agree.
"""

import re
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

_DIGITS = re.compile(r"[0-9]{1,9}\Z")


def _number(text: str) -> int:
    if not _DIGITS.match(text):
        raise ValueError(text)
    return int(text)


def _nonempty(text: str) -> str:
    if not text or text.startswith("-"):
        raise ValueError(text)
    return text


def _path(text: str) -> Path:
    return Path(_nonempty(text))


class FastCommand(NamedTuple):
    """One command's options: flags and valued options, by their keyword names.

    The command function (in :mod:`installer.cli.commands`) takes the
    configuration path first and the rest as keywords; flags default to
    False, valued options to None, ``--config`` to ``config_default``.
    """

    function: str
    flags: dict[str, str]
    values: dict[str, tuple[str, Callable[[str], Any]]]
    default_config: bool = True

    def defaults(self) -> dict[str, Any]:
        """Every keyword with its value when the option is not given."""
        options: dict[str, Any] = {name: False for name in self.flags.values()}
        options.update({name: None for name, _ in self.values.values()})
        if self.default_config:
            from installer.cli.commands import DEFAULT_CONFIG

            options["config"] = DEFAULT_CONFIG
        return options

    def call(self, options: dict[str, Any]) -> int:
        """Run the command function with ``options``; its exit status."""
        from installer.cli import commands

        function: Callable[..., int] = getattr(commands, self.function)
        if "config" not in options:  # a command without --config (rollback)
            return function(**options)
        config = options.pop("config")
        return function(config, **options)


_CONFIG = ("config", _path)
_COMMON_FLAGS = {"--dry-run": "dry_run", "--json": "as_json"}

COMMANDS: dict[str, FastCommand] = {
    "configure": FastCommand(
        "configure_command",
        flags={"--disable": "disable", **_COMMON_FLAGS},
        values={
            "--config": _CONFIG,
            "--port-range-start": ("port_range_start", _number),
            "--local-address": ("local_address", _nonempty),
        },
    ),
    "enable": FastCommand(
        "enable_command",
        flags={
            "--no-install": "no_install",
            "--no-restart": "no_restart",
            "--refresh-proxy-config": "refresh_proxy_config",
            "--allow-other-site": "allow_other_site",
            **_COMMON_FLAGS,
        },
        values={
            "--config": _CONFIG,
            "--port-range-start": ("port_range_start", _number),
            "--local-address": ("local_address", _nonempty),
            "--package-file": ("package_file", _path),
        },
    ),
    "disable": FastCommand(
        "disable_command",
        flags={"--remove-package": "remove_package", "--no-restart": "no_restart", **_COMMON_FLAGS},
        values={"--config": _CONFIG},
    ),
    "install": FastCommand(
        "install_command", flags=_COMMON_FLAGS, values={"--config": _CONFIG}, default_config=False
    ),
    "status": FastCommand(
        "status_command", flags={"--json": "as_json"}, values={"--config": _CONFIG}
    ),
    "migrate": FastCommand(
        "migrate_command",
        flags={"--remove-proxy": "remove_proxy", **_COMMON_FLAGS},
        values={
            "--config": _CONFIG,
            "--agent-version": ("agent_version", _nonempty),
            "--package-file": ("package_file", _path),
        },
    ),
    "rollback": FastCommand(
        "rollback_command", flags=_COMMON_FLAGS, values={}, default_config=False
    ),
    "doctor": FastCommand(
        "doctor_command",
        flags={"--no-agent-check": "no_agent_check", "--json": "as_json"},
        values={"--config": _CONFIG},
    ),
    "verify": FastCommand(
        "verify_command", flags={"--json": "as_json"}, values={"--config": _CONFIG}
    ),
}


def parse(args: list[str]) -> Optional[tuple[FastCommand, dict[str, Any]]]:
    """The command and its options when ``args`` is a plain call the fast path knows."""
    if not args or args[0] not in COMMANDS:
        return None
    command = COMMANDS[args[0]]
    options = command.defaults()
    seen: set[str] = set()
    rest = args[1:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg in seen:
            return None
        seen.add(arg)
        if arg in command.flags:
            options[command.flags[arg]] = True
            index += 1
        elif arg in command.values and index + 1 < len(rest):
            name, convert = command.values[arg]
            try:
                options[name] = convert(rest[index + 1])
            except ValueError:
                return None
            index += 2
        else:
            return None
    return command, options


def run(args: list[str]) -> Optional[int]:
    """Run ``args`` when the fast path knows them; None means "ask Typer"."""
    parsed = parse(args)
    if parsed is None:
        return None
    command, options = parsed
    return command.call(options)
