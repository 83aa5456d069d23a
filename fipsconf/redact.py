"""Keep secrets out of everything fips-setup shows, logs or stores for others.

What is a secret: the one list, used by every output path (docs/security.md
says the same):

1. the value of a setting or variable whose name ends in a secret's name
   (:data:`SECRET_NAMES`, any case, words joined by ``_``, ``-`` or nothing):
   ``api_key``, ``logs_config.api_key``, ``DD_APP_KEY``, ``datadog.apiKey``,
   ``clusterAgent.token``, ``DB_PASSWORD``; but not a name that holds the
   *name* of a Kubernetes Secret (``apiKeyExistingSecret``, ``existingSecret``);
2. dual-shipping keys: what is listed under a setting or variable whose name
   ends in ``additional_endpoints`` (``additional_endpoints``,
   ``apm_config.additional_endpoints``, ``DD_ADDITIONAL_ENDPOINTS``,
   ``DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS``...): a mapping of intake URL to a
   list of API keys, as YAML or as JSON text (the logs form, a list of
   objects with ``api_key``, falls under 1);
3. the password in a URL (``https://user:password@host``: proxies, mirrors);
4. HTTP credentials: an ``Authorization`` header's value, a ``Bearer`` token,
   ``Basic`` credentials.

Ordinary words are not secrets ("Basic Configuration", "basic statistics"),
nor names, URLs without a password, or placeholders (``<PASSWORD>``).

Two layers: the values of secrets found in what fips-setup reads
(:func:`secret_values` over parsed documents, and values registered one by
one, such as an API key from the environment) are replaced wherever they
appear; and text that is shaped like a secret (``api_key: ...``,
``DD_API_KEY=...``, the items of an ``additional_endpoints`` block, a
password in a URL) is masked even when its value was never registered.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

from fipsconf.limits import MAX_SECRET_VALUES, too_many_secrets

MASK = "********"

#: The names whose values are secrets (rule 1), matched at the end of a name.
SECRET_NAMES = (
    "api_key",
    "app_key",
    "application_key",
    "password",
    "passwd",
    "secret",
    "token",
)
#: The name under which dual-shipping keys are listed (rule 2), matched at the end.
DUAL_SHIPPING_NAME = "additional_endpoints"

#: A secret's name as the patterns match it: the words of SECRET_NAMES joined by
#: "_", "-" or nothing; "existing" before it names a Kubernetes Secret instead.
_SECRET_NAME = (
    r"(?<!existing)(?<!existing[_-])(?:"
    + "|".join(r"[_-]?".join(name.split("_")) for name in SECRET_NAMES)
    + ")"
)
_SECRET_KEY = re.compile(_SECRET_NAME + r"\Z", re.IGNORECASE)
_DUAL_SHIPPING_KEY = re.compile(r"additional[_-]?endpoints\Z", re.IGNORECASE)
_SECRET_WORDS = (  # the words the patterns below start from, lowercased, and URLs
    *("api_key", "api-key", "apikey", "app_key", "app-key", "appkey"),
    *("application_key", "application-key", "pass", "secret", "token", "://"),
    *("bearer", "auth", "basic ", "additional_endpoints"),
)
_SECRET_WORDS_BYTES = tuple(word.encode("ascii") for word in _SECRET_WORDS)
# The patterns below run on single lines that contain a secret word or "://".
# Each may start only once per run of name characters (a look-behind, not \b):
# hostile lines such as "a-a-a-...-token=" stay linear in their length. Names
# are matched whole and judged by is_secret_key / is_dual_shipping_key.
_YAML_LEAD = re.compile(
    r"(?P<indent>[ \t]*)(?:-[ \t]+)?[\"']?(?P<name>[\w.-]+)[\"']?[ \t]*:(?:[ \t]+|\Z)"
)
_COMMENT = re.compile(r"[ \t]#")
#: ``name: value`` inside a line (an error quoting a setting): the value up to a blank,
#: quote or closing bracket, or a quoted value.
_INLINE_PAIR = re.compile(
    r"(?<![\w.-])(?P<name>[\w.-]+)[\"']?[ \t]*:[ \t]+"
    r"(?P<value>'[^']*(?:'|\Z)|\"[^\"]*(?:\"|\Z)|[^\s'\",;)}\]]+)"
)
_ENV_ASSIGNMENT = re.compile(
    r"(?<![\w-])(?P<name>[\w-]+)=(?P<value>\"[^\"]*(?:\"|\Z)|'[^']*(?:'|\Z)|[^\s'\"]+)",
)
_JSON_NAME = re.compile(r"\"(?P<name>[\w.-]+)\"[ \t]*:[ \t]*")
_JSON_STRING = re.compile(r"\"(?P<value>[^\"\\]*(?:\\.[^\"\\]*)*)\"")
#: ``--api-key X``, ``--password X``, ``--requirepass X``: options of other processes' commands.
_OPTION_VALUE = re.compile(
    r"(?P<lead>(?<![\w-])--?[\w-]*(?:"
    + _SECRET_NAME
    + r"|pass|auth)[ \t]+)(?P<value>[^\s'\"-][^\s'\"]*)",
    re.IGNORECASE,
)
#: An ``Authorization`` header's value (with or without its scheme).
_AUTHORIZATION = re.compile(
    r"(?P<lead>\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:(?:bearer|basic|token)[ \t]+)?)"
    r"(?P<value>[\w.~+/=-]{4,})",
    re.IGNORECASE,
)
#: A bare ``Bearer X`` or ``Basic X``: masked only when X is shaped like credentials.
_SCHEME_VALUE = re.compile(
    r"(?P<lead>(?<![\w-])(?P<scheme>bearer|basic)[ \t]+)(?P<value>[\w.~+/=-]{4,})",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(
    r"(?P<lead>(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<value>[^@\s/]+)@", re.I
)
# The patterns of dual-shipping keys and Basic credentials are compiled when first
# used (re caches them): most runs never need them, and compiling costs start-up time.
#: Items of a flow list (``[a, "b"]``, ``[\"c\"]``) in an ``additional_endpoints`` value.
_FLOW_LIST = r"\[(?P<items>[^\[\]]*)\]"
#: One item of a flow list's content: its blanks and quotes kept, the rest masked. Words
#: joined by blanks (no lazy quantifier: linear time); objects and empty items do not match.
_LIST_ITEM = (
    r"(?P<lead>(?:\A|,)[ \t]*(?:\\\"|\"|')?)"
    r"(?P<value>[^,\"'\\\[\]{}:\s]+(?:[ \t]+[^,\"'\\\[\]{}:\s]+)*)"
    r"(?P<trail>(?:\\\"|\"|')?[ \t]*)(?=,|\Z)"
)
#: A block list item's lead (``  - ``) under an ``additional_endpoints`` key.
_BLOCK_ITEM = r"[ \t]*-[ \t]+"
#: Quotes around a list item: JSON-escaped ones first.
_QUOTES = ('\\"', '"', "'")
_LINE_END = re.compile("[\r\n]")
_BASE64 = r"[A-Za-z0-9+/]+={0,2}\Z"
#: Shorter registered values would mask too much ordinary text to be useful.
_MIN_SECRET_LENGTH = 4


def is_secret_key(name: str) -> bool:
    """True when the value of a setting or variable called ``name`` must never be shown."""
    if name.isascii() and not _may_name_a_secret(name.lower()):
        return False  # the common case, without the pattern
    return _SECRET_KEY.search(name) is not None


def is_dual_shipping_key(name: str) -> bool:
    """True for a setting or variable listing dual-shipping API keys (``*additional_endpoints``)."""
    return _DUAL_SHIPPING_KEY.search(name) is not None


def _may_name_a_secret(lowered: str) -> bool:
    """False when ASCII text, lowercased, holds no word a secret's name is made of.

    (Each of SECRET_NAMES holds one of these words.)
    """
    return "key" in lowered or "pass" in lowered or "secret" in lowered or "token" in lowered


def secret_values(data: Any) -> set[str]:
    """Every secret value in parsed data (YAML, JSON, a Kubernetes or ECS environment).

    The values of secret-named keys, the keys listed under dual-shipping keys,
    and the ``value`` of ``{"name": ..., "value": ...}`` entries whose name
    is a secret's or a dual-shipping one. Empty values are not secrets.
    Raises StructureError (a DocumentError) for more than
    :data:`fipsconf.limits.MAX_SECRET_VALUES` of them.
    """
    found: set[str] = set()
    _collect(data, found)
    if len(found) > MAX_SECRET_VALUES:
        raise too_many_secrets(len(found))
    return found


def _collect(data: Any, found: set[str]) -> None:
    if isinstance(data, dict):
        name = data.get("name")
        if isinstance(name, str) and "value" in data:  # an environment entry
            _collect_named(name, data["value"], found)
        for key, value in data.items():
            if isinstance(key, str) and (is_secret_key(key) or is_dual_shipping_key(key)):
                _collect_named(key, value, found)
            elif isinstance(value, (dict, list)):  # (a call per scalar cost a fifth of it)
                _collect(value, found)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)):
                _collect(item, found)


def _collect_named(name: str, value: Any, found: set[str]) -> None:
    """The secrets in ``value``, the value of the setting or variable ``name``."""
    if is_dual_shipping_key(name):
        _collect_endpoints(value, found)
    elif not is_secret_key(name):
        return
    elif isinstance(value, (dict, list)):
        _collect(value, found)
    elif isinstance(value, str):
        if value.strip():
            found.add(value)
    elif value is not None and not isinstance(value, bool):
        found.add(str(value))


def _collect_endpoints(value: Any, found: set[str]) -> None:
    """The API keys of a dual-shipping value: ``{url: [keys]}``, a list, or JSON text of one."""
    if isinstance(value, str):
        parsed = _json_or_none(value)
        if parsed is None:  # not JSON (or not readable): all of it is the secret
            if value.strip():
                found.add(value)
            return
        value = parsed
    if isinstance(value, dict):
        for key, keys in value.items():  # the keys (URLs) are not secrets
            if isinstance(keys, list):
                _collect_endpoint_list(keys, found)
            elif isinstance(keys, str) and keys.strip():
                found.add(keys)
            elif isinstance(keys, dict):
                _collect(keys, found)
            del key
    elif isinstance(value, list):
        _collect_endpoint_list(value, found)


def _collect_endpoint_list(items: list[Any], found: set[str]) -> None:
    for item in items:
        if isinstance(item, str):
            if item.strip():
                found.add(item)
        elif isinstance(item, (dict, list)):  # the logs form: [{api_key, Host, Port}]
            _collect(item, found)


def _json_or_none(text: str) -> Any:
    """``text`` read as a JSON object or list, or None (not JSON, too deep to read)."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


class Redactor:
    """Masks registered secret values and secret-looking text."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def register(self, value: object) -> None:
        """Remember a secret value so that it is masked wherever it appears."""
        if isinstance(value, str) and len(value.strip()) >= _MIN_SECRET_LENGTH:
            self._values.add(value.strip())

    def register_from(self, data: Any) -> None:
        """Register every secret value in parsed data (see :func:`secret_values`)."""
        for value in secret_values(data):
            self.register(value)

    def redact(self, text: str) -> str:
        """``text`` with every secret masked."""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return _mask_secret_lines(text)

    def redact_data(self, data: Any) -> Any:
        """A copy of JSON-like data with every string redacted."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {key: self.redact_data(value) for key, value in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.redact_data(item) for item in data]
        return data


def _mask_secret_lines(text: str) -> str:
    """Mask secret-looking values, visiting only the lines that could hold one.

    Whole-text regular expressions cost tens of milliseconds on a 3,700-line
    datadog.yaml; a plain search for the trigger words costs well under one.
    """
    lowered = _lowered(text)
    lines: dict[int, tuple[int, Callable[[str], str]]] = {}  # start -> end, how to mask
    for word in _SECRET_WORDS_BYTES:
        position = lowered.find(word)
        while position != -1:
            start = _line_start(text, position)
            known = lines.get(start)
            if known is None:
                end = _line_end(text, position)
                lines[start] = (end, _mask_line)
            else:
                end = known[0]
            position = lowered.find(word, end)  # the rest of this line is masked already
    if not lines:
        return text
    if DUAL_SHIPPING_NAME.encode("ascii") in lowered:
        _add_endpoint_blocks(text, lines)
    out: list[str] = []
    done = 0
    for start in sorted(lines):
        end, mask = lines[start]
        out.append(text[done:start])
        out.append(mask(text[start:end]))
        done = end
    out.append(text[done:])
    return "".join(out)


def _add_endpoint_blocks(text: str, lines: dict[int, tuple[int, Callable[[str], str]]]) -> None:
    """Add the lines of each YAML block under an ``additional_endpoints:`` key to ``lines``.

    The block is every following line indented deeper than the key (or a
    ``- `` item at its indentation), blank and comment lines included; its
    list items are the keys. Each line is visited once, nested blocks
    included (linear time).
    """
    covered = 0
    for start in sorted(lines):
        end = lines[start][0]
        if start < covered:
            continue
        line = text[start:end]
        lead = _YAML_LEAD.match(line)
        if lead is None or not is_dual_shipping_key(lead.group("name")):
            continue
        rest = line[lead.end() :]
        if rest.strip() and not rest.lstrip().startswith("#"):
            continue  # a value on the line itself: _mask_line masks it
        indent = len(lead.group("indent"))
        position = _next_line(text, end)
        while position < len(text):
            line_end = _line_end(text, position)
            item = text[position:line_end]
            body = item.lstrip(" \t")
            depth = len(item) - len(body)
            if body and not body.startswith("#"):
                if depth < indent or (depth == indent and not body.startswith("- ")):
                    break
                known = lines.get(position)
                lines[position] = (line_end, _masked_block_line if known is None else _both)
            position = _next_line(text, line_end)
        covered = position


def _both(line: str) -> str:
    return _masked_block_line(_mask_line(line))


def _masked_block_line(line: str) -> str:
    """A line inside an ``additional_endpoints`` block: its list items masked.

    ``- key`` (a comment after it kept) and flow lists; ``- api_key: key``
    (the logs form) is masked by name, and other mappings are not keys.
    """
    lead = re.match(_BLOCK_ITEM, line)
    if lead is not None:
        rest = line[lead.end() :]
        comment = _COMMENT.search(rest)
        cut = comment.start() if comment is not None else len(rest)
        if not rest.startswith("#"):
            line = line[: lead.end()] + _masked_item(rest[:cut]) + rest[cut:]
    return _mask_endpoint_lists(line) if "[" in line else line


def _next_line(text: str, end: int) -> int:
    """Where the line after the one ending at ``end`` starts (CRLF is one line end)."""
    if text.startswith("\r\n", end):
        return end + 2
    return end + 1


def _line_end(text: str, position: int) -> int:
    match = _LINE_END.search(text, position)
    return match.start() if match else len(text)


def _lowered(text: str) -> bytes:
    """``text`` one byte per character (positions match), ASCII letters lowered.

    Latin-1 text is encoded and lowered as bytes, ten times faster than
    str.lower() (no Latin-1 letter lowers to an ASCII one). Other text is
    lowered as a string (a character lowering to more than one is replaced
    first), then its other non-ASCII characters become ``?``.
    """
    try:
        return text.encode("latin-1").lower()
    except UnicodeEncodeError:
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters change length when lowered
            lowered = re.sub(r"[^\x00-\x7f]", "\x00", text).lower()
        return lowered.encode("ascii", "replace")


def _line_start(text: str, position: int) -> int:
    after_newline = text.rfind("\n", 0, position) + 1
    # a lone CR ends a line too; look for one only after the last LF (linear time)
    return max(after_newline, text.rfind("\r", after_newline, position) + 1)


def _mask_line(line: str) -> str:
    # Each pattern needs characters and words of its own: skip those that
    # cannot match (words are looked for in ASCII text only, where lowering
    # is exactly the patterns' case-insensitivity).
    ascii_text = line.isascii()
    lowered = line.lower()
    named = not ascii_text or _may_name_a_secret(lowered) or DUAL_SHIPPING_NAME in lowered
    auth = not ascii_text or "auth" in lowered
    if named and '"' in line:
        line = _mask_json_pairs(line)
    if named and ":" in line:
        line = _INLINE_PAIR.sub(_masked_inline_pair, _mask_yaml_value(line))
    if named and "=" in line:
        line = _ENV_ASSIGNMENT.sub(_masked_assignment, line)
    if (named or auth) and "-" in line:
        line = _OPTION_VALUE.sub(_mask_value, line)
    if auth:
        line = _AUTHORIZATION.sub(_mask_value, line)
    if not ascii_text or "bearer" in lowered or "basic" in lowered:
        line = _SCHEME_VALUE.sub(_masked_scheme_value, line)
    if "://" in line and "@" in line:
        line = _URL_PASSWORD.sub(_masked_url_password, line)
    if "[" in line and (not ascii_text or DUAL_SHIPPING_NAME in lowered):
        line = _mask_lists_after_dual_shipping_name(line)
    return line


def _mask_lists_after_dual_shipping_name(line: str) -> str:
    """Lists after an ``additional_endpoints`` name, in any notation on one line.

    ``{"name": "DD_ADDITIONAL_ENDPOINTS", "value": "{\\"url\\": [\\"key\\"]}"}``
    (an ECS or Kubernetes environment entry) names the setting in one value
    and lists the keys in another.
    """
    found = _lowered(line).find(DUAL_SHIPPING_NAME.encode("ascii"))
    if found == -1:
        return line
    return line[:found] + _mask_endpoint_lists(line[found:])


def _mask_value(match: re.Match[str]) -> str:
    return match.group("lead") + MASK


def _masked_url_password(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.startswith("<") and value.endswith(">"):  # a placeholder: <PASSWORD>
        return match.group(0)
    return match.group("lead") + MASK + "@"


def _masked_scheme_value(match: re.Match[str]) -> str:
    """``Basic X`` or ``Bearer X`` with X masked when it is shaped like credentials."""
    value = match.group("value")
    if match.group("scheme").lower() == "basic":
        secret = _is_basic_credentials(value)
    else:
        secret = _is_token(value)
    return match.group("lead") + MASK if secret else match.group(0)


def _is_basic_credentials(value: str) -> bool:
    """True for base64 of ``user:password``, as HTTP Basic authentication sends it."""
    if len(value) < 4 or len(value) % 4 or not re.match(_BASE64, value):
        return False
    import base64  # (rarely needed: not loaded for every command)
    import binascii

    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def _is_token(value: str) -> bool:
    """True for a value shaped like a bearer token: long with digits, or a JWT's three parts."""
    has_digit = any(character.isdigit() for character in value)
    return (len(value) >= 12 and has_digit) or value.count(".") >= 2


def _masked_inline_pair(match: re.Match[str]) -> str:
    value = match.group("value")
    if not is_secret_key(match.group("name")) or value.strip("'\"") in ("", "~", "null", MASK):
        return match.group(0)
    return match.group(0)[: match.start("value") - match.start()] + _masked_whole(value)


def _masked_assignment(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if is_secret_key(name):
        return f"{name}={_masked_whole(value)}"
    if is_dual_shipping_key(name) and "[" not in value and value[:1] not in ("{", "["):
        return f"{name}={_masked_whole(value)}"  # no list of keys: all of it, as it may be one
    return match.group(0)  # (a list of keys is masked after the name, below)


def _masked_whole(value: str) -> str:
    """``value`` (perhaps quoted, perhaps without its closing quote) masked, quotes kept."""
    quote = value[0] if value[:1] in ("'", '"') else ""
    closing = quote if quote and len(value) > 1 and value.endswith(quote) else ""
    return f"{quote}{MASK}{closing}"


def _mask_json_pairs(line: str) -> str:
    """``"api_key": "x"`` with a secret's name: the string masked."""
    out: list[str] = []
    done = 0
    for match in _JSON_NAME.finditer(line):
        if match.start() < done or not is_secret_key(match.group("name")):
            continue
        string = _JSON_STRING.match(line, match.end())
        if string is not None:
            out.append(line[done : string.start()] + f'"{MASK}"')
            done = string.end()
    out.append(line[done:])
    return "".join(out)


def _mask_yaml_value(line: str) -> str:
    """``key: value  # comment`` with a secret key: the value masked, the comment kept."""
    lead = _YAML_LEAD.match(line)
    if lead is None:
        return line
    rest = line[lead.end() :]
    if not is_secret_key(lead.group("name")) or not rest or rest[0] == "#":
        return line
    comment = _COMMENT.search(rest)
    cut = len(rest)
    if comment is not None:  # the comment starts with the blanks before its "#"
        cut = comment.start()
        while rest[cut - 1] in " \t":
            cut -= 1
    if rest[:cut].strip() in ("", "~", "null", "''", '""', MASK, f'"{MASK}"'):
        return line
    return line[: lead.end()] + MASK + rest[cut:]


def _mask_endpoint_lists(text: str) -> str:
    """Every item of every flow list in ``text`` masked (quotes kept): dual-shipping keys."""
    return re.sub(_FLOW_LIST, _masked_list, text)


def _masked_list(match: re.Match[str]) -> str:
    return "[" + re.sub(_LIST_ITEM, _LIST_ITEM_MASKED, match.group("items")) + "]"


_LIST_ITEM_MASKED = r"\g<lead>" + MASK + r"\g<trail>"


def _masked_item(item: str) -> str:
    """One list item masked, its blanks and quotes kept; "" and parts of objects left."""
    core = item.strip(" \t")
    if not core or "{" in core or "}" in core or ": " in core or core.endswith(":"):
        return item  # empty, or part of an object (the logs form: masked by name)
    start = item.index(core[0])
    end = start + len(core)
    for quote in _QUOTES:
        if len(core) >= 2 * len(quote) and core.startswith(quote) and core.endswith(quote):
            start, end = start + len(quote), end - len(quote)
            break
    if start >= end:
        return item
    return item[:start] + MASK + item[end:]


def holds_secret(text: str, secrets: Optional[set[str]] = None) -> bool:
    """True when ``text`` holds one of ``secrets`` or anything the text layer would mask."""
    if secrets and any(secret in text for secret in secrets):
        return True
    return _mask_secret_lines(text) != text


#: The process-wide redactor every output path goes through.
REDACTOR = Redactor()
