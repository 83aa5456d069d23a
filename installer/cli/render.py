"""Turn results and errors into output: one JSON document, or text for people.

Every string passes through the redactor on its way out. rich is imported
only for human output, so ``--json`` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

from fipsconf.redact import REDACTOR
from installer.results import CommandResult

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def emit_json(document: dict[str, Any]) -> None:
    """Write exactly one redacted JSON object to stdout."""
    sys.stdout.write(json.dumps(REDACTOR.redact_data(document), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def failure_document(
    message: str, code: str, extra: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    """The JSON document for a failed command."""
    out: dict[str, Any] = {"changed": False, "failed": True, "msg": message, "error": code}
    if extra:
        out.update(extra)
    return out


def show_result(result: CommandResult, *, as_json: bool) -> None:
    """Print a successful result."""
    if as_json:
        emit_json(result.record())
        return
    from rich.text import Text

    from fipsconf.textdiff import unified_diff

    console = _console()
    for file_diff in result.diff:
        text = unified_diff(
            file_diff.path, REDACTOR.redact(file_diff.before), REDACTOR.redact(file_diff.after)
        )
        console.print(_colored_diff(text))
    for warning in result.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(REDACTOR.redact(warning)))
    mark = Text("✓ " if result.changed and not result.dry_run else "• ", style="green")
    console.print(mark + Text(REDACTOR.redact(result.msg)))


def show_failure(
    message: str, code: str, *, as_json: bool, extra: Optional[dict[str, Any]] = None
) -> None:
    """Print a one-line error (stderr) or the failure JSON document (stdout)."""
    if as_json:
        emit_json(failure_document(message, code, extra))
        return
    from rich.text import Text

    _console(stderr=True).print(Text("error: ", style="bold red") + Text(REDACTOR.redact(message)))


def _colored_diff(text: str) -> Any:
    from rich.text import Text

    out = Text()
    for line in text.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(line, style="bold")
        elif line.startswith("+"):
            out.append(line, style="green")
        elif line.startswith("-"):
            out.append(line, style="red")
        elif line.startswith("@@"):
            out.append(line, style="cyan")
        else:
            out.append(line)
    return out


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)
