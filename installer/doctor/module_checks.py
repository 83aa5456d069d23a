"""The cryptographic module the host relies on, and its CMVP status as of a dated table."""

from __future__ import annotations

from fipsconf.crypto_modules import (
    ACTIVE,
    FIPS_AGENT_PATH,
    PROXY_PATH,
    TABLE_DATE,
    module_use,
    successor,
)
from installer.doctor.facts import Facts
from installer.doctor.model import CheckFunction, Outcome, check, noted, skipped
from installer.packages import FIPS_AGENT_PACKAGE, PROXY_PACKAGE

CHECKS: list[CheckFunction] = []


@check("crypto-module", CHECKS)
def _crypto_module(facts: Facts) -> Outcome:
    """Information, never a failure: agencies may keep using a Historical module."""
    if facts.platform()[0] is None:
        return skipped("the platform is not supported: its packages were not looked at")
    if facts.fips_agent:
        use = module_use(FIPS_AGENT_PATH)
    elif facts.proxy_installed:
        use = module_use(PROXY_PATH)
    else:
        return skipped(
            f"neither {PROXY_PACKAGE} nor {FIPS_AGENT_PACKAGE} is installed: no FIPS module"
            " is in use"
        )
    module = use.module
    version = f" {use.module_version}" if use.module_version else ""
    finding = (
        f"{use.component} relies on the {module.name}{version}, CMVP certificate"
        f" #{module.certificate}: {module.status_words()}: {module.meaning()}"
    )
    if module.status == ACTIVE:
        return noted(finding)
    newer = successor(module)
    instead = (
        f" (such as #{newer.certificate}, {newer.name} {newer.standard}, active as of {TABLE_DATE})"
        if newer
        else ""
    )
    return noted(
        finding,
        "existing systems may keep it; for a new authorization, ask Datadog which actively"
        f" validated module{instead} its packages will use: docs/evidence.md explains",
    )
