"""Checks of what setting the proxy up would meet: enable's own checks, and disk space.

On a host where the proxy is not set up yet (a new host included) these say,
before anything is tried, whether ``fips-setup enable`` (or the one-step
install script) would go through, and if not, why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fipsconf.errors import FipsSetupError
from installer.agent import NEW_HOST_ADVICE, NO_AGENT
from installer.doctor.facts import Facts
from installer.doctor.model import CheckFunction, Outcome, check, failed, passed, skipped
from installer.doctor.setup_checks import needs_root
from installer.errors import AgentMissingError
from installer.packages import FIPS_AGENT_PACKAGE

CHECKS: list[CheckFunction] = []
_MIB = 1 << 20
#: Where packages install (``/opt/datadog-agent``, ``/opt/datadog-fips-proxy``).
PACKAGES_HOME = "/opt"
#: Room the Agent's package needs: at most 760 MiB installed and 190 MiB to download
#: (the vendor's own size limits for its Linux packages, in datadog-agent's
#: test/static/static_quality_gates.yml), rounded up.
AGENT_SPACE = (1024 * _MIB, 256 * _MIB)
#: The proxy's package (HAProxy and its FIPS module) is a small fraction of that.
PROXY_SPACE = (100 * _MIB, 50 * _MIB)
_NOTHING_CHANGED = "; nothing was changed"


@check("enable-preflight", CHECKS)
def _enable_preflight(facts: Facts) -> Outcome:
    if facts.fips_agent:
        return skipped(f"the FIPS Agent ({FIPS_AGENT_PACKAGE}) is installed: it needs no proxy")
    if facts.platform()[0] is None:
        return skipped("the platform is not supported (see platform)")
    if facts.proxy_installed and facts.settings().effective.get("enabled") is True:
        return passed("fips-setup enable has run: the proxy is installed and fips.enabled is true")
    skip = needs_root(facts)
    if skip:
        return skip
    from installer.enable import EnableOptions, inspect_host

    try:  # the checks enable makes before its first change, as its dry run makes them
        inspect_host(facts.host, EnableOptions(config=facts.config, dry_run=True))
    except AgentMissingError:
        return failed(
            f"enable would fail because {NO_AGENT}: it adds the FIPS proxy to an installed Agent",
            NEW_HOST_ADVICE,
        )
    except FipsSetupError as exc:
        return failed(
            f"enable would fail because {_reason(exc)}",
            "fix what it names (fips-setup enable --dry-run checks the same), then:"
            " fips-setup enable",
        )
    return passed(
        "enable would go ahead: every check it makes before changing the host passes"
        " (fips-setup enable --dry-run shows its plan)"
    )


def _reason(exc: FipsSetupError) -> str:
    text = str(exc)
    return text[: -len(_NOTHING_CHANGED)] if text.endswith(_NOTHING_CHANGED) else text


@check("disk-space", CHECKS)
def _disk_space(facts: Facts) -> Outcome:
    packages = facts.packages()
    if packages is None:
        return skipped("the platform is not supported (see platform)")
    if facts.no_agent:
        what = "the Agent and the proxy (the one-step install script)"
        home, cache = AGENT_SPACE[0] + PROXY_SPACE[0], AGENT_SPACE[1] + PROXY_SPACE[1]
    else:
        what = "the proxy (fips-setup enable)"
        home, cache = PROXY_SPACE
    needs: dict[int, tuple[list[str], int, int]] = {}
    for folder, need in ((PACKAGES_HOME, home), (packages.cache_folder, cache)):
        existing = _existing(facts.host.path(folder))
        try:
            device = os.stat(existing).st_dev
            free = shutil.disk_usage(existing).free
        except OSError as exc:
            return skipped(f"cannot tell the free space of {folder}: {exc.strerror}")
        names, total, _ = needs.get(device, ([], 0, 0))
        needs[device] = ([*names, folder], total + need, free)
    short = [(names, need, free) for names, need, free in needs.values() if free < need]
    if short:
        said = "; ".join(
            f"{' and '.join(names)}: {free // _MIB} MiB free, {need // _MIB} MiB needed"
            for names, need, free in short
        )
        return failed(
            f"not enough free disk space to install {what}: {said}",
            "free some space there, then run fips-setup doctor again",
        )
    shown = "; ".join(
        f"{' and '.join(n)}: {free // _MIB} MiB free" for n, _, free in needs.values()
    )
    return passed(f"room to install {what} ({shown})")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
