"""The test host image: a Debian 12 root file system built with mmdebstrap, cached.

The image is built once and reused while neither the package list nor the
image-building code changes (the cache key hashes both). Each scenario boots a
throwaway overlay on top of it (see host.py), so the cached tree is never
written to after it is built.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Union

from .tlsca import TestCA, make_test_ca
from .util import E2E_DIR, host_run, put_file, tree_hash

SUITE = "bookworm"
#: Debian packages inside the test host (the harness needs them all; keep sorted).
IMAGE_PACKAGES = (
    "ca-certificates",
    "curl",
    "dbus",
    "dnf",
    "dnsmasq",
    "gnupg",
    "haproxy",
    "iproute2",
    "nftables",
    "openssh-server",
    "passwd",
    "procps",
    "python3",
    "python3-venv",
    "python3-yaml",
    "rpm",
    "sudo",
    "systemd",
    "systemd-sysv",
    "zypper",
)
#: Timers that would start package managers or other background work during a test.
MASKED_UNITS = (
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "dpkg-db-backup.timer",
    "fstrim.timer",
    "dnf-makecache.timer",
)
HOSTNAME = "fips-e2e-host"
#: Where the image's files come from: hashed into the cache key with the package list.
IMAGE_SOURCES = (
    E2E_DIR / "image.py",
    E2E_DIR / "tlsca.py",
    E2E_DIR / "util.py",
    E2E_DIR / "image",
)
KEEP_UNUSED_DAYS = 7


def cache_root() -> Path:
    """Outside the checkout: ``$FIPS_SETUP_E2E_CACHE``, else ``/var/cache/fips-setup-e2e``."""
    return Path(os.environ.get("FIPS_SETUP_E2E_CACHE", "/var/cache/fips-setup-e2e"))


@dataclass(frozen=True)
class Image:
    """A built image: its root file system and the test CA baked into it."""

    key: str
    rootfs: Path
    ca: TestCA


def image_key() -> str:
    return tree_hash(IMAGE_SOURCES, extra=(SUITE, *IMAGE_PACKAGES))


@contextlib.contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """An exclusive lock on the cache directory (concurrent sessions build once)."""
    cache_root().mkdir(parents=True, exist_ok=True)
    fd = os.open(cache_root() / name, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ensure_image(log: Callable[[str], None] = print) -> Image:
    """The cached image for the current key, built first if needed (about a minute)."""
    key = image_key()
    final = cache_root() / f"image-{key}"
    with cache_lock(".image.lock"):
        # Builds hold the lock: any build directory left now is from an interrupted run.
        for stale in cache_root().glob(".build-image-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if not (final / "ready").is_file():
            build = cache_root() / f".build-image-{key}"
            try:
                started = time.monotonic()
                log(f"building the e2e test host image {final} ...")
                _build(build)
                (build / "ready").write_text(f"{time.time()}\n")
                os.rename(build, final)
                log(f"built the e2e image in {time.monotonic() - started:.1f}s")
            finally:
                shutil.rmtree(build, ignore_errors=True)
        (final / "last-used").write_text(f"{time.time()}\n")
        _prune(keep=final)
    return Image(
        key=key,
        rootfs=final / "rootfs",
        ca=TestCA(
            ca_cert=final / "ca" / "ca.crt",
            intake_cert=final / "ca" / "intake.crt",
            intake_key=final / "ca" / "intake.key",
        ),
    )


def _build(build: Path) -> None:
    build.mkdir(parents=True)
    ca = make_test_ca(build / "ca")
    rootfs = build / "rootfs"
    argv: List[Union[str, Path]] = [
        "mmdebstrap",
        "--variant=apt",
        "--include=" + ",".join(IMAGE_PACKAGES),
        SUITE,
        rootfs,
    ]
    mirror = os.environ.get("FIPS_SETUP_E2E_MIRROR")
    if mirror:
        argv.append(mirror)
    host_run(argv, timeout=1200)
    _customize(rootfs, ca)


def _customize(rootfs: Path, ca: TestCA) -> None:
    """Offline host, local DNS for the intake names, the test CA, the stand-in intake."""
    src = E2E_DIR / "image"
    put_file(rootfs, "/etc/hostname", f"{HOSTNAME}\n".encode())
    put_file(
        rootfs,
        "/etc/hosts",
        f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        f"127.0.1.1\t{HOSTNAME}\n".encode(),
    )
    put_file(rootfs, "/etc/resolv.conf", b"nameserver 127.0.0.1\n")
    put_file(rootfs, "/etc/apt/sources.list", b"# fips-setup e2e test host: no Debian mirror\n")
    # One rpm database for rpm, dnf and zypper (Debian's rpm defaults to ~/.rpmdb).
    put_file(rootfs, "/etc/rpm/macros", b"%_dbpath /var/lib/rpm\n")
    put_file(rootfs, "/etc/dnf/vars/releasever", b"9\n")
    for directory in ("etc/yum.repos.d", "etc/zypp/repos.d", "etc/pki/rpm-gpg"):
        (rootfs / directory).mkdir(parents=True, exist_ok=True)
    put_file(rootfs, "/etc/dnsmasq.d/fips-e2e.conf", (src / "dnsmasq-fips-e2e.conf").read_bytes())
    put_file(
        rootfs,
        "/usr/local/share/ca-certificates/fips-e2e-test-ca.crt",
        ca.ca_cert.read_bytes(),
    )
    put_file(rootfs, "/usr/local/lib/fips-e2e/intake.py", (src / "intake.py").read_bytes(), 0o755)
    put_file(rootfs, "/etc/fips-e2e-intake/intake.crt", ca.intake_cert.read_bytes())
    put_file(rootfs, "/etc/fips-e2e-intake/intake.key", ca.intake_key.read_bytes(), 0o600)
    put_file(
        rootfs,
        "/etc/systemd/system/fips-e2e-intake.service",
        (src / "fips-e2e-intake.service").read_bytes(),
    )
    commands: List[List[str]] = [
        ["rpm", "--initdb"],
        ["update-ca-certificates"],
        ["systemctl", "enable", "fips-e2e-intake.service"],
        ["systemctl", "disable", "haproxy.service"],  # the proxy package brings its own
        ["systemctl", "mask", *MASKED_UNITS],
    ]
    for argv in commands:
        host_run(["chroot", rootfs, *argv], env={"LANG": "C.UTF-8"})


def _prune(keep: Path) -> None:
    """Delete other images not used for KEEP_UNUSED_DAYS."""
    cutoff = time.time() - KEEP_UNUSED_DAYS * 86400
    for image in cache_root().glob("image-*"):
        stamp = image / "last-used"
        if image != keep and (not stamp.exists() or stamp.stat().st_mtime < cutoff):
            shutil.rmtree(image, ignore_errors=True)
