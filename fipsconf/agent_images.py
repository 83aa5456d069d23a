"""Datadog Agent container images: their parts, the FIPS variant of a tag and back.

The FIPS Agent images are the Agent's own images with ``fips`` after the
version in the tag, before a variant suffix: ``7-fips``, ``7.65.0-fips``,
``7.65.0-fips-jmx``, ``7.78.0-fips-full``. That is how the Helm chart builds
them from ``agents.image.tag`` when ``useFIPSAgent`` is true (tag, then
``-fips``, then ``-`` and ``agents.image.tagSuffix``: DataDog/helm-charts,
``charts/datadog/templates/_helpers.tpl``, ``image-path``), and the vendor's
ECS instructions name ``public.ecr.aws/datadog/agent:7-fips``. A digest
names one image exactly and has no FIPS variant that can be derived from it.
"""

from __future__ import annotations

import re
from typing import Optional

#: The Agent images' repository owners, on Docker Hub, ECR Public, GCR and mirrors.
_AGENT_REPOSITORY_OWNERS = ("datadog", "datadoghq")
#: Variant suffixes that come after ``fips`` in a FIPS tag (``7-fips-jmx``).
VARIANTS = ("jmx", "full", "servercore")
#: What a reference without a tag means to Docker and ECS.
IMPLICIT_TAG = "latest"
#: The first Agent release the vendor supports the FIPS Agent on.
FIPS_AGENT_MIN_VERSION = (7, 65)
#: The first release with a ``-fips-full`` image (the Helm chart refuses older ones).
FIPS_FULL_MIN_VERSION = (7, 78)
_VERSION = re.compile(r"([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?=-|\Z)")


def image_repository(image: str) -> str:
    """The repository part of an image reference (no tag, no digest)."""
    reference = image.split("@", 1)[0]
    colon = reference.rfind(":")
    if colon > reference.rfind("/"):
        reference = reference[:colon]
    return reference


def image_tag(image: str) -> Optional[str]:
    """The tag of an image reference, or None."""
    reference = image.split("@", 1)[0]
    colon = reference.rfind(":")
    return reference[colon + 1 :] if colon > reference.rfind("/") else None


def image_digest(image: str) -> Optional[str]:
    """The digest an image reference is pinned to (``sha256:...``), or None."""
    return image.split("@", 1)[1] if "@" in image else None


def is_agent_image(image: str) -> bool:
    """True for the Datadog Agent image from any registry or mirror.

    ``datadog/agent``, ``public.ecr.aws/datadog/agent``, ``gcr.io/datadoghq/agent``,
    ``docker.io/datadog/agent``, ``<account>.dkr.ecr.<region>.amazonaws.com/datadog/agent``,
    with any tag or digest; not ``datadog/cluster-agent`` or other images.
    """
    parts = image_repository(image).lower().split("/")
    return len(parts) >= 2 and parts[-1] == "agent" and parts[-2] in _AGENT_REPOSITORY_OWNERS


def is_fips_tag(tag: str) -> bool:
    """True for a FIPS image tag: ``fips`` after the version (``7-fips``, ``7.65.0-fips-jmx``)."""
    return "fips" in tag.lower().split("-")[1:]


def is_fips_agent_image(image: str) -> bool:
    """True for an Agent image of the FIPS flavour (a ``-fips`` tag, as the Helm chart uses)."""
    tag = image_tag(image)
    return tag is not None and is_fips_tag(tag)


def fips_tag(tag: str) -> str:
    """The FIPS variant of an Agent image tag: ``7.65.0-jmx`` gives ``7.65.0-fips-jmx``.

    A tag that is already a FIPS tag is returned as it is.
    """
    if is_fips_tag(tag):
        return tag
    parts = tag.split("-")
    cut = len(parts)
    while cut > 1 and parts[cut - 1].lower() in VARIANTS:
        cut -= 1
    return "-".join([*parts[:cut], "fips", *parts[cut:]])


def standard_tag(tag: str) -> str:
    """The standard (non-FIPS) variant of an Agent image tag: ``7-fips-jmx`` gives ``7-jmx``."""
    parts = tag.split("-")
    return "-".join([parts[0], *(part for part in parts[1:] if part.lower() != "fips")])


def with_tag(image: str, tag: str) -> str:
    """``image`` with ``tag`` instead of its own (registry and repository kept, no digest)."""
    return f"{image_repository(image)}:{tag}"


def tag_version(tag: str) -> Optional[tuple[int, ...]]:
    """The version a tag names (``7``, ``7.65``, ``7.65.0`` at its start), or None (``latest``)."""
    match = _VERSION.match(tag)
    if match is None:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def older_than(tag: str, minimum: tuple[int, ...]) -> bool:
    """True when ``tag`` names a version before ``minimum``.

    A tag naming only a major version (``7``) follows that major's newest
    release, so it is older only if the major itself is.
    """
    version = tag_version(tag)
    if version is None:
        return False
    given = version[: len(minimum)]
    return given < minimum[: len(given)]


def shown_version(version: tuple[int, ...]) -> str:
    """``(7, 65)`` as ``7.65.0``."""
    return ".".join(str(part) for part in (*version, 0, 0)[:3])
