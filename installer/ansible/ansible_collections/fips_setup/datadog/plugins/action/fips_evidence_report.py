# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""Action plugin of fips_setup.datadog.fips_evidence_report: the merge, on the controller."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.fips_setup.datadog.plugins.plugin_utils.toolkit_action import (
    bundled_toolkit,
)

ARGUMENTS = {
    "evidence": {"type": "list", "elements": "dict", "required": True},
    "dest": {"type": "path", "required": True},
    "format": {
        "type": "str",
        "choices": ["html", "hdf", "oscal", "csv", "json"],
        "default": "html",
    },
}
#: ``evidence merge`` of a thousand hosts takes seconds; more means something is wrong.
TIMEOUT = 300


class ActionModule(ActionBase):  # type: ignore[misc]
    """Joins the hosts' evidence with the toolkit the collection carries, on the controller."""

    _supports_check_mode = True
    _supports_async = False

    def run(
        self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Write each document to a private folder, then ``fips-setup evidence merge`` them."""
        result: Dict[str, Any] = super().run(tmp, task_vars)
        del tmp  # unused since Ansible 2.5
        args = self.validate_argument_spec(argument_spec=ARGUMENTS)[1]
        documents: List[Dict[str, Any]] = args["evidence"]
        if not documents:
            raise AnsibleActionFail("no evidence to join: give each host's fips.evidence")
        dest = os.path.abspath(os.path.expanduser(args["dest"]))
        pyz = bundled_toolkit()[0]
        folder = tempfile.mkdtemp(prefix="fips-evidence-")  # mode 0700, the controller user's
        try:
            files = []
            for index, document in enumerate(documents):
                name = os.path.join(folder, f"{index:05d}.json")
                with open(name, "w", encoding="utf-8") as handle:
                    json.dump(document, handle)
                files.append(name)
            argv = [sys.executable, "-I", pyz, "evidence", "merge", *files]
            argv += ["--format", args["format"], "--json"]
            if not self._task.check_mode:
                argv += ["--output", dest]
            try:
                proc = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise AnsibleActionFail(
                    f"fips-setup evidence merge took over {TIMEOUT} s"
                ) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        try:
            answer = json.loads(proc.stdout)
        except ValueError:
            raise AnsibleActionFail(
                f"fips-setup evidence merge printed no JSON (exit {proc.returncode}):"
                f" {proc.stderr.strip()[-500:]}"
            ) from None
        if proc.returncode != 0 or answer.get("failed"):
            # the one-line message names the document (by its place in the list) and the problem
            message = str(answer.get("msg", ""))
            for index, name in enumerate(files):
                message = message.replace(name, f"evidence[{index}]")
            result.update(failed=True, msg=message)
            return result
        result.update(
            changed=not self._task.check_mode,
            msg=answer.get("msg", ""),
            summary=answer.get("summary", {}),
            dest=None if self._task.check_mode else dest,
        )
        return result
