"""Entry point of the ``fips-setup`` console script.

Everything every command shares happens here, around both parsers: the
global ``--debug`` option, SIGINT/SIGTERM/SIGHUP turned into an orderly stop
(see :mod:`installer.interrupts`), and the last-resort handler that keeps
even an unexpected error to one line and one JSON document.
"""

from __future__ import annotations

import gc
import sys
from typing import Optional

DEBUG_OPTION = "--debug"


def main(argv: Optional[list[str]] = None) -> int:
    """Run fips-setup with ``argv`` (default: the process arguments); return the exit status.

    The fast path runs the commonest automation call without importing
    Typer (a third of the start-up time); anything it does not recognise
    exactly goes to the Typer application, which owns help and usage errors.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    options = args[: args.index("--")] if "--" in args else args
    debug = DEBUG_OPTION in options
    if debug:
        args.remove(DEBUG_OPTION)
    as_json = "--json" in options
    from installer import interrupts
    from installer.cli import render

    render.set_debug(debug)
    # A command is a short run that makes no garbage cycles worth collecting,
    # while the collector would walk a large document's millions of objects
    # again and again (a fifth of the time for a large datadog.yaml).
    collecting = gc.isenabled()
    gc.disable()
    with interrupts.handle_signals():
        try:
            return _dispatch(args)
        except interrupts.Interrupted as signal:
            message = f"{signal}; nothing was changed"
            return render.show_interrupted(message, signal, as_json=as_json)
        except Exception as exc:
            return render.show_internal_error(exc, as_json=as_json)
        finally:
            render.set_debug(False)
            if collecting:
                gc.enable()


def _dispatch(args: list[str]) -> int:
    from installer.cli import fastpath

    status = fastpath.run(args)
    if status is not None:
        return status
    from installer.cli import app

    return app.run(args)


def run() -> None:
    """Run with the process arguments and exit with the status (the zipapp's entry)."""
    sys.exit(main())


if __name__ == "__main__":
    run()
