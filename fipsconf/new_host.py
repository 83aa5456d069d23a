"""The settings a new host gets from the install environment.

The one-step install reads the variables of Datadog's own install script
(``DD_API_KEY``, ``DD_SITE``, ``DD_URL``, ``DD_HOSTNAME``, ``DD_ENV``,
``DD_TAGS`` or its older name ``DD_HOST_TAGS``, ``DD_APP_KEY``,
``DD_FIPS_MODE``, ``DD_AGENT_FLAVOR``, ``DD_INSTALL_ONLY``, the Cloud
Security switches, and since its 1.40/1.42 ``DD_LOGS_CONFIG_PROCESS_COLLECT_ALL``
and ``DD_INFRASTRUCTURE_MODE``); this module checks them and turns them into
validated assignments for the editor (never into ``sed`` expressions).
"""

from __future__ import annotations

import re
from typing import Mapping, NamedTuple, Optional

from fipsconf.datadog_yaml import FED_SITE
from fipsconf.errors import SettingError
from fipsconf.sites import fips_agent_note, wrong_government_site
from fipsconf.yamledit import Assignment

AGENT_FLAVOR = "datadog-agent"
#: The FIPS Agent: its own FIPS-validated module, no proxy, US1-FED only.
FIPS_AGENT_FLAVOR = "datadog-fips-agent"
FLAVORS = (AGENT_FLAVOR, FIPS_AGENT_FLAVOR)
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}
_API_KEY = re.compile(r"[A-Za-z0-9]{32}\Z")
_APP_KEY = re.compile(r"[A-Za-z0-9]{40}\Z")
_PRINTABLE_LINE = re.compile(r"[^\x00-\x1f\x7f]*\Z")
_SITE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z")
#: ``infrastructure_mode`` values the Agent knows (``DD_INFRASTRUCTURE_MODE``).
INFRASTRUCTURE_MODES = ("full", "basic", "end_user_device", "none")
#: What Datadog's script writes for ``DD_LOGS_CONFIG_PROCESS_COLLECT_ALL`` (its 1.40,
#: ``update_logs_config_process_collect_all``): logs of every process, the Agent's own aside.
PROCESS_LOGS_SETTINGS = (
    (("logs_enabled",), True),
    (("logs_config", "process_exclude_agent"), True),
    (("logs_config", "auto_multi_line_detection"), True),
    (("process_config", "process_collection", "use_wlm"), True),
    (("extra_config_providers",), ["process_log"]),
)


#: Every variable ``fips-setup install`` reads, and what it is for, as ``install --help``
#: lists them; docs/install-script.md says all about each (a test holds the three equal).
INSTALL_VARIABLES = (
    ("DD_API_KEY", "the API key, for a new datadog.yaml"),
    ("DD_API_KEY_FILE", "a file holding the API key, instead"),
    ("DD_APP_KEY", "written as app_key"),
    ("DD_SITE", "written as site (ddog-gov.com in FIPS mode)"),
    ("DD_URL", "written as dd_url (ignored in FIPS mode)"),
    ("DD_HOSTNAME", "written as hostname"),
    ("DD_ENV", "written as env"),
    ("DD_TAGS", "tags, added to the file's tags list"),
    ("DD_HOST_TAGS", "the older name of DD_TAGS"),
    ("DD_FIPS_MODE", "1/true/yes: then enable the FIPS proxy"),
    ("DD_AGENT_FLAVOR", "datadog-agent, or datadog-fips-agent"),
    ("DD_INSTALL_ONLY", "yes: start nothing"),
    ("DD_SYSTEM_PROBE_ENSURE_CONFIG", "yes: system-probe.yaml"),
    ("DD_RUNTIME_SECURITY_CONFIG_ENABLED", "yes: Cloud Security's runtime"),
    ("DD_COMPLIANCE_CONFIG_ENABLED", "yes: Cloud Security's compliance"),
    ("DD_DISCOVERY_ENABLED", "yes: system-probe.yaml with Service Discovery"),
    ("DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED", "yes: system-probe.yaml with USM"),
    ("DD_PRIVILEGED_LOGS_ENABLED", "yes: system-probe.yaml with privileged logs"),
    ("DD_INFRASTRUCTURE_MODE", "written as infrastructure_mode"),
    ("DD_LOGS_CONFIG_PROCESS_COLLECT_ALL", "yes: collect every process's logs"),
    ("FIPS_SETUP_INSTALLED_BY", "set by the one-step install script"),
)


def flag(
    name: str, value: Optional[str], *, on: str = "to turn it on", off: str = "to leave it off"
) -> bool:
    """A yes/no variable: 1/true/yes is on, 0/false/no/empty (or unset) is off.

    Anything else raises SettingError naming the variable: a typo must not
    decide what gets installed or started, either way.
    """
    normalized = (value or "").strip().lower()
    if normalized in _TRUE:
        return True
    if normalized in _FALSE:
        return False
    raise SettingError(
        f"{name}={value!r} is not understood; use 1, true or yes {on}, 0, false, no or"
        f" nothing {off}"
    )


def fips_mode(value: Optional[str]) -> bool:
    """``DD_FIPS_MODE``, read by :func:`flag`: a typo must not decide compliance either way."""
    return flag("DD_FIPS_MODE", value, on="to install the FIPS proxy", off="not to")


def agent_flavor(value: Optional[str]) -> str:
    """``DD_AGENT_FLAVOR``: ``datadog-agent`` (the default) or ``datadog-fips-agent``.

    Raises SettingError for any other flavor of Datadog's script.
    """
    flavor = (value or "").strip() or AGENT_FLAVOR
    if flavor not in FLAVORS:
        raise SettingError(
            f"DD_AGENT_FLAVOR={value!r} is not supported: this installs {AGENT_FLAVOR} (the"
            f" default) and {FIPS_AGENT_FLAVOR} (the FIPS Agent)"
        )
    return flavor


class NewHostSettings(NamedTuple):
    """The values a new datadog.yaml gets, and the warnings reading them gave."""

    api_key: Optional[str]
    site: Optional[str]
    hostname: Optional[str]
    env: Optional[str]
    tags: list[str]
    fips: bool
    app_key: Optional[str] = None
    dd_url: Optional[str] = None
    flavor: str = AGENT_FLAVOR
    warnings: tuple[str, ...] = ()
    infrastructure_mode: Optional[str] = None
    process_logs: bool = False

    def assignments(self) -> list[Assignment]:
        """Assignments for the keys that have a value."""
        out = []
        for key in ("api_key", "app_key", "site", "dd_url", "hostname", "env"):
            value = getattr(self, key)
            if value is not None:
                out.append(Assignment((key,), value))
        if self.tags:  # merged into a tags list the file has: its own tags stay
            out.append(Assignment(("tags",), list(self.tags), merge=True))
        if self.infrastructure_mode is not None:
            out.append(Assignment(("infrastructure_mode",), self.infrastructure_mode))
        if self.process_logs:  # a list (extra_config_providers) is merged like tags
            out += [
                Assignment(path, value, merge=isinstance(value, list))
                for path, value in PROCESS_LOGS_SETTINGS
            ]
        return out


def settings_from_environment(
    environment: Mapping[str, str], api_key: Optional[str] = None
) -> NewHostSettings:
    """Read and check the install variables. Raises SettingError naming the variable.

    ``api_key``: the key when read from a file instead of ``DD_API_KEY``.
    """
    fips = fips_mode(environment.get("DD_FIPS_MODE"))
    flavor = agent_flavor(environment.get("DD_AGENT_FLAVOR"))
    if fips and flavor == FIPS_AGENT_FLAVOR:
        raise SettingError(
            f"DD_FIPS_MODE with DD_AGENT_FLAVOR={FIPS_AGENT_FLAVOR}: one or the other. The FIPS"
            " Agent encrypts with its own FIPS-validated module and needs no FIPS proxy;"
            " unset DD_FIPS_MODE for the FIPS Agent, or DD_AGENT_FLAVOR for the Agent with"
            " the proxy"
        )
    key = api_key if api_key is not None else environment.get("DD_API_KEY")
    key = key.strip() if key else None
    if key is not None and not _API_KEY.match(key):
        raise SettingError(
            "DD_API_KEY does not look like a Datadog API key (32 letters and digits)"
        )
    app_key = (environment.get("DD_APP_KEY") or "").strip() or None
    if app_key is not None and not _APP_KEY.match(app_key):
        raise SettingError(
            "DD_APP_KEY does not look like a Datadog application key (40 letters and digits)"
        )
    site = _site(environment.get("DD_SITE"), fips, flavor)
    warnings: list[str] = []
    note = fips_agent_note(site) if flavor == FIPS_AGENT_FLAVOR else None
    if note is not None:
        warnings.append(f"DD_SITE: {note}")
    dd_url = _text(environment, "DD_URL")
    if dd_url is not None and fips:
        warnings.append(
            "DD_URL is ignored with DD_FIPS_MODE: with fips.enabled the Agent sends to the FIPS"
            " proxy and ignores dd_url"
        )
        dd_url = None
    if dd_url is not None and not _URL.match(dd_url):
        raise SettingError(f"DD_URL={dd_url!r} is not an http(s):// URL")
    return NewHostSettings(
        key,
        site,
        _text(environment, "DD_HOSTNAME"),
        _text(environment, "DD_ENV"),
        _tags(environment, warnings),
        fips,
        app_key=app_key,
        dd_url=dd_url,
        flavor=flavor,
        warnings=tuple(warnings),
        infrastructure_mode=_infrastructure_mode(environment.get("DD_INFRASTRUCTURE_MODE")),
        process_logs=flag(
            "DD_LOGS_CONFIG_PROCESS_COLLECT_ALL",
            environment.get("DD_LOGS_CONFIG_PROCESS_COLLECT_ALL"),
        ),
    )


def _infrastructure_mode(value: Optional[str]) -> Optional[str]:
    mode = (value or "").strip() or None
    if mode is not None and mode not in INFRASTRUCTURE_MODES:
        raise SettingError(
            f"DD_INFRASTRUCTURE_MODE={mode!r} is not one of the Agent's modes:"
            f" {', '.join(INFRASTRUCTURE_MODES)}"
        )
    return mode


def _site(value: Optional[str], fips: bool, flavor: str) -> Optional[str]:
    site = (value or "").strip() or None
    if site is not None and not _SITE.match(site):
        raise SettingError(f"DD_SITE={site!r} is not a site name like {FED_SITE}")
    if fips or flavor == FIPS_AGENT_FLAVOR:
        what = "DD_FIPS_MODE: the FIPS proxy" if fips else f"{FIPS_AGENT_FLAVOR}: the FIPS Agent"
        if site is None:
            return FED_SITE
        instead = f"DD_AGENT_FLAVOR={FIPS_AGENT_FLAVOR} in place of DD_FIPS_MODE"
        wrong = wrong_government_site(site, instead) if fips else None
        if wrong is not None:  # not "set site: ddog-gov.com": that is another site
            raise SettingError(f"DD_SITE={site}: {wrong}")
        if site != FED_SITE and fips_agent_note(site) is None:  # the FIPS Agent: US2-FED too
            raise SettingError(f"DD_SITE={site} with {what} only sends to {FED_SITE}")
    return site


def _text(environment: Mapping[str, str], name: str) -> Optional[str]:
    value = (environment.get(name) or "").strip() or None
    if value is not None and not _PRINTABLE_LINE.match(value):
        raise SettingError(f"{name} contains control characters")
    return value


def _tags(environment: Mapping[str, str], warnings: list[str]) -> list[str]:
    """``DD_TAGS``, else ``DD_HOST_TAGS`` (the older name Datadog's script still reads)."""
    tags = environment.get("DD_TAGS") or ""
    older = environment.get("DD_HOST_TAGS") or ""
    if tags.strip() and older.strip() and _split(tags) != _split(older):
        warnings.append("DD_HOST_TAGS is ignored: DD_TAGS is set too and wins")
    return _split(tags if tags.strip() else older)


def _split(text: str) -> list[str]:
    """Tags separated by commas or spaces, each once, in order."""
    return list(dict.fromkeys(tag for tag in re.split(r"[,\s]+", text) if tag))
