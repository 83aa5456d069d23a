#!/usr/bin/python
# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The fips_proxy module: the Datadog Agent FIPS Proxy on a host, and the move to the FIPS Agent."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fips_proxy
short_description: Enable or disable the Datadog Agent FIPS Proxy, or move a host to the FIPS Agent
version_added: 0.1.0
description:
  - With O(state=enabled), installs C(datadog-fips-proxy), creates its configuration, starts it
    and waits until its 16 ports accept connections, and only then sets C(fips.enabled=true) and
    C(fips.https=false) in C(datadog.yaml) and restarts the Agent, so that no payload is lost.
    This is C(fips-setup enable).
  - With O(state=disabled), points the Agent back at Datadog first, restarts it, then stops the
    proxy. This is C(fips-setup disable).
  - With O(state=fips_agent), moves the host to the FIPS Agent (C(datadog-fips-agent)), which
    the vendor now recommends over the proxy, at one exact version. The FIPS Agent is
    downloaded while the Agent runs; then the Agent is stopped and removed (never purged),
    C(fips.enabled) set to C(false), the FIPS Agent installed, started and verified (its status
    shows the FIPS Mode V(enabled) and its connectivity check passes), and only then the proxy
    stopped and disabled. A step that fails undoes the move, and the exact previous Agent is
    back, sending through the proxy. This is C(fips-setup migrate).
  - The way back is O(state=enabled) with O(rollback=true). When the newest run fips-setup
    journalled on the host is a C(migrate), C(fips-setup rollback) undoes it (the FIPS Agent
    removed, the exact previous Agent version and the recorded files put back, the proxy
    reinstalled if it was removed, started and enabled), then C(fips-setup enable) makes sure
    the Agent sends through the proxy. On a host with no such move to undo it is
    O(state=enabled) alone, so running the task again changes nothing.
  - Every check (root, platform, Agent version, site, C(DD_FIPS_*) overrides, free ports) runs
    before the first change; a step that fails undoes the steps before it and the message says
    what state the host is in.
  - A run on a host that is already as asked changes nothing and restarts nothing.
options:
  state:
    description:
      - V(enabled) routes the Agent through the FIPS proxy; V(disabled) sends directly again;
        V(fips_agent) replaces the Agent and its proxy with the FIPS Agent.
    type: str
    choices: [enabled, disabled, fips_agent]
    default: enabled
  port_range_start:
    description:
      - First of the proxy's 16 ports (C(fips.port_range_start)); the Agent's default is 9803.
      - Only with O(state=enabled).
    type: int
  local_address:
    description:
      - Loopback address the proxy listens on (C(fips.local_address)); the Agent's default is
        C(localhost). Only C(localhost), 127.0.0.0/8 and C(::1) are accepted.
      - Only with O(state=enabled).
    type: str
  package_file:
    description:
      - A package file on the managed host, installed instead of the package from the Datadog
        repository (air-gapped hosts). With O(state=enabled), a C(.deb) or C(.rpm) of
        C(datadog-fips-proxy); with O(state=fips_agent), one of C(datadog-fips-agent) 7.65 or
        newer. Not with O(state=disabled).
    type: path
  refresh_proxy_config:
    description:
      - Replace a proxy configuration that differs from the package's example (a backup is kept
        and its DNS nameservers carried over). Only with O(state=enabled).
    type: bool
    default: false
  allow_other_site:
    description:
      - Enable even though C(site) is not C(ddog-gov.com); the proxy only forwards to US1-FED.
        Only with O(state=enabled). A US2-FED site (C(us2.ddog-gov.com)) is refused all the
        same, as the proxy would carry its payloads to the US1-FED intake.
    type: bool
    default: false
  remove_package:
    description:
      - Also remove the C(datadog-fips-proxy) package. Only with O(state=disabled).
    type: bool
    default: false
  rollback:
    description:
      - With O(state=enabled), bring a host that C(fips-setup migrate) moved to the FIPS Agent
        back to the proxy, through C(fips-setup rollback) of that move, then enable the proxy
        as O(state=enabled) does.
      - Only the move itself is undone, and only when it is the newest run fips-setup can undo
        on the host; a host that runs the FIPS Agent for another reason (installed by hand, or
        changed by fips-setup since) is refused, naming the newest run.
      - On a host that was not moved, or was brought back already, nothing is rolled back.
    type: bool
    default: false
  agent_version:
    description:
      - The FIPS Agent version to install, V(7.65.2) or the exact package version V(1:7.65.2-1);
        by default the newest stable version from 7.65.0 in the Datadog repository (a
        pre-release only when named). Only with O(state=fips_agent).
      - On a host that runs the FIPS Agent already, another version is refused (the move does
        not upgrade it).
    type: str
  remove_proxy:
    description:
      - Also remove the C(datadog-fips-proxy) package after the move (its configuration stays).
        Its exact version must be installable again, for the way back. Only with
        O(state=fips_agent); without it the proxy is stopped and disabled at boot, not removed.
    type: bool
    default: false
extends_documentation_fragment:
  - fips_setup.datadog.toolkit
attributes:
  check_mode:
    description:
      - Plans the change and reports what would change; changes nothing (C(--dry-run)).
      - With O(rollback=true) on a moved host, the plan of the rollback.
    support: full
  diff_mode:
    description: Returns each changed file's text before and after, secrets masked.
    support: full
seealso:
  - module: fips_setup.datadog.fips_proxy_info
author:
  - fips-setup maintainers (@fips-setup)
"""

EXAMPLES = r"""
- name: Route the Agent through the FIPS proxy
  fips_setup.datadog.fips_proxy:
    state: enabled
  become: true

- name: Use other ports, bound to 127.0.0.1 only
  fips_setup.datadog.fips_proxy:
    port_range_start: 10000
    local_address: 127.0.0.1
  become: true

- name: Air-gapped host, the proxy package copied there beforehand
  fips_setup.datadog.fips_proxy:
    package_file: /root/datadog-fips-proxy_1.1.17-1_amd64.deb
  become: true

- name: Send directly to Datadog again and remove the proxy
  fips_setup.datadog.fips_proxy:
    state: disabled
    remove_package: true
  become: true

- name: Move the host to the FIPS Agent, a given version, and remove the proxy's package
  fips_setup.datadog.fips_proxy:
    state: fips_agent
    agent_version: 7.65.2
    remove_proxy: true
  become: true
  register: moved

- name: Show how long the host sent nothing during the swap
  ansible.builtin.debug:
    msg: "{{ moved.fips_agent_version }}, the Agent stopped {{ moved.agent_stopped_seconds }} s"

- name: Bring a moved host back to the proxy (the exact previous Agent)
  fips_setup.datadog.fips_proxy:
    state: enabled
    rollback: true
  become: true
"""

RETURN = r"""
changed:
  description: Whether the host changed (in check mode, whether a real run would change it).
  returned: always
  type: bool
msg:
  description: What happened, or why it failed and in which state the host is.
  returned: always
  type: str
  sample: the Agent now sends through the FIPS proxy on ports 9803-9818
actions:
  description:
    - The steps of the plan, in order, each with its final status
      (V(planned) in check mode, V(done), V(failed), V(undone), V(undo-failed)).
    - Empty when nothing needed to change.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: The kind of step.
      type: str
      sample: install-package
    description:
      description: What the step does.
      type: str
      sample: start datadog-fips-proxy
    status:
      description: What became of the step.
      type: str
      sample: done
    error:
      description: Why the step failed.
      type: str
      returned: when the step failed
  sample:
    - kind: install-package
      description: install datadog-fips-proxy with apt (refreshing only the Datadog repository)
      status: done
rolled_back:
  description:
    - The run that O(rollback=true) undid (or, in check mode, would undo), as C(fips-setup
      rollback) names it.
  returned: when O(rollback=true) found a C(fips-setup migrate) to undo
  type: dict
  sample:
    command: migrate
    pid: 4242
    started: "2026-10-01T12:00:00Z"
    state: rolled-back
    actions: 9
dry_run:
  description: True in check mode.
  returned: success
  type: bool
error:
  description:
    - A stable code for the failure (C(precondition), C(package), C(service), C(step-failed)...).
  returned: failure
  type: str
  sample: precondition
platform:
  description: The managed host's platform as the toolkit detected it.
  returned: success
  type: dict
  sample: {"family": "debian", "name": "Debian GNU/Linux 12 (bookworm)", "architecture": "x86_64"}
agent_version:
  description:
    - The installed Agent's version; with O(state=fips_agent), the C(datadog-agent) version
      before the move (V(null) on a host that runs the FIPS Agent already).
  returned: success and O(state=enabled) or O(state=fips_agent)
  type: str
  sample: 7.52.0
proxy_version:
  description: The installed proxy's version (before the run, in check mode).
  returned: success and O(state=enabled) or O(state=fips_agent)
  type: str
  sample: 1.1.17
fips_agent_version:
  description: The FIPS Agent's exact package version, installed or (in check mode) to install.
  returned: success and O(state=fips_agent)
  type: str
  sample: 1:7.65.2-1
agent_stopped_seconds:
  description:
    - Seconds from the Agent's stop to the FIPS Agent running, the gap in the host's data;
      V(null) when no swap happened.
  returned: success and O(state=fips_agent)
  type: float
  sample: 2.1
verification:
  description:
    - The Agent's own checks at the end of the run; with O(state=fips_agent), C(fips-mode)
      (its status shows the FIPS Mode V(enabled)) and C(agent-connectivity).
  returned: success and O(state=enabled) or O(state=fips_agent), not in check mode
  type: dict
  contains:
    verified:
      description: Whether every check passed.
      type: bool
    checks:
      description: Each check's C(id), C(status), C(finding) and C(fix), as doctor gives them.
      type: list
      elements: dict
port_range_start:
  description: The first of the proxy's 16 ports.
  returned: success and O(state=enabled)
  type: int
  sample: 9803
commands:
  description: Each command the toolkit ran, with its exit status and duration.
  returned: success and O(state=enabled)
  type: list
  elements: dict
"""

from typing import Any, Dict, List, Tuple

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fips_setup.datadog.plugins.module_utils.fips_proxy_state import (
    STATES,
    reach_state,
    task_arguments,
)
from ansible_collections.fips_setup.datadog.plugins.module_utils.toolkit import (
    DEFAULT_CONFIG,
    INTERNAL_OPTIONS,
    ToolkitError,
    ready_toolkit,
    run_toolkit,
    toolkit_python,
)


def main() -> None:
    """Run ``fips-setup enable``, ``disable``, ``migrate`` (or ``rollback``) on the managed host."""
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": list(STATES), "default": "enabled"},
            "config": {"type": "path", "default": DEFAULT_CONFIG},
            "port_range_start": {"type": "int"},
            "local_address": {"type": "str"},
            "package_file": {"type": "path"},
            "refresh_proxy_config": {"type": "bool", "default": False},
            "allow_other_site": {"type": "bool", "default": False},
            "remove_package": {"type": "bool", "default": False},
            "rollback": {"type": "bool", "default": False},
            "agent_version": {"type": "str"},
            "remove_proxy": {"type": "bool", "default": False},
            **INTERNAL_OPTIONS,
        },
        supports_check_mode=True,
    )
    sha256 = module.params["_toolkit_sha256"]
    try:
        task_arguments(module.params)  # every option checked before the toolkit is readied
        path = ready_toolkit(sha256, module.params["_toolkit_src"])
        if path is None:
            module.exit_json(changed=False, toolkit_missing=True, msg="the toolkit must be sent")
            return
        python, kept = toolkit_python(), path

        def run(args: List[str]) -> Tuple[int, Dict[str, Any]]:
            return run_toolkit(module.run_command, python, kept, sha256, args)

        result, warnings = reach_state(run, module.params, module.check_mode, module._diff)
    except ToolkitError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
