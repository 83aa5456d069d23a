"""docs/support-matrix.md says what the code does: versions, sites, units."""

from __future__ import annotations

import re

from fipsconf.proxy_releases import NEWEST
from fipsconf.sites import GOVERNMENT_SITES
from installer.agent import MIN_AGENT, NEW_DIAGNOSE
from installer.fips_agent import MIN_FIPS_AGENT
from installer.platform import SUPPORTED
from installer.services import AGENT_PAYLOAD_SERVICES, LEGACY_PROCMGR_SERVICE, PROCMGR_SERVICE
from tests.conftest import REPO

MATRIX = (REPO / "docs" / "support-matrix.md").read_text(encoding="utf-8")


def row(first_cell: str) -> str:
    """The table row whose first cell is ``first_cell``."""
    found = [line for line in MATRIX.splitlines() if line.startswith(f"| {first_cell} |")]
    assert len(found) == 1, first_cell
    return found[0]


def test_the_minimum_versions_are_the_codes() -> None:
    assert f"| {MIN_AGENT} or newer" in row("Agent, with the FIPS proxy")
    assert f"from {NEW_DIAGNOSE}" in row("Agent's connectivity check")
    assert f"| {MIN_FIPS_AGENT}.0 or newer" in row("FIPS Agent (`datadog-fips-agent`)")
    assert f"newest seen: {NEWEST.tag} " in row("FIPS proxy image (`fips-proxy`)")


def test_each_government_site_has_its_row() -> None:
    for site, label in GOVERNMENT_SITES.items():
        assert f"| {label} |" in row(f"`{site}`")


def test_the_platforms_are_the_ones_enable_accepts() -> None:
    assert f"| {SUPPORTED} |" in row("Linux hosts")


def test_the_units_of_both_paths_are_named() -> None:
    units = MATRIX.split("## Agent 7.84+")[1].split("## Remote Configuration")[0]
    for unit in (PROCMGR_SERVICE, LEGACY_PROCMGR_SERVICE):
        assert f"`{unit}.service`" in units, unit
    for unit in AGENT_PAYLOAD_SERVICES:
        assert unit.removeprefix("datadog-agent") in units, unit


def test_every_source_cited_is_listed() -> None:
    cited = set(re.findall(r"\[([A-Z]\d)\]", MATRIX))
    listed = set(re.findall(r"^\| ([A-Z]\d) \|", MATRIX, re.MULTILINE))
    assert cited and cited <= listed, cited - listed
