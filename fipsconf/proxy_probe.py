"""A copy of the proxy's configuration that answers one request and says what TLS it used.

The live check runs the proxy's own HAProxy on its own configuration, so the
TLS to the intake is negotiated by the same program, module and settings the
running proxy uses. The copy must not touch the running proxy or the host:

- every ``bind`` listens on an abstract Unix socket of its own (nothing on the
  proxy's TCP ports, nothing in the file system);
- ``default-path config`` points at the real configuration's folder (the copy
  is read from standard input);
- what would act outside the copy is left out: ``daemon``, ``master-worker``,
  ``pidfile``, ``user``/``group``/``chroot``, ``stats socket``, ``log``,
  ``peers``, ``program`` and ``mailers`` sections, ``email-alert`` lines;
- the metrics frontend adds one response header naming the protocol and cipher
  of the connection to the intake (``ssl_bc_protocol``, ``ssl_bc_cipher``).
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from fipsconf import proxy_cfg

HEADER = "X-Fips-Setup-Tls"
_DROPPED_GLOBAL = frozenset(
    [
        "daemon",
        "master-worker",
        "pidfile",
        "user",
        "group",
        "uid",
        "gid",
        "chroot",
        "stats",
        "log",
        "nbproc",
        "localpeer",
        "cpu-map",
        "setcap",
    ]
)
_DROPPED_SECTIONS = frozenset({"peers", "program", "mailers"})
_BIND = re.compile(r"^(\s*)bind\s")


class ProbeConfig(NamedTuple):
    """The copy's configuration, and where its metrics frontend listens."""

    text: str
    socket: str  # the abstract socket name of the metrics frontend (without the leading NUL)
    frontend: str
    intake: Optional[str]  # the intake server name that frontend forwards to


def probe_config(text: str, folder: str, prefix: str, metrics_port: int) -> ProbeConfig:
    """The copy of ``text`` (the proxy's configuration, in ``folder``) for the live check.

    ``prefix``: a random name the copy's sockets start with. Raises
    DocumentError (from proxy_cfg) when no frontend binds ``metrics_port``.
    """
    frontend = next((b.section_name for b in proxy_cfg.binds(text) if b.port == metrics_port), None)
    if frontend is None:
        from fipsconf.errors import DocumentError

        raise DocumentError(f"no frontend of the proxy's configuration binds port {metrics_port}")
    out = []
    socket = f"{prefix}-{metrics_port}"
    for line in proxy_cfg.lines_of(text):
        words = line.text.split()
        first = words[0] if words else ""
        if line.section in _DROPPED_SECTIONS or first == "email-alert":
            continue
        if line.section == "global" and first in _DROPPED_GLOBAL:
            continue
        if line.section == "global" and words[:2] == ["default-path", "config"]:
            out.append(f"    default-path origin {folder}")
            continue
        match = _BIND.match(line.text)
        if match and not line.text.lstrip().startswith("#"):
            ports = [b.port for b in proxy_cfg.binds(line.text)] or [line.number]
            out.append(f"{match.group(1)}bind abns@{prefix}-{ports[0]}")
            if line.section_name == frontend:
                out.append(
                    f"{match.group(1)}http-response set-header {HEADER}"
                    ' "%[ssl_bc_protocol]|%[ssl_bc_cipher]|%[be_name]/%[srv_name]"'
                )
            continue
        out.append(line.text)
    return ProbeConfig(
        "\n".join(out) + "\n", socket, frontend, proxy_cfg.intake_name(text, metrics_port)
    )


class ProbeAnswer(NamedTuple):
    """What the copy answered: the HTTP status and the TLS toward the intake it reported."""

    status: int
    protocol: Optional[str]  # "TLSv1.2"; None: no TLS on that connection
    cipher: Optional[str]
    server: Optional[str]  # backend/server


def read_answer(head: bytes) -> ProbeAnswer:
    """Read the status line and the TLS header of a response's head. Raises ValueError."""
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split()
    if (
        len(status_line) < 2
        or not status_line[0].startswith("HTTP/")
        or not status_line[1].isdigit()
    ):
        raise ValueError(f"not an HTTP response: {lines[0][:80]!r}")
    value = None
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        if name.strip().lower() == HEADER.lower():
            value = rest.strip()
    if value is None:
        return ProbeAnswer(int(status_line[1]), None, None, None)
    protocol, _, rest = value.partition("|")
    cipher, _, server = rest.partition("|")
    return ProbeAnswer(int(status_line[1]), protocol or None, cipher or None, server or None)
