"""What a release declares about itself: one version, one licence, one set of addresses,
and dependency floors above every version with a known advisory."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from installer import __version__

REPO = Path(__file__).resolve().parents[2]
COLLECTION = REPO / "installer/ansible/ansible_collections/fips_setup/datadog"
SCRIPT = REPO / "scripts/install_script_agent7.sh"


def galaxy() -> dict:
    return yaml.safe_load((COLLECTION / "galaxy.yml").read_text())


def test_galaxy_yml_has_the_version_of_installer() -> None:
    # galaxy.yml cannot read installer/__init__.py: it is held to it here (and by make dist).
    assert galaxy()["version"] == __version__


def test_the_changelogs_newest_entries_are_this_version() -> None:
    newest = re.search(r"^## \[([^\]]+)\]", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert newest is not None and newest.group(1) == __version__
    releases = yaml.safe_load((COLLECTION / "changelogs/changelog.yaml").read_text())["releases"]
    assert max(releases, key=Version) == __version__


def test_make_dist_finds_the_lines_it_fills_in_the_script() -> None:
    lines = SCRIPT.read_text().splitlines()
    for name in ("FIPS_SETUP_VERSION", "FIPS_SETUP_PYZ_URL_DEFAULT", "FIPS_SETUP_PYZ_SHA256"):
        assert lines.count(f'{name}=""') == 1, name


def test_one_licence_everywhere() -> None:
    assert metadata.metadata("fips-setup")["License-Expression"] == "Apache-2.0"
    assert galaxy()["license"] == ["Apache-2.0"]
    notice = " ".join((REPO / "LICENSE").read_text().split())
    assert "Apache License, Version 2.0" in notice and "Apache-2.0" in notice
    assert "https://www.apache.org/licenses/LICENSE-2.0" in notice


def test_the_collection_names_the_projects_addresses() -> None:
    urls = dict(
        entry.split(", ", 1) for entry in metadata.metadata("fips-setup").get_all("Project-URL")
    )
    data = galaxy()
    assert data["repository"] == data["homepage"] == urls["Homepage"]
    assert data["issues"] == urls["Issues"]
    assert data["documentation"].startswith(urls["Homepage"] + "/blob/main/docs/")
    assert urls["Documentation"].startswith(urls["Homepage"] + "/blob/main/docs/")


#: (package, the newest version with an advisory that the Python could avoid) for Python
#: 3.9, where newer fixes need 3.10 (docs/security.md, "Bundled packages"), and 3.13.
VULNERABLE = {
    "3.9": {
        "requests": "2.32.3",  # CVE-2024-47081
        "urllib3": "2.6.2",  # GHSA-38jv-5279-wg99
        "idna": "3.13",  # CVE-2026-45409
        "certifi": "2024.6.2",  # CVE-2024-39689
        "pygments": "2.19.2",  # catastrophic backtracking, fixed in 2.20.0
        "markdown-it-py": "2.1.0",  # CVE-2023-26302, CVE-2023-26303
    },
    "3.13": {
        "requests": "2.32.5",  # CVE-2026-25645
        "urllib3": "2.7.0",  # GHSA-8988-9cw3-xx77, GHSA-vxq7-64xx-v4gw, GHSA-gh4c-6fx4-qh6g
        "idna": "3.13",
        "certifi": "2024.6.2",
        "pygments": "2.19.2",
        "markdown-it-py": "4.2.0",  # quadratic-time parsing, fixed in 4.3.0
    },
}


@pytest.mark.parametrize("python", sorted(VULNERABLE))
def test_no_version_with_an_advisory_can_be_installed(python: str) -> None:
    requirements = [Requirement(r) for r in metadata.requires("fips-setup") or []]
    environment = {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}
    for package, vulnerable in VULNERABLE[python].items():
        applying = [
            r
            for r in requirements
            if r.name.lower() == package and (r.marker is None or r.marker.evaluate(environment))
        ]
        assert applying, f"no floor for {package} on Python {python}"
        assert not all(r.specifier.contains(vulnerable) for r in applying), (
            f"{package} {vulnerable} can be installed on Python {python}"
        )
