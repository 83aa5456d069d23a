"""Session-wide e2e harness: image, signing keys, stand-in packages, wheelhouse, hosts.

``Harness.make_host`` boots a host with the signed Datadog repository configured
for its family and, by default, the stand-in Agent installed through the real
package manager and reporting directly to the stand-in intake.
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional

from .host import DIRECT_SNI, TestHost
from .image import Image, cache_root
from .packages import DEFAULT_AGENT_VERSION, DEFAULT_PROXY_VERSION, PackageBuilder
from .repos import (
    APT_KEYRING,
    APT_SOURCE,
    REPO_MOUNT,
    RPM_KEY,
    YUM_REPO,
    ZYPP_REPO,
    Keyring,
    PackageRepo,
    apt_source_line,
    yum_repo_file,
    zypp_repo_file,
)
from .util import REPO, CommandError, host_run, skip_or_fail, tree_hash

#: The fake API key every test host's Agent uses (32 hex digits, like a real one).
#: Tests grep outputs for it to prove it is never shown.
API_KEY = "e2e0fa4e1d2c3b4a59687f0e1d2c3b4a"
SITE = "ddog-gov.com"
DATADOG_YAML = "/etc/datadog-agent/datadog.yaml"
#: Files of the repository that make up the toolkit's wheel.
TOOLKIT_SOURCES = ("pyproject.toml", "README.md", "installer", "fipsconf")


def find_python311() -> Optional[str]:
    """A Python 3.11 with pip (the test host's version) to build the wheelhouse with."""
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [
        os.environ.get("FIPS_SETUP_E2E_PYTHON311", ""),
        shutil.which("python3.11") or "",
        *sorted(glob.glob(f"{pyenv_root}/versions/3.11.*/bin/python3"), reverse=True),
        "/usr/bin/python3",
    ]
    probe = "import sys, pip; print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        try:
            if host_run([candidate, "-c", probe]).strip() == b"3.11":
                return candidate
        except (CommandError, OSError):
            continue
    return None


def datadog_yaml_from_example(example: str, api_key: str = API_KEY, site: str = SITE) -> str:
    """``datadog.yaml`` as an operator makes it: the example with ``api_key`` and ``site`` set."""
    text, found = re.subn(r"(?m)^api_key:.*$", f"api_key: {api_key}", example, count=1)
    if not found:
        raise ValueError("the example has no 'api_key:' line")
    for pattern in (r"(?m)^site:.*$", r"(?m)^# site:.*$"):
        text, found = re.subn(pattern, f"site: {site}", text, count=1)
        if found:
            return text
    return re.sub(r"(?m)^(api_key:.*)$", rf"\1\nsite: {site}", text, count=1)


class Harness:
    """Everything the session's hosts share. ``close()`` removes it all."""

    def __init__(self, image: Image, workdir: Optional[Path] = None) -> None:
        self.image = image
        self.workdir = Path(tempfile.mkdtemp(prefix="fips-setup-e2e-", dir=workdir))
        self.keyring = Keyring(self.workdir)
        self.trusted_key = self.keyring.generate("datadog")
        self.untrusted_key = self.keyring.generate("untrusted")
        self.packages = PackageBuilder(self.workdir / "packages")
        self.hosts: List[TestHost] = []
        self._wheelhouse: Optional[Path] = None
        self._repos = 0
        atexit.register(self.close)

    def close(self) -> None:
        """Shut every host down, stop gpg-agents, delete the work directory (idempotent)."""
        try:
            while self.hosts:
                self.hosts.pop().shutdown()
        finally:
            try:
                self.keyring.close()
            finally:
                shutil.rmtree(self.workdir, ignore_errors=True)

    # -- hosts -------------------------------------------------------------------

    def new_repo(self) -> PackageRepo:
        self._repos += 1
        return PackageRepo(
            self.workdir / f"repo-{self._repos}",
            deb_arch=self.packages.deb_arch,
            rpm_arch=self.packages.rpm_arch,
        )

    def make_host(
        self,
        family: str = "debian",
        agent_version: str = DEFAULT_AGENT_VERSION,
        agent_installed: bool = True,
        proxy_repo: bool = True,
        bad_signature: bool = False,
        proxy_version: str = DEFAULT_PROXY_VERSION,
    ) -> TestHost:
        """Boot a host of ``family`` ("debian", "rhel" or "suse").

        Its own Datadog repository (``host.repo``) holds ``datadog-agent``
        ``agent_version`` and, with ``proxy_repo``, ``datadog-fips-proxy``
        ``proxy_version``, signed with the key the host trusts. With
        ``agent_installed``, the Agent is installed from it through the family's
        package manager, ``datadog.yaml`` is created from the example (``api_key``
        API_KEY, ``site: ddog-gov.com``, dd-agent:dd-agent, 640) and the Agent is
        reporting directly to the intake when this returns. With ``bad_signature``
        the repository is signed by a key the host does not trust (after the
        Agent's install, when there is one).
        """
        kind = "deb" if family == "debian" else "rpm"
        repo = self.new_repo()
        repo.add([self.packages.agent(agent_version, kind)])
        if proxy_repo:
            repo.add([self.packages.fips_proxy(proxy_version, kind)])
        sign_bad_now = bad_signature and not agent_installed
        repo.publish(self.untrusted_key if sign_bad_now else self.trusted_key)

        host = TestHost(
            self.image,
            family=family,
            binds_ro={repo.root: REPO_MOUNT},
            wheelhouse=self.wheelhouse,
            workdir=self.workdir,
        )
        host.repo = repo
        self.hosts.append(host)
        try:
            self._provision(
                host, repo, agent_installed=agent_installed, bad_signature=bad_signature
            )
        except BaseException:
            host.shutdown()
            raise
        return host

    def _provision(
        self, host: TestHost, repo: PackageRepo, *, agent_installed: bool, bad_signature: bool
    ) -> None:
        if host.family == "debian":
            host.seed_file(APT_SOURCE, apt_source_line())
            host.seed_file(APT_KEYRING, self.trusted_key.public_binary())
        else:
            host.seed_file(RPM_KEY, self.trusted_key.public_armored())
            if host.family == "rhel":
                host.seed_file(YUM_REPO, yum_repo_file(self.packages.rpm_arch))
            else:
                host.seed_file(ZYPP_REPO, zypp_repo_file(self.packages.rpm_arch))
        host.boot()
        if host.family == "suse":
            host.run(["rpm", "--import", RPM_KEY])
        if agent_installed:
            host.install_packages("datadog-agent")
            self.configure_agent(host)
            if bad_signature:
                repo.publish(self.untrusted_key)

    def configure_agent(self, host: TestHost) -> None:
        """Create ``datadog.yaml`` from the example, (re)start the Agent, wait for a payload."""
        example = host.read_file(DATADOG_YAML + ".example")
        host.write_file(
            DATADOG_YAML, datadog_yaml_from_example(example), mode=0o640, owner="dd-agent:dd-agent"
        )
        host.systemctl("restart", "datadog-agent")
        host.wait_for_intake(
            lambda stats: any(r["sni"] == DIRECT_SNI for r in stats.series),
            timeout=20,
            what="the Agent's first direct payload",
        )

    # -- the toolkit -------------------------------------------------------------

    def wheelhouse(self) -> Path:
        """Wheels of fips-setup and its dependencies for the hosts' Python 3.11 (built once).

        Dependencies are cached under the cache root, keyed by pyproject.toml; the
        fips-setup wheel is built from the working tree once per session.
        """
        if self._wheelhouse is not None:
            return self._wheelhouse
        python = find_python311()
        if python is None:
            skip_or_fail("no Python 3.11 to build the toolkit's wheels (FIPS_SETUP_E2E_PYTHON311)")
        assert python is not None
        source = self.workdir / "toolkit-src"
        for name in TOOLKIT_SOURCES:
            src = REPO / name
            if src.is_dir():
                shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.is_file():
                source.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, source / name)
        house = self.workdir / "wheelhouse"
        host_run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", house, source])
        deps = cache_root() / f"wheels-{tree_hash([REPO / 'pyproject.toml'], extra=[python])}"
        if not (deps / "ready").is_file():
            building = deps.with_name(deps.name + f".build-{os.getpid()}")
            shutil.rmtree(building, ignore_errors=True)
            own = next(house.glob("*.whl"))
            host_run([python, "-m", "pip", "wheel", "--quiet", "-w", building, own], timeout=600)
            (building / own.name).unlink()
            (building / "ready").write_text("")
            shutil.rmtree(deps, ignore_errors=True)
            os.rename(building, deps)
        for wheel in deps.glob("*.whl"):
            shutil.copy2(wheel, house / wheel.name)
        self._wheelhouse = house
        return house
