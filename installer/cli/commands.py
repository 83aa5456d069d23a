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
