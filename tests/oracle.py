"""An independent YAML 1.1 reader for the tests: PyYAML.

Where a test compares parsed data, it reads the text with PyYAML, not with
ruamel.yaml: the editor already checks its own output with ruamel.yaml, so
ruamel as the oracle would prove little. PyYAML reads YAML 1.1 as the
Agent's Go reader does (``yes``/``on`` are booleans, ``0777`` is octal),
except for ``y``/``n``, which PyYAML leaves strings.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from fipsconf.datadog_yaml import FipsRequest
from fipsconf.helm_values import HelmRequest


def load_yaml11(text: str) -> Any:
    """The data of one YAML document, read by PyYAML's safe (pure Python) loader."""
    return yaml.load(text, Loader=yaml.SafeLoader)


def with_fips_settings(data: Any, request: FipsRequest) -> Any:
    """What ``data`` (a parsed datadog.yaml) must become once ``request`` is applied."""
    data = copy.deepcopy(data) or {}
    key = next((k for k in data if k.lower() == "fips"), "fips")
    block = data.get(key) or {}
    wanted: dict[str, Any] = {}
    if request.enabled:
        wanted = {"enabled": True, "https": False}
    elif any(k.lower() == "enabled" for k in block):
        wanted = {"enabled": False}
    if request.port_range_start is not None:
        wanted["port_range_start"] = request.port_range_start
    if request.local_address is not None:
        wanted["local_address"] = request.local_address
    for name, value in wanted.items():
        existing = next((k for k in block if k.lower() == name), name)
        block[existing] = value
    if wanted:
        data[key] = block
    return data


def with_helm_settings(data: Any, request: HelmRequest) -> Any:
    """What ``data`` (parsed chart values) must become once ``request`` is applied.

    Helm reads keys as spelled: only ``fips`` (and ``fips.image``) are the blocks.
    """
    data = copy.deepcopy(data) or {}
    if request.fips_agent:
        # the FIPS Agent: useFIPSAgent on, a sidecar that was on turned off, the rest kept
        data["useFIPSAgent"] = True
        fips = data.get("fips")
        if isinstance(fips, dict) and fips.get("enabled") not in (None, False, 0, "", [], {}):
            fips["enabled"] = False
        return data
    if request.from_fips_agent and "useFIPSAgent" in data:
        data["useFIPSAgent"] = False
    fips = data.setdefault("fips", {})
    if fips is None:
        fips = data["fips"] = {}
    fips.update({"enabled": True, "use_https": False})
    if request.port is not None:
        fips["port"] = request.port
    if request.local_address is not None:
        fips["local_address"] = request.local_address
    if request.image_tag is not None:
        image = fips.get("image")
        if not isinstance(image, dict):
            image = fips["image"] = {}
        image["tag"] = request.image_tag
    if request.all_ports:  # the chart declares fips.portRange ports (15 when not set)
        declared = fips.get("portRange", 15)
        if isinstance(declared, str) and declared.strip().isdigit():
            declared = int(declared)
        if not isinstance(declared, int) or isinstance(declared, bool) or declared < 16:
            fips["portRange"] = 16
    return data
