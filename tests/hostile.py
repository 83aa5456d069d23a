"""Inputs built to hang, exhaust or crash a reader, shared by the tests and ``make bench``.

``HOSTILE``: YAML documents, each with the line (1-based) and words of the
one-line error fips-setup must give. ``SPECIAL``: files that are not
regular files (or too large), each made in a folder, with the error's words.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Callable

Maker = Callable[[Path], Path]


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """``a: &a [x, ...]``, then each level a list of ``width`` aliases of the one before."""
    names = "abcdefghijklmnop"
    lines = [f"{names[0]}: &{names[0]} [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*{names[level - 1]}"] * width)
        lines.append(f"{names[level]}: &{names[level]} [{aliases}]")
    return "\n".join(lines) + "\nfips:\n  enabled: false\n"


def merge_bomb(levels: int = 24) -> str:
    """Mappings merging the one before twice (``<<: [*m1, *m1]``): entries double each level."""
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for level in range(1, levels):
        lines.append(f"m{level}: &m{level}\n  <<: [*m{level - 1}, *m{level - 1}]\n  k{level}: 1")
    return "\n".join(lines) + "\n"


HOSTILE = {
    # name: (text, line of the error, words in it)
    "block-nesting": (
        "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
        101,
        "more than 100 levels deep",
    ),
    "flow-nesting": ("x: " + "[" * 5000 + "]" * 5000 + "\n", 1, "more than 100 levels deep"),
    "sequence-nesting": (
        "x:\n" + "".join(f"{'  ' * i}-\n" for i in range(300)) + "  " * 300 + "- 1\n",
        101,
        "more than 100 levels deep",
    ),
    "alias-bomb": (alias_bomb(), 6, "aliases (*name) add more than 100,000 values to it"),
    "merge-bomb": (merge_bomb(), 42, "aliases (*name) add more than 100,000 values to it"),
    "self-reference": ("a: &a\n  b: *a\n", 1, "contains itself through an alias"),
    "self-reference-flow": ("a: &a [1, *a]\n", 1, "contains itself through an alias"),
    # Python turns digits into an integer in quadratic time: base 60 took minutes
    "base-60-integer": (
        "site: x\nk: " + "1:1" * 300_000 + "\n",
        2,
        "holds a number of 900,000 characters",
    ),
    "long-integer": ("k: " + "7" * 2_000_000 + "\n", 1, "holds a number of 2,000,000 characters"),
    "long-integer-in-flow": ("k: [1, " + "7" * 5000 + "]\n", 1, "holds a number of 5,000"),
    # ruamel looks ahead for keys at every value of a flow collection: seconds
    "flow-values": ("k: [" + ", ".join(["v"] * 6000) + "]\n", 1, "more than 5,000 values of it"),
    "deep-through-aliases": (
        "a0: &a0 [[[[[[[[[[1]]]]]]]]]]\n"
        + "".join(f"a{i}: &a{i} [[[[[[[[[[*a{i - 1}]]]]]]]]]]\n" for i in range(1, 12)),
        11,
        "more than 100 levels deep",
    ),
}


def fifo(folder: Path) -> Path:
    """A named pipe nobody writes to: reading it would block forever."""
    path = folder / "input"
    os.mkfifo(path)
    return path


def unix_socket(folder: Path) -> Path:
    """A Unix socket's file (it stays when the socket is closed)."""
    path = folder / "input"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
    return path


def oversized(folder: Path) -> Path:
    """A file one byte over the 16 MiB read limit."""
    path = folder / "input"
    with path.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)  # sparse: nothing to write
    return path


def text_file(text: str) -> Maker:
    """A maker of a file holding ``text``."""

    def make(folder: Path) -> Path:
        path = folder / "input"
        path.write_text(text)
        return path

    return make


SPECIAL: dict[str, tuple[Maker, str]] = {
    "fifo": (fifo, "is a named pipe (FIFO), not a regular file"),
    "socket": (unix_socket, "is a socket, not a regular file"),
    "folder": (lambda folder: folder, "is a folder, not a file"),
    "dev-zero": (lambda folder: Path("/dev/zero"), "is a device, not a regular file"),
    "over-16-MiB": (oversized, "it is 16777217 bytes; fips-setup reads files of at most 16 MiB"),
}
