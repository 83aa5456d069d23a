# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""Documentation shared by the modules that run the fips-setup toolkit."""

from __future__ import annotations


class ModuleDocFragment:
    """The toolkit's requirements, the C(config) option and the common attributes."""

    DOCUMENTATION = r"""
options:
  config:
    description:
      - The Agent's C(datadog.yaml) on the managed host.
    type: path
    default: /etc/datadog-agent/datadog.yaml
  _toolkit_sha256:
    description:
      - Internal, set by the collection's action plugin on every task; do not set it in a task.
      - The SHA-256 of the fips-setup toolkit the collection carries. The module runs the
        toolkit only when the copy on the managed host has exactly this checksum.
    type: str
  _toolkit_src:
    description:
      - Internal, set by the collection's action plugin; do not set it in a task.
      - Where on the managed host the action plugin has just put a copy of the toolkit, when the
        host did not keep one with the checksum O(_toolkit_sha256). The module checks the copy
        against that checksum before it keeps or runs it.
    type: path
requirements:
  - On the managed host, the Datadog Agent 7.45 or newer (its embedded Python runs the
    toolkit), or a Python 3.9 or newer; root (C(become=true)).
  - Nothing on the controller besides ansible-core and this collection.
notes:
  - The collection carries the fips-setup toolkit (a self-contained zipapp). The action plugin
    copies it to a managed host that lacks it, into C(/var/lib/fips-setup/) (a folder of root's,
    mode 0700) under a name that carries its SHA-256, and the module checks that checksum before
    every run, so a stale or altered copy never runs.
  - A task that succeeds sets the fact C(fips_setup_toolkit_sha256), the checksum of the copy the
    host keeps, so that the next task on that host need not ask for it before the module runs
    (the module checks the copy all the same).
  - Secrets (C(api_key), C(app_key)) are masked in every result, diff and message.
attributes:
  action:
    description: The action plugin copies the toolkit to a managed host that lacks it.
    support: full
  platform:
    description: Linux hosts with apt, yum/dnf or zypper and systemd, Upstart or SysV init.
    support: full
    platforms: posix
"""
