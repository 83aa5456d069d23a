# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""Action plugin of fips_setup.datadog.fips_proxy_info: sends the toolkit when the host lacks it."""

from __future__ import annotations

from ansible_collections.fips_setup.datadog.plugins.plugin_utils.toolkit_action import (
    ToolkitAction,
)


class ActionModule(ToolkitAction):
    """Runs fips_setup.datadog.fips_proxy_info (see plugin_utils/toolkit_action.py)."""

    MODULE = "fips_setup.datadog.fips_proxy_info"
