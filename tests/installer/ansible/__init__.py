"""Tests of the Ansible collection's managed-host code.

``toolkit`` is plugins/module_utils/toolkit.py under its collection import
name, from the collection's sources in installer/ansible/ (standard library
only: no ansible-core needed).
"""

import sys
from pathlib import Path

_COLLECTIONS_ROOT = str(Path(__file__).resolve().parents[3] / "installer" / "ansible")
if _COLLECTIONS_ROOT not in sys.path:
    sys.path.append(_COLLECTIONS_ROOT)

from ansible_collections.fips_setup.datadog.plugins.module_utils import (  # noqa: E402
    toolkit as toolkit,
)
