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
# The patterns below run on single lines that contain a secret word or "://".
_YAML_LINE = re.compile(
    r"\A(?P<lead>[ \t]*(?:-[ \t]+)?[\"']?[\w.-]*"
    + _SECRET_NAME
    + r"[\"']?[ \t]*:[ \t]+)(?P<value>[^\s#][^\r\n]*?)(?P<trail>[ \t]+#.*)?\Z",
    re.IGNORECASE | re.DOTALL,
)
_ENV_ASSIGNMENT = re.compile(
    r"(?P<lead>\b[\w-]*" + _SECRET_NAME + r"=)(?P<value>[^\s'\"]+)", re.IGNORECASE
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
_URL_PASSWORD = re.compile(r"(?P<lead>\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<value>[^@\s/]+)@", re.I)
_LINE_END = re.compile("[\r\n]")
#: Shorter registered values would mask too much ordinary text to be useful.
_MIN_SECRET_LENGTH = 4


def is_secret_key(name: str) -> bool:
    """True when a configuration key's value must never be shown."""
    return re.search(_SECRET_NAME + r"\Z", name, re.IGNORECASE) is not None


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
                else:
                    self.register_from(value)
        elif isinstance(data, list):
            for item in data:
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
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lowered
        lowered = re.sub(r"[^\x00-\x7f]", "\x00", text).lower()
    starts: set[int] = set()
    for word in _SECRET_WORDS:
        position = lowered.find(word)
        while position != -1:
            starts.add(_line_start(text, position))
            position = lowered.find(word, position + len(word))
    if not starts:
        return text
    out: list[str] = []
    done = 0
    for start in sorted(starts):
        match = _LINE_END.search(text, start)
        end = match.start() if match else len(text)
        out.append(text[done:start])
        out.append(_mask_line(text[start:end]))
        done = end
    out.append(text[done:])
    return "".join(out)


def _line_start(text: str, position: int) -> int:
    return max(text.rfind("\n", 0, position), text.rfind("\r", 0, position)) + 1


def _mask_line(line: str) -> str:
    line = _JSON_PAIR.sub(lambda m: f'{m.group("lead")}"{MASK}"', line)
    line = _YAML_LINE.sub(_keep_lead_and_trail, line)
    line = _ENV_ASSIGNMENT.sub(lambda m: m.group("lead") + MASK, line)
    line = _OPTION_VALUE.sub(_mask_value, line)
    line = _AUTHORIZATION.sub(_mask_value, line)
    return _URL_PASSWORD.sub(lambda m: m.group("lead") + MASK + "@", line)


def _mask_value(match: re.Match[str]) -> str:
    return match.group("lead") + MASK


def _keep_lead_and_trail(match: re.Match[str]) -> str:
    value = match.group("value")
    if value in ("~", "null", "''", '""', MASK, f'"{MASK}"'):
        return match.group(0)
    return match.group("lead") + MASK + (match.group("trail") or "")


#: The process-wide redactor every output path goes through.
REDACTOR = Redactor()
