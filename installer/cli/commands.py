"""The commands behind the command line, as plain functions returning exit codes.

Both the Typer application and the fast path call these, so a command
behaves the same whichever parsed its arguments. Library modules are
imported inside each function: a command loads only what it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from fipsconf.errors import FipsSetupError
from installer.cli.render import EXIT_FAILED, EXIT_OK, show_failure, show_result

DEFAULT_CONFIG = Path("/etc/datadog-agent/datadog.yaml")


def run_and_render(as_json: bool, command: Callable[[], Any]) -> int:
    """Run a library call and render its result or error; return the exit status."""
    try:
        result = command()
    except FipsSetupError as exc:
        show_failure(str(exc), exc.code, as_json=as_json)
        return EXIT_FAILED
    show_result(result, as_json=as_json)
    return EXIT_OK


def configure_command(
    config: Path,
    *,
    disable: bool,
    port_range_start: Optional[int],
    local_address: Optional[str],
    dry_run: bool,
    as_json: bool,
) -> int:
    """``fips-setup configure``."""
    from fipsconf.datadog_yaml import FipsRequest
    from installer.configure import configure

    request = FipsRequest(
        enabled=not disable, port_range_start=port_range_start, local_address=local_address
    )
    return run_and_render(as_json, lambda: configure(config, request, dry_run=dry_run))


def run_file_command(as_json: bool, command: Callable[[], Any]) -> int:
    """Like :func:`run_and_render`, but a result carrying a ``document`` prints it.

    For ``helm`` and ``ecs`` without ``--in-place`` or ``--output``: the new
    file goes to stdout exactly (bytes, line endings kept) and the message
    and warnings to stderr, so that stdout can be redirected to a file.
    With ``--json``, the JSON document (carrying the diff) is all of stdout.
    """
    try:
        result = command()
    except FipsSetupError as exc:
        show_failure(str(exc), exc.code, as_json=as_json)
        return EXIT_FAILED
    document = getattr(result, "document", None)
    if as_json or document is None:
        show_result(result, as_json=as_json)
        return EXIT_OK
    _print_document(document, result)
    return EXIT_OK


def _print_document(document: bytes, result: Any) -> None:
    import sys

    from rich.console import Console
    from rich.text import Text

    from fipsconf.redact import REDACTOR

    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.write(document)
        buffer.flush()
    else:  # a text-only stream (some test and embedding set-ups)
        sys.stdout.write(document.decode("utf-8"))
        sys.stdout.flush()
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for warning in result.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(REDACTOR.redact(warning)))
    console.print(Text("• ", style="green") + Text(REDACTOR.redact(result.msg)))


def helm_command(
    values: Path,
    *,
    in_place: bool,
    output: Optional[Path],
    port: Optional[int],
    local_address: Optional[str],
    image_tag: Optional[str],
    allow_fips_agent: bool,
    dry_run: bool,
    as_json: bool,
) -> int:
    """``fips-setup helm``."""
    from fipsconf.helm_values import HelmRequest
    from installer.containers import Destination, helm_values

    request = HelmRequest(
        port=port,
        local_address=local_address,
        image_tag=image_tag,
        allow_fips_agent=allow_fips_agent,
    )
    destination = Destination(in_place=in_place, output=output, print_document=not as_json)
    return run_file_command(
        as_json, lambda: helm_values(values, request, destination, dry_run=dry_run)
    )


def ecs_command(
    taskdef: Path,
    *,
    in_place: bool,
    output: Optional[Path],
    image_tag: Optional[str],
    agent_container: Optional[str],
    port_range_start: Optional[int],
    allow_fips_agent: bool,
    dry_run: bool,
    as_json: bool,
) -> int:
    """``fips-setup ecs``."""
    from fipsconf.ecs_taskdef import EcsRequest
    from installer.containers import Destination, ecs_task_definition

    request = EcsRequest(
        image_tag=image_tag,
        agent_container=agent_container,
        port_range_start=port_range_start,
        allow_fips_agent=allow_fips_agent,
    )
    destination = Destination(in_place=in_place, output=output, print_document=not as_json)
    return run_file_command(
        as_json, lambda: ecs_task_definition(taskdef, request, destination, dry_run=dry_run)
    )
