#!/usr/bin/python
# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The fips_proxy module: enable or disable the Datadog Agent FIPS Proxy on a host."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fips_proxy
short_description: Enable or disable the Datadog Agent FIPS Proxy on a host
version_added: 0.1.0
description:
  - With O(state=enabled), installs C(datadog-fips-proxy), creates its configuration, starts it
    and waits until its 16 ports accept connections, and only then sets C(fips.enabled=true) and
    C(fips.https=false) in C(datadog.yaml) and restarts the Agent, so that no payload is lost.
    This is C(fips-setup enable).
  - With O(state=disabled), points the Agent back at Datadog first, restarts it, then stops the
    proxy. This is C(fips-setup disable).
  - Every check (root, platform, Agent version, site, C(DD_FIPS_*) overrides, free ports) runs
    before the first change; a step that fails undoes the steps before it and the message says
    what state the host is in.
  - A run on a host that is already as asked changes nothing and restarts nothing.
options:
  state:
    description:
      - V(enabled) routes the Agent through the FIPS proxy; V(disabled) sends directly again.
    type: str
    choices: [enabled, disabled]
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
      - A C(.deb) or C(.rpm) of C(datadog-fips-proxy) on the managed host, installed instead of the
        package from the Datadog repository (air-gapped hosts). Only with O(state=enabled).
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
extends_documentation_fragment:
  - fips_setup.datadog.toolkit
attributes:
  check_mode:
    description: Plans the change and reports what would change; changes nothing (C(--dry-run)).
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
  description: The installed Agent's version.
  returned: success and O(state=enabled)
  type: str
  sample: 7.52.0
proxy_version:
  description: The installed proxy's version (before the run, in check mode).
  returned: success and O(state=enabled)
  type: str
  sample: 1.1.17
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fips_setup.datadog.plugins.module_utils.toolkit import (
    DEFAULT_CONFIG,
    INTERNAL_OPTIONS,
    ToolkitError,
    proxy_arguments,
    proxy_result,
    ready_toolkit,
    run_toolkit,
    toolkit_python,
)


def main() -> None:
    """Run ``fips-setup enable`` or ``disable`` on the managed host."""
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["enabled", "disabled"], "default": "enabled"},
            "config": {"type": "path", "default": DEFAULT_CONFIG},
            "port_range_start": {"type": "int"},
            "local_address": {"type": "str"},
            "package_file": {"type": "path"},
            "refresh_proxy_config": {"type": "bool", "default": False},
            "allow_other_site": {"type": "bool", "default": False},
            "remove_package": {"type": "bool", "default": False},
            **INTERNAL_OPTIONS,
        },
        supports_check_mode=True,
    )
    sha256 = module.params["_toolkit_sha256"]
    try:
        args = proxy_arguments(module.params)
        path = ready_toolkit(sha256, module.params["_toolkit_src"])
        if path is None:
            module.exit_json(changed=False, toolkit_missing=True, msg="the toolkit must be sent")
            return
        if module.check_mode:
            args.append("--dry-run")
        returncode, document = run_toolkit(module.run_command, toolkit_python(), path, sha256, args)
    except ToolkitError as exc:
        module.fail_json(msg=str(exc))
    result, warnings = proxy_result(document, returncode, module._diff)
    for warning in warnings:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
