"""The FIPS-validated cryptographic module each Datadog path relies on, as of a dated table.

NIST's Cryptographic Module Validation Program (CMVP) changes a certificate's
status over time: every FIPS 140-2 certificate went to the Historical list on
2026-09-22. So the table says what each module's status is *as of*
:data:`TABLE_DATE`, with the source of every fact, and code that reports a
status says that date with it. Keeping it current is a one-entry change (and
the date): see docs/evidence.md, "The cryptographic-module table".
"""

from __future__ import annotations

from typing import NamedTuple, Optional

#: The day the statuses below were last checked against their sources.
TABLE_DATE = "2026-12-07"

ACTIVE, HISTORICAL, REVOKED = "active", "historical", "revoked"
PROXY_PATH, FIPS_AGENT_PATH = "proxy", "fips-agent"


class Source(NamedTuple):
    """Where a fact comes from: what it says, and its address."""

    says: str
    url: str


class CryptoModule(NamedTuple):
    """One CMVP certificate: the module, its standard, and its status as of the table's date."""

    certificate: str
    name: str
    vendor: str
    standard: str
    status: str  # ACTIVE, HISTORICAL or REVOKED
    status_since: Optional[str]  # the day the status began (None: since validation)
    sources: tuple[Source, ...]

    @property
    def url(self) -> str:
        """The certificate's page on NIST's site."""
        return (
            "https://csrc.nist.gov/projects/cryptographic-module-validation-program/certificate/"
            + self.certificate
        )

    def status_words(self) -> str:
        """``FIPS 140-2, Historical since 2026-09-22 (as of 2026-12-07)``."""
        since = f" since {self.status_since}" if self.status_since else ""
        return f"{self.standard}, {self.status.capitalize()}{since} (as of {TABLE_DATE})"

    def meaning(self) -> str:
        """What the status means for an authorization, in one sentence."""
        if self.status == ACTIVE:
            return "an active validation: acceptable for new and existing systems"
        if self.status == HISTORICAL:
            return (
                "a Historical validation: agencies may keep using it in existing systems, but a"
                " new authorization should rely on a module with an active validation"
                " (FIPS 140-3)"
            )
        return "a revoked validation: no longer acceptable"


_CMVP_PROGRAM = Source(
    "Modules validated as conforming to FIPS 140-2 will continue to be accepted through"
    " September 22, 2026; after that CMVP places them on the Historical List, allowing"
    " agencies to continue using them for existing applications only",
    "https://csrc.nist.gov/projects/cryptographic-module-validation-program",
)

OPENSSL_3_0_FIPS_PROVIDER = CryptoModule(
    certificate="4282",
    name="OpenSSL FIPS Provider",
    vendor="The OpenSSL Software Foundation",
    standard="FIPS 140-2",
    status=HISTORICAL,
    status_since="2026-09-22",
    sources=(
        _CMVP_PROGRAM,
        Source(
            "the FIPS provider for OpenSSL 3.0.x has been validated for FIPS 140-2 under"
            " certificates #4811 and #4282; starting with OpenSSL 3.1.2, FIPS 140-3 under #4985",
            "https://docs.nginx.com/nginx/fips-compliance-nginx-plus/",
        ),
    ),
)

OPENSSL_3_1_FIPS_PROVIDER = CryptoModule(
    certificate="4985",
    name="OpenSSL FIPS Provider",
    vendor="The OpenSSL Software Foundation",
    standard="FIPS 140-3",
    status=ACTIVE,
    status_since="2025-03-11",
    sources=(
        Source(
            "OpenSSL 3.1.2's FIPS provider is validated for FIPS 140-3 (certificate #4985)",
            "https://openssl-library.org/post/2025-03-11-fips-140-3/",
        ),
    ),
)

#: Every module the table knows, by certificate.
MODULES = {m.certificate: m for m in (OPENSSL_3_0_FIPS_PROVIDER, OPENSSL_3_1_FIPS_PROVIDER)}


class ModuleUse(NamedTuple):
    """Which module one Datadog path relies on, and why fips-setup says so."""

    path: str  # PROXY_PATH or FIPS_AGENT_PATH
    component: str  # what encrypts: the proxy's HAProxy, the FIPS Agent's binaries
    module: CryptoModule
    module_version: Optional[str]  # the version the vendor builds in (None: not published)
    module_file: Optional[str]  # where the module lives on the host (None: not published)
    claim: Source  # the vendor's statement of which certificate it relies on


MODULE_USES = {
    PROXY_PATH: ModuleUse(
        path=PROXY_PATH,
        component="the FIPS proxy (datadog-fips-proxy: HAProxy with OpenSSL 3.0 and its FIPS"
        " provider)",
        module=OPENSSL_3_0_FIPS_PROVIDER,
        module_version=None,
        module_file=None,
        claim=Source(
            "the Datadog Agent FIPS Proxy's compliance is based on its use of the FIPS 140-2"
            " validated Cryptographic Module, Certificate #4282",
            "https://docs.datadoghq.com/agent/faq/fips_proxy/",
        ),
    ),
    FIPS_AGENT_PATH: ModuleUse(
        path=FIPS_AGENT_PATH,
        component="the FIPS Agent (datadog-fips-agent: the Agent built with OpenSSL's FIPS"
        " provider)",
        module=OPENSSL_3_0_FIPS_PROVIDER,
        module_version="3.0.9",
        module_file="/opt/datadog-agent/embedded/lib/ossl-modules/fips.so",
        claim=Source(
            "The FIPS Agent's compliance is based on its use of the FIPS 140-2 validated"
            " Cryptographic Module - Certificate #4282 (its build pins the FIPS provider of"
            " OpenSSL 3.0.9: omnibus/config/software/openssl-fips-provider.rb)",
            "https://docs.datadoghq.com/agent/configuration/fips-compliance/",
        ),
    ),
}


def module_use(path: str) -> ModuleUse:
    """The module ``path`` (PROXY_PATH or FIPS_AGENT_PATH) relies on."""
    return MODULE_USES[path]


def successor(module: CryptoModule) -> Optional[CryptoModule]:
    """An actively validated module of the same family, when ``module`` is no longer active."""
    if module.status == ACTIVE:
        return None
    active = [m for m in MODULES.values() if m.status == ACTIVE and m.name == module.name]
    return active[0] if active else None
