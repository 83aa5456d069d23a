"""Entry point of the fips-setup zipapp (copied to the archive's ``__main__.py``).

Python imports from a zip archive without writing bytecode, so every run
would compile typer, rich and ruamel.yaml again (about half a second). The
archive is therefore unpacked once into a private cache folder named after
its own SHA-256, and run from there, where bytecode is cached as usual.

Packages that only ``--help`` imports (pygments and markdown for Typer's
help) stay in the archive, which stays at the end of the import path:
unpacking is then half the files. requests and its helpers are unpacked:
``doctor`` and ``verify`` use them, and compiling them from the archive on
every run would cost a third of a second.

The cache folder must be owned by the user running fips-setup and not
writable by anyone else (code run as root is at stake); otherwise, or when
no such folder can be made, fips-setup runs from the archive itself.
"""

import hashlib
import os
import stat
import sys
from typing import Optional

#: Top-level packages left in the archive (imported from it, rarely or never).
LEFT_IN_ARCHIVE = (
    "pygments/",
    "markdown_it/",
    "mdurl/",
)


def _cache_root() -> str:
    if os.geteuid() == 0:
        return "/var/cache/fips-setup"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fips-setup")


def _private_folder(path: str) -> bool:
    """True when ``path`` is a folder of ours that nobody else may write."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _unpacked(archive: str) -> Optional[str]:
    """The folder holding ``archive``'s contents, unpacking it if needed (None: not safely)."""
    with open(archive, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:24]
    root = _cache_root()
    try:
        os.makedirs(root, mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not _private_folder(root):
        return None
    target = os.path.join(root, digest)
    if _private_folder(target) and os.path.exists(os.path.join(target, ".complete")):
        return target
    import shutil  # only to unpack: a warm start does without them
    import tempfile
    import zipfile

    try:
        staging = tempfile.mkdtemp(prefix=".unpack-", dir=root)
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.namelist() if not m.startswith(LEFT_IN_ARCHIVE)]
            bundle.extractall(staging, members)
        open(os.path.join(staging, ".complete"), "w").close()
        os.rename(staging, target)
    except OSError:
        # another run unpacked it meanwhile, or the disk is full: use what is there
        return target if _private_folder(target) else None
    for old in os.listdir(root):  # earlier versions' folders
        if old != os.path.basename(target):
            shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    return target


def main() -> None:
    archive = os.path.abspath(sys.path[0])
    if os.path.isfile(archive):  # run as an archive (a folder when run unpacked)
        try:
            folder = _unpacked(archive)
        except OSError:
            folder = None
        if folder is not None:
            sys.path[0] = folder
            sys.path.append(archive)  # last: consulted only for what is left in it
            # The folder exists for its bytecode: cache it even where the
            # environment says not to (PYTHONDONTWRITEBYTECODE, as in containers).
            sys.dont_write_bytecode = False
    from installer.cli.main import run

    run()


if __name__ == "__main__":
    main()
