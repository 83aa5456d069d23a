"""Benchmark: wall time of ``fips-setup doctor --no-agent-check`` (DESIGN section 8).

Boots one Debian test host, enables the proxy, then times doctor as a whole
process, inside the host (python start, zipapp, checks, output), in three
states: healthy (target 1 s), the proxy stopped and a firewall dropping
packets to its ports (target 2 s). Needs what the e2e tests need::

    sudo .venv-NEW/bin/python -m tests.e2e.bench_doctor [runs]
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Callable, List

from .harness import Harness
from .host import TestHost
from .image import ensure_image
from .util import missing_prerequisites

#: Runs a command N times inside the host; prints each run's wall time in seconds.
TIMER = r"""
import subprocess, sys, time
runs, args = int(sys.argv[1]), sys.argv[2:]
for _ in range(runs):
    start = time.monotonic()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"{time.monotonic() - start:.3f}")
"""


def timed(host: TestHost, runs: int, *args: str) -> List[float]:
    argv = ["python3", "-c", TIMER, str(runs), *host.toolkit_command(), *args]
    return [float(line) for line in host.run(argv).stdout.split()]


def failing(host: TestHost) -> List[str]:
    doc = json.loads(host.fips_setup("doctor", "--no-agent-check", json=True).stdout)
    return [c["id"] for c in doc["checks"] if c["status"] == "fail"]


def report(label: str, samples: List[float], target: float, failed: List[str]) -> None:
    median, worst = statistics.median(samples), max(samples)
    verdict = "within" if median <= target else "OVER"
    print(
        f"  {label:<30} median {median:5.2f} s  max {worst:5.2f} s  target {target:.0f} s:"
        f" {verdict}   failing checks: {', '.join(failed) or 'none'}"
    )


def main() -> int:
    missing = missing_prerequisites()
    if missing:
        print("cannot run: " + "; ".join(missing))
        return 2
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    harness = Harness(ensure_image())
    try:
        host = harness.make_host(family="debian")
        host.install_toolkit()
        if host.fips_setup("enable", json=True).returncode != 0:
            raise SystemExit("enable failed")
        host.fips_setup("status", json=True)  # the zipapp unpacked, its bytecode cached
        with open("/proc/loadavg") as handle:
            load = handle.read().split()[0]
        print(f"fips-setup doctor --no-agent-check, {runs} runs each (load average {load})")
        states: List[tuple[str, float, Callable[[], None]]] = [
            ("healthy", 1.0, lambda: None),
            ("proxy stopped", 2.0, lambda: host.systemctl("stop", "datadog-fips-proxy") and None),
            ("firewall dropping 9803-9818", 2.0, lambda: _drop(host)),
        ]
        for label, target, breakage in states:
            if label == "firewall dropping 9803-9818":
                host.systemctl("start", "datadog-fips-proxy")
                host.wait_for_port(9818)
            breakage()
            report(label, timed(host, runs, "doctor", "--no-agent-check", "--json"), target,
                   failing(host))  # fmt: skip
            if label == "healthy":
                report("healthy, table for people", timed(host, runs, "doctor", "--no-agent-check"),
                       target, [])  # fmt: skip
                with_agent = timed(host, runs, "doctor", "--json")
                print(f"  {'healthy, with the Agent check':<30} median"
                      f" {statistics.median(with_agent):5.2f} s (no target)")  # fmt: skip
        host.shutdown()
    finally:
        harness.close()
    return 0


def _drop(host: TestHost) -> None:
    host.run(["nft", "add", "table", "inet", "bench"])
    host.run(["nft", "add", "chain", "inet", "bench", "input",
              "{ type filter hook input priority 0 ; }"])  # fmt: skip
    host.run(["nft", "add", "rule", "inet", "bench", "input", "tcp", "dport", "9803-9818", "drop"])


if __name__ == "__main__":
    sys.exit(main())
