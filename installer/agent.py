"""The installed Datadog Agent: its version, and settings that override its file."""

from __future__ import annotations

from typing import Collection, Optional

from packaging.version import InvalidVersion, Version

from fipsconf.envfiles import (
    OVERRIDE_VARIABLES,
    Override,
    environment_file,
    procmgr_definition,
    systemd_unit,
)
from installer.errors import AgentMissingError, PreconditionError
from installer.files import read_text
from installer.host import Host
from installer.packages import (
    AGENT_PACKAGE,
    FIPS_AGENT_PACKAGE,
    PackageManager,
    upstream_version,
)

MIN_AGENT = Version("7.45")
#: The Agent's ``diagnose`` suite names changed in 7.48.
NEW_DIAGNOSE = Version("7.48")
ENVIRONMENT_FILE = "/etc/datadog-agent/environment"
_UNIT_FILES = (
    "/etc/systemd/system/datadog-agent.service",
    "/etc/systemd/system/datadog-agent.service.d",
    "/run/systemd/system/datadog-agent.service.d",
    # 7.84+: dd-procmgrd's unit passes its environment to the payloads it supervises
    "/etc/systemd/system/datadog-agent-procmgr.service",
    "/etc/systemd/system/datadog-agent-procmgr.service.d",
    "/run/systemd/system/datadog-agent-procmgr.service.d",
)
PROCESSES_DIR = "/opt/datadog-agent/processes.d"


#: The one thing to do on a host without an Agent (enable, install, doctor, status say it).
NEW_HOST_ADVICE = (
    "on a new host, run the one-step install script with DD_FIPS_MODE=1 (it installs the Agent"
    " and the FIPS proxy and wires them together), or with"
    f" DD_AGENT_FLAVOR={FIPS_AGENT_PACKAGE} for the FIPS Agent, which the vendor recommends"
    " (no proxy)"
)
NO_AGENT = f"no Datadog Agent is installed (neither {AGENT_PACKAGE} nor {FIPS_AGENT_PACKAGE})"


def agent_missing(why: str = "", advice: str = NEW_HOST_ADVICE) -> AgentMissingError:
    """The error for a host without an Agent; ``why``: what the command needed it for."""
    return AgentMissingError(
        f"{NO_AGENT}{why}{': ' + advice if advice else ''}; nothing was changed"
    )


def agent_installed(packages: PackageManager) -> bool:
    """True when the Agent or the FIPS Agent is installed (the package database says)."""
    return any(packages.installed_version(name) for name in (AGENT_PACKAGE, FIPS_AGENT_PACKAGE))


def agent_version(packages: PackageManager) -> Optional[Version]:
    """The installed Agent's version from the package database (None: not installed)."""
    return parse_version(packages.installed_version(AGENT_PACKAGE))


def parse_version(package_version: Optional[str]) -> Optional[Version]:
    """``1:7.50.3-1`` -> 7.50.3, ``7.67.0~rc.1-1`` -> 7.67.0rc1 (None for None, or not a version).

    ``~`` marks a pre-release in Debian and rpm versions: it sorts before the release.
    """
    if package_version is None:
        return None
    try:
        return Version(upstream_version(package_version).replace("~", ""))
    except InvalidVersion:
        return None


def check_agent(packages: PackageManager) -> Version:
    """The Agent's version, when it can use the proxy. Raises PreconditionError.

    Refuses a missing Agent, one older than 7.45, and a host with the FIPS
    Agent (``datadog-fips-agent``), which needs no proxy and cannot coexist with it.
    """
    if packages.installed_version(FIPS_AGENT_PACKAGE) is not None:
        raise PreconditionError(
            f"the FIPS Agent ({FIPS_AGENT_PACKAGE}) is installed: it encrypts with a FIPS"
            " validated module itself and needs no proxy, and the two cannot be installed"
            " together; nothing to do"
        )
    version = agent_version(packages)
    if version is None:
        raise agent_missing(", and enable adds the FIPS proxy to an installed Agent")
    if version < MIN_AGENT:
        raise PreconditionError(
            f"the Datadog Agent is version {version}; the FIPS proxy needs {MIN_AGENT} or"
            " newer: upgrade the Agent first"
        )
    return version


def agent_environment(host: Host, names: Collection[str]) -> list[Override]:
    """Variables among ``names`` set for the Agent service (environment file, unit, drop-ins).

    Raises FileAccessError naming a file that exists but cannot be read
    (``/etc/datadog-agent/environment`` is often root-only), or not safely
    (an untrusted link, a FIFO, a file over the size limit).
    """
    found: list[Override] = []
    env_file = host.path(ENVIRONMENT_FILE)
    if env_file.exists() or env_file.is_symlink():  # a FIFO or a link is refused, not skipped
        found += environment_file(read_text(env_file), ENVIRONMENT_FILE, names)
    for location in _UNIT_FILES:
        path = host.path(location)
        files = sorted(path.glob("*.conf")) if path.is_dir() else [path] if path.is_file() else []
        for unit in files:
            shown = f"{location}/{unit.name}" if path.is_dir() else location
            found += systemd_unit(read_text(unit), shown, names)
    folder = host.path(PROCESSES_DIR)  # dd-procmgrd's payloads (7.84+): their own env:
    if folder.is_dir() and not folder.is_symlink():
        for definition in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            shown = f"{PROCESSES_DIR}/{definition.name}"
            found += procmgr_definition(read_text(definition), shown, names)
    return found


def agent_overrides(host: Host) -> list[Override]:
    """``DD_FIPS_*`` and ``DD_SITE`` set for the Agent service outside datadog.yaml.

    Raises FileAccessError (see ``agent_environment``).
    """
    return agent_environment(host, tuple(OVERRIDE_VARIABLES))


def fips_overrides(host: Host) -> list[Override]:
    """``DD_FIPS_*`` variables set for the Agent service outside datadog.yaml."""
    return [override for override in agent_overrides(host) if override.is_fips]
