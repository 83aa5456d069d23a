"""The code the zipapp runs reaches the network through one door: ``installer/net.py``.

``net.http_get`` refuses every URL but ``http://`` on loopback (tests/installer/test_net.py),
so no HTTPS request can come from the toolkit as long as no other module imports an HTTP or
TLS library, or opens a connection of its own. This holds the sources to that, statically;
at run time the unit-test guard holds every URL a test's code asks the (fake) host for to the
same rule (tests/fakes.py), and refuses TLS and any non-loopback connection (tests/conftest.py).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Libraries that speak HTTP or TLS, or open network connections for a caller.
NETWORK_LIBRARIES = {
    "aiohttp",
    "asyncio",
    "ftplib",
    "http",
    "httpx",
    "imaplib",
    "poplib",
    "requests",
    "smtplib",
    "ssl",
    "telnetlib",
    "urllib3",
    "urllib.request",
    "xmlrpc",
}
#: The one module allowed to import them.
HTTP_DOOR = "installer/net.py"
#: Modules allowed to use sockets, and for what.
SOCKET_USERS = {
    "installer/net.py": "the HTTP request, the DNS question, the live check's request to its copy",
    "installer/host.py": "a TCP connect to the proxy's ports (no data sent)",
    "installer/asuser.py": "a socketpair(AF_UNIX) to its own child",
}


def shipped_modules() -> Iterator[Path]:
    """The toolkit's modules: what the wheel and the zipapp carry (not the collection)."""
    for package in ("fipsconf", "installer"):
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if not relative.startswith("installer/ansible/"):
                yield path


def imported(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every module name an import statement names (anywhere, functions included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:  # from urllib import request
                yield f"{node.module}.{alias.name}", node.lineno


def used_dynamic_imports(tree: ast.AST) -> Iterator[int]:
    """Lines where ``importlib.import_module``'s module is kept (not only loaded ahead)."""
    loaded_only = {
        id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
    }  # a bare call statement: the module is imported and dropped (a preload)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in ("import_module", "__import__")
            and id(node) not in loaded_only
        ):
            yield node.lineno


def is_network_library(name: str) -> bool:
    return any(name == lib or name.startswith(lib + ".") for lib in NETWORK_LIBRARIES)


def test_there_are_modules_to_check() -> None:
    names = {p.relative_to(REPO).as_posix() for p in shipped_modules()}
    assert {HTTP_DOOR, "installer/verify.py", "installer/doctor/facts.py"} <= names


@pytest.mark.parametrize(
    "path", list(shipped_modules()), ids=lambda p: p.relative_to(REPO).as_posix()
)
def test_only_the_door_imports_a_network_library(path: Path) -> None:
    relative = path.relative_to(REPO).as_posix()
    tree = ast.parse(path.read_bytes(), str(path))
    found = [(name, line) for name, line in imported(tree) if is_network_library(name)]
    dynamic = list(used_dynamic_imports(tree))
    if relative == HTTP_DOOR:
        assert {name for name, _ in found} == {"requests"}
    else:
        assert found == [], f"{relative} imports a network library: {found}"
    assert dynamic == [], f"{relative} uses a module it imports by name (line {dynamic})"
    if relative not in SOCKET_USERS:
        sockets = [line for name, line in imported(tree) if name.split(".")[0] == "socket"]
        assert sockets == [], f"{relative} uses sockets (line {sockets}): go through the host"


def test_the_door_checks_every_url_before_it_makes_a_session() -> None:
    tree = ast.parse((REPO / HTTP_DOOR).read_text())
    users = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(n, ast.Name) and n.id == "requests" for n in ast.walk(node))
    ]
    assert [f.name for f in users] == ["http_get"]
    [function] = users
    first = function.body[1] if isinstance(function.body[0], ast.Expr) else function.body[0]
    # the first statement after the docstring asks loopback_http_problem about the URL
    call = first.value if isinstance(first, ast.Assign) else None
    assert isinstance(call, ast.Call) and getattr(call.func, "id", "") == "loopback_http_problem"
