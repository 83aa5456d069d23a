# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""Run the fips-setup toolkit on a managed host and turn its JSON into a module result.

This runs on the managed host, under the Python Ansible chose there (3.9 and
newer), with the standard library only. The toolkit is the fips-setup zipapp
the collection carries: it is kept in a folder of root's that nobody else can
write, named after its SHA-256, and checked against the checksum the
controller sent before every run, so a stale or altered copy never runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

TOOLKIT_DIR = "/var/lib/fips-setup"
AGENT_PYTHON = "/opt/datadog-agent/embedded/bin/python3"
DEFAULT_CONFIG = "/etc/datadog-agent/datadog.yaml"
#: Who must own the toolkit's folder and copy, and run it.
ROOT_UID = 0
#: ``fips-setup`` exit statuses (docs/cli.md).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: The ``error`` of a doctor that ran every check and found a failure.
CHECKS_FAILED = "checks-failed"

#: Runs an argument list (no shell); returns (exit status, stdout, stderr).
RunCommand = Callable[[List[str]], Tuple[int, str, str]]

#: Options the action plugin adds to every task: the checksum of the toolkit the
#: controller carries and, when the host lacks it, where it put a copy.
INTERNAL_OPTIONS: Dict[str, Dict[str, Any]] = {
    "_toolkit_sha256": {"type": "str"},
    "_toolkit_src": {"type": "path"},
}

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_CHUNK = 1 << 20


class ToolkitError(Exception):
    """The toolkit could not be run; the message is one line for the operator."""


def file_sha256(path: str) -> str:
    """The SHA-256 of a file, in hex. Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def private_folder(path: str = TOOLKIT_DIR) -> str:
    """Create ``path`` (root's, 0700) or check that only its owner, root, can write it.

    Raises ToolkitError: not root, or the folder is a link, not a folder, or
    someone else's or writable by others (never used then: code run as root is at stake).
    """
    if os.geteuid() != ROOT_UID:
        raise ToolkitError("fips-setup runs as root on the managed host: add 'become: true'")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ToolkitError(f"cannot create {path}: {exc.strerror}") from exc
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ToolkitError(f"{path} is not a folder (a link or a file?): remove it and run again")
    if info.st_uid != ROOT_UID or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ToolkitError(
            f"{path} must be root's and writable by nobody else (it is uid {info.st_uid},"
            f" mode {stat.S_IMODE(info.st_mode):o}): fix or remove it and run again"
        )
    return path


def toolkit_path(sha256: str, folder: str = TOOLKIT_DIR) -> str:
    """Where the toolkit with this checksum is kept. Raises ToolkitError for a bad checksum."""
    if not _SHA256.match(sha256):
        raise ToolkitError(f"not a SHA-256 checksum: {sha256!r}")
    return os.path.join(folder, f"fips-setup-{sha256}.pyz")


def verified(path: str, sha256: str) -> bool:
    """True when ``path`` is root's regular file (not a link) with this SHA-256."""
    try:
        info = os.lstat(path)
        ours = stat.S_ISREG(info.st_mode) and info.st_uid == ROOT_UID
        return ours and file_sha256(path) == sha256
    except OSError:
        return False


def installed_toolkit(sha256: str, folder: str = TOOLKIT_DIR) -> Optional[str]:
    """The kept toolkit with this checksum, or None; a copy that fails the check is deleted.

    Raises ToolkitError (see ``private_folder``).
    """
    path = toolkit_path(sha256, private_folder(folder))
    if verified(path, sha256):
        return path
    if os.path.lexists(path):
        os.unlink(path)  # stale or altered: the controller sends a good copy next
    return None


def install_toolkit(source: str, sha256: str, folder: str = TOOLKIT_DIR) -> str:
    """Keep the copy at ``source`` (checked first) as the toolkit; remove older versions.

    Written to a temporary file in the folder, synced, then renamed into
    place, and checked again there. Returns its path. Raises ToolkitError.
    """
    dest = toolkit_path(sha256, private_folder(folder))
    try:
        if file_sha256(source) != sha256:
            raise ToolkitError(
                f"the toolkit copied to this host ({source}) does not match its checksum"
                f" {sha256}: the transfer was altered or cut; run again"
            )
        handle, temporary = tempfile.mkstemp(prefix=".fips-setup-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out, open(source, "rb") as src:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.rename(temporary, dest)
        except BaseException:
            if os.path.lexists(temporary):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise ToolkitError(f"cannot keep the toolkit in {folder}: {exc}") from exc
    if not verified(dest, sha256):
        raise ToolkitError(f"{dest} does not match its checksum after writing it")
    for name in os.listdir(folder):
        old = os.path.join(folder, name)
        if name.startswith("fips-setup-") and name.endswith(".pyz") and old != dest:
            os.unlink(old)
    return dest


def ready_toolkit(sha256: Optional[str], source: Optional[str]) -> Optional[str]:
    """The kept toolkit, keeping the copy at ``source`` first when given; None: send one.

    Raises ToolkitError, also when the action plugin did not run (no checksum).
    """
    if not sha256:
        raise ToolkitError(
            "no toolkit checksum: run this module as fips_setup.datadog.* from the collection"
            " (its action plugin sends the toolkit)"
        )
    if source:
        return install_toolkit(source, sha256)
    return installed_toolkit(sha256)


def toolkit_python(
    agent_python: str = AGENT_PYTHON,
    current: Optional[str] = None,
    version: Sequence[int] = tuple(sys.version_info[:2]),
) -> str:
    """The interpreter for the toolkit: the Agent's own, else the one running this (3.9+).

    Raises ToolkitError when neither can run it.
    """
    if os.access(agent_python, os.X_OK):
        return agent_python
    current = sys.executable if current is None else current
    if current and tuple(version) >= (3, 9):
        return current
    raise ToolkitError(
        f"no Python 3.9 or newer for fips-setup: {agent_python} is missing and this host's"
        f" Python is {'.'.join(str(n) for n in version)}; install the Agent first"
    )


def proxy_arguments(params: Dict[str, Any]) -> List[str]:
    """The ``fips-setup enable``/``disable`` arguments for the fips_proxy module's options.

    Raises ToolkitError for an option that does not apply to the requested state.
    """
    enabling = params.get("state", "enabled") == "enabled"
    args = ["enable" if enabling else "disable", "--config", params.get("config") or DEFAULT_CONFIG]
    only_enabled = ("port_range_start", "local_address", "package_file")
    only_enabled_flags = ("refresh_proxy_config", "allow_other_site")
    if enabling:
        if params.get("remove_package"):
            raise ToolkitError("remove_package applies to state=disabled only")
        for name in only_enabled:
            if params.get(name) is not None:
                args += ["--" + name.replace("_", "-"), str(params[name])]
        for name in only_enabled_flags:
            if params.get(name):
                args.append("--" + name.replace("_", "-"))
        return args
    for name in only_enabled + only_enabled_flags:
        if params.get(name) not in (None, False):
            raise ToolkitError(f"{name} applies to state=enabled only")
    if params.get("remove_package"):
        args.append("--remove-package")
    return args


def parse_document(stdout: str, returncode: int, stderr: str) -> Dict[str, Any]:
    """The one JSON object fips-setup prints with ``--json``. Raises ToolkitError."""
    try:
        document = json.loads(stdout)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        lines = stderr.strip().splitlines() or stdout.strip().splitlines() or ["no output"]
        raise ToolkitError(
            f"fips-setup exited {returncode} without its JSON document: {lines[-1][:300]}"
        )
    return document


def run_toolkit(
    run_command: RunCommand, python: str, path: str, sha256: str, args: Sequence[str]
) -> Tuple[int, Dict[str, Any]]:
    """Check the kept copy once more, run ``fips-setup ARGS --json``; (exit status, document).

    ``-E -s``: no PYTHON* variable and no user site folder steer what root runs.
    Raises ToolkitError.
    """
    if not verified(path, sha256):
        raise ToolkitError(f"{path} no longer matches its checksum: not run; run again")
    returncode, stdout, stderr = run_command([python, "-E", "-s", path, *args, "--json"])
    return returncode, parse_document(stdout, returncode, stderr)


def _refusal(document: Dict[str, Any], returncode: int) -> str:
    """The toolkit's message for a failed run; a usage error says the arguments were refused."""
    msg = str(document.get("msg", ""))
    return f"fips-setup refused the arguments: {msg}" if returncode == EXIT_USAGE else msg


def ansible_diff(entry: Dict[str, Any]) -> Dict[str, str]:
    """A toolkit diff entry (``path``, ``before``, ``after``) as Ansible's diff mode shows it."""
    path = str(entry.get("path", ""))
    before = str(entry.get("before", ""))
    return {
        "before_header": path if before else f"{path} (absent)",
        "after_header": path,
        "before": before,
        "after": str(entry.get("after", "")),
    }


def proxy_result(
    document: Dict[str, Any], returncode: int, diff_mode: bool
) -> Tuple[Dict[str, Any], List[str]]:
    """The module result for an ``enable``/``disable`` document, and its warnings.

    ``changed`` is the toolkit's; a non-zero exit or ``failed`` makes the
    result failed, with the toolkit's message (a usage error says so).
    """
    result = {k: v for k, v in document.items() if k not in ("diff", "warnings", "failed")}
    result["changed"] = bool(document.get("changed", False))
    result["msg"] = str(document.get("msg", ""))
    if returncode != EXIT_OK or document.get("failed"):
        result["failed"] = True
        result["msg"] = _refusal(document, returncode)
    if diff_mode:
        result["diff"] = [ansible_diff(entry) for entry in document.get("diff") or []]
    warnings = [str(warning) for warning in document.get("warnings") or []]
    return result, warnings


def status_facts(document: Dict[str, Any], returncode: int) -> Dict[str, Any]:
    """``fips-setup status --json`` as the info module returns it. Raises ToolkitError."""
    if returncode != EXIT_OK or document.get("failed"):
        raise ToolkitError(f"fips-setup status failed: {_refusal(document, returncode)}")
    return {k: v for k, v in document.items() if k not in ("changed", "failed")}


def doctor_facts(document: Dict[str, Any], returncode: int) -> Dict[str, Any]:
    """``fips-setup doctor --json`` as the info module returns it. Raises ToolkitError.

    Exit 0 (no check failed) and exit 1 with ``error: checks-failed`` (some
    did) are answers, not module failures: ``failed`` then says which it was.
    Any other outcome means doctor could not run its checks.
    """
    answered = returncode == EXIT_OK or document.get("error") == CHECKS_FAILED
    if not answered or not isinstance(document.get("checks"), list):
        raise ToolkitError(f"fips-setup doctor could not run: {_refusal(document, returncode)}")
    facts = {k: v for k, v in document.items() if k not in ("changed", "diff", "actions")}
    facts["failed"] = returncode != EXIT_OK or bool(document.get("failed"))
    return facts


def evidence_facts(document: Dict[str, Any], returncode: int) -> Dict[str, Any]:
    """The evidence of ``fips-setup evidence --json``. Raises ToolkitError.

    Exit 0 with the document whatever the verdict: a host that is not
    compliant is an answer; anything else means the evidence was not collected.
    """
    evidence = document.get("evidence")
    if returncode != EXIT_OK or document.get("failed") or not isinstance(evidence, dict):
        msg = str(document.get("msg", "")) or f"exit status {returncode}"
        raise ToolkitError(f"fips-setup evidence could not collect the evidence: {msg}")
    return evidence
