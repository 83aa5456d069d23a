# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The controller side of the collection's modules: get the toolkit onto the host, then run.

Each task runs the module once. Whether the host keeps the exact toolkit the
collection carries is known from the previous task on that host (the fact
``fips_setup_toolkit_sha256``), else asked with one shell command (``test -f``,
far cheaper than a module run); a host that lacks it gets the zipapp in
Ansible's temporary folder there, and the module keeps it (checked) before it
runs it. The module checks the checksum of the kept copy before every run
whatever the hint said: a copy that fails the check is deleted and the module
answers ``toolkit_missing``, and only then is the zipapp sent and the module
run a second time.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, Optional, Tuple

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.fips_setup.datadog.plugins.module_utils.toolkit import toolkit_path

#: The zipapp inside the installed collection (``make dist`` puts it there).
TOOLKIT_PYZ = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "files",
    "fips-setup.pyz",
)

#: The fact that tells the next task which toolkit the host keeps (a hint: the module checks).
KEPT_FACT = "fips_setup_toolkit_sha256"

_checksums: Dict[Tuple[str, int, int], str] = {}


def bundled_toolkit(path: str = TOOLKIT_PYZ) -> Tuple[str, str]:
    """The collection's zipapp and its SHA-256 (computed once per file version).

    Raises AnsibleActionFail when the collection carries none.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise AnsibleActionFail(
            f"this copy of fips_setup.datadog carries no toolkit ({path}: {exc.strerror});"
            " install the collection built by 'make dist'"
        ) from exc
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _checksums:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _checksums[key] = digest.hexdigest()
    return path, _checksums[key]


class ToolkitAction(ActionBase):
    """Runs ``MODULE``, sending the toolkit first when the host lacks it."""

    MODULE = ""
    _supports_check_mode = True
    _supports_async = False

    def run(
        self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Run the module on the host; its result."""
        result: Dict[str, Any] = super().run(tmp, task_vars)
        del tmp  # unused since Ansible 2.5
        pyz, sha256 = bundled_toolkit()
        args = dict(self._task.args, _toolkit_sha256=sha256)
        try:
            if not self._host_keeps(sha256, task_vars or {}):
                args["_toolkit_src"] = self._send(pyz)
            outcome = self._execute_module(
                module_name=self.MODULE, module_args=args, task_vars=task_vars
            )
            if outcome.get("toolkit_missing"):  # the kept copy failed its check: deleted
                args["_toolkit_src"] = self._send(pyz)
                outcome = self._execute_module(
                    module_name=self.MODULE, module_args=args, task_vars=task_vars
                )
        finally:
            if self._connection._shell.tmpdir is not None:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        if not outcome.get("failed") and not outcome.get("toolkit_missing"):
            outcome.setdefault("ansible_facts", {})[KEPT_FACT] = sha256
        result.update(outcome)
        return result

    def _host_keeps(self, sha256: str, task_vars: Dict[str, Any]) -> bool:
        """Whether the host keeps this toolkit: the previous task's fact, else ``test -f``."""
        if task_vars.get("ansible_facts", {}).get(KEPT_FACT) == sha256:
            return True
        probe = self._low_level_execute_command(f"test -f {toolkit_path(sha256)}", sudoable=True)
        return bool(probe.get("rc") == 0)

    def _send(self, pyz: str) -> str:
        """Copy the zipapp to Ansible's temporary folder on the host; the remote path."""
        if self._connection._shell.tmpdir is None:
            self._make_tmp_path()
        shell = self._connection._shell
        remote: str = shell.join_path(shell.tmpdir, "fips-setup.pyz")
        self._transfer_file(pyz, remote)
        self._fixup_perms2((shell.tmpdir, remote))
        return remote
