"""Environment settings that override datadog.yaml: env files and systemd drop-ins.

The Agent reads ``DD_FIPS_*`` variables before its file: a line in
``/etc/datadog-agent/environment`` or an ``Environment=`` in a systemd
drop-in silently wins over ``fips:`` in datadog.yaml.
"""

from __future__ import annotations

import shlex
from typing import Collection, NamedTuple

FIPS_VARIABLES = {
    "DD_FIPS_ENABLED": "enabled",
    "DD_FIPS_HTTPS": "https",
    "DD_FIPS_PORT_RANGE_START": "port_range_start",
    "DD_FIPS_LOCAL_ADDRESS": "local_address",
    "DD_FIPS_TLS_VERIFY": "tls_verify",
}
#: Every variable read beside datadog.yaml: the fips ones, and the site (``DD_SITE``).
OVERRIDE_VARIABLES = {**FIPS_VARIABLES, "DD_SITE": "site"}


class Override(NamedTuple):
    """A ``DD_FIPS_*`` variable set outside datadog.yaml, and where."""

    variable: str
    value: str
    source: str
    line: int

    @property
    def setting(self) -> str:
        """The setting it overrides (``enabled``... of ``fips``, or ``site``; "" for others)."""
        return OVERRIDE_VARIABLES.get(self.variable, "")

    @property
    def is_fips(self) -> bool:
        """True for a ``DD_FIPS_*`` variable (a ``fips`` setting)."""
        return self.variable in FIPS_VARIABLES


def environment_file(
    text: str, source: str, names: Collection[str] = tuple(OVERRIDE_VARIABLES)
) -> list[Override]:
    """Assignments of ``names`` (default: ``DD_FIPS_*`` and ``DD_SITE``) in a ``KEY=value`` file."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and key in names:
            found.append(Override(key, _unquote(value.strip()), source, number))
    return found


def systemd_unit(
    text: str, source: str, names: Collection[str] = tuple(OVERRIDE_VARIABLES)
) -> list[Override]:
    """``names`` (default: ``DD_FIPS_*``, ``DD_SITE``) set by ``Environment=`` lines of a unit."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line.startswith("Environment="):
            continue
        try:
            words = shlex.split(line[len("Environment=") :])
        except ValueError:
            continue
        for word in words:
            key, sep, value = word.partition("=")
            if sep and key in names:
                found.append(Override(key, value, source, number))
    return found


def procmgr_definition(
    text: str, source: str, names: Collection[str] = tuple(OVERRIDE_VARIABLES)
) -> list[Override]:
    """``names`` set in the ``env:`` mapping of a dd-procmgrd process definition (7.84+).

    ``/opt/datadog-agent/processes.d/<name>.yaml`` gives its payload these
    variables on top of dd-procmgrd's own environment. A definition that is
    not YAML, or has no ``env:`` mapping, sets nothing here.
    """
    from fipsconf.errors import DocumentError
    from fipsconf.yamldoc import parse_yaml, scalar_key
    from fipsconf.yamlnodes import MappingNode

    try:
        doc = parse_yaml(text)
    except DocumentError:
        return []
    env = doc.data.get("env") if isinstance(doc.data, dict) else None
    if not isinstance(env, dict) or not isinstance(doc.root, MappingNode):
        return []
    lines: dict[str, int] = {}
    for key_node, value_node in doc.root.value:
        if scalar_key(key_node) == "env" and isinstance(value_node, MappingNode):
            for name_node, _ in value_node.value:
                lines[scalar_key(name_node) or ""] = int(name_node.start_mark.line) + 1
    found = []
    for name, value in env.items():
        if name in names and value is not None:
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            found.append(Override(name, shown, source, lines.get(name, 0)))
    return found


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


_TRUE = ("1", "t", "true", "yes", "y", "on")
_FALSE = ("0", "f", "false", "no", "n", "off")


def as_bool(value: str) -> bool:
    """How the Agent reads a boolean variable (Go's strconv.ParseBool, leniently)."""
    return value.strip().lower() in _TRUE


def is_bool(value: str) -> bool:
    """True when ``value`` reads as a boolean at all (``maybe`` does not)."""
    return value.strip().lower() in _TRUE + _FALSE
