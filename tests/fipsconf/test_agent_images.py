"""Agent image references: their parts, the FIPS variant of a tag and back, versions."""

from __future__ import annotations

import pytest

from fipsconf.agent_images import (
    FIPS_AGENT_MIN_VERSION,
    FIPS_FULL_MIN_VERSION,
    fips_tag,
    image_digest,
    image_repository,
    image_tag,
    is_fips_agent_image,
    is_fips_tag,
    older_than,
    shown_version,
    standard_tag,
    tag_version,
    with_tag,
)


@pytest.mark.parametrize(
    ("tag", "fips"),
    [
        ("7", "7-fips"),  # the vendor's ECS example: public.ecr.aws/datadog/agent:7-fips
        ("7.65.0", "7.65.0-fips"),
        ("latest", "latest-fips"),
        ("7.65.0-jmx", "7.65.0-fips-jmx"),  # the chart: tag, -fips, then -tagSuffix
        ("latest-jmx", "latest-fips-jmx"),
        ("7.80.0-full", "7.80.0-fips-full"),
        ("7-servercore-jmx", "7-fips-servercore-jmx"),
        ("7.66.0-rc.2", "7.66.0-rc.2-fips"),
    ],
)
def test_the_fips_variant_and_back(tag: str, fips: str) -> None:
    assert fips_tag(tag) == fips
    assert is_fips_tag(fips) and not is_fips_tag(tag)
    assert fips_tag(fips) == fips  # already there
    assert standard_tag(fips) == tag
    assert standard_tag(tag) == tag


def test_fips_is_a_suffix_not_a_tag() -> None:
    assert not is_fips_tag("fips")
    assert is_fips_tag("7-FIPS")
    assert standard_tag("fips") == "fips"


def test_image_parts() -> None:
    image = "registry.example:5000/datadog/agent:7.70.0@sha256:" + "ab" * 32
    assert image_repository(image) == "registry.example:5000/datadog/agent"
    assert image_tag(image) == "7.70.0"
    assert image_digest(image) == "sha256:" + "ab" * 32
    assert image_digest("datadog/agent:7") is None
    assert image_tag("registry.example:5000/datadog/agent") is None
    assert with_tag(image, "7.70.0-fips") == "registry.example:5000/datadog/agent:7.70.0-fips"
    assert with_tag("datadog/agent", "latest-fips") == "datadog/agent:latest-fips"
    assert is_fips_agent_image("public.ecr.aws/datadog/agent:7.65.0-fips")
    assert is_fips_agent_image("datadog/agent:7.65.0-fips-jmx")
    assert not is_fips_agent_image("datadog/agent:7.65.0")
    assert not is_fips_agent_image("datadog/agent:fips")  # a tag, not a suffix


@pytest.mark.parametrize(
    ("tag", "version", "before_fips_agent"),
    [
        ("7", (7,), False),  # the newest 7.x
        ("6", (6,), True),
        ("7.64", (7, 64), True),
        ("7.65", (7, 65), False),
        ("7.64.3", (7, 64, 3), True),
        ("7.65.0", (7, 65, 0), False),
        ("7.65.0-jmx", (7, 65, 0), False),
        ("7.100.1", (7, 100, 1), False),
        ("latest", None, False),
        ("main-py3", None, False),
    ],
)
def test_versions(tag: str, version: object, before_fips_agent: bool) -> None:
    assert tag_version(tag) == version
    assert older_than(tag, FIPS_AGENT_MIN_VERSION) is before_fips_agent


def test_shown_versions() -> None:
    assert shown_version(FIPS_AGENT_MIN_VERSION) == "7.65.0"
    assert shown_version(FIPS_FULL_MIN_VERSION) == "7.78.0"
