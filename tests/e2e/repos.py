"""Signing keys and signed local package repositories laid out like Datadog's.

``apt/`` is an apt repository (``deb ... stable 7``: ``dists/stable/InRelease`` and
``Release.gpg`` signed with gpg); ``rpm/stable/7/<arch>/`` is a ``createrepo_c``
repository of signed rpms with a signed ``repomd.xml.asc``. The container sees
the repository read-only at ``REPO_MOUNT`` (a bind mount), through ``file:`` URLs.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List

from .packages import Package
from .util import CommandError, host_run

REPO_MOUNT = "/srv/datadog-repo"
APT_KEYRING = "/usr/share/keyrings/datadog-archive-keyring.gpg"
APT_SOURCE = "/etc/apt/sources.list.d/datadog.list"
RPM_KEY = "/etc/pki/rpm-gpg/DATADOG_RPM_KEY_E2E.public"
YUM_REPO = "/etc/yum.repos.d/datadog.repo"
ZYPP_REPO = "/etc/zypp/repos.d/datadog.repo"
RPM_SUBDIR = "rpm/stable/7"


@dataclass(frozen=True)
class SigningKey:
    """A gpg key (RSA, no passphrase) in its own GNUPGHOME."""

    name: str
    gnupghome: Path
    fingerprint: str

    def gpg(self, *args: str | os.PathLike[str]) -> bytes:
        return host_run(
            ["gpg", "--batch", "--yes", "--no-tty", "--local-user", self.fingerprint, *args],
            env={"GNUPGHOME": str(self.gnupghome)},
        )

    def public_binary(self) -> bytes:
        """The public key as a binary keyring (apt ``signed-by=``)."""
        return self.gpg("--export", self.fingerprint)

    def public_armored(self) -> bytes:
        """The public key, ASCII-armored (rpm ``gpgkey=``, ``rpm --import``)."""
        return self.gpg("--armor", "--export", self.fingerprint)


class Keyring:
    """Generates signing keys in temporary GNUPGHOMEs; ``close()`` stops their gpg-agents."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.keys: List[SigningKey] = []

    def generate(self, name: str) -> SigningKey:
        home = Path(tempfile.mkdtemp(prefix=f"gnupg-{name}-", dir=self.workdir))
        home.chmod(0o700)
        uid = f"fips-setup e2e {name} key <{name}@e2e.example.invalid>"
        env = {"GNUPGHOME": str(home)}
        host_run(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "rsa2048", "sign", "1y"],
            env=env,
        )
        listing = host_run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env)
        fingerprint = next(
            line.split(":")[9] for line in listing.decode().splitlines() if line.startswith("fpr:")
        )
        key = SigningKey(name=name, gnupghome=home, fingerprint=fingerprint)
        self.keys.append(key)
        return key

    def close(self) -> None:
        while self.keys:
            key = self.keys.pop()
            with contextlib.suppress(CommandError):  # best effort while cleaning up
                host_run(["gpgconf", "--kill", "all"], env={"GNUPGHOME": str(key.gnupghome)})


class PackageRepo:
    """One test host's Datadog repository (apt and rpm flavours), rebuilt by ``publish``."""

    def __init__(self, root: Path, *, deb_arch: str, rpm_arch: str) -> None:
        self.root = root
        self.deb_arch = deb_arch
        self.rpm_arch = rpm_arch
        self.packages: Dict[Path, Package] = {}
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)

    def add(self, packages: Iterable[Package]) -> None:
        """Add packages; they are served after the next ``publish``."""
        for package in packages:
            self.packages[package.path] = package

    def publish(self, key: SigningKey) -> None:
        """Write both repositories from the packages added so far, signed with ``key``."""
        staging = Path(tempfile.mkdtemp(prefix=".publish-", dir=self.root))
        self._apt(staging / "apt", key)
        self._rpm(staging / RPM_SUBDIR / self.rpm_arch, key)
        for flavour in ("apt", "rpm"):
            old = self.root / f".old-{flavour}"
            if (self.root / flavour).exists():
                os.rename(self.root / flavour, old)
            os.rename(staging / flavour, self.root / flavour)
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging)
        for path in [self.root, *self.root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)

    def publish_keys(self, key: SigningKey) -> None:
        """Serve ``key`` in ``keys/`` under the names of Datadog's key server.

        A mirror for the one-step install script (``DD_REPO_URL``) carries the
        signing keys the script installs.
        """
        folder = self.root / "keys"
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
        for name in ("DATADOG_APT_KEY_CURRENT", "DATADOG_RPM_KEY_CURRENT"):
            path = folder / f"{name}.public"
            path.write_bytes(key.public_armored())
            path.chmod(0o644)

    def _apt(self, apt: Path, key: SigningKey) -> None:
        dist = apt / "dists" / "stable"
        binary = dist / "7" / f"binary-{self.deb_arch}"
        binary.mkdir(parents=True)
        for package in self.packages.values():
            if package.kind == "deb":
                pool = apt / "pool" / "d" / package.name
                pool.mkdir(parents=True, exist_ok=True)
                shutil.copy2(package.path, pool / package.path.name)
        (apt / "pool").mkdir(exist_ok=True)
        index = host_run(["apt-ftparchive", "packages", "pool"], cwd=apt)
        (binary / "Packages").write_bytes(index)
        (binary / "Packages.gz").write_bytes(gzip.compress(index, mtime=0))
        options = {
            "Origin": "Datadog, Inc.",
            "Label": "Datadog, Inc.",
            "Suite": "stable",
            "Codename": "stable",
            "Architectures": self.deb_arch,
            "Components": "7",
            "Description": "fips-setup e2e stand-in of Datadog's apt repository",
        }
        argv: List[str | os.PathLike[str]] = ["apt-ftparchive"]
        for field, value in options.items():
            argv += ["-o", f"APT::FTPArchive::Release::{field}={value}"]
        release = host_run([*argv, "release", "."], cwd=dist)
        (dist / "Release").write_bytes(release)
        key.gpg("--clearsign", "--output", dist / "InRelease", dist / "Release")
        key.gpg("--armor", "--detach-sign", "--output", dist / "Release.gpg", dist / "Release")

    def _rpm(self, directory: Path, key: SigningKey) -> None:
        directory.mkdir(parents=True)
        rpms = []
        for package in self.packages.values():
            if package.kind == "rpm":
                target = directory / package.path.name
                shutil.copy2(package.path, target)
                rpms.append(target)
        if rpms:
            host_run(
                [
                    "rpmsign",
                    "--addsign",
                    "--define",
                    f"_gpg_name {key.fingerprint}",
                    "--define",
                    f"_gpg_path {key.gnupghome}",
                    "--define",
                    f"__gpg {shutil.which('gpg') or '/usr/bin/gpg'}",
                    *rpms,
                ]
            )
        host_run(["createrepo_c", "--quiet", "--no-database", directory])
        repomd = directory / "repodata" / "repomd.xml"
        key.gpg("--armor", "--detach-sign", "--output", repomd.with_name("repomd.xml.asc"), repomd)


def apt_source_line() -> str:
    return f"deb [signed-by={APT_KEYRING}] file:{REPO_MOUNT}/apt stable 7\n"


def yum_repo_file(rpm_arch: str) -> str:
    return (
        "[datadog]\n"
        "name=Datadog, Inc.\n"
        f"baseurl=file://{REPO_MOUNT}/{RPM_SUBDIR}/{rpm_arch}/\n"
        "enabled=1\n"
        "gpgcheck=1\n"
        "repo_gpgcheck=1\n"
        f"gpgkey=file://{RPM_KEY}\n"
    )


def zypp_repo_file(rpm_arch: str) -> str:
    return (
        "[datadog]\n"
        "name=datadog\n"
        "enabled=1\n"
        "autorefresh=1\n"
        f"baseurl=file://{REPO_MOUNT}/{RPM_SUBDIR}/{rpm_arch}/\n"
        "type=rpm-md\n"
        "gpgcheck=1\n"
        "repo_gpgcheck=1\n"
        "pkg_gpgcheck=1\n"
        f"gpgkey=file://{RPM_KEY}\n"
    )
