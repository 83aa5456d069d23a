"""Checks of the Agent's settings in effect: datadog.yaml, and the variables that override it."""

from __future__ import annotations

from typing import Any, Optional

from fipsconf import proxy_cfg
from fipsconf.datadog_yaml import FED_SITE, agent_setting, check_local_address
from fipsconf.envfiles import as_bool
from fipsconf.errors import SettingError
from fipsconf.sites import US2_FED, site_of_host, site_support
from installer.agent import agent_environment
from installer.doctor.facts import Facts
from installer.doctor.model import CheckFunction, Outcome, check, failed, noted, passed, skipped
from installer.doctor.setup_checks import needs_root
from installer.packages import FIPS_AGENT_PACKAGE
from installer.services import AGENT_SERVICE

CHECKS: list[CheckFunction] = []
PROXY_VARIABLES = (
    *("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"),
    *("DD_PROXY_HTTP", "DD_PROXY_HTTPS"),
)


def _unreadable(facts: Facts) -> Optional[Outcome]:
    skip = needs_root(facts) or _no_agent(facts)
    if skip:
        return skip
    if facts.fips_agent:
        return skipped(f"the FIPS Agent ({FIPS_AGENT_PACKAGE}) ignores fips.* settings")
    if facts.settings().problem:
        return skipped(f"{facts.config} cannot be read (see datadog-yaml)")
    return None


def _needs_fips_enabled(facts: Facts) -> Optional[Outcome]:
    skip = _unreadable(facts)
    if skip:
        return skip
    if facts.settings().effective.get("enabled") is not True:
        return skipped("matters only with fips.enabled: true (see fips-enabled)")
    return None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fix(facts: Facts, setting: str, otherwise: str) -> str:
    """Remove the overriding variable, if one sets ``setting``; else ``otherwise``."""
    override = facts.settings().source_of(setting)
    restart = facts.services().command_line("restart", AGENT_SERVICE)
    if override is None:
        return otherwise
    return (
        f"remove {override.variable}={override.value} from {override.source} (line"
        f" {override.line}), then: {restart}"
    )


def _no_agent(facts: Facts) -> Optional[Outcome]:
    """A skip when no Agent is installed and the file is not there either: nothing to read."""
    if facts.no_agent and facts.settings().missing:
        return skipped(f"no Agent is installed, nor its {facts.config.name} (see agent-installed)")
    return None


@check("datadog-yaml", CHECKS)
def _datadog_yaml(facts: Facts) -> Outcome:
    skip = needs_root(facts) or _no_agent(facts)
    if skip:
        return skip
    settings = facts.settings()
    if settings.problem is None:
        return passed(f"{facts.config} is valid YAML")
    if settings.missing:
        return failed(
            f"{facts.config} does not exist: the Agent has no configuration",
            "create it from the Agent's example with DD_API_KEY=<key> DD_SITE=ddog-gov.com"
            " DD_FIPS_MODE=1 fips-setup install; or, if it is elsewhere, give it with"
            " --config PATH",
        )
    if settings.problem_line is not None:
        return failed(
            settings.problem,
            f"correct line {settings.problem_line} of {facts.config} (the Agent cannot read the"
            " file either), then run fips-setup doctor again",
        )
    return failed(settings.problem, "fix what the message names, then run fips-setup doctor again")


@check("fips-enabled", CHECKS)
def _fips_enabled(facts: Facts) -> Outcome:
    skip = _unreadable(facts)
    if skip:
        return skip
    settings = facts.settings()
    value = settings.effective.get("enabled")
    where = settings.sources["enabled"]
    if value is True:
        return passed(f"fips.enabled is true ({where})")
    return failed(
        f"fips.enabled is {_shown(value)} ({where}): the Agent sends directly to Datadog, not"
        " through the proxy, and is not FIPS compliant",
        _fix(facts, "enabled", "fips-setup enable (sets it and restarts the Agent in order)"),
    )


@check("fips-https", CHECKS)
def _fips_https(facts: Facts) -> Outcome:
    skip = _needs_fips_enabled(facts)
    if skip:
        return skip
    settings = facts.settings()
    value = settings.effective.get("https")
    where = settings.sources["https"]
    if value is False:
        return passed(f"fips.https is false ({where}): plain HTTP to the local proxy")
    default = "; the Agent's default is true" if where == "default" else ""
    return failed(
        f"fips.https is {_shown(value)} ({where}{default}): the Agent speaks TLS to the proxy's"
        " plain-HTTP ports and every payload fails",
        _fix(facts, "https", "fips-setup enable (sets fips.https: false, restarts the Agent)"),
    )


@check("fips-local-address", CHECKS)
def _fips_local_address(facts: Facts) -> Outcome:
    skip = _needs_fips_enabled(facts)
    if skip:
        return skip
    value = facts.local_address()
    where = facts.settings().sources["local_address"]
    try:
        check_local_address(value)
    except SettingError as exc:
        return failed(
            f"fips.local_address ({where}): {exc}",
            _fix(facts, "local_address", "fips-setup enable --local-address 127.0.0.1"),
        )
    return passed(f"fips.local_address is {value} ({where}): loopback")


@check("fips-port-range", CHECKS)
def _fips_port_range(facts: Facts) -> Outcome:
    skip = _needs_fips_enabled(facts)
    if skip:
        return skip
    settings = facts.settings()
    raw = settings.effective.get("port_range_start")
    where = settings.sources["port_range_start"]
    try:
        start = int(str(raw))
    except ValueError:
        return failed(
            f"fips.port_range_start is {raw!r} ({where}), not a number",
            _fix(facts, "port_range_start", "fips-setup enable --port-range-start 9803"),
        )
    proxy_start = facts.proxy_port_start()
    agent_ports = f"{start + 1}-{start + 15}"
    if proxy_start is None:
        return passed(f"the Agent sends to ports {agent_ports} (fips.port_range_start {start})")
    if proxy_start != start:
        return failed(
            f"the Agent sends to ports {agent_ports} (fips.port_range_start {start}, {where}) but"
            f" the proxy listens on {proxy_start}-{proxy_start + 15}",
            f"fips-setup enable --port-range-start {start} (moves the proxy to the Agent's ports)",
        )
    return passed(f"the Agent and the proxy agree on ports {start}-{start + 15}")


def _file_unreadable(facts: Facts) -> Optional[Outcome]:
    """Like ``_unreadable``, for the settings the FIPS Agent reads too."""
    skip = needs_root(facts) or _no_agent(facts)
    if skip:
        return skip
    if facts.settings().problem:
        return skipped(f"{facts.config} cannot be read (see datadog-yaml)")
    return None


@check("site", CHECKS)
def _site(facts: Facts) -> Outcome:
    skip = _file_unreadable(facts)
    if skip:
        return skip
    overrides = agent_environment(facts.host, ("DD_SITE",))
    site, where = facts.settings().site, "datadog.yaml"
    if overrides:
        site, where = overrides[-1].value, f"DD_SITE in {overrides[-1].source}"
    support = site_support(site)
    restart = facts.services().command_line("restart", AGENT_SERVICE)
    shown = (
        f"site is {support.name()} ({where})"
        if site
        else ("site is not set (the Agent's default is datadoghq.com)")
    )
    if support.site == US2_FED:
        if facts.fips_agent:  # its payloads go to US2-FED's own intake
            return passed(f"{shown}: {support.support()}")
        if facts.settings().effective.get("enabled") is True:
            return failed(
                f"{shown}: {support.support()}, so this Agent's payloads go to the wrong site",
                "move this host to the FIPS Agent, which sends to US2-FED's own intake:"
                " fips-setup migrate (or fips-setup disable to send directly again)",
            )
        return failed(  # the Agent sends directly, without FIPS encryption
            f"{shown}: {support.support()}",
            "move this host to the FIPS Agent: fips-setup migrate (not fips-setup enable)",
        )
    if support.site == FED_SITE:
        mismatch = _backends_elsewhere(facts)
        if mismatch:
            return failed(f"{shown}, but {mismatch}", REFRESH_FIX)
        return passed(f"{shown}: {support.support()}")
    why = (
        f"the FIPS Agent is supported on {FED_SITE} (US1-FED) only"
        if facts.fips_agent
        else f"the FIPS proxy only forwards to {FED_SITE} (US1-FED)"
    )
    return failed(f"{shown}: {why}", f"set site: {FED_SITE} in {facts.config}, then: {restart}")


REFRESH_FIX = (
    "replace the proxy's configuration with the package's US1-FED one: fips-setup enable"
    " --refresh-proxy-config"
)


def _backends_elsewhere(facts: Facts) -> Optional[str]:
    """Which proxy backends forward outside US1-FED (None: all US1-FED's, or no proxy config)."""
    if facts.fips_agent or not facts.root:
        return None
    text = facts.proxy_config().text
    if text is None:
        return None
    elsewhere = [
        server
        for server in proxy_cfg.servers(text)
        if site_of_host(server.host) != FED_SITE and not server.host.replace(".", "").isdigit()
    ]
    if not elsewhere:
        return None
    first = elsewhere[0]
    return (
        f"the proxy's backend {first.backend} forwards to {first.host} (datadog-fips-proxy.cfg:"
        f"{first.line}), not to a US1-FED intake"
        + (f", and {len(elsewhere) - 1} more" if len(elsewhere) > 1 else "")
    )


@check("http-proxy", CHECKS)
def _http_proxy(facts: Facts) -> Outcome:
    skip = _file_unreadable(facts)
    if skip:
        return skip
    places = []
    configured = facts.settings().data.get("proxy")
    if configured not in (None, "", {}, []):
        places.append(f"proxy: in {facts.config}")
    for variable in agent_environment(facts.host, PROXY_VARIABLES):
        places.append(f"{variable.variable} in {variable.source}")
    if not places:
        return passed("no HTTP proxy is set for the Agent")
    if facts.fips_agent:
        return noted(
            f"an HTTP proxy is set for the Agent ({'; '.join(places)}): the FIPS Agent sends"
            " through it (its TLS goes end to end to the intake)"
        )
    return noted(
        f"an HTTP proxy is set for the Agent ({'; '.join(places)}): the Agent ignores it while"
        " fips.enabled is true; the FIPS proxy reaches the intake by itself"
    )


REMOTE_CONFIG_VARIABLE = "DD_REMOTE_CONFIGURATION_ENABLED"


@check("remote-config", CHECKS)
def _remote_config(facts: Facts) -> Outcome:
    """Remote Configuration explicitly on, with the proxy: that traffic bypasses the proxy.

    Since DataDog/datadog-agent#40853 (merged 2025-09-11) a FED Agent
    (``fips.enabled``, the FIPS build, or ``site: ddog-gov.com``) keeps Remote
    Configuration off unless ``remote_configuration.enabled`` is set
    explicitly (file or variable); the proxy has no port for it (its port
    table stops at NetFlow), so, set to true, it leaves the host outside the
    proxy. An older Agent ignores the setting on FED hosts, until its upgrade.
    """
    skip = _needs_fips_enabled(facts)
    if skip:
        return skip
    variables = agent_environment(facts.host, (REMOTE_CONFIG_VARIABLE,))
    block = agent_setting(facts.settings().data, "remote_configuration")
    in_file = agent_setting(block, "enabled") if isinstance(block, dict) else None
    if variables:
        value, where = as_bool(variables[-1].value), f"{variables[-1].variable} in"
        where += f" {variables[-1].source} (line {variables[-1].line})"
        undo = f"remove {variables[-1].variable} from {variables[-1].source}"
    elif in_file is not None:
        # viper's GetBool: a YAML boolean, a number other than 0, or a true-ish string
        value = as_bool(in_file) if isinstance(in_file, str) else bool(in_file)
        where = f"remote_configuration.enabled in {facts.config}"
        undo = f"set remote_configuration.enabled: false in {facts.config}"
    else:
        return passed(
            "Remote Configuration is off: with fips.enabled the Agent keeps it off unless"
            " remote_configuration.enabled is set, and it is not"
        )
    if not value:
        return passed(f"Remote Configuration is off ({where})")
    restart = facts.services().command_line("restart", AGENT_SERVICE)
    return failed(
        f"Remote Configuration is on ({where}) while fips.enabled is true: the Agent then talks"
        " to the Remote Configuration service of its site directly, outside the FIPS proxy (the"
        " proxy has no port for it), with TLS that is not FIPS validated",
        f"{undo}, then: {restart}; or move to the FIPS Agent, which encrypts Remote"
        " Configuration with its own validated module: fips-setup migrate",
    )
