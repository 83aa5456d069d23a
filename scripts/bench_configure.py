#!/usr/bin/env python3
"""Benchmark: whole-process time of `fips-setup configure --dry-run --json`.

Runs the installed console script (pass its path), each time as a new process,
and prints wall and CPU (user + system) time: on a loaded machine the wall
time of one run says little, its CPU time more.

1. on the 3,685-line vendor datadog.yaml.example ($FIPS_SETUP_SHARED/fixtures, else
   docs/examples/datadog.yaml), beside a bare `python -c pass` of the same
   interpreter. Target (DESIGN section 8): at most 100 ms.
2. on generated large files up to the 16 MiB read limit (plain settings, the
   costliest plain shape of one short item per line, comments, one long
   line), printing seconds per MiB (wall and CPU) and the peak memory.
   Target: at most 1 s per MiB (1 s for a file under 1 MiB).
3. on YAML only the slow reader takes (flow collections, block scalars),
   up to its limits: read, or refused, in time.
4. on hostile inputs (deep nesting, alias bombs, a FIFO, /dev/zero, a file
   over 16 MiB, long numbers, lines built to slow the redaction), printing
   how long each took to be refused. Target: within a second, never a hang.

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
from typing import Any, NamedTuple

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


def timed(argv: list[str], runs: int) -> list[Run]:
    """``runs`` runs (after two warm-up runs)."""
    return [run_once(argv) for _ in range(runs + 2)][2:]


def describe(name: str, runs: list[Run]) -> str:
    wall = [run.wall * 1000 for run in runs]
    cpu = [run.cpu * 1000 for run in runs]
    return (
        f"{name:<40} wall median {statistics.median(wall):6.1f} ms, min {min(wall):6.1f};"
        f"  CPU median {statistics.median(cpu):6.1f} ms, min {min(cpu):6.1f}"
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


def comments(size: int) -> str:
    """About ``size`` bytes of a template: one setting, then comment lines."""
    return "site: ddog-gov.com\n" + "# a comment line of the template, long enough\n" * (size // 46)


def one_long_line(size: int) -> str:
    """One value of about ``size`` bytes, words and spaces (the one-match patterns' worst)."""
    return "site: ddog-gov.com\nkey: " + "a b " * (size // 4) + "z\n"


def flow_collections(size: int) -> str:
    """About ``size`` bytes of one-line flow collections (ruamel reads them, slowly)."""
    return "".join(f"f{i}: {{a: 1, b: [x, y, z], c: 'q'}}\n" for i in range(size // 34))


def block_scalars(size: int) -> str:
    """About ``size`` bytes of block scalars of 12 lines each (ruamel reads them)."""
    body = "".join(f"  line {n} of a block value, as in a Helm chart\n" for n in range(12))
    return "".join(f"b{i}: |\n{body}" for i in range(size // (len(body) + 10)))


#: (name, maker, size): up to the 16 MiB read limit (a little under it).
LARGE = [
    ("plain settings", plain_settings, 2 * MIB),
    ("plain settings", plain_settings, 16 * MIB - 4096),
    ("short lines (worst case)", short_lines, 2 * MIB),
    ("short lines (worst case)", short_lines, 16 * MIB - 4096),
    ("comments", comments, 16 * MIB - 4096),
    ("one long line", one_long_line, 16 * MIB - 4096),
]
SLOW = [
    ("flow collections", flow_collections, 8 * 1024),
    ("flow collections", flow_collections, 120 * 1024),
    ("block scalars", block_scalars, 120 * 1024),
]


def measured(label: str, run: Run, size: int) -> str:
    """One line: times, seconds per MiB, peak memory, outcome, verdict."""
    mib = size / MIB
    bound = max(1.0, mib)  # 1 s per MiB, and a second for a small file
    verdict = "within" if run.wall <= bound else "OVER"
    outcome = "read" if run.status == 0 else "refused" if run.status == 1 else f"exit {run.status}"
    return (
        f"  {label:<27} {mib:6.2f} MiB: {run.wall:6.2f} s wall ({run.wall / mib:5.2f} s/MiB),"
        f" {run.cpu:6.2f} s CPU ({run.cpu / mib:5.2f} s/MiB), peak {run.peak_kib // 1024:4d} MiB,"
        f" {outcome}; {verdict} target"
    )


def large_files(script: Path, folder: Path, cases: list[Any], title: str) -> None:
    """Run configure --dry-run --json on each generated file and print the figures."""
    print(f"\n{title}")
    for name, make, size in cases:
        config = folder / "large.yaml"
        # made by another process: a child's peak memory counts the pages of the
        # process it was started from (until its exec), and this one would grow
        generate = [sys.executable, __file__, "--generate", make.__name__, str(size), str(config)]
        subprocess.run(generate, check=True)
        run = run_once([str(script), "configure", "--config", str(config), "--dry-run", "--json"])
        print(measured(name, run, config.stat().st_size))


def hostile_inputs(script: Path, folder: Path) -> None:
    sys.path.insert(0, str(REPO))
    from tests.hostile import HOSTILE, SPECIAL, text_file  # the tests' own cases

    print("\nhostile inputs (configure --dry-run --json, whole process; target: 1 s, no hang):")
    makers = {name: make for name, (make, _words) in SPECIAL.items()}
    makers.update({name: text_file(text) for name, (text, _line, _words) in HOSTILE.items()})
    makers["redaction-hostile lines"] = text_file(
        f"token x: {'a-' * 100000}b\nurl: {'a://' * 50000}\napi_key: x{' ' * 200000}y\n"
        f"basic: Basic {'QUJD' * 50000}\nbearer: {'bearer ' * 30000}\n"
        f"dual: additional_endpoints [{'a,' * 100000}]\n"
        + "additional_endpoints:\n"
        + "".join(f"  https://x{i}:\n  - k\n" for i in range(20000))
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
        print(
            f"  {name:<26} {run.wall:6.2f} s wall  {run.cpu:6.2f} s CPU"
            f"  peak {run.peak_kib // 1024:4d} MiB  {outcome}"
        )
    verdict = "within" if slowest <= 1.0 else "OVER"
    print(f"  slowest: {slowest:.2f} s; {verdict} the 1 s target")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if sys.argv[1] == "--generate":  # maker, size, path (see large_files)
        maker, size, path = sys.argv[2:5]
        Path(path).write_text(globals()[maker](int(size)))
        return 0
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
        median = statistics.median(run.wall for run in configure) * 1000
        ratio = median / (statistics.median(run.wall for run in bare) * 1000)
        verdict = "within" if median <= 100 else "OVER"
        print(f"ratio to a bare start: {ratio:.1f}x; {verdict} the 100 ms target (median wall)")
        large_files(script, folder, LARGE, "large files (target: 1 s per MiB):")
        large_files(script, folder, SLOW, "YAML only ruamel reads (read or refused in 1 s):")
        hostile_inputs(script, folder)
    print(f"\nload average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
