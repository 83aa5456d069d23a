"""The error hierarchy every fips-setup failure belongs to.

Each error carries a message written for the operator: what is wrong and,
where it helps, what to do. The command line shows it as one line and picks
the exit code; no library code prints.
"""

from __future__ import annotations

from typing import Optional


class FipsSetupError(Exception):
    """Root of every expected failure. ``str(error)`` is the user-facing text."""

    #: A stable, machine-readable code for the JSON document.
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DocumentError(FipsSetupError):
    """A document (YAML, JSON, HAProxy config) that cannot be read or edited safely.

    ``line`` is 1-based when the problem has a place in the document. The
    caller that knows the file name prefixes it (see :meth:`located`).
    """

    code = "invalid-document"

    def __init__(self, message: str, line: Optional[int] = None) -> None:
        super().__init__(message)
        self.line = line
        self.path: Optional[str] = None

    def located(self, path: str) -> str:
        """The message prefixed with ``path`` and, when known, ``:line``."""
        where = f"{path}:{self.line}" if self.line is not None else path
        return f"{where}: {self.message}"

    def in_file(self, path: object) -> DocumentError:
        """The same error, its message naming the file ``path``."""
        located = DocumentError(self.located(str(path)), line=self.line)
        located.path = str(path)
        located.code = self.code  # a refusal (``precondition``) stays one
        return located


class SettingError(FipsSetupError):
    """A value the user asked for that is not acceptable (port, address...)."""

    code = "invalid-setting"
