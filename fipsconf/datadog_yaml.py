"""The ``fips`` settings of the Agent's ``datadog.yaml``: validate, edit, advise.

The Agent reads its configuration case-insensitively (viper), so ``FIPS:`` is
the same block as ``fips:``; two of them, or a dotted ``fips.enabled:`` key
beside a block, are ambiguous and refused with their line numbers.
"""

import bisect
import re
from typing import Any, Iterator, NamedTuple, Optional

from fipsconf.errors import DocumentError, SettingError
from fipsconf.sites import US1_FED, US2_FED, site_support, wrong_government_site
from fipsconf.yamldoc import (
    SourceLines,
    YamlDocument,
    entry_end_line,
    multiline_scalar_lines,
    scalar_key,
)
from fipsconf.yamledit import Assignment, EditResult, case_insensitive_keys, set_values
from fipsconf.yamlnodes import MappingNode

FED_SITE = US1_FED
DEFAULT_SITE = "datadoghq.com"
DEFAULT_PORT_RANGE_START = 9803
PORT_COUNT = 16
MAX_PORT_RANGE_START = 65535 - (PORT_COUNT - 1)


class FipsRequest(NamedTuple):
    """What the operator asks for: proxy mode on or off, and optional overrides."""

    enabled: bool = True
    port_range_start: Optional[int] = None
    local_address: Optional[str] = None

    def assignments(self) -> list[Assignment]:
        """The key paths and values this request sets in ``datadog.yaml``."""
        if self.enabled:
            out = [Assignment(("fips", "enabled"), True), Assignment(("fips", "https"), False)]
        else:  # off is the Agent's default: no block needed to say so
            out = [Assignment(("fips", "enabled"), False, absent_ok=True)]
        if self.port_range_start is not None:
            out.append(Assignment(("fips", "port_range_start"), self.port_range_start))
        if self.local_address is not None:
            out.append(Assignment(("fips", "local_address"), self.local_address))
        return out


class Advice(NamedTuple):
    """A warning about the configuration that does not stop the command."""

    code: str
    message: str


class DatadogYamlEdit(NamedTuple):
    """The edit of one ``datadog.yaml`` and the warnings it raised."""

    result: EditResult
    advice: list[Advice]


def check_port_range_start(value: int, setting: str = "port range start") -> int:
    """Return ``value`` when 16 ports from it fit below 65536, else raise SettingError.

    ``setting`` names the value in the message (the Helm chart calls it ``fips.port``).
    """
    if not 1 <= value <= MAX_PORT_RANGE_START:
        raise SettingError(
            f"{setting} {value} is out of range: the proxy uses {PORT_COUNT} ports"
            f" from it, so it must be between 1 and {MAX_PORT_RANGE_START}"
        )
    return value


def check_local_address(value: str) -> str:
    """Return ``value`` when it is a loopback address, else raise SettingError.

    The Agent refuses anything but ``localhost``, 127.0.0.0/8 and ``::1``:
    the plain-HTTP hop to the proxy must not leave the host.
    """
    if value.lower() == "localhost":
        return value
    import ipaddress  # only when an address is given

    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise SettingError(
            f"local address {value!r} is not a loopback address; the Agent talks plain"
            " HTTP to the proxy and accepts only localhost, 127.0.0.0/8 or ::1"
        )
    return value


def edit_datadog_yaml(doc: YamlDocument, request: FipsRequest) -> DatadogYamlEdit:
    """Set the ``fips`` block of a parsed ``datadog.yaml`` as ``request`` asks.

    Raises SettingError for an unacceptable port or address and DocumentError
    for a document that cannot be edited safely (with its line).
    """
    if request.port_range_start is not None:
        check_port_range_start(request.port_range_start)
    if request.local_address is not None:
        check_local_address(request.local_address)
    _reject_ambiguous_fips_keys(doc)
    slots = template_slots(doc, ["fips"])
    result = set_values(
        doc,
        request.assignments(),
        keys_match=case_insensitive_keys,
        top_level_slots=slots,
        nested_slots=template_nested_slots(doc, slots),
    )
    advice = proxy_advice(result.document.data) if request.enabled else []
    return DatadogYamlEdit(result=result, advice=advice)


def _reject_ambiguous_fips_keys(doc: YamlDocument) -> None:
    if not isinstance(doc.root, MappingNode):
        return
    for key_node, _ in doc.root.value:
        text = scalar_key(key_node)
        if text is not None and text.lower().startswith("fips."):
            raise DocumentError(
                f"the key {text!r} sets a fips option outside the fips block; move it"
                " under 'fips:' and run again",
                line=key_node.start_mark.line + 1,
            )


def template_slots(doc: YamlDocument, keys: list[str]) -> dict[str, int]:
    """The lines of the template's commented ``# key: ...`` lines, where new keys belong.

    Only a real comment line at column 0 that lies between top-level entries
    qualifies (not the content of a block scalar, not inside a nested
    mapping); the first such line per key is used.
    """
    root = doc.root
    if root is not None and not (
        isinstance(root, MappingNode)
        and not root.flow_style
        and root.value
        and root.value[0][0].start_mark.column == 0
    ):
        return {}
    candidates = sorted(
        (number, key) for key in keys for number in _commented_key_lines(doc.lines, key)
    )
    if not candidates:
        return {}
    inside: set[int] = set()
    if isinstance(root, MappingNode):
        # a plain document has no multi-line scalar
        inside = set() if doc.plain else multiline_scalar_lines(root)
        starts = [key_node.start_mark.line for key_node, _ in root.value]
        for number, _key in candidates:
            entry = bisect.bisect_right(starts, number) - 1
            if entry >= 0 and number <= entry_end_line(*root.value[entry]):
                inside.add(number)
    slots: dict[str, int] = {}
    for number, key in candidates:
        if number not in inside and key not in slots:
            slots[key] = number
    return slots


#: A child's commented line in the 2026 template's block: ``#   enabled: false`` (the
#: parent's ``# `` plus two spaces of indentation; one level only).
_NESTED_KEY = re.compile(r"# {3}([A-Za-z0-9_]+):(?:[ \t].*)?\Z")


def template_nested_slots(doc: YamlDocument, slots: dict[str, int]) -> dict[tuple[str, str], int]:
    """The lines of the children's commented lines in each slot's commented block.

    The Agent's 2026 examples (generated from its schema) comment a whole
    block: ``# fips:``, then its children's documentation as ``#   # ...``
    and their values as ``#   enabled: false``, blank lines between. Removing
    the leading ``# `` of the block's lines is how a person uncomments it; the
    editor writes each child on its own commented line, the way that person
    would. The 2025 examples indent the children's comments (``  # enabled:``)
    instead: there is no such block, and the new block goes on the slot line.
    """
    found: dict[tuple[str, str], int] = {}
    lines = doc.lines
    for key, slot in slots.items():
        for number in range(slot + 1, len(lines)):
            text = lines.contents[number]
            if not text.strip():
                continue
            if not text.startswith("#") or text.startswith("##"):
                break  # the block ends: a live line, or the next setting's documentation
            if text != "#" and not text.startswith("#   "):
                break  # "# other:" is another top-level setting's commented line
            match = _NESTED_KEY.match(text)
            if match:
                found.setdefault((key, match.group(1)), number)
    return found


def _commented_key_lines(lines: SourceLines, key: str) -> Iterator[int]:
    """The lines that are ``#key:`` or ``# key: ...``, found by where ``key:`` is written."""
    pattern = re.compile(r"#[ \t]?" + re.escape(key) + r":(?:[ \t].*)?\Z")
    text, needle = lines.text, key + ":"
    at = text.find(needle)
    while at >= 0:
        number = bisect.bisect_right(lines.starts, at) - 1
        if pattern.match(lines.contents[number]):
            yield number
        at = text.find(needle, lines.next_start(number))  # one look per line


def agent_setting(mapping: Any, key: str) -> Any:
    """A key's value looked up as the Agent does (case-insensitively); None when absent."""
    if not isinstance(mapping, dict):
        return None
    for found, value in mapping.items():
        if isinstance(found, str) and found.lower() == key:
            return value
    return None


def _is_set(value: Any) -> bool:
    return value not in (None, "", [], {})


def proxy_advice(data: Any) -> list[Advice]:
    """Warnings for settings that defeat or are ignored by the FIPS proxy."""
    advice = site_advice(agent_setting(data, "site"))
    for path in ignored_while_proxied(data):
        if path == "proxy":
            message = (
                "proxy is set; the Agent ignores proxy.* (and HTTP(S)_PROXY) while"
                " fips.enabled is true"
            )
            advice.append(Advice("proxy-ignored", message))
        else:
            message = f"{path} is set; the Agent ignores it while fips.enabled is true"
            advice.append(Advice("dd-url-ignored", message))
    return advice


def ignored_while_proxied(data: Any) -> list[str]:
    """The settings that ``fips.enabled: true`` makes the Agent ignore: ``proxy``, ``*dd_url``.

    The FIPS Agent has no such mode: it sends where they say.
    """
    found = ["proxy"] if _is_set(agent_setting(data, "proxy")) else []
    return found + _dd_url_paths(data, ())


WRONG_SITE = "site-wrong-government-site"
#: The way to the FIPS Agent on a host with an Agent (US2-FED's FIPS path).
MIGRATE = "on this host: fips-setup migrate"


def site_advice(site: Any, source: str = "") -> list[Advice]:
    """A warning when ``site`` (from datadog.yaml, or ``source`` such as DD_SITE) is not US1-FED.

    US2-FED gets its own code (:data:`WRONG_SITE`): the proxy would carry its
    payloads to US1-FED, so callers refuse it rather than warn (see
    :func:`refuse_wrong_site`).
    """
    where = f" ({source})" if source else ""
    if not _is_set(site):
        return [
            Advice(
                "site-not-fed",
                f"site is not set{where} (the Agent's default is {DEFAULT_SITE}); the FIPS"
                f" proxy only forwards to {FED_SITE}: set site: {FED_SITE}",
            )
        ]
    wrong = wrong_government_site(site, MIGRATE)
    if wrong is not None:
        located = wrong.replace(f"site is {US2_FED}", f"site is {US2_FED}{where}", 1)
        return [Advice(WRONG_SITE, located)]
    if site_support(site).site != FED_SITE:
        return [
            Advice(
                "site-not-fed",
                f"site is {site!s}{where}; the FIPS proxy only forwards to {FED_SITE}: set"
                f" site: {FED_SITE}",
            )
        ]
    return []


def refuse_wrong_site(
    advice: list[Advice], path: Optional[str] = None, line: Optional[int] = None
) -> None:
    """Raise a DocumentError (code ``precondition``) when ``advice`` says US2-FED.

    ``path`` and ``line``: the file and line that set the site, named first in
    the message (None when the message names its source, as for DD_SITE).
    The caller raises before any change.
    """
    for item in advice:
        if item.code == WRONG_SITE:
            error = DocumentError(item.message + "; nothing was changed", line=line)
            error.code = "precondition"
            raise error.in_file(path) if path is not None else error


def site_line(doc: YamlDocument) -> Optional[int]:
    """The 1-based line of the top-level ``site`` key (any case), or None."""
    if not isinstance(doc.root, MappingNode):
        return None
    for key_node, _ in doc.root.value:
        if (scalar_key(key_node) or "").lower() == "site":
            return int(key_node.start_mark.line) + 1
    return None


def _dd_url_paths(data: Any, prefix: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    if not isinstance(data, dict):
        return found
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered.endswith("dd_url") and _is_set(value):
            found.append(".".join((*prefix, key)))
        elif isinstance(value, dict) and lowered not in ("fips", "proxy"):
            found.extend(_dd_url_paths(value, (*prefix, key)))
    return found


_FIPS_DEFAULTS: dict[str, Any] = {
    "enabled": False,
    "https": True,
    "port_range_start": DEFAULT_PORT_RANGE_START,
    "local_address": "localhost",
}


def fips_settings(data: Any) -> dict[str, Any]:
    """The ``fips`` settings a parsed ``datadog.yaml`` gives, defaults filled in."""
    return {**_FIPS_DEFAULTS, **explicit_fips_settings(data)}


def explicit_fips_settings(data: Any) -> dict[str, Any]:
    """The ``fips`` settings a parsed ``datadog.yaml`` sets itself (not left to defaults)."""
    block = agent_setting(data, "fips")
    if not isinstance(block, dict):
        return {}
    found = {key: agent_setting(block, key) for key in _FIPS_DEFAULTS}
    return {key: value for key, value in found.items() if value is not None}


def fips_setting_line(doc: YamlDocument, key: str) -> Optional[int]:
    """The 1-based line of ``fips.<key>`` in ``doc`` (keys matched as the Agent does), or None."""
    node: Any = doc.root
    for name in ("fips", key):
        if not isinstance(node, MappingNode):
            return None
        found = [(k, v) for k, v in node.value if (scalar_key(k) or "").lower() == name]
        if not found:
            return None
        key_node, node = found[0]
    return int(key_node.start_mark.line) + 1


def setting_problem(key: str, value: Any) -> Optional[str]:
    """Why a ``fips.<key>`` value the Agent would read is unusable (None: it is fine).

    A value from datadog.yaml or a ``DD_FIPS_*`` variable is held to the same
    rules as the command-line options: the port range must fit, the address
    must be loopback (the Agent talks plain HTTP to the proxy).
    """
    if key == "port_range_start":
        number = port_number(value)
        if number is None:
            return f"{value!r} is not a whole number"
        try:
            check_port_range_start(number)
        except SettingError as exc:
            return str(exc)
    elif key == "local_address":
        try:
            check_local_address(str(value))
        except SettingError as exc:
            return str(exc)
    return None


def port_number(value: Any) -> Optional[int]:
    """A port setting as the Agent reads it (an integer, or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def check_fips_settings(doc: YamlDocument, source: str) -> dict[str, Any]:
    """The ``fips`` settings of ``doc`` (the file ``source``), checked.

    Raises SettingError naming the file, the line and the value.
    """
    settings = fips_settings(doc.data)
    for key in ("port_range_start", "local_address"):
        problem = setting_problem(key, settings[key])
        if problem is not None:
            line = fips_setting_line(doc, key)
            where = f"{source}:{line}" if line is not None else source
            raise SettingError(
                f"{where}: fips.{key} is {settings[key]!r}: {problem}; correct it and run again"
            )
    return settings
