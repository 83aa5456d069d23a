"""``make demo``: a bare host becomes a FIPS-proxied Agent with the one-step command.

Boots a throwaway Debian 12 systemd host (the e2e image, built or reused),
runs ``scripts/install_script_agent7.sh`` there with ``DD_FIPS_MODE=1``
against the local signed mirror, shows its normal output, then
``fips-setup status`` and the stand-in intake's count of payloads received
through the proxy, and tears the host down. Needs root and the Debian
packages of ``tests/e2e/debian-packages.txt``; says exactly what is missing
otherwise.
"""

from __future__ import annotations

import os
import sys
import time

from .harness import API_KEY, Harness
from .host import TOOLKIT_PYZ
from .image import ensure_image
from .repos import REPO_MOUNT
from .util import REPO, missing_prerequisites


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def main() -> int:
    missing = missing_prerequisites()
    if missing:
        packages = (REPO / "tests" / "e2e" / "debian-packages.txt").read_text().split()
        print("make demo needs root on Debian or Ubuntu, with these Debian packages:")
        print("  sudo apt-get install -y " + " ".join(p for p in packages if not p.startswith("#")))
        print("missing now: " + "; ".join(missing))
        return 2
    banner("building or reusing the test host image")
    harness = Harness(ensure_image())
    try:
        banner("booting a bare Debian 12 host (systemd, no Agent, no Datadog repository)")
        host = harness.make_host(family="debian", agent_installed=False, repo_configured=False)
        host.install_toolkit()
        script = (REPO / "scripts" / "install_script_agent7.sh").read_text()
        banner(
            "DD_API_KEY=... DD_SITE=ddog-gov.com DD_FIPS_MODE=1"
            ' bash -c "$(cat install_script_agent7.sh)"'
        )
        environment = {
            "DD_API_KEY": API_KEY,
            "DD_SITE": "ddog-gov.com",
            "DD_FIPS_MODE": "1",
            "DD_HOSTNAME": "demo-host",
            "DD_REPO_URL": f"file://{REPO_MOUNT}",  # the local signed mirror
            # ...signed by the tests' key: a mirror's own key is trusted only when named
            "DD_REPO_KEY_FINGERPRINTS": harness.trusted_key.fingerprint,
            "FIPS_SETUP_PYZ": TOOLKIT_PYZ,
            "TERM": os.environ.get("TERM", "dumb"),  # colours and spinners on a terminal
        }
        started = time.monotonic()
        returncode = host.run_live(["bash", "-c", script], env=environment)
        print(f"(exit status {returncode}, {time.monotonic() - started:.1f} s)")
        if returncode != 0:
            return 1

        banner("fips-setup status")
        host.run_live([*host.toolkit_command(), "status"], env={"TERM": environment["TERM"]})

        banner("the stand-in Datadog intake")
        stats = host.wait_for_intake(
            lambda s: len(s.via_proxy()) >= 10, timeout=30, what="payloads through the proxy"
        )
        print(
            f"{len(stats.via_proxy())} payloads received through the FIPS proxy,"
            f" {len(stats.direct())} directly; missing sequence numbers: {stats.missing() or 'none'}"
        )
        return 0
    finally:
        banner("tearing the host down")
        harness.close()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print(
            "make demo needs root (it boots a systemd container with systemd-nspawn): sudo make demo"
        )
        sys.exit(2)
    sys.exit(main())
