"""Benchmark: wall time of ``fips-setup enable`` beside the commands it runs (DESIGN section 8).

Boots one host per family (Agent installed, reporting directly), runs
``fips-setup enable --json`` there and compares the whole run's wall time with
the sum of the package-manager and ``systemctl`` commands it ran (from the
JSON document's ``commands``). Target: at most 10% over. The verification
that ends every enable (the Agent's connectivity check and one request
through the proxy) is timed on its own and left out of the comparison. Needs what the e2e
tests need (root, tests/e2e/debian-packages.txt)::

    sudo .venv-NEW/bin/python -m tests.e2e.bench_enable [runs-per-family]
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from .harness import Harness
from .image import ensure_image
from .util import missing_prerequisites

PACKAGE_AND_SERVICE_TOOLS = {
    "apt-get",
    "dpkg",
    "yum",
    "dnf",
    "zypper",
    "systemctl",
    "initctl",
    "service",
}


def measure(harness: Harness, family: str, *, warm: bool) -> dict[str, Any]:
    host = harness.make_host(family=family)
    try:
        host.install_toolkit()
        if warm:  # the zipapp unpacked and its bytecode cached by an earlier run
            host.fips_setup("status", json=True)
        started = time.monotonic()
        result = host.fips_setup("enable", json=True)
        wall = time.monotonic() - started
        if result.returncode != 0 or result.data is None:
            raise SystemExit(f"{family}: enable failed: {result.stdout}{result.stderr}")
        commands = result.data["commands"]
        tools = sum(c["seconds"] for c in commands if c["argv"][0] in PACKAGE_AND_SERVICE_TOOLS)
        queries = sum(
            c["seconds"] for c in commands if c["argv"][0] not in PACKAGE_AND_SERVICE_TOOLS
        )
        verification = result.data.get("verification", {}).get("seconds", 0.0)
        return {
            "wall": wall - verification,
            "tools": tools,
            "queries": queries,
            "count": len(commands),
            "verification": verification,
        }
    finally:
        host.shutdown()


def main() -> int:
    missing = missing_prerequisites()
    if missing:
        print("cannot run: " + "; ".join(missing))
        return 2
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    harness = Harness(ensure_image())
    try:
        print(f"fips-setup enable, {runs} run(s) per family (median)")
        for warm in (False, True):
            state = "warm: toolkit already run once" if warm else "cold: first run of the zipapp"
            print(f" {state}")
            for family in ("debian", "rhel", "suse"):
                samples = [measure(harness, family, warm=warm) for _ in range(runs)]
                wall = statistics.median(s["wall"] for s in samples)
                tools = statistics.median(s["tools"] for s in samples)
                queries = statistics.median(s["queries"] for s in samples)
                verification = statistics.median(s["verification"] for s in samples)
                over = (wall - tools) / tools * 100
                print(
                    f"  {family:<7} wall {wall:5.2f} s   package manager + systemctl"
                    f" {tools:5.2f} s   other commands {queries:4.2f} s   over: {over:5.1f}%"
                    f" ({'within' if over <= 10 else 'OVER'} the 10% target)"
                    f"   then verification {verification:4.2f} s"
                )
    finally:
        harness.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
