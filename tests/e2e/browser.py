"""Evidence in a real browser: Heimdall Lite (MITRE's) opens the HDF, Chromium renders the HTML.

Heimdall Lite (npm ``@mitre/heimdall-lite``) and ``playwright-core`` are installed by
``make build/browser/stamp`` into ``build/browser/`` (ignored by git; ``make e2e`` does
it), Chromium is Debian's (``tests/e2e/debian-packages.txt``). Heimdall Lite's static
build is served on a loopback port for the test's duration; ``evidence.mjs`` drives
Chromium through it as a person would (the upload input) and reads the status cards.
Screenshots are kept in ``build/test-artifacts/`` (``FIPS_SETUP_ARTIFACTS`` to move them).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

from .util import REPO

BROWSER_DIR = REPO / "build" / "browser"
HEIMDALL_DIST = BROWSER_DIR / "node_modules" / "@mitre" / "heimdall-lite" / "dist"
SCRIPT = REPO / "tests" / "e2e" / "browser" / "evidence.mjs"
CHROMIUM = "/usr/bin/chromium"


def artifacts() -> Path:
    """Where screenshots are kept after the tests."""
    folder = Path(os.environ.get("FIPS_SETUP_ARTIFACTS") or REPO / "build" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def browser_prerequisites() -> List[str]:
    """What the browser checks need and this machine lacks (empty: all there)."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"no {CHROMIUM} (Debian's chromium: tests/e2e/debian-packages.txt)")
    if shutil.which("node") is None:
        missing.append("no node (Debian's nodejs)")
    if (
        not (HEIMDALL_DIST / "index.html").exists()
        or not (BROWSER_DIR / "node_modules" / "playwright-core").exists()
    ):
        missing.append("no build/browser/node_modules (make build/browser/stamp)")
    return missing


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextlib.contextmanager
def heimdall_lite() -> Iterator[str]:
    """Serve Heimdall Lite's static build on 127.0.0.1 (a free port); its URL."""
    handler = functools.partial(_Quiet, directory=str(HEIMDALL_DIST))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def open_in_browser(jobs: List[Dict[str, str]], workdir: Path) -> List[Dict[str, Any]]:
    """Run each job (``{"hdf": path, "shot": png}`` or ``{"page": path, "shot": png}``) in
    one headless Chromium; what each page showed."""
    for job in jobs:
        if "page" in job:
            job["page"] = Path(job["page"]).resolve().as_uri()
    jobs_file = workdir / "browser-jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    # beside its node_modules: an ES module finds its packages from its own folder
    # (a copy of its own for each run: other workers may be running theirs)
    script = BROWSER_DIR / f"evidence-{os.getpid()}-{threading.get_ident()}.mjs"
    shutil.copyfile(SCRIPT, script)
    with heimdall_lite() as url:
        proc = subprocess.run(
            ["node", str(script), url, str(jobs_file)],
            cwd=BROWSER_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    script.unlink()
    if proc.returncode != 0:
        raise AssertionError(f"the browser run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    results: List[Dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return results
