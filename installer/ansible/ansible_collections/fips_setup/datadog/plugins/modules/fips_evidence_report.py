#!/usr/bin/python
# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The fips_evidence_report module: many hosts' evidence in one report, on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
module: fips_evidence_report
short_description: Write the fleet's FIPS compliance report on the controller
version_added: 0.1.0
description:
  - Joins the evidence M(fips_setup.datadog.fips_proxy_info) returned for many hosts
    (O(fips_setup.datadog.fips_proxy_info#module:evidence=true)) into one report, with
    C(fips-setup evidence merge). A summary comes first (how many hosts are compliant; for the
    others, why, grouped by the requirement that failed), then one section per host, each host's
    evidence digest kept.
  - Every document is checked first (its schema, its SHA-256, the members a report reads); one
    that is damaged or not fips-setup evidence fails the task, naming it, and nothing is written.
  - Runs on the controller (an action plugin), with the toolkit the collection carries and the
    Python that runs Ansible; use it once (C(run_once=true)).
options:
  evidence:
    description:
      - The hosts' evidence documents, as M(fips_setup.datadog.fips_proxy_info) returned them
        (RV(fips_setup.datadog.fips_proxy_info#module:evidence)), one per host.
    type: list
    elements: dict
    required: true
  dest:
    description:
      - The report to write on the controller (atomically; mode 0600 when new). Its folder must
        exist.
    type: path
    required: true
  format:
    description:
      - V(html) (one page that prints), V(hdf) (MITRE's Heimdall Data Format), V(oscal) (an OSCAL
        1.1 assessment-results document), V(csv) (one row per host) or V(json).
    type: str
    choices: [html, hdf, oscal, csv, json]
    default: html
attributes:
  action:
    description: Runs on the controller, as an action plugin.
    support: full
  check_mode:
    description: Checks and joins the evidence, writes nothing.
    support: full
  diff_mode:
    description: A report is not shown as a diff.
    support: none
  platform:
    description: The controller.
    support: full
    platforms: posix
seealso:
  - module: fips_setup.datadog.fips_proxy_info
author:
  - fips-setup maintainers (@fips-setup)
"""

EXAMPLES = r"""
- name: Collect every host's evidence
  fips_setup.datadog.fips_proxy_info:
    status: false
    doctor: false
    evidence: true
  become: true
  register: fips

- name: Write the fleet report on the controller
  fips_setup.datadog.fips_evidence_report:
    evidence: "{{ ansible_play_hosts | map('extract', hostvars, ['fips', 'evidence']) | list }}"
    format: html
    dest: ./fips-evidence.html
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
summary:
  description: How many hosts are compliant, and for the others why, grouped.
  returned: always
  type: dict
  contains:
    hosts:
      description: How many hosts' evidence was joined.
      type: int
    compliant:
      description: How many of them are compliant.
      type: int
    not_compliant:
      description: The hosts that are not.
      type: list
      elements: str
    reasons:
      description: Each failing requirement (C(id), C(title), C(controls)) and its C(hosts).
      type: list
      elements: dict
    text:
      description: The summary in one line.
      type: str
      sample: "2 of 3 hosts compliant; not compliant: web-3, because: ..."
    evidence_digests:
      description: Each host's evidence SHA-256, by host name.
      type: dict
dest:
  description: The report written (null in check mode).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    """Only the action plugin runs this module's work (on the controller)."""
    module = AnsibleModule(
        argument_spec={
            "evidence": {"type": "list", "elements": "dict", "required": True},
            "dest": {"type": "path", "required": True},
            "format": {
                "type": "str",
                "choices": ["html", "hdf", "oscal", "csv", "json"],
                "default": "html",
            },
        },
        supports_check_mode=True,
    )
    module.fail_json(msg="fips_evidence_report runs on the controller, through its action plugin")


if __name__ == "__main__":
    main()
