"""The Datadog FIPS proxy's releases fips-setup knows, newest first, with their sources.

The proxy is released about monthly, mostly for CVE fixes; each release is
both the ``fips-proxy`` container image (tag ``1.1.30``) and the
``datadog-fips-proxy`` package (upstream version ``1.1.30``, shipped as
``1.1.30-1``). The newest one here is the default image of a new ECS
sidecar, and ``doctor``, ``status``, ``helm`` and ``ecs`` warn about a proxy
older than it.

To add a release, add one line at the top of :data:`RELEASES` (tag, package
version, date, source). Where to look: the ``fips.image.tag`` bumps of
DataDog/helm-charts (``charts/datadog``, "Update FIPS proxy version
references to ..."), which the vendor makes for each release, and the same
title in DataDog/documentation (``docs/development.md``, "A new FIPS proxy
release"). ``docs/cli.md`` says what the table drives.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional


class ProxyRelease(NamedTuple):
    """One release: its image tag, its package's upstream version, when, and the source."""

    tag: str
    package: str
    released: str  # ISO date of the vendor's first public reference to it
    source: str  # pull requests of the vendor's repositories (github.com/DataDog/...)


# fmt: off
RELEASES = (
    ProxyRelease("1.1.30", "1.1.30", "2026-08-11", "helm-charts#2891 (chart 3.245.2)"),
    ProxyRelease("1.1.29", "1.1.29", "2026-08-05", "helm-charts#2842; documentation#38782"),
    ProxyRelease("1.1.28", "1.1.28", "2026-07-08", "helm-charts#2777; documentation#38030"),
    ProxyRelease("1.1.26", "1.1.26", "2026-06-01", "helm-charts#2700 (CVE-2026-41989)"),
    ProxyRelease("1.1.25", "1.1.25", "2026-05-26", "documentation#37000"),
    ProxyRelease("1.1.24", "1.1.24", "2026-05-11", "helm-charts#2644"),
    ProxyRelease("1.1.23", "1.1.23", "2026-04-28", "helm-charts#2612"),
    ProxyRelease("1.1.21", "1.1.21", "2026-02-06", "helm-charts#2358"),
    ProxyRelease("1.1.15", "1.1.15", "2025-08-05", "helm-charts#1993"),
    ProxyRelease("1.1.6", "1.1.6", "2024-11-26", "helm-charts#1616 (HAProxy 2.4.28)"),
    ProxyRelease("1.1.5", "1.1.5", "2024-09-12", "helm-charts#1522 (OpenSSL 3.0.15)"),
    ProxyRelease("1.1.3", "1.1.3", "2024-06-27", "helm-charts#1434"),
)
# fmt: on
NEWEST = RELEASES[0]

#: Where the proxy image is pulled from: ECR Public for the government sites (as the
#: Helm chart does for ddog-gov.com; GovCloud networks often cannot reach Docker Hub),
#: Docker Hub (the vendor's ECS example) otherwise.
GOV_REGISTRY = "public.ecr.aws/datadog"
IMAGE_NAME = "fips-proxy"
DOCKER_HUB_REPOSITORY = "datadog/fips-proxy"

_VERSION = re.compile(r"(?:[0-9]+:)?([0-9]+(?:\.[0-9]+)*)(?=[-~+]|\Z)")


def version_of(text: str) -> Optional[tuple[int, ...]]:
    """The release a package version or image tag names (``1:1.1.17-1`` gives (1, 1, 17)).

    None for what names no release (``latest``, a digest).
    """
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def older_than_newest(text: str) -> bool:
    """True when the package version or image tag ``text`` names a release before the newest."""
    version = version_of(text)
    newest = version_of(NEWEST.tag)
    return version is not None and newest is not None and version < newest


def newest_note() -> str:
    """How messages name the newest release: ``1.1.30 (2026-08-11)``."""
    return f"{NEWEST.tag} ({NEWEST.released})"


def stale_package(installed: str) -> Optional[str]:
    """What to say about an installed ``datadog-fips-proxy`` older than the newest; else None."""
    if not older_than_newest(installed):
        return None
    return (
        f"datadog-fips-proxy {installed} is older than {newest_note()}, the newest release"
        " fips-setup knows: the proxy's releases carry its CVE fixes, about monthly"
    )


def stale_image(what: str, tag: str) -> Optional[str]:
    """What to say about a proxy image tag older than the newest (``what`` names it); else None."""
    if not older_than_newest(tag):
        return None
    return (
        f"{what} is {tag}, older than {newest_note()}, the newest fips-proxy release fips-setup"
        " knows: the proxy's releases carry its CVE fixes, about monthly"
    )


def is_gov_site(site: Optional[str]) -> bool:
    """True for a Datadog government site (``ddog-gov.com``, ``us2.ddog-gov.com``)."""
    name = (site or "").strip().lower().rstrip(".")
    return name == "ddog-gov.com" or name.endswith(".ddog-gov.com")


def default_image(site: Optional[str]) -> tuple[str, str]:
    """The image of a new proxy sidecar for the Agent's ``site``, and why, for the output.

    No site: the proxy forwards only to a government site, so its registry.
    """
    if site is None or not site.strip() or is_gov_site(site):
        image = f"{GOV_REGISTRY}/{IMAGE_NAME}:{NEWEST.tag}"
        registry = "ECR Public, as for every government site"
    else:
        image = f"{DOCKER_HUB_REPOSITORY}:{NEWEST.tag}"
        registry = f"Docker Hub, as the site is {site.strip()}"
    return (
        image,
        f"{image}: the newest release fips-setup knows ({NEWEST.released}), from {registry}",
    )
