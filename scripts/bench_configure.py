#!/usr/bin/env python3
"""Benchmark: whole-process time of `fips-setup configure --dry-run --json`.

Runs the installed console script (pass its path) on the 3,685-line vendor
datadog.yaml.example (../shared/fixtures, else docs/examples/datadog.yaml),
beside a bare `python -c pass` of the same interpreter, and prints figures.
Target (DESIGN section 8): at most 100 ms, about 8x a bare interpreter start.

    python3 scripts/bench_configure.py .venv-bench/bin/fips-setup [runs]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_EXAMPLE = Path(
    os.environ.get("FIPS_SETUP_SHARED", REPO.parent / "shared"),
    "fixtures/datadog-agent/datadog.yaml.example",
)


def timed(argv: list[str], runs: int) -> list[float]:
    """Wall times in milliseconds of ``runs`` runs (after two warm-up runs)."""
    times = []
    for index in range(runs + 2):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        if index >= 2:
            times.append((time.perf_counter() - start) * 1000)
    return times


def describe(name: str, times: list[float]) -> str:
    return (
        f"{name:<44} median {statistics.median(times):6.1f} ms   "
        f"mean {statistics.mean(times):6.1f}   min {min(times):6.1f}   max {max(times):6.1f}"
    )


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    script = Path(sys.argv[1]).resolve()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    python = script.parent / "python"
    example = SHARED_EXAMPLE if SHARED_EXAMPLE.is_file() else REPO / "docs/examples/datadog.yaml"
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "datadog.yaml"
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
