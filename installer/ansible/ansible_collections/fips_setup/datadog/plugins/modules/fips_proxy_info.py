#!/usr/bin/python
# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The fips_proxy_info module: what fips-setup status, doctor and evidence report about a host."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fips_proxy_info
short_description: Report the Datadog Agent FIPS Proxy's state and health on a host
version_added: 0.1.0
description:
  - Returns what C(fips-setup status) reports (package versions, services, the C(fips) settings
    and where each comes from, C(DD_FIPS_*) overrides, the proxy configuration, who holds the
    proxy's ports) and what C(fips-setup doctor) finds (each troubleshooting check of the
    vendor's documentation, with its finding and fix), for a play to show or assert on.
  - With O(evidence=true), also what C(fips-setup evidence) collects - the host's compliance
    evidence, each fact mapped to NIST SP 800-53 Rev. 5 controls and sealed with its SHA-256 -
    for M(fips_setup.datadog.fips_evidence_report) to join into a fleet report on the controller.
  - Changes nothing on the host. A failing doctor check is a result (RV(doctor.failed)), not a
    failed task; a doctor that could not run its checks fails the task with its message. A host
    that is not compliant is a result too (see RV(evidence.verdict)).
options:
  status:
    description:
      - Run C(fips-setup status). Without it RV(status) is not returned (a play that reads only
        RV(doctor) saves a run of the toolkit on every host).
    type: bool
    default: true
  doctor:
    description:
      - Run C(fips-setup doctor). Without it RV(doctor) is not returned.
    type: bool
    default: true
  agent_check:
    description:
      - Let doctor run the Agent's own connectivity check (C(datadog-agent diagnose)), which
        can take several seconds. V(false) passes C(--no-agent-check), and the check is then
        V(skip). M(fips_setup.datadog.fips_proxy) runs the same check at the end of every
        run that enables the proxy (not in check mode).
    type: bool
    default: true
  evidence:
    description:
      - Run C(fips-setup evidence) and return its document as RV(evidence). It runs doctor's
        checks itself (without the Agent's own connectivity check) and a live check through a
        copy of the proxy, in about a second.
    type: bool
    default: false
extends_documentation_fragment:
  - fips_setup.datadog.toolkit
attributes:
  check_mode:
    description: Runs the same in check mode (it changes nothing anyway).
    support: full
  diff_mode:
    description: Nothing to show, it changes nothing.
    support: none
seealso:
  - module: fips_setup.datadog.fips_proxy
  - module: fips_setup.datadog.fips_evidence_report
author:
  - fips-setup maintainers (@fips-setup)
"""

EXAMPLES = r"""
- name: Check every host's FIPS proxy
  fips_setup.datadog.fips_proxy_info:
  become: true
  register: fips

- name: Show the checks that did not pass
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.finding }} (fix: {{ item.fix }})"
  loop: "{{ fips.doctor.checks | rejectattr('status', 'in', ['pass', 'skip', 'info']) }}"

- name: Stop when doctor found a failure
  ansible.builtin.assert:
    that: not fips.doctor.failed
    fail_msg: "{{ fips.doctor.msg }}"

- name: Only the doctor, without the Agent's connectivity check
  fips_setup.datadog.fips_proxy_info:
    status: false
    agent_check: false
  become: true
  register: fips

- name: Collect the host's compliance evidence (see fips_evidence_report for the fleet report)
  fips_setup.datadog.fips_proxy_info:
    status: false
    doctor: false
    evidence: true
  become: true
  register: fips

- name: Stop where a host is not compliant
  ansible.builtin.assert:
    that: fips.evidence.verdict.compliant
    fail_msg: "{{ fips.evidence.verdict.summary }}"

- name: Assert on one check by its id
  ansible.builtin.assert:
    that: (fips.doctor.checks | selectattr('id', 'equalto', 'proxy-ports') | first).status == 'pass'
"""

RETURN = r"""
status:
  description:
    - The C(fips-setup status --json) document (without C(changed)/C(failed)); see docs/cli.md.
  returned: when O(status=true)
  type: dict
  contains:
    msg:
      description: A one-line summary.
      type: str
    packages:
      description: Installed version of each Datadog package, or null.
      type: dict
      sample:
        datadog-agent: 7.52.0
        datadog-fips-proxy: 1.1.17
        datadog-fips-agent: null
    services:
      description: For each service, whether it is active and enabled at boot.
      type: dict
      sample: {"datadog-fips-proxy": {"active": true, "enabled": true}}
    effective:
      description: The C(fips) settings the Agent uses (file, defaults and overrides applied).
      type: dict
      sample: {"enabled": true, "https": false, "port_range_start": 9803, "local_address": "::1"}
    sources:
      description: Where each effective setting comes from.
      type: dict
    overrides:
      description: C(DD_FIPS_*) variables that override C(datadog.yaml).
      type: list
      elements: dict
    proxy_config:
      description: The proxy configuration file, its owner and mode.
      type: dict
    ports:
      description: Listeners on the proxy's 16 ports, with their process.
      type: list
      elements: dict
doctor:
  description: What C(fips-setup doctor --json) found.
  returned: when O(doctor=true)
  type: dict
  contains:
    failed:
      description: True when a check failed (warnings alone do not fail).
      type: bool
    error:
      description: V(checks-failed) when a check failed.
      type: str
      returned: when RV(doctor.failed)
    msg:
      description: A one-line summary.
      type: str
      sample: "no check failed: 23 passed, 3 for information"
    summary:
      description: How many checks have each status.
      type: dict
      sample: {"fail": 0, "warn": 0, "info": 3, "skip": 1, "pass": 22}
    checks:
      description:
        - Each check, in the toolkit's order. docs/cli.md lists every check and when it fails.
      type: list
      elements: dict
      contains:
        id:
          description:
            - The check's stable identifier, for instance V(proxy-service), V(proxy-ports),
              V(fips-enabled), V(fips-https), V(agent-to-proxy), V(proxy-to-intake),
              V(agent-connectivity).
          type: str
        status:
          description: One of V(pass), V(warn), V(fail), V(skip), V(info).
          type: str
        finding:
          description: What the check saw.
          type: str
        fix:
          description: What to do (a command to paste, or one sentence); null when it passed.
          type: str
evidence:
  description:
    - The C(fips-setup evidence) document (see docs/evidence.md). It holds the facts (C(host),
      C(agent), C(proxy), C(module), C(live_check), C(doctor)), the C(requirements) and
      C(controls) with their C(pass), C(fail) or C(not-applicable) results and findings, the
      C(verdict), and the C(digest) (SHA-256 of the rest). Give it unchanged to
      M(fips_setup.datadog.fips_evidence_report).
  returned: when O(evidence=true)
  type: dict
  contains:
    verdict:
      description: Whether the host is compliant, the controls that fail, and a summary.
      type: dict
      sample: {"compliant": true, "failed_controls": [], "summary": "compliant: SC-13 pass, ..."}
    controls:
      description:
        - Each NIST SP 800-53 Rev. 5 control (C(SC-13), C(SC-8), C(SC-8(1)), C(CM-6), C(CM-2)).
      type: list
      elements: dict
    digest:
      description: The SHA-256 of the document's canonical JSON without this member.
      type: dict
"""

from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fips_setup.datadog.plugins.module_utils.toolkit import (
    DEFAULT_CONFIG,
    INTERNAL_OPTIONS,
    ToolkitError,
    doctor_facts,
    evidence_facts,
    ready_toolkit,
    run_toolkit,
    status_facts,
    toolkit_python,
)


def main() -> None:
    """Run ``fips-setup status``, ``doctor`` and ``evidence`` on the managed host."""
    module = AnsibleModule(
        argument_spec={
            "config": {"type": "path", "default": DEFAULT_CONFIG},
            "status": {"type": "bool", "default": True},
            "doctor": {"type": "bool", "default": True},
            "agent_check": {"type": "bool", "default": True},
            "evidence": {"type": "bool", "default": False},
            **INTERNAL_OPTIONS,
        },
        supports_check_mode=True,
    )
    sha256 = module.params["_toolkit_sha256"]
    config = ["--config", module.params["config"]]
    try:
        path = ready_toolkit(sha256, module.params["_toolkit_src"])
        if path is None:
            module.exit_json(changed=False, toolkit_missing=True, msg="the toolkit must be sent")
            return
        python = toolkit_python()
        result: Dict[str, Any] = {"changed": False}
        if module.params["status"]:
            returncode, document = run_toolkit(
                module.run_command, python, path, sha256, ["status", *config]
            )
            result["status"] = status_facts(document, returncode)
        if module.params["doctor"]:
            no_agent_check = [] if module.params["agent_check"] else ["--no-agent-check"]
            returncode, document = run_toolkit(
                module.run_command, python, path, sha256, ["doctor", *config, *no_agent_check]
            )
            result["doctor"] = doctor_facts(document, returncode)
        if module.params["evidence"]:
            returncode, document = run_toolkit(
                module.run_command, python, path, sha256, ["evidence", *config]
            )
            result["evidence"] = evidence_facts(document, returncode)
    except ToolkitError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
