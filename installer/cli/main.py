"""Entry point of the ``fips-setup`` console script."""

from __future__ import annotations

import sys
from typing import Optional


def main(argv: Optional[list[str]] = None) -> int:
    """Run fips-setup with ``argv`` (default: the process arguments); return the exit status.

    The fast path runs the commonest automation call without importing
    Typer (a third of the start-up time); anything it does not recognise
    exactly goes to the Typer application, which owns help and usage errors.
    """
    args = list(sys.argv[1:] if argv is None else argv)
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
