"""The Datadog sites, and which FIPS path the vendor supports on each.

Two government sites exist: US1-FED (``ddog-gov.com``) and US2-FED
(``us2.ddog-gov.com``). The FIPS proxy is "pre-configured for use with the
US1-FED datacenter" and does not support "outbound communication to anything
other than the US1-FED region site": on US2-FED it would carry the host's
payloads to US1-FED's intake, the wrong site, so it is refused there. The FIPS
Agent sends to the site it is given, and Datadog's pages for the government
sites (``gov`` and ``gov2``) point FED users to it; its FIPS Compliance page
names US1-FED only, which the output says. Sources and dates:
``docs/support-matrix.md``.

A commercial site is a different case: usually the template's default left in
place, which the operator fixes by setting ``ddog-gov.com``.
"""

from typing import NamedTuple, Optional

US1_FED = "ddog-gov.com"
US2_FED = "us2.ddog-gov.com"
#: The government sites and their names in Datadog's site table.
GOVERNMENT_SITES = {US1_FED: "US1-FED", US2_FED: "US2-FED"}


class SiteSupport(NamedTuple):
    """A site and what the vendor supports there."""

    site: Optional[str]  # lower case, stripped; None when not set
    label: Optional[str]  # "US1-FED", "US2-FED", or None for a commercial site

    @property
    def government(self) -> bool:
        """True for US1-FED and US2-FED."""
        return self.label is not None

    @property
    def proxy_supported(self) -> bool:
        """True where the FIPS proxy forwards to the site's own intake (US1-FED)."""
        return self.site == US1_FED

    @property
    def fips_agent_supported(self) -> bool:
        """True on the government sites, where the FIPS Agent sends to the site's own intake."""
        return self.government

    def name(self) -> str:
        """``us2.ddog-gov.com (US2-FED)``, ``datadoghq.com`` or ``not set``."""
        if self.site is None:
            return "not set"
        return f"{self.site} ({self.label})" if self.label else self.site

    def support(self) -> str:
        """One sentence: which FIPS path Datadog supports on this site."""
        if self.site == US1_FED:
            return "Datadog supports the FIPS proxy and the FIPS Agent on US1-FED"
        if self.site == US2_FED:
            return (
                "on US2-FED Datadog points to the FIPS Agent, which sends to the site's own"
                f" intake; the FIPS proxy forwards to US1-FED ({US1_FED}) only"
            )
        return f"not a government site: the FIPS paths are for US1-FED ({US1_FED})"


def site_support(site: object) -> SiteSupport:
    """What the vendor supports on ``site`` (a value from datadog.yaml, DD_SITE, Helm, ECS)."""
    if site is None or not str(site).strip():
        return SiteSupport(None, None)
    normalized = str(site).strip().lower()
    return SiteSupport(normalized, GOVERNMENT_SITES.get(normalized))


def wrong_government_site(site: object, instead: str) -> Optional[str]:
    """Why the FIPS proxy must not be set up for a US2-FED ``site`` (None: not US2-FED).

    ``instead`` is the way to the FIPS Agent where the caller works (``fips-setup
    migrate``, ``DD_AGENT_FLAVOR=datadog-fips-agent``, ``--fips-agent``). The
    sentence ends with the way forward; the caller says where the site is set.
    """
    if site_support(site).site != US2_FED:
        return None
    return (
        f"site is {US2_FED} (US2-FED), and the FIPS proxy forwards to US1-FED ({US1_FED}) only:"
        f" its payloads would go to the wrong site; use the FIPS Agent, which sends to"
        f" US2-FED's own intake ({instead}), or, for a US1-FED organization, set site: {US1_FED}"
    )


def fips_agent_note(site: object) -> Optional[str]:
    """What an operator setting up the FIPS Agent on US2-FED should know (None: not US2-FED)."""
    if site_support(site).site != US2_FED:
        return None
    return (
        f"site is {US2_FED} (US2-FED): the FIPS Agent sends to US2-FED's own intake; Datadog's"
        " FIPS Compliance page names US1-FED, its US2-FED pages point FED users to the FIPS"
        " Agent: keep your authorization's record of which one you rely on"
    )


def site_of_host(name: str) -> Optional[str]:
    """The government site an intake host name belongs to (None: neither).

    ``haproxy-app.agent.ddog-gov.com`` is US1-FED's; a name under
    ``us2.ddog-gov.com`` is US2-FED's, though it also ends in ``ddog-gov.com``.
    """
    lowered = name.strip().lower().rstrip(".")
    for site in sorted(GOVERNMENT_SITES, key=len, reverse=True):
        if lowered == site or lowered.endswith("." + site):
            return site
    return None
