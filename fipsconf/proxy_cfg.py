"""The proxy's HAProxy configuration: read its ports, address and DNS, adjust them.

Only the pieces fips-setup owns are touched: the port of each ``bind`` line,
the ``DD_FIPS_LOCAL_ADDRESS`` preset, and the ``nameserver`` lines of
``resolvers`` sections. Everything else (ciphers, timeouts, backends) is the
vendor's and stays byte for byte.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from fipsconf.errors import DocumentError, SettingError

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
            address, port, _ = _split_bind_target(target)
            if port.isdigit():
                found.append(Bind(line.number, line.section_name, address, int(port)))
    return found


def _split_bind_target(target: str) -> tuple[str, str, str]:
    """``"${ADDR}:9804"`` -> (``${ADDR}``, ``9804``, ``"``): address, port, the quote around.

    HAProxy expands ``${VAR}`` only inside double quotes, so a bind target is
    often quoted whole.
    """
    quote = target[0] if target[:1] in ("'", '"') and target.endswith(target[0]) else ""
    inner = target[1:-1] if quote and len(target) > 1 else target
    address, _, port = inner.rpartition(":")
    return address, port, quote


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
            f"{quote}{address}:{int(port) + shift}{quote}" if port.isdigit() else target
            for target in match.group("targets").split(",")
            for address, port, quote in [_split_bind_target(target)]
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

    Sections not named in ``wanted`` (or not in the file) are left alone; see
    :func:`with_resolvers` for where the lines go. One pass over the file,
    however many sections.
    """
    return _set_resolvers(lines_of(text), {name: (new, True) for name, new in wanted.items()})


class Nameserver(NamedTuple):
    """A ``nameserver NAME ADDRESS:PORT`` line of a ``resolvers`` section."""

    name: str
    address: str  # without brackets: ``10.0.0.2``, ``::1``
    port: int
    line: int  # 1-based

    @property
    def target(self) -> str:
        """``10.0.0.2:53`` or ``[::1]:53``, as HAProxy spells it."""
        return nameserver_target(self.address, self.port)


class ResolversSection(NamedTuple):
    """A ``resolvers`` section: its name, whether it reads /etc/resolv.conf, its nameservers."""

    name: str
    parse_resolv_conf: bool
    nameservers: list[Nameserver]
    line: int  # 1-based, the section's header

    def lines(self, text: str) -> list[str]:
        """The section's live lines (header included, comments and blank lines left out)."""
        return [
            line.text.strip()
            for line in lines_of(text)
            if line.section == "resolvers"
            and line.section_name == self.name
            and line.text.strip()
            and not line.text.lstrip().startswith("#")
        ]


_ADDRESS_PREFIXES = ("udp@", "udp4@", "udp6@", "ipv4@", "ipv6@")


def resolvers_sections(text: str) -> list[ResolversSection]:
    """Every ``resolvers`` section with its live ``nameserver`` and ``parse-resolv-conf`` lines."""
    sections: dict[str, ResolversSection] = {}
    for line in lines_of(text):
        if line.section != "resolvers":
            continue
        words = line.text.split()
        name = line.section_name
        if not line.text[:1].isspace() and words[:1] == ["resolvers"]:
            sections.setdefault(name, ResolversSection(name, False, [], line.number + 1))
            continue
        section = sections.get(name)
        if section is None or not words:
            continue
        if words[0] == "parse-resolv-conf":
            sections[name] = section._replace(parse_resolv_conf=True)
        elif words[0] == "nameserver" and len(words) >= 3:
            address, port = _split_target(words[2])
            if address is not None:
                section.nameservers.append(Nameserver(words[1], address, port, line.number + 1))
    return list(sections.values())


def _split_target(target: str) -> tuple[Optional[str], int]:
    for prefix in _ADDRESS_PREFIXES:
        if target.startswith(prefix):
            target = target[len(prefix) :]
    if target.startswith("["):
        address, _, rest = target[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "53"
    elif target.count(":") == 1:
        address, _, port = target.partition(":")
    elif ":" in target or "@" in target:  # a bare IPv6 address, or tcp@...: not queried
        return None, 0
    else:
        address, port = target, "53"
    return (address, int(port)) if port.isdigit() else (None, 0)


def nameserver_target(address: str, port: int) -> str:
    """``ADDRESS:PORT`` as HAProxy reads it (an IPv6 address in brackets)."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def parse_nameserver(value: str) -> tuple[str, int]:
    """``(address, port)`` of an operator's ``ADDR[:PORT]`` (port 53 when absent).

    IPv4 as dotted quads, IPv6 in brackets (``[2001:db8::53]:53``), port 1-65535.
    Raises SettingError naming the value and the accepted forms.
    """
    import ipaddress

    text = value.strip()
    forms = (
        "give an IPv4 address (10.0.0.2 or 10.0.0.2:53) or an IPv6 one in brackets ([fd00::53]:53)"
    )
    if text.startswith("["):
        address, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise SettingError(f"nameserver {value!r} is not an address: {forms}")
        port_text = rest[1:] if rest else "53"
        version = 6
    elif text.count(":") > 1:
        raise SettingError(f"nameserver {value!r}: an IPv6 address goes in brackets ([{text}]:53)")
    else:
        address, _, port_text = text.partition(":")
        port_text = port_text if ":" in text else "53"
        version = 4
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise SettingError(f"nameserver {value!r} is not an address: {forms}") from None
    if parsed.version != version:
        raise SettingError(f"nameserver {value!r} is not an address: {forms}")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise SettingError(f"nameserver {value!r}: the port must be a number from 1 to 65535")
    return str(parsed), int(port_text)


def resolvers_in_use(text: str) -> list[str]:
    """The ``resolvers`` sections that ``server`` and ``default-server`` lines name, in order."""
    used: list[str] = []
    for line in lines_of(text):
        words = line.text.split()
        if words[:1] not in (["server"], ["default-server"]) or "resolvers" not in words:
            continue
        position = words.index("resolvers") + 1
        if position < len(words) and words[position] not in used:
            used.append(words[position])
    return used


def with_resolvers(
    text: str, section: str, nameserver_lines: list[str], *, parse_resolv_conf: bool = True
) -> str:
    """The configuration with ``resolvers section`` holding exactly ``nameserver_lines``.

    Every other line of the file stays as it is. The new lines go where the
    section's first nameserver line was; else after its commented example
    ``# nameserver`` lines, else after ``parse-resolv-conf``, else after the
    header. ``parse_resolv_conf=False`` drops the ``parse-resolv-conf`` line
    (it is never added). Raises DocumentError when there is no such section.
    """
    lines = lines_of(text)
    if not any(line.section == "resolvers" and line.section_name == section for line in lines):
        raise DocumentError(f"has no 'resolvers {section}' section")
    return _set_resolvers(lines, {section: (nameserver_lines, parse_resolv_conf)})


def _set_resolvers(lines: list[Line], wanted: dict[str, tuple[list[str], bool]]) -> str:
    """Set the nameserver lines (and ``parse-resolv-conf``) of the sections in ``wanted``.

    ``wanted``: section name -> (its nameserver lines, keep ``parse-resolv-conf``).
    Linear in the file's length: each section's lines are grouped once.
    """
    members: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        if line.section == "resolvers" and line.section_name in wanted:
            members.setdefault(line.section_name, []).append(index)
    inserts: dict[int, list[Line]] = {}
    dropped: set[int] = set()
    for section, indexes in members.items():
        new_lines, keep_parse = wanted[section]
        header, body = indexes[0], indexes[1:]
        words = {i: lines[i].text.split()[:1] for i in body}
        live = [i for i in body if words[i] == ["nameserver"]]
        examples = [
            i for i in body if lines[i].text.strip().lstrip("#").split()[:1] == ["nameserver"]
        ]
        parse = [i for i in body if words[i] == ["parse-resolv-conf"]]
        if live:
            anchor = live[0]
        elif examples:
            anchor = examples[-1] + 1
        elif parse:
            anchor = parse[-1] + 1
        else:
            anchor = header + 1
        dropped.update(live)
        if not keep_parse:
            dropped.update(parse)
        neighbour = lines[anchor] if anchor < len(lines) else lines[header]
        ending = neighbour.ending or lines[header].ending or "\n"
        indent = next(
            (
                lines[i].text[: len(lines[i].text) - len(lines[i].text.lstrip())]
                for i in body
                if lines[i].text[:1].isspace()
            ),
            "    ",
        )
        inserts.setdefault(anchor, []).extend(
            Line(-1, indent + text, ending, "resolvers", section) for text in new_lines
        )
    out: list[Line] = []
    for index, line in enumerate(lines):
        out.extend(inserts.get(index, ()))
        if index not in dropped:
            out.append(line)
    tail = inserts.get(len(lines))
    if tail:
        if out and not out[-1].ending:
            out[-1] = out[-1]._replace(ending=tail[0].ending)
        out.extend(tail)
    return _join(out)


class Server(NamedTuple):
    """A ``server`` line of a backend: where the proxy forwards to."""

    backend: str
    name: str
    host: str
    port: int
    line: int  # 1-based


def servers(text: str) -> list[Server]:
    """Every live ``server NAME HOST:PORT`` line of the backend and listen sections."""
    found = []
    for line in lines_of(text):
        words = line.text.split()
        if line.section not in ("backend", "listen") or words[:1] != ["server"] or len(words) < 3:
            continue
        host, _, port = words[2].rpartition(":")
        if port.isdigit() and host:
            found.append(
                Server(line.section_name, words[1], host.strip("[]"), int(port), line.number + 1)
            )
    return found


def intake_name(text: str, port: int) -> Optional[str]:
    """The intake host name the frontend listening on ``port`` forwards to.

    The first server name of that frontend's ``default_backend``; else the
    first server given by name in the file (None: none).
    """
    frontend = next((b.section_name for b in binds(text) if b.port == port), None)
    backend = None
    for line in lines_of(text):
        words = line.text.split()
        if line.section_name == frontend and words[:1] == ["default_backend"] and len(words) > 1:
            backend = words[1]
    named = [s for s in servers(text) if not _is_address(s.host)]
    preferred = [s for s in named if s.backend == backend]
    chosen = (preferred or named)[:1]
    return chosen[0].host if chosen else None


def _is_address(host: str) -> bool:
    return host.replace(".", "").isdigit() or ":" in host


def render(
    example: str,
    *,
    port_start: Optional[int],
    address: Optional[str],
    keep_nameservers_of: Optional[str] = None,
) -> str:
    """The configuration fips-setup writes: the example adjusted to the Agent's settings.

    ``keep_nameservers_of``: an existing configuration whose DNS choices carry
    over (its nameservers, and a ``parse-resolv-conf`` it dropped).
    """
    text = example
    if port_start is not None:
        text = with_port_range_start(text, port_start)
    if address is not None:
        text = with_local_address(text, address)
    if keep_nameservers_of is not None:
        text = with_resolver_choices(text, keep_nameservers_of)
    return text


def without_dns_lines(text: str) -> str:
    """``text`` without the live ``nameserver`` and ``parse-resolv-conf`` lines of its
    resolvers sections: to compare two configurations whatever their DNS choices."""
    kept = [
        line
        for line in lines_of(text)
        if not (
            line.section == "resolvers"
            and line.text.split()[:1] in (["nameserver"], ["parse-resolv-conf"])
        )
    ]
    return _join(kept)


def with_resolver_choices(text: str, source: str) -> str:
    """``text`` with the DNS choices of ``source``: its nameservers, and
    ``parse-resolv-conf`` dropped where ``source`` dropped it."""
    kept = {s.name: s for s in resolvers_sections(source)}
    for section in resolvers_sections(text):
        old = kept.get(section.name)
        if old is None:
            continue
        lines = nameservers(source).get(section.name, [])
        drop = section.parse_resolv_conf and not old.parse_resolv_conf
        if lines or drop:
            lines = lines or nameservers(text).get(section.name, [])
            text = with_resolvers(text, section.name, lines, parse_resolv_conf=not drop)
    return text
