"""Benchmark: the example playbook on three hosts at once beside one host alone (DESIGN section 8).

Each round boots three fresh hosts (apt, dnf, zypper) and runs
``docs/ansible/fips-proxy.yml`` on all of them in one batch, then runs it on
one fresh host of each family alone; every run is a first run (the toolkit is
sent, the proxy installed and started, the Agent moved to it, the doctor
report). Three hosts at once last as long as their slowest, so each round's
ratio is the three-host run over the slowest host alone that round (goal: at
most 1.5); the median and the spread over the rounds are printed.

Beside the wall times it prints what bounds them on a shared machine: the
CPU time of the controller (``ansible-playbook`` and everything it started:
workers, ssh) and of each host (every process in the host's PID namespace,
the test host's own background included: the stand-in Agent, intake and
HAProxy), and the load average. Three hosts need three hosts' CPU time on the
machine's cores. Needs what the e2e tests need (root,
tests/e2e/debian-packages.txt) and ``.venv-ansible``::

    sudo .venv-NEW/bin/python -m tests.e2e.bench_ansible [rounds]
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

from .fleet import Fleet, ansible_prerequisites, build_collection
from .harness import Harness
from .host import TestHost
from .image import ensure_image
from .util import missing_prerequisites

GOAL = 1.5
FAMILIES = ("debian", "rhel", "suse")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """One first run of the example playbook: wall time and CPU time, in seconds."""

    wall: float
    controller_cpu: float
    host_cpu: Dict[str, float]


def namespace_cpu(pid: int) -> float:
    """CPU seconds used so far by the processes of ``pid``'s PID namespace.

    Each live process's own time plus that of the children it reaped: what
    ended (a module run, a package manager) is counted in whoever waited for it.
    """
    namespace = os.readlink(f"/proc/{pid}/ns/pid")
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / _TICKS


def children_cpu() -> float:
    """CPU seconds of this process's children that ended (ansible-playbook and its own)."""
    times = os.times()
    return times.children_user + times.children_system


def play(harness: Harness, families: Sequence[str], collection: Path) -> Run:
    """The example playbook's first run on fresh hosts of ``families``."""
    hosts: Dict[str, TestHost] = {}
    fleet = None
    try:
        for family in families:
            hosts[family] = harness.make_host(family=family)
        fleet = Fleet(hosts, collection, harness.workdir)
        before = {name: namespace_cpu(host.pid or 0) for name, host in hosts.items()}
        controller = children_cpu()
        run = fleet.playbook(extra_vars={"fips_proxy_batch": "100%"})
        controller = children_cpu() - controller
        used = {name: namespace_cpu(host.pid or 0) - before[name] for name, host in hosts.items()}
        recap = run.recap()
        if run.returncode != 0 or any(recap[f]["changed"] != 1 for f in families):
            raise SystemExit(f"the playbook failed on {families}:\n{run.output[-4000:]}")
        return Run(run.seconds, controller, used)
    finally:
        if fleet is not None:
            fleet.close()
        for host in hosts.values():
            host.shutdown()


def spread(values: List[float], unit: str = " s", digits: int = 1) -> str:
    """``median [min-max]`` of ``values``."""
    low, mid, high = (
        f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values))
    )
    return f"{mid:>5}{unit} [{low}-{high}]"


def row(label: str, value: str) -> None:
    """One line of the summary: the label, then the figures in a column."""
    print(f"  {label + ':':<40} {value}")


def main() -> int:
    missing = missing_prerequisites() + ansible_prerequisites()
    if missing:
        print("cannot run: " + "; ".join(missing))
        return 2
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    collection = build_collection()
    harness = Harness(ensure_image())
    three: List[Run] = []
    alone: Dict[str, List[Run]] = {family: [] for family in FAMILIES}
    ratios: List[float] = []
    loads: List[float] = []
    try:
        for round_number in range(1, rounds + 1):
            # interleaved, so that a change in the machine's load weighs on both sides
            three.append(play(harness, FAMILIES, collection))
            for family in FAMILIES:
                alone[family].append(play(harness, [family], collection))
            slowest = max(alone[family][-1].wall for family in FAMILIES)
            ratios.append(three[-1].wall / slowest)
            loads.append(os.getloadavg()[0])
            print(
                f"round {round_number}: three hosts {three[-1].wall:.1f} s, alone "
                + ", ".join(f"{f} {alone[f][-1].wall:.1f} s" for f in FAMILIES)
                + f"; ratio {ratios[-1]:.2f}; load average {loads[-1]:.1f}",
                flush=True,
            )
    finally:
        harness.close()
    print(f"\nexample playbook, first run on fresh hosts, {rounds} round(s): median [min-max]")
    row("three hosts at once (apt, dnf, zypper)", spread([r.wall for r in three]))
    for family in FAMILIES:
        row(f"one {family} host alone", spread([r.wall for r in alone[family]]))
    verdict = "within" if statistics.median(ratios) <= GOAL else "OVER"
    row("three / slowest alone, per round", f"{spread(ratios, '', 2)} ({verdict} the {GOAL}x goal)")
    print("CPU time (what bounds it: the machine's cores serve every host and the controller)")
    row("controller, three hosts", spread([r.controller_cpu for r in three]))
    row("each host, three at once", spread([c for r in three for c in r.host_cpu.values()]))
    one_controller = [r.controller_cpu for runs in alone.values() for r in runs]
    row("controller, one host", spread(one_controller))
    # On a real fleet each host has its own CPUs: the controller's is the only one they share.
    extra = statistics.median(r.controller_cpu for r in three) - statistics.median(one_controller)
    row("controller, per host beyond the first", f"{extra / (len(FAMILIES) - 1):5.1f} s")
    row(
        "the host, alone",
        spread([c for runs in alone.values() for r in runs for c in r.host_cpu.values()]),
    )
    row("load average (1 min) after each round", f"{spread(loads, '')} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
