"""Option values checked before anything else: a wrong one is a usage error (exit 2).

A port out of range is the same mistake as a port that is not a number
(Typer's own check, exit 2): the command line is wrong, whatever the host.
So every value an option takes is checked here, before the command looks at
the host or at a file, and the message names the option. Each function
returns the problem, or None.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from fipsconf.errors import SettingError

#: What ``migrate --agent-version`` takes: ``7.65.2``, a pre-release ``7.66.0~rc.1``,
#: or the package's exact version ``1:7.65.2-1``.
_AGENT_VERSION = re.compile(
    r"(?:[0-9]+:)?[0-9]+\.[0-9]+(?:\.[0-9]+)?(?:~[A-Za-z0-9.]+)?(?:-[0-9A-Za-z.+~]+)?\Z"
)


def first_problem(*problems: Optional[str]) -> Optional[str]:
    """The first of ``problems`` that is not None."""
    return next((problem for problem in problems if problem), None)


def port_range(option: str, value: Optional[int]) -> Optional[str]:
    """``--port-range-start`` / ``--port``: 16 ports from it must fit."""
    if value is None:
        return None
    from fipsconf.datadog_yaml import check_port_range_start

    try:
        check_port_range_start(value, setting=option)
    except SettingError as exc:
        return str(exc)
    return None


def loopback(option: str, value: Optional[str]) -> Optional[str]:
    """``--local-address``: loopback only (the Agent talks plain HTTP to the proxy)."""
    if value is None:
        return None
    from fipsconf.datadog_yaml import check_local_address

    try:
        check_local_address(value)
    except SettingError as exc:
        return f"{option}: {exc}"
    return None


def image_tag(option: str, value: Optional[str]) -> Optional[str]:
    """``--image-tag``: a tag a registry accepts."""
    if value is None:
        return None
    from fipsconf.helm_values import check_image_tag

    try:
        check_image_tag(value)
    except SettingError as exc:
        return f"{option}: {exc}"
    return None


def agent_version(option: str, value: Optional[str]) -> Optional[str]:
    """``--agent-version``: a FIPS Agent version (7.65 or newer), or a package's exact one."""
    if value is None:
        return None
    from installer.agent import parse_version
    from installer.fips_agent import MIN_FIPS_AGENT

    parsed = parse_version(value) if _AGENT_VERSION.match(value) else None
    if parsed is None:
        return (
            f"{option} {value!r} is not a version: give one like 7.65.2, or the package's"
            " exact version like 1:7.65.2-1"
        )
    if parsed.release[:2] < MIN_FIPS_AGENT.release[:2]:
        return f"{option} {value}: the FIPS Agent starts at {MIN_FIPS_AGENT}.0"
    return None


def nameservers(option: str, values: Iterable[str]) -> Optional[str]:
    """``dns set --nameserver ADDR[:PORT]...``: at least one, each an address."""
    values = list(values)
    if not values:
        return f"give at least one {option} ADDR[:PORT]"
    from fipsconf.proxy_cfg import parse_nameserver

    for value in values:
        try:
            parse_nameserver(value)
        except SettingError as exc:
            return f"{option}: {exc}"
    return None
