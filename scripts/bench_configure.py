#!/usr/bin/env python3
"""Benchmark: whole-process time of `fips-setup configure --dry-run --json`.

Runs the installed console script (pass its path), each time as a new process:

1. on the 3,685-line vendor datadog.yaml.example (../shared/fixtures, else
   docs/examples/datadog.yaml), beside a bare `python -c pass` of the same
   interpreter. Target (DESIGN section 8): at most 100 ms.
2. on generated large files (plain settings, and the worst case of many short
   lines), printing seconds per MiB (wall and CPU) and the peak memory.
   Target: at most 1 s per MiB.
3. on hostile inputs (deep nesting, alias bombs, a FIFO, /dev/zero, a file
   over 16 MiB, lines built to slow the redaction), printing how long each
   took to be refused. Target: within a second, never a hang.

    python3 scripts/bench_configure.py .venv-bench/bin/fips-setup [runs]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
SHARED_EXAMPLE = Path(
    os.environ.get("FIPS_SETUP_SHARED", REPO.parent / "shared"),
    "fixtures/datadog-agent/datadog.yaml.example",
)
MIB = 1024 * 1024
HOSTILE_TIMEOUT = 60.0


class Run(NamedTuple):
    """One process: wall and CPU seconds, peak memory (KiB), exit status."""

    wall: float
    cpu: float
    peak_kib: int
    status: int


def run_once(argv: list[str], timeout: float = 600.0) -> Run:
    """Run ``argv`` (output discarded) and measure it; a run over ``timeout`` is killed."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)  # its own resource usage
    finally:
        killer.cancel()
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode)


def timed(argv: list[str], runs: int) -> list[float]:
    """Wall times in milliseconds of ``runs`` runs (after two warm-up runs)."""
    return [run_once(argv).wall * 1000 for _ in range(runs + 2)][2:]


def describe(name: str, times: list[float]) -> str:
    return (
        f"{name:<44} median {statistics.median(times):6.1f} ms   "
        f"mean {statistics.mean(times):6.1f}   min {min(times):6.1f}   max {max(times):6.1f}"
    )


def plain_settings(size: int) -> str:
    """About ``size`` bytes of a realistic large datadog.yaml: plain block YAML, comments."""
    parts = ["site: ddog-gov.com\napi_key: 0123456789abcdef0123456789abcdef\n"]
    total, index = len(parts[0]), 0
    while total < size:
        part = (
            f"# Settings of integration number {index}\n"
            f"integration_{index}:\n"
            f"  enabled: {'true' if index % 2 else 'false'}\n"
            f'  name: "service {index}"\n'
            f"  port: {8000 + index % 1000}\n"
            f"  tags:\n    - env:prod\n    - team:{index % 7}\n"
            f"  endpoint: https://intake.example.com/{index}\n\n"
        )
        parts.append(part)
        total += len(part)
        index += 1
    return "".join(parts)


def short_lines(size: int) -> str:
    """About ``size`` bytes of the costliest plain shape per byte: one short item per line."""
    return "items:\n" + "  - item\n" * (size // 9)


def large_files(script: Path, folder: Path) -> None:
    print("\nlarge files (whole process, configure --dry-run --json; target: 1 s per MiB):")
    for name, make, size in (
        ("plain settings", plain_settings, 2 * MIB),
        ("plain settings", plain_settings, 8 * MIB),
        ("short lines (worst case)", short_lines, 2 * MIB),
    ):
        config = folder / "large.yaml"
        config.write_text(make(size))
        mib = config.stat().st_size / MIB
        run = run_once([str(script), "configure", "--config", str(config), "--dry-run", "--json"])
        verdict = "within" if run.wall / mib <= 1.0 else "OVER"
        print(
            f"  {name:<26} {mib:5.1f} MiB: {run.wall:6.2f} s wall ({run.wall / mib:4.2f} s/MiB,"
            f" {verdict} target), {run.cpu:6.2f} s CPU ({run.cpu / mib:4.2f} s/MiB),"
            f" peak {run.peak_kib // 1024} MiB, exit {run.status}"
        )


def hostile_inputs(script: Path, folder: Path) -> None:
    sys.path.insert(0, str(REPO))
    from tests.hostile import HOSTILE, SPECIAL, text_file  # the tests' own cases

    print("\nhostile inputs (configure --dry-run --json, whole process; target: 1 s, no hang):")
    makers = {name: make for name, (make, _words) in SPECIAL.items()}
    makers.update({name: text_file(text) for name, (text, _line, _words) in HOSTILE.items()})
    makers["redaction-hostile lines"] = text_file(
        f"token x: {'a-' * 100000}b\nurl: {'a://' * 50000}\napi_key: x{' ' * 200000}y\n"
    )
    slowest = 0.0
    for name, make in sorted(makers.items()):
        case = folder / name
        case.mkdir()
        path = make(case)
        argv = [str(script), "configure", "--config", str(path), "--dry-run", "--json"]
        run = run_once(argv, timeout=HOSTILE_TIMEOUT)
        slowest = max(slowest, run.wall)
        outcome = "refused (exit 1)" if run.status == 1 else f"exit {run.status}"
        print(f"  {name:<26} {run.wall:6.2f} s  peak {run.peak_kib // 1024:4d} MiB  {outcome}")
    verdict = "within" if slowest <= 1.0 else "OVER"
    print(f"  slowest: {slowest:.2f} s; {verdict} the 1 s target")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    script = Path(sys.argv[1]).resolve()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    python = script.parent / "python"
    example = SHARED_EXAMPLE if SHARED_EXAMPLE.is_file() else REPO / "docs/examples/datadog.yaml"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = folder / "datadog.yaml"
        shutil.copyfile(example, config)
        lines = config.read_text().count("\n")
        bare = timed([str(python), "-c", "pass"], runs)
        command = [str(script), "configure", "--config", str(config), "--dry-run", "--json"]
        configure = timed(command, runs)
        print(f"input: {example} ({lines} lines); {runs} runs each")
        print(describe("python -c pass", bare))
        print(describe("fips-setup configure --dry-run --json", configure))
        ratio = statistics.median(configure) / statistics.median(bare)
        verdict = "within" if statistics.median(configure) <= 100 else "OVER"
        print(f"ratio to a bare start: {ratio:.1f}x; {verdict} the 100 ms target")
        large_files(script, folder)
        hostile_inputs(script, folder)
    print(f"\nload average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
