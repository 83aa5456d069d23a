"""Keep secrets out of everything fips-setup shows, logs or stores for others.

Two layers: the values of secrets seen so far (an API key read from
``datadog.yaml`` or the environment) are replaced wherever they appear, and
text that looks like a secret (``api_key: ...``, ``DD_API_KEY=...``, a
password in a URL) is masked even when its value was never registered.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "********"

#: Key names whose values are secrets (matched as a suffix: ``logs_api_key`` too).
_SECRET_NAME = r"(?:api[_-]?key|app[_-]?key|application[_-]key|password|passwd|secret|token)"
_SECRET_WORDS = (  # the words the patterns below start from, lowercased, and URLs
    *("api_key", "api-key", "apikey", "app_key", "app-key", "appkey"),
    *("application_key", "application-key", "pass", "secret", "token", "://"),
    *("bearer", "auth", "basic "),
)
_SECRET_WORDS_BYTES = tuple(word.encode("ascii") for word in _SECRET_WORDS)
# The patterns below run on single lines that contain a secret word or "://".
# Each may start only once per run of name characters (a look-behind, not \b):
# hostile lines such as "a-a-a-...-token=" stay linear in their length.
_YAML_LEAD = re.compile(
    r"[ \t]*(?:-[ \t]+)?[\"']?[\w.-]*" + _SECRET_NAME + r"[\"']?[ \t]*:[ \t]+(?=[^\s#])",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"[ \t]#")
_ENV_ASSIGNMENT = re.compile(
    r"(?P<lead>(?<![\w-])[\w-]*" + _SECRET_NAME + r"=)(?P<value>[^\s'\"]+)", re.IGNORECASE
)
_JSON_PAIR = re.compile(
    r"(?P<lead>\"[\w.-]*"
    + _SECRET_NAME
    + r"\"[ \t]*:[ \t]*)\"(?P<value>[^\"\\]*(?:\\.[^\"\\]*)*)\"",
    re.IGNORECASE,
)
#: ``--api-key X``, ``--password X``, ``--requirepass X``: options of other processes' commands.
_OPTION_VALUE = re.compile(
    r"(?P<lead>(?<![\w-])--?[\w-]*(?:"
    + _SECRET_NAME[3:-1]
    + r"|pass|auth)[ \t]+)(?P<value>[^\s'\"-][^\s'\"]*)",
    re.IGNORECASE,
)
#: ``Authorization: Bearer X``, ``Authorization: X``, a bare ``Bearer X`` or ``Basic X``.
_AUTHORIZATION = re.compile(
    r"(?P<lead>(?:\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:(?:bearer|basic|token)[ \t]+)?)"
    r"|\b(?:bearer|basic)[ \t]+)(?P<value>[\w.~+/=-]{4,})",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(
    r"(?P<lead>(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<value>[^@\s/]+)@", re.I
)
_LINE_END = re.compile("[\r\n]")
#: Shorter registered values would mask too much ordinary text to be useful.
_MIN_SECRET_LENGTH = 4


_SECRET_KEY = re.compile(_SECRET_NAME + r"\Z", re.IGNORECASE)


def is_secret_key(name: str) -> bool:
    """True when a configuration key's value must never be shown."""
    if name.isascii() and not _may_name_a_secret(name.lower()):
        return False  # the common case, without the pattern
    return _SECRET_KEY.search(name) is not None


def _may_name_a_secret(lowered: str) -> bool:
    """False when ASCII text, lowercased, holds no word a secret's name is made of."""
    return "key" in lowered or "pass" in lowered or "secret" in lowered or "token" in lowered


class Redactor:
    """Masks registered secret values and secret-looking text."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def register(self, value: object) -> None:
        """Remember a secret value so that it is masked wherever it appears."""
        if isinstance(value, str) and len(value.strip()) >= _MIN_SECRET_LENGTH:
            self._values.add(value.strip())

    def register_from(self, data: Any) -> None:
        """Register the values of every secret-named key in parsed data."""
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(key, str) and is_secret_key(key) and not isinstance(value, dict):
                    self.register(value if isinstance(value, str) else str(value))
                elif isinstance(value, (dict, list)):
                    self.register_from(value)
        elif isinstance(data, list):
            for item in data:
                if isinstance(item, (dict, list)):  # (a call per scalar cost a fifth of it)
                    self.register_from(item)

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
    lines: dict[int, int] = {}  # start -> end of each line holding a trigger word
    for word in _SECRET_WORDS_BYTES:
        position = lowered.find(word)
        while position != -1:
            start = _line_start(text, position)
            end = lines.get(start)
            if end is None:
                match = _LINE_END.search(text, position)
                end = lines[start] = match.start() if match else len(text)
            position = lowered.find(word, end)  # the rest of this line is masked already
    if not lines:
        return text
    out: list[str] = []
    done = 0
    for start in sorted(lines):
        out.append(text[done:start])
        out.append(_mask_line(text[start : lines[start]]))
        done = lines[start]
    out.append(text[done:])
    return "".join(out)


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
    named = not ascii_text or _may_name_a_secret(lowered)
    auth = not ascii_text or "auth" in lowered
    if named and '"' in line:
        line = _JSON_PAIR.sub(lambda m: f'{m.group("lead")}"{MASK}"', line)
    if named and ":" in line:
        line = _mask_yaml_value(line)
    if named and "=" in line:
        line = _ENV_ASSIGNMENT.sub(lambda m: m.group("lead") + MASK, line)
    if (named or auth) and "-" in line:
        line = _OPTION_VALUE.sub(_mask_value, line)
    if auth or "bearer" in lowered or "basic" in lowered:
        line = _AUTHORIZATION.sub(_mask_value, line)
    if "://" in line and "@" in line:
        line = _URL_PASSWORD.sub(lambda m: m.group("lead") + MASK + "@", line)
    return line


def _mask_value(match: re.Match[str]) -> str:
    return match.group("lead") + MASK


def _mask_yaml_value(line: str) -> str:
    """``key: value  # comment`` with a secret key: the value masked, the comment kept."""
    lead = _YAML_LEAD.match(line)
    if lead is None:
        return line
    rest = line[lead.end() :]
    comment = _COMMENT.search(rest)
    cut = len(rest)
    if comment is not None:  # the comment starts with the blanks before its "#"
        cut = comment.start()
        while rest[cut - 1] in " \t":
            cut -= 1
    if rest[:cut] in ("~", "null", "''", '""', MASK, f'"{MASK}"'):
        return line
    return line[: lead.end()] + MASK + rest[cut:]


#: The process-wide redactor every output path goes through.
REDACTOR = Redactor()
