"""The settings a new host's datadog.yaml gets from the install environment.

The one-step install reads ``DD_API_KEY``, ``DD_SITE``, ``DD_HOSTNAME``,
``DD_ENV``, ``DD_TAGS`` and ``DD_FIPS_MODE``; this module turns them into
validated assignments for the editor (never into ``sed`` expressions).
"""

from __future__ import annotations

import re
from typing import Mapping, NamedTuple, Optional

from fipsconf.datadog_yaml import FED_SITE
from fipsconf.errors import SettingError
from fipsconf.yamledit import Assignment

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}
_API_KEY = re.compile(r"[A-Za-z0-9]{32}\Z")
_PRINTABLE_LINE = re.compile(r"[^\x00-\x1f\x7f]*\Z")


def fips_mode(value: Optional[str]) -> bool:
    """``DD_FIPS_MODE``: 1/true/yes is on, 0/false/no/empty (or unset) is off.

    Anything else raises SettingError: a typo must not decide an operator's
    compliance posture either way.
    """
    normalized = (value or "").strip().lower()
    if normalized in _TRUE:
        return True
    if normalized in _FALSE:
        return False
    raise SettingError(
        f"DD_FIPS_MODE={value!r} is not understood; use 1, true or yes to install the FIPS"
        " proxy, 0, false, no or nothing not to"
    )


class NewHostSettings(NamedTuple):
    """The values a new datadog.yaml gets."""

    api_key: Optional[str]
    site: Optional[str]
    hostname: Optional[str]
    env: Optional[str]
    tags: list[str]
    fips: bool

    def assignments(self) -> list[Assignment]:
        """Assignments for the keys that have a value."""
        out = []
        for key in ("api_key", "site", "hostname", "env"):
            value = getattr(self, key)
            if value is not None:
                out.append(Assignment((key,), value))
        if self.tags:
            out.append(Assignment(("tags",), list(self.tags)))
        return out


def settings_from_environment(
    environment: Mapping[str, str], api_key: Optional[str] = None
) -> NewHostSettings:
    """Read and check the install variables. Raises SettingError naming the variable.

    ``api_key``: the key when read from a file instead of ``DD_API_KEY``.
    """
    fips = fips_mode(environment.get("DD_FIPS_MODE"))
    key = api_key if api_key is not None else environment.get("DD_API_KEY")
    key = key.strip() if key else None
    if key is not None and not _API_KEY.match(key):
        raise SettingError(
            "DD_API_KEY does not look like a Datadog API key (32 letters and digits)"
        )
    site = (environment.get("DD_SITE") or "").strip() or None
    if fips and site is None:
        site = FED_SITE
    if fips and site != FED_SITE:
        raise SettingError(
            f"DD_SITE={site} with DD_FIPS_MODE: the FIPS proxy only forwards to {FED_SITE}"
        )
    values = {}
    for name in ("DD_HOSTNAME", "DD_ENV"):
        value = (environment.get(name) or "").strip() or None
        if value is not None and not _PRINTABLE_LINE.match(value):
            raise SettingError(f"{name} contains control characters")
        values[name] = value
    tags = [tag for tag in re.split(r"[,\s]+", environment.get("DD_TAGS") or "") if tag]
    return NewHostSettings(key, site, values["DD_HOSTNAME"], values["DD_ENV"], tags, fips)
