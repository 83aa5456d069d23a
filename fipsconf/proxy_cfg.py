"""The proxy's HAProxy configuration: read its ports, address and DNS, adjust them.

Only the pieces fips-setup owns are touched: the port of each ``bind`` line,
the ``DD_FIPS_LOCAL_ADDRESS`` preset, and the ``nameserver`` lines of
``resolvers`` sections. Everything else (ciphers, timeouts, backends) is the
vendor's and stays byte for byte.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from fipsconf.errors import DocumentError

SECTIONS = {
    "global", "defaults", "frontend", "backend", "listen", "resolvers", "userlist",
    "peers", "mailers", "program", "http-errors", "ring", "cache", "crt-store", "traces",
}  # fmt: skip
ADDRESS_VARIABLE = "DD_FIPS_LOCAL_ADDRESS"
_BIND = re.compile(r"^(?P<lead>\s*bind\s+)(?P<targets>\S+)")
_ENV_PRESET = re.compile(
    r"^(?P<lead>\s*(?:presetenv|setenv)\s+" + ADDRESS_VARIABLE + r"\s+)(?P<value>\S+)"
)


class Line(NamedTuple):
    """One line of the file with the section it belongs to."""

    number: int
    text: str
    ending: str
    section: str
    section_name: str


def lines_of(text: str) -> list[Line]:
    """Every line (line endings kept apart) with its section."""
    out: list[Line] = []
    section, name = "", ""
    for number, raw in enumerate(text.splitlines(keepends=True)):
        body = raw.rstrip("\r\n")
        words = body.split()
        if words and not body[0].isspace() and words[0] in SECTIONS:
            section, name = words[0], (words[1] if len(words) > 1 else "")
        out.append(Line(number, body, raw[len(body) :], section, name))
    return out


def _join(lines: list[Line]) -> str:
    return "".join(line.text + line.ending for line in lines)


class Bind(NamedTuple):
    """A listening address of a frontend or listen section."""

    line: int
    section_name: str
    address: str
    port: int


def binds(text: str) -> list[Bind]:
    """Every ``address:port`` of every ``bind`` line."""
    found = []
    for line in lines_of(text):
        match = _BIND.match(line.text)
        if not match or line.text.lstrip().startswith("#"):
            continue
        for target in match.group("targets").split(","):
            address, _, port = target.rpartition(":")
            if port.isdigit():
                found.append(Bind(line.number, line.section_name, address, int(port)))
    return found


def port_range_start(text: str) -> Optional[int]:
    """The lowest bound port: the start of the proxy's port range (None: no binds)."""
    ports = [bind.port for bind in binds(text)]
    return min(ports) if ports else None


def with_port_range_start(text: str, start: int) -> str:
    """The configuration with every bind port moved so that the range starts at ``start``."""
    current = port_range_start(text)
    if current is None:
        raise DocumentError("has no 'bind' lines: it is not a FIPS proxy configuration")
    shift = start - current
    if shift == 0:
        return text
    lines = lines_of(text)
    for index, line in enumerate(lines):
        match = _BIND.match(line.text)
        if not match or line.text.lstrip().startswith("#"):
            continue
        targets = [
            f"{address}:{int(port) + shift}" if port.isdigit() else f"{address}:{port}"
            for address, _, port in (t.rpartition(":") for t in match.group("targets").split(","))
        ]
        new_text = match.group("lead") + ",".join(targets) + line.text[match.end() :]
        lines[index] = line._replace(text=new_text)
    return _join(lines)


def local_address(text: str) -> Optional[str]:
    """The address the proxy listens on: its preset variable, else the binds' own address."""
    for line in lines_of(text):
        match = _ENV_PRESET.match(line.text)
        if match and line.section == "global":
            return match.group("value")
    literal = {b.address for b in binds(text) if "${" not in b.address}
    return literal.pop() if len(literal) == 1 else None


def with_local_address(text: str, address: str) -> str:
    """The configuration listening on ``address``.

    Sets the ``presetenv DD_FIPS_LOCAL_ADDRESS`` of the global section (adding
    it when binds use the variable without a preset), and replaces literal
    bind addresses.
    """
    lines = lines_of(text)
    preset_found = False
    uses_variable = False
    for index, line in enumerate(lines):
        preset = _ENV_PRESET.match(line.text)
        if preset and line.section == "global":
            preset_found = True
            lines[index] = line._replace(
                text=preset.group("lead") + address + line.text[preset.end() :]
            )
            continue
        bind = _BIND.match(line.text)
        if not bind or line.text.lstrip().startswith("#"):
            continue
        targets = []
        for target in bind.group("targets").split(","):
            old, _, port = target.rpartition(":")
            uses_variable = uses_variable or "${" in old
            targets.append(target if "${" in old else f"{address}:{port}")
        lines[index] = line._replace(
            text=bind.group("lead") + ",".join(targets) + line.text[bind.end() :]
        )
    if uses_variable and not preset_found:
        for index, line in enumerate(lines):
            if line.section == "global" and line.text.split()[:1] == ["global"]:
                indent = _section_indent(lines, "global")
                new = Line(
                    -1,
                    f"{indent}presetenv {ADDRESS_VARIABLE} {address}",
                    line.ending or "\n",
                    "global",
                    "",
                )
                lines.insert(index + 1, new)
                break
    return _join(lines)


def _section_indent(lines: list[Line], section: str) -> str:
    for line in lines:
        if line.section == section and line.text[:1].isspace() and line.text.strip():
            return line.text[: len(line.text) - len(line.text.lstrip())]
    return "    "


def nameservers(text: str) -> dict[str, list[str]]:
    """The live ``nameserver`` lines of each ``resolvers`` section, by section name."""
    found: dict[str, list[str]] = {}
    for line in lines_of(text):
        if line.section == "resolvers" and line.text.split()[:1] == ["nameserver"]:
            found.setdefault(line.section_name, []).append(line.text.strip())
    return found


def with_nameservers(text: str, wanted: dict[str, list[str]]) -> str:
    """The configuration with each named ``resolvers`` section's nameservers set to ``wanted``.

    The new lines go where the section's first nameserver was, else after its
    last line; sections not named in ``wanted`` are left alone.
    """
    lines = lines_of(text)
    indents: dict[str, str] = {}  # each resolvers section's first indentation
    for line in lines:
        if line.section == "resolvers" and line.text[:1].isspace():
            indents.setdefault(
                line.section_name, line.text[: len(line.text) - len(line.text.lstrip())]
            )
    out: list[Line] = []
    placed: set[str] = set()
    for position, line in enumerate(lines):
        name = line.section_name
        in_target = line.section == "resolvers" and name in wanted
        if in_target and line.text.split()[:1] == ["nameserver"]:
            if name not in placed:
                out.extend(_nameserver_lines(indents, name, wanted[name], line.ending))
                placed.add(name)
            continue
        out.append(line)
        following = lines[position + 1] if position + 1 < len(lines) else None
        leaving = (
            following is None or following.section_name != name or following.section != "resolvers"
        )
        if in_target and leaving and name not in placed:
            # no nameserver line in this section: add them after its last live line
            blanks: list[Line] = []
            while out and not out[-1].text.strip():
                blanks.append(out.pop())
            out.extend(_nameserver_lines(indents, name, wanted[name], line.ending or "\n"))
            out.extend(reversed(blanks))
            placed.add(name)
    return _join(out)


def _nameserver_lines(
    indents: dict[str, str], section: str, wanted: list[str], ending: str
) -> list[Line]:
    indent = indents.get(section, "    ")
    return [Line(-1, indent + text, ending or "\n", "resolvers", section) for text in wanted]


def render(
    example: str,
    *,
    port_start: Optional[int],
    address: Optional[str],
    keep_nameservers_of: Optional[str] = None,
) -> str:
    """The configuration fips-setup writes: the example adjusted to the Agent's settings.

    ``keep_nameservers_of``: an existing configuration whose DNS servers carry over.
    """
    text = example
    if port_start is not None:
        text = with_port_range_start(text, port_start)
    if address is not None:
        text = with_local_address(text, address)
    if keep_nameservers_of is not None:
        kept = nameservers(keep_nameservers_of)
        if kept:
            text = with_nameservers(text, kept)
    return text
