"""Session-wide e2e harness: image, signing keys, stand-in packages, the toolkit, hosts.

``Harness.make_host`` boots a host with the signed Datadog repository configured
for its family and, by default, the stand-in Agent installed through the real
package manager and reporting directly to the stand-in intake.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

from .host import DIRECT_SNI, TestHost
from .image import Image
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
from .util import REPO, make_target

#: The fake API key every test host's Agent uses (32 hex digits, like a real one).
#: Tests grep outputs for it to prove it is never shown.
API_KEY = "e2e0fa4e1d2c3b4a59687f0e1d2c3b4a"
SITE = "ddog-gov.com"
DATADOG_YAML = "/etc/datadog-agent/datadog.yaml"


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
        self._zipapp: Optional[Path] = None
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
        repo_configured: bool = True,
        more_agent_versions: Sequence[str] = (),
        fips_agent_versions: Sequence[str] = (),
    ) -> TestHost:
        """Boot a host of ``family`` ("debian", "rhel" or "suse").

        Its own Datadog repository (``host.repo``) holds ``datadog-agent``
        ``agent_version`` (and ``more_agent_versions``), ``datadog-fips-agent``
        ``fips_agent_versions``, on Debian ``datadog-signing-keys`` (the key the
        host trusts) and, with ``proxy_repo``, ``datadog-fips-proxy``
        ``proxy_version``, signed with the key the host trusts (with ``agent_installed``
        the newest Agent there is installed: publish newer ones afterwards). With
        ``agent_installed``, the Agent is installed from it through the family's
        package manager, ``datadog.yaml`` is created from the example (``api_key``
        API_KEY, ``site: ddog-gov.com``, dd-agent:dd-agent, 640) and the Agent is
        reporting directly to the intake when this returns. With ``bad_signature``
        the repository is signed by a key the host does not trust (after the
        Agent's install, when there is one). Without ``repo_configured`` the host
        knows neither the repository nor its key (a bare host for the one-step
        install script, which sets both up from the mirror's ``keys/``).
        """
        kind = "deb" if family == "debian" else "rpm"
        repo = self.new_repo()
        repo.add(self.packages.agent(v, kind) for v in (agent_version, *more_agent_versions))
        repo.add(self.packages.fips_agent(v, kind) for v in fips_agent_versions)
        if kind == "deb":
            repo.add([self.packages.signing_keys(self.trusted_key.public_binary())])
        if proxy_repo:
            repo.add([self.packages.fips_proxy(proxy_version, kind)])
        sign_bad_now = bad_signature and not agent_installed
        repo.publish(self.untrusted_key if sign_bad_now else self.trusted_key)

        host = TestHost(
            self.image,
            family=family,
            binds_ro={repo.root: REPO_MOUNT},
            zipapp=self.zipapp,
            workdir=self.workdir,
        )
        host.repo = repo
        self.hosts.append(host)
        try:
            self._provision(
                host,
                repo,
                agent_installed=agent_installed,
                bad_signature=bad_signature,
                repo_configured=repo_configured,
            )
        except BaseException:
            host.shutdown()
            raise
        return host

    def _provision(
        self,
        host: TestHost,
        repo: PackageRepo,
        *,
        agent_installed: bool,
        bad_signature: bool,
        repo_configured: bool,
    ) -> None:
        repo.publish_keys(self.trusted_key)
        if not repo_configured:
            host.boot()
            return
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

    def zipapp(self) -> Path:
        """The toolkit as users get it on a new host: ``dist/fips-setup.pyz`` (built once).

        Built by ``make dist/fips-setup.pyz`` (pure-Python dependencies resolved
        for the oldest supported Python), so the hosts run exactly what the
        one-step install script runs, with the Agent's embedded python3.
        """
        if self._zipapp is None:
            make_target("dist/fips-setup.pyz", timeout=600)
            self._zipapp = REPO / "dist" / "fips-setup.pyz"
        return self._zipapp
