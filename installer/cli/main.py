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
    args = after_the_command(args)
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


#: Options of every command that people also write before it (``fips-setup --json status``).
COMMON_OPTIONS = ("--json", "--dry-run")
#: Commands whose next word names the command proper (``dns show``, ``logs enable``).
GROUPS = ("dns", "logs")


def after_the_command(args: list[str]) -> list[str]:
    """``args`` with ``--json`` or ``--dry-run`` given before the command moved after it.

    Each command takes them, so ``fips-setup --json status`` means ``fips-setup
    status --json`` (and ``dns --json show``, ``dns show --json``). Without a
    command they stay where they are, for the parser to refuse.
    """
    end = args.index("--") if "--" in args else len(args)
    words = [i for i, arg in enumerate(args[:end]) if not arg.startswith("-")]
    if not words:
        return args
    path = words[:2] if args[words[0]] in GROUPS else words[:1]
    early = [arg for arg in args[: path[-1]] if arg in COMMON_OPTIONS]
    if not early:
        return args
    rest = [arg for arg in args[: path[-1]] if arg not in COMMON_OPTIONS] + args[path[-1] : end]
    return rest + early + args[end:]


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
