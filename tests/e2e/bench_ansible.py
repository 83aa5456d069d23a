"""Benchmark: the example playbook on three hosts at once beside one host alone (DESIGN section 8).

Boots three hosts (apt, dnf, zypper) and runs ``docs/ansible/fips-proxy.yml``
on all of them in one batch, then runs the same playbook on one fresh host of
each family alone; prints the wall times and the ratio of the three-host run
to the slowest host alone, which bounds it (goal: at most 1.5), and to the
fastest. Each run is a first run: the toolkit is sent,
the proxy installed, started, and the Agent moved to it. Needs what the e2e
tests need (root, tests/e2e/debian-packages.txt) and ``.venv-ansible``::

    sudo .venv-NEW/bin/python -m tests.e2e.bench_ansible [rounds]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Dict, List

from .fleet import Fleet, ansible_prerequisites, build_collection
from .harness import Harness
from .host import TestHost
from .image import ensure_image
from .util import missing_prerequisites

GOAL = 1.5
FAMILIES = ("debian", "rhel", "suse")


def play(harness: Harness, families: List[str], collection: Path) -> float:
    """Wall time of the example playbook's first run on fresh hosts of ``families``."""
    hosts: Dict[str, TestHost] = {}
    fleet = None
    try:
        for family in families:
            hosts[family] = harness.make_host(family=family)
        fleet = Fleet(hosts, collection, harness.workdir)
        run = fleet.playbook(extra_vars={"fips_proxy_batch": "100%"})
        recap = run.recap()
        if run.returncode != 0 or any(recap[f]["changed"] != 1 for f in families):
            raise SystemExit(f"the playbook failed on {families}:\n{run.output[-4000:]}")
        return run.seconds
    finally:
        if fleet is not None:
            fleet.close()
        for host in hosts.values():
            host.shutdown()


def main() -> int:
    missing = missing_prerequisites() + ansible_prerequisites()
    if missing:
        print("cannot run: " + "; ".join(missing))
        return 2
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    collection = build_collection()
    harness = Harness(ensure_image())
    try:
        three = [play(harness, list(FAMILIES), collection) for _ in range(rounds)]
        alone = {
            family: statistics.median(play(harness, [family], collection) for _ in range(rounds))
            for family in FAMILIES
        }
    finally:
        harness.close()
    three_s = statistics.median(three)
    print(f"example playbook, first run, median of {rounds} round(s):")
    print(f"  three hosts at once (apt, dnf, zypper): {three_s:5.1f} s")
    for family, seconds in alone.items():
        print(f"  one {family} host alone:{'':<{17 - len(family)}}{seconds:5.1f} s")
    # Three hosts at once last as long as their slowest: compare with that host alone.
    slowest = max(alone, key=lambda family: alone[family])
    ratio = three_s / alone[slowest]
    verdict = "within" if ratio <= GOAL else "OVER"
    print(f"  three / slowest alone ({slowest}): {ratio:.2f} ({verdict} the {GOAL}x goal)")
    print(f"  three / fastest alone: {three_s / min(alone.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
