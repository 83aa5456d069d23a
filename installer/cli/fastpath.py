"""Run the commonest automation call without loading Typer.

``fips-setup configure ... --json`` runs on every host of a fleet, often from
Ansible; Typer's imports alone cost about as much as the whole command. This
module recognises exactly the plain spellings of that command's options and
runs it through the same function as the Typer application. Anything else
(help, ``--opt=value``, an unknown, repeated or odd-looking option, a value
that is not a plain number) returns None so that Typer parses it and gives
its usual help or usage error. ``tests/installer/cli/test_fastpath.py`` checks
that this table and the Typer declaration agree.
"""

from __future__ import annotations

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
    """The options of one command: flags and valued options, by their parameter names."""

    flags: dict[str, str]
    values: dict[str, tuple[str, Callable[[str], Any]]]
    defaults: dict[str, Any]
    call: Callable[[dict[str, Any]], int]


def _configure(options: dict[str, Any]) -> int:
    from installer.cli.commands import configure_command

    config = options.pop("config")
    return configure_command(config, **options)


def _configure_defaults() -> dict[str, Any]:
    from installer.cli.commands import DEFAULT_CONFIG

    return {
        "config": DEFAULT_CONFIG,
        "disable": False,
        "port_range_start": None,
        "local_address": None,
        "dry_run": False,
        "as_json": False,
    }


COMMANDS: dict[str, Callable[[], FastCommand]] = {
    "configure": lambda: FastCommand(
        flags={"--disable": "disable", "--dry-run": "dry_run", "--json": "as_json"},
        values={
            "--config": ("config", _path),
            "--port-range-start": ("port_range_start", _number),
            "--local-address": ("local_address", _nonempty),
        },
        defaults=_configure_defaults(),
        call=_configure,
    ),
}


def parse(args: list[str]) -> Optional[tuple[FastCommand, dict[str, Any]]]:
    """The command and its options when ``args`` is a plain call the fast path knows."""
    if not args or args[0] not in COMMANDS:
        return None
    command = COMMANDS[args[0]]()
    options = dict(command.defaults)
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
