"""Small helpers shared by the e2e harness: host commands, polling, prerequisites."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Sequence, TypeVar, Union

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO = E2E_DIR.parent.parent
#: CI sets this: a missing prerequisite fails the e2e tests instead of skipping them.
REQUIRED = (
    os.environ.get("FIPS_SETUP_E2E_REQUIRED") == "1" or os.environ.get("FIPS_SETUP_CI") == "1"
)
#: Host tools the harness runs (Debian packages: see debian-packages.txt).
HOST_TOOLS = (
    "mmdebstrap",
    "systemd-nspawn",
    "nsenter",
    "mount",
    "umount",
    "chroot",
    "dpkg-deb",
    "apt-ftparchive",
    "rpmbuild",
    "rpmsign",
    "createrepo_c",
    "gpg",
    "gpgconf",
    "openssl",
)

T = TypeVar("T")


class CommandError(RuntimeError):
    """A command exited non-zero; the message carries its output."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            f"command {list(argv)!r} exited {returncode}\n"
            f"--- stdout ---\n{stdout[-4000:]}\n--- stderr ---\n{stderr[-4000:]}"
        )


def make_target(target: str, timeout: float = 900) -> None:
    """``make TARGET`` in the checkout, one at a time across processes.

    Parallel test workers (pytest-xdist) share ``build/`` and ``dist/``, and a
    make target there starts with ``rm -rf build/...``: a lock file keeps two
    workers from building at once (the second finds the target up to date).
    """
    host_run(
        ["flock", str(REPO / ".e2e-make.lock"), "make", "-C", str(REPO), "--no-print-directory",
         target],
        timeout=timeout,
    )  # fmt: skip


def host_run(
    argv: Sequence[Union[str, os.PathLike[str]]],
    *,
    cwd: Optional[Path] = None,
    env: Optional[Mapping[str, str]] = None,
    input: Optional[bytes] = None,
    timeout: float = 300,
) -> bytes:
    """Run a command on the test machine (not in a container); its stdout, or CommandError."""
    args = [os.fspath(a) for a in argv]
    full_env = None if env is None else {**os.environ, **env}
    proc = subprocess.run(
        args,
        cwd=cwd,
        env=full_env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise CommandError(
            args,
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )
    return proc.stdout


def wait_until(
    probe: Callable[[], Optional[T]],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
) -> T:
    """Poll ``probe`` until it returns something truthy; that value, or TimeoutError.

    Exceptions from ``probe`` count as "not yet"; the last one is reported on timeout.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except Exception as exc:  # reported on timeout
            last = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def tree_hash(paths: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """A short content hash of files (recursing into directories) and extra strings."""
    digest = hashlib.sha256()
    for text in extra:
        digest.update(text.encode() + b"\0")
    for root in sorted(paths):
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            inside = path.relative_to(root).parts if root.is_dir() else ()
            if any(part.startswith(".") or part == "__pycache__" for part in inside):
                continue  # caches (.mypy_cache, __pycache__), editor files
            digest.update(str(path.relative_to(REPO)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def put_file(root: Path, path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``path`` in the tree at ``root`` (not booted), replacing a symlink there."""
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        target.unlink()
    target.write_bytes(data)
    target.chmod(mode)


def shared_dir() -> Path:
    """The shared folder of vendor fixtures (``$FIPS_SETUP_SHARED``, else ``../shared``)."""
    return Path(os.environ.get("FIPS_SETUP_SHARED", REPO.parent / "shared"))


def missing_prerequisites() -> list[str]:
    """Why the e2e tests cannot run here (empty when they can)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("not root (systemd-nspawn and mount need root)")
    tools = [tool for tool in HOST_TOOLS if shutil.which(tool) is None]
    if tools:
        missing.append(f"missing tools {', '.join(tools)} (see tests/e2e/debian-packages.txt)")
    try:
        if "overlay" not in Path("/proc/filesystems").read_text():
            missing.append("no overlay file system in this kernel")
    except OSError:
        missing.append("cannot read /proc/filesystems")
    return missing


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it when FIPS_SETUP_E2E_REQUIRED=1 (CI)."""
    if REQUIRED:
        pytest.fail(f"e2e prerequisite missing (FIPS_SETUP_E2E_REQUIRED=1): {reason}")
    pytest.skip(reason)
