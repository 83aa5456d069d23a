# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The controller side of the collection's modules: get the toolkit onto the host, then run.

The module runs first with the checksum of the toolkit the collection
carries. A host that already keeps that exact copy runs it at once (one
module run per task); a host that lacks it answers ``toolkit_missing``, and
only then is the zipapp transferred to Ansible's temporary folder there and
the module run again to keep it (checked) and use it.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, Optional, Tuple

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

#: The zipapp inside the installed collection (``make dist`` puts it there).
TOOLKIT_PYZ = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "files",
    "fips-setup.pyz",
)

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
            outcome = self._execute_module(
                module_name=self.MODULE, module_args=args, task_vars=task_vars
            )
            if outcome.get("toolkit_missing"):
                if self._connection._shell.tmpdir is None:
                    self._make_tmp_path()
                shell = self._connection._shell
                remote = shell.join_path(shell.tmpdir, "fips-setup.pyz")
                self._transfer_file(pyz, remote)
                self._fixup_perms2((shell.tmpdir, remote))
                args["_toolkit_src"] = remote
                outcome = self._execute_module(
                    module_name=self.MODULE, module_args=args, task_vars=task_vars
                )
        finally:
            if self._connection._shell.tmpdir is not None:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(outcome)
        return result
