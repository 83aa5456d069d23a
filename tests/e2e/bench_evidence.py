"""Benchmark: ``fips-setup evidence`` on a healthy host, and ``evidence merge`` of a fleet.

DESIGN section 8: ``evidence`` on a healthy host within 2 s (the live check
bounded); ``evidence merge`` of 1,000 hosts' documents within 5 s, linear in
the number of hosts. Both are timed as whole processes (Python's start, the
toolkit's imports, the work, the output)::

    sudo .venv-NEW/bin/python -m tests.e2e.bench_evidence [runs]          # both
    .venv-NEW/bin/python -m tests.e2e.bench_evidence --merge-only [runs]  # no root needed

The host part boots one Debian test host (what the e2e tests need), enables
the proxy and times ``evidence --json`` inside it. The merge part makes 1,000
hosts' documents (each a real evidence document, sealed, about the size a
proxied host's is, with hosts varying in state) and times ``evidence merge``
of 125, 250, 500 and 1,000 of them in each format, printing the time per host.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

from fipsconf.evidence.document import build_evidence, to_json

from .util import REPO

FLEET = (125, 250, 500, 1000)
FORMATS = ("html", "hdf", "oscal", "csv")


def fleet_documents(folder: Path, count: int) -> List[Path]:
    """``count`` hosts' evidence files: proxied hosts, one in ten with its proxy stopped."""
    sys.path.insert(0, str(REPO))
    from tests.fipsconf.evidence.samples import proxied_host, set_check

    paths = []
    for index in range(count):
        facts: Dict[str, Any] = proxied_host(f"host-{index:04d}.example.internal")
        if index % 10 == 3:
            facts["proxy"]["service"] = {"state": "inactive (dead)", "active": False}
            set_check(facts, "proxy-service", "fail", "datadog-fips-proxy is inactive (dead)")
        path = folder / f"host-{index:04d}.json"
        path.write_text(to_json(build_evidence(facts)))
        paths.append(path)
    return paths


def time_merge(files: List[Path], form: str, output: Path, runs: int) -> Tuple[float, float]:
    """The median whole-process wall time and CPU time of ``evidence merge FILES --format FORM``.

    CPU time (user and system, of the process and its children) does not depend on what
    else the machine runs, as wall time does on a shared one.
    """
    command = [str(REPO / ".venv-NEW" / "bin" / "fips-setup"), "evidence", "merge"]
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.run(
            [*command, *map(str, files), "--format", form, "--output", str(output)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        walls.append(time.monotonic() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"merge failed: {proc.stderr.strip()}")
    return statistics.median(walls), statistics.median(cpus)


def bench_merge(runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    try:
        files = fleet_documents(folder, max(FLEET))
        size = sum(path.stat().st_size for path in files) / len(files)
        print(
            f"evidence merge, whole process, median of {runs} runs"
            f" (documents of {size / 1024:.0f} KiB each; {load()}): wall / CPU seconds"
        )
        for form in FORMATS:
            times = {n: time_merge(files[:n], form, folder / f"report.{form}", runs) for n in FLEET}
            shown = ", ".join(f"{n}: {w:.2f} / {c:.2f} s" for n, (w, c) in times.items())
            low, high = min(FLEET), max(FLEET)
            # linear: the CPU each further host costs, from the smallest fleet to the largest
            marginal = (times[high][1] - times[low][1]) / (high - low) * 1000
            verdict = "within" if times[high][0] <= 5.0 else "OVER"
            print(
                f"  {form:<5} {shown}; {high} hosts {verdict} 5 s (wall);"
                f" {marginal:.2f} ms of CPU per further host"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: Runs a command N times inside the host; prints each run's wall and CPU seconds.
TIMER = r"""
import resource, subprocess, sys, time
runs, args = int(sys.argv[1]), sys.argv[2:]
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print(f"{time.monotonic() - start:.3f} {cpu:.3f}")
"""


def bench_host(runs: int) -> None:
    from .harness import Harness
    from .image import ensure_image
    from .util import missing_prerequisites

    missing = missing_prerequisites()
    if missing:
        print("the host part cannot run: " + "; ".join(missing))
        return
    harness = Harness(ensure_image())
    try:
        host = harness.make_host(family="debian")
        host.install_toolkit()
        if host.fips_setup("enable", json=True).returncode != 0:
            raise SystemExit("enable failed")
        host.fips_setup("status", json=True)  # the zipapp unpacked, its bytecode cached
        evidence = json.loads(host.fips_setup("evidence", json=True).stdout)["evidence"]
        assert evidence["verdict"]["compliant"], evidence["verdict"]
        argv = ["python3", "-c", TIMER, str(runs), *host.toolkit_command(), "evidence", "--json"]
        pairs = [line.split() for line in host.run(argv).stdout.splitlines()]
        samples = [float(wall) for wall, _ in pairs]
        cpu = statistics.median(float(used) for _, used in pairs)
        median = statistics.median(samples)
        print(
            f"evidence --json on a healthy host, whole process, {runs} runs ({load()}):"
            f" median {median:.2f} s (CPU {cpu:.2f} s, the copy of the proxy's included),"
            f" max {max(samples):.2f} s, target 2 s:"
            f" {'within' if median <= 2.0 else 'OVER'}; the collection itself"
            f" {evidence['collected']['seconds']} s, of which the live check"
            f" {evidence['live_check']['seconds']} s"
        )
        host.shutdown()
    finally:
        harness.close()


def load() -> str:
    with open("/proc/loadavg") as handle:
        return f"load average {handle.read().split()[0]}"


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(args[0]) if args else 3
    if "--merge-only" not in sys.argv:
        bench_host(runs)
    bench_merge(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
