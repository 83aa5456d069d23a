"""The one-step install script on bare hosts (issue 5): apt, dnf and zypper, twice.

A bare host knows neither the Datadog repository nor its key; the script sets
both up from the mirror (``DD_REPO_URL``, a ``file://`` copy laid out like
Datadog's), installs the Agent, and hands over to the fips-setup zipapp
(``FIPS_SETUP_PYZ``) run with the Agent's python3. Meanwhile a sampler reads
every process's command line: the API key must never appear in one, nor in
any file the install leaves readable by others.
"""

from __future__ import annotations

from typing import Callable

import pytest

from .harness import API_KEY, DATADOG_YAML
from .host import PROXY_METRICS_SNI, TOOLKIT_PYZ, TestHost
from .repos import REPO_MOUNT
from .util import REPO

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
SCRIPT = (REPO / "scripts" / "install_script_agent7.sh").read_text()
SAMPLER_KEY = "/run/sampler/key"
SAMPLER_HITS = "/run/sampler/hits"
SAMPLER_COUNT = "/run/sampler/count"
SAMPLER_STOP = "/run/sampler/stop"
# Reads /proc/*/cmdline in a loop until told to stop; the key comes from a
# root-only file so that the sampler's own command line does not hold it.
SAMPLER = f"""
import os, pathlib, time
key = pathlib.Path("{SAMPLER_KEY}").read_bytes().strip()
hits, rounds = [], 0
while not os.path.exists("{SAMPLER_STOP}"):
    rounds += 1
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                line = pathlib.Path(f"/proc/{{pid}}/cmdline").read_bytes()
            except OSError:
                continue
            if key in line:
                hits.append(line.replace(key, b"<KEY>").decode(errors="replace"))
    time.sleep(0.01)
pathlib.Path("{SAMPLER_HITS}").write_text("\\n".join(hits))
pathlib.Path("{SAMPLER_COUNT}").write_text(str(rounds))
"""
ENVIRONMENT = {
    "DD_API_KEY": API_KEY,
    "DD_SITE": "ddog-gov.com",
    "DD_FIPS_MODE": "1",
    "DD_HOSTNAME": "fed-web-01",
    "DD_ENV": "prod",
    "DD_TAGS": 'team:fed,path:/srv/app,quote:"x"',
    "DD_REPO_URL": f"file://{REPO_MOUNT}",
    "FIPS_SETUP_PYZ": TOOLKIT_PYZ,
}


def start_sampler(host: TestHost) -> None:
    host.run(["mkdir", "-p", "-m", "700", "/run/sampler"])
    host.write_file(SAMPLER_KEY, API_KEY, mode=0o600)
    host.write_file("/run/sampler/sampler.py", SAMPLER)
    host.run(["systemd-run", "--unit=key-sampler", "python3", "/run/sampler/sampler.py"])


def stop_sampler(host: TestHost) -> tuple[list[str], int]:
    host.write_file(SAMPLER_STOP, "")
    host.run(["sh", "-c", f"while [ ! -e {SAMPLER_COUNT} ]; do sleep 0.05; done"], timeout=20)
    hits = [line for line in host.read_file(SAMPLER_HITS).splitlines() if line]
    return hits, int(host.read_file(SAMPLER_COUNT))


def world_readable_files_with_the_key(host: TestHost) -> list[str]:
    """Files holding the key that others may read (the stand-in intake's records aside)."""
    found = host.run(
        ["grep", "-rlsF", "--exclude-dir=fips-e2e-intake", API_KEY,
         "/etc", "/var", "/opt", "/tmp", "/root", "/srv", "/usr/local", "/run", "/home"],
        check=False,
    ).stdout.split()  # fmt: skip
    readable = []
    for path in found:
        if path.startswith("/run/sampler/"):
            continue
        mode = int(host.run(["stat", "-c", "%a", path]).stdout.strip(), 8)
        if mode & 0o004:
            readable.append(f"{path} ({mode:o})")
    return readable


def run_script(host: TestHost) -> tuple[int, str]:
    result = host.run(["bash", "-c", SCRIPT], env=ENVIRONMENT, check=False, timeout=600)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_a_bare_host_gets_agent_and_proxy_in_one_step_twice(
    make_host: MakeHost, family: str
) -> None:
    host = make_host(family=family, agent_installed=False, repo_configured=False)
    host.install_toolkit()
    assert not host.exists(DATADOG_YAML)
    start_sampler(host)

    status, output = run_script(host)
    assert status == 0, output
    assert host.is_active("datadog-agent") and host.is_active("datadog-fips-proxy")
    text = host.read_file(DATADOG_YAML)
    assert f"\napi_key: {API_KEY}\n" in text
    assert "\nsite: ddog-gov.com\n" in text
    assert "\nhostname: fed-web-01\n" in text
    assert '\ntags: ["team:fed", "path:/srv/app", "quote:\\"x\\""]\n' in text
    assert "\nfips:\n  enabled: true\n  https: false\n" in text
    conf = host.stat(DATADOG_YAML)
    assert (conf.owner, conf.group, conf.mode) == ("dd-agent", "dd-agent", 0o640)
    stats = host.wait_for_intake(lambda s: len(s.via_proxy()) >= 5, what="payloads via the proxy")
    assert {r["sni"] for r in stats.series} == {PROXY_METRICS_SNI}
    assert API_KEY not in output

    restarts = {u: host.service_start_timestamp(u) for u in ("datadog-agent", "datadog-fips-proxy")}
    status, output = run_script(host)
    assert status == 0, output
    assert host.read_file(DATADOG_YAML) == text
    assert {u: host.service_start_timestamp(u) for u in restarts} == restarts

    hits, rounds = stop_sampler(host)
    assert rounds > 50, "the sampler did not run through the installs"
    assert hits == [], hits
    assert world_readable_files_with_the_key(host) == []
    print(f"\n{family}: key never in a command line ({rounds} samples of every process)")


def test_a_bad_fips_mode_stops_before_touching_the_host(make_host: MakeHost) -> None:
    host = make_host(family="debian", agent_installed=False, repo_configured=False)
    result = host.run(
        ["bash", "-c", SCRIPT], env={**ENVIRONMENT, "DD_FIPS_MODE": "enabled"}, check=False
    )
    assert result.returncode == 2
    assert "DD_FIPS_MODE='enabled' is not understood" in result.stderr
    assert not host.exists("/etc/apt/sources.list.d/datadog.list")
    assert not host.exists(DATADOG_YAML)
