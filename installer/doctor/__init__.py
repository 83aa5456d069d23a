"""``fips-setup doctor``: every troubleshooting step of the vendor's page, as checks.

The checks run in parallel threads (each waits on processes, files or the
network, not on the processor), sharing the host's facts (:mod:`.facts`);
probes have short timeouts, so a proxy that is down or a firewall that drops
packets costs about one timeout, not one per check.
"""

from __future__ import annotations

import importlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from installer.doctor import (
    module_checks,
    network_checks,
    preflight_checks,
    runtime_checks,
    settings_checks,
    setup_checks,
)
from installer.doctor.facts import Facts
from installer.doctor.model import (
    FAIL,
    INFO,
    PASS,
    SKIP,
    WARN,
    Check,
    CheckFunction,
    ChecksResult,
    skipped,
    summary,
)
from installer.host import Host


class DoctorOptions(NamedTuple):
    """What the operator asked ``doctor`` for."""

    config: Path
    agent_check: bool = True


def all_checks(agent_check: bool) -> list[CheckFunction]:
    """Every check, in the order of the vendor's page (installed, configured, running, reaching).

    The two that run the Agent's own program (its status, its connectivity
    check) are left out with ``agent_check`` False.
    """
    agent = [network_checks.FIPS_MODE, network_checks.AGENT_CONNECTIVITY]
    return [
        *setup_checks.CHECKS,
        *module_checks.CHECKS,
        *settings_checks.CHECKS,
        *runtime_checks.CHECKS,
        *network_checks.CHECKS,
        *preflight_checks.CHECKS,
        *(agent if agent_check else [_left_out(check.id) for check in agent]),
    ]


def _left_out(check_id: str) -> CheckFunction:
    return CheckFunction(check_id, lambda facts: skipped("left out (--no-agent-check)"))


def run_checks(facts: Facts, checks: list[CheckFunction]) -> list[Check]:
    """Run ``checks`` in parallel; their results in the same order."""
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        return list(pool.map(lambda function: function.run(facts), checks))


def preload(*modules: str) -> threading.Thread:
    """Import ``modules`` in a background thread, while the checks wait on the host.

    The checks mostly wait (on processes, files, the network); importing what
    a later step needs meanwhile takes it off the critical path.
    """

    def load() -> None:
        for module in modules:
            importlib.import_module(module)

    thread = threading.Thread(target=load, name="preload", daemon=True)
    thread.start()
    return thread


def doctor(host: Host, options: DoctorOptions) -> ChecksResult:
    """Check the host; the result fails when one check fails. Never changes anything."""
    preload("requests")  # for the request to the metrics port
    checks = run_checks(Facts(host, options.config), all_checks(options.agent_check))
    return ChecksResult(checks, _message(checks), {"config": str(options.config)})


def _message(checks: list[Check]) -> str:
    counts = summary(checks)
    failing = [c.id for c in checks if c.status == FAIL]
    warning = [c.id for c in checks if c.status == WARN]
    parts = [f"{counts[PASS]} passed"]
    if warning:
        parts.append(f"{len(warning)} warning(s): {', '.join(warning)}")
    if counts[INFO]:
        parts.append(f"{counts[INFO]} for information")
    if counts[SKIP]:
        parts.append(f"{counts[SKIP]} skipped")
    if failing:
        return f"{len(failing)} check(s) failed: {', '.join(failing)}; " + ", ".join(parts)
    return "no check failed: " + ", ".join(parts)
