"""The table of the proxy's releases: newest first, dated, sourced; what is older."""

from __future__ import annotations

import datetime
from typing import Optional

import pytest

from fipsconf.proxy_releases import (
    NEWEST,
    RELEASES,
    default_image,
    is_gov_site,
    older_than_newest,
    stale_image,
    stale_package,
    version_of,
)


def test_the_table_is_newest_first_dated_and_sourced() -> None:
    versions = [version_of(release.tag) for release in RELEASES]
    assert all(version is not None for version in versions)
    assert versions == sorted(versions, reverse=True)  # type: ignore[type-var]
    dates = [datetime.date.fromisoformat(release.released) for release in RELEASES]
    assert dates == sorted(dates, reverse=True)
    assert all(release.source and release.package == release.tag for release in RELEASES)
    assert RELEASES[0] == NEWEST and NEWEST.tag == "1.1.30"


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("1.1.30", (1, 1, 30)),
        ("1.1.17-1", (1, 1, 17)),
        ("1:1.1.17-1", (1, 1, 17)),
        ("1.1.31~rc.1-1", (1, 1, 31)),
        ("latest", None),
        ("", None),
        ("sha256:abc", None),
    ],
)
def test_versions_of_packages_and_tags(text: str, version: Optional[tuple[int, ...]]) -> None:
    assert version_of(text) == version


@pytest.mark.parametrize(
    ("text", "older"),
    [
        ("1.1.17-1", True),
        ("1.1.29", True),
        ("1.1.30-1", False),
        ("1.2.0", False),
        ("latest", False),
    ],
)
def test_older_than_the_newest(text: str, older: bool) -> None:
    assert older_than_newest(text) is older


def test_what_is_said_about_an_older_proxy() -> None:
    assert stale_package("1.1.30-1") is None
    said = stale_package("1.1.17-1")
    assert said is not None and said.startswith(
        "datadog-fips-proxy 1.1.17-1 is older than 1.1.30 (2026-08-11), the newest release"
    )
    assert stale_image("fips.image.tag", "latest") is None
    assert "fips.image.tag is 1.1.29, older than 1.1.30" in (
        stale_image("fips.image.tag", "1.1.29") or ""
    )


@pytest.mark.parametrize(
    ("site", "gov"),
    [("ddog-gov.com", True), ("us2.ddog-gov.com", True), ("DDOG-GOV.COM.", True),
     ("datadoghq.com", False), ("ddog-gov.com.evil.example", False), (None, False)],
)  # fmt: skip
def test_government_sites(site: Optional[str], gov: bool) -> None:
    assert is_gov_site(site) is gov


def test_the_default_image_follows_the_site() -> None:
    assert default_image("ddog-gov.com")[0] == "public.ecr.aws/datadog/fips-proxy:1.1.30"
    assert default_image(None)[0] == "public.ecr.aws/datadog/fips-proxy:1.1.30"
    image, why = default_image("datadoghq.eu")
    assert image == "datadog/fips-proxy:1.1.30" and "Docker Hub" in why
