"""The TLS the proxy's configuration forces toward the intake, and whether it is FIPS-approved.

HAProxy takes a server's TLS settings from three places, each overriding the
one before: the ``global`` section (``ssl-default-server-options``,
``-ciphers``, ``-ciphersuites``, ``ssl-server-verify``), the ``default-server``
line of the ``defaults`` section or backend in force, and the ``server`` line.
:func:`server_tls` reads every ``server`` line with those layers applied.

A cipher is judged by its parts, against NIST SP 800-52 Rev. 2 (TLS
guidelines) and SP 800-131A Rev. 2 (algorithm transitions): key exchange by
ECDHE, DHE or RSA key transport; authentication by RSA or ECDSA; encryption by
AES in GCM, CCM or CBC mode; a SHA-1 or SHA-2 MAC. ChaCha20-Poly1305, Camellia,
ARIA, SEED, IDEA, RC4, DES and 3DES (disallowed for encryption after 2023),
NULL encryption, anonymous and static (EC)DH key exchange are not approved. A
cipher-string keyword (``HIGH``, ``DEFAULT``...) names ciphers that depend on
the module's own OpenSSL build: it is reported as not judged, never guessed.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from fipsconf.proxy_cfg import lines_of

VERSIONS = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
#: The lowest protocol version SP 800-52 Rev. 2 allows.
MIN_APPROVED_VERSION = "TLSv1.2"
_OPTION_VERSIONS = {"sslv3": "SSLv3", "tlsv10": "TLSv1.0", "tlsv11": "TLSv1.1",
                    "tlsv12": "TLSv1.2", "tlsv13": "TLSv1.3"}  # fmt: skip

#: Key exchange and authentication, by the OpenSSL name's prefix: (IANA part, approved, why).
_KEY_EXCHANGES = (
    ("ECDHE-ECDSA-", "ECDHE_ECDSA", True, "ECDHE key agreement, ECDSA signatures"),
    ("ECDHE-RSA-", "ECDHE_RSA", True, "ECDHE key agreement, RSA signatures"),
    ("DHE-RSA-", "DHE_RSA", True, "DHE key agreement, RSA signatures"),
    ("EDH-RSA-", "DHE_RSA", True, "DHE key agreement, RSA signatures"),
    ("DHE-DSS-", "DHE_DSS", False, "DSA signatures (not approved for signing since FIPS 186-5)"),
    ("EDH-DSS-", "DHE_DSS", False, "DSA signatures (not approved for signing since FIPS 186-5)"),
    ("ECDH-ECDSA-", "ECDH_ECDSA", False, "static ECDH key exchange (not in SP 800-52 Rev. 2)"),
    ("ECDH-RSA-", "ECDH_RSA", False, "static ECDH key exchange (not in SP 800-52 Rev. 2)"),
    ("DH-RSA-", "DH_RSA", False, "static DH key exchange (not in SP 800-52 Rev. 2)"),
    ("DH-DSS-", "DH_DSS", False, "static DH key exchange (not in SP 800-52 Rev. 2)"),
    ("ADH-", "DH_anon", False, "anonymous key exchange: the intake is not authenticated"),
    ("AECDH-", "ECDH_anon", False, "anonymous key exchange: the intake is not authenticated"),
    ("ECDHE-PSK-", "ECDHE_PSK", False, "pre-shared keys (not used toward the intake)"),
    ("DHE-PSK-", "DHE_PSK", False, "pre-shared keys (not used toward the intake)"),
    ("RSA-PSK-", "RSA_PSK", False, "pre-shared keys (not used toward the intake)"),
    ("PSK-", "PSK", False, "pre-shared keys (not used toward the intake)"),
    ("SRP-RSA-", "SRP_SHA_RSA", False, "SRP key exchange (not in SP 800-52 Rev. 2)"),
    ("SRP-DSS-", "SRP_SHA_DSS", False, "SRP key exchange (not in SP 800-52 Rev. 2)"),
    ("SRP-", "SRP_SHA", False, "SRP key exchange (not in SP 800-52 Rev. 2)"),
    ("", "RSA", True, "RSA key transport (allowed by SP 800-52 Rev. 2; no forward secrecy)"),
)
#: Encryption and MAC, by the rest of the OpenSSL name: (IANA part, approved, why).
_BULK = {
    "AES128-GCM-SHA256": ("AES_128_GCM_SHA256", True, "AES-128-GCM"),
    "AES256-GCM-SHA384": ("AES_256_GCM_SHA384", True, "AES-256-GCM"),
    "AES128-CCM": ("AES_128_CCM", True, "AES-128-CCM"),
    "AES256-CCM": ("AES_256_CCM", True, "AES-256-CCM"),
    "AES128-CCM8": ("AES_128_CCM_8", True, "AES-128-CCM-8"),
    "AES256-CCM8": ("AES_256_CCM_8", True, "AES-256-CCM-8"),
    "AES128-SHA256": ("AES_128_CBC_SHA256", True, "AES-128-CBC with HMAC-SHA-256"),
    "AES256-SHA256": ("AES_256_CBC_SHA256", True, "AES-256-CBC with HMAC-SHA-256"),
    "AES256-SHA384": ("AES_256_CBC_SHA384", True, "AES-256-CBC with HMAC-SHA-384"),
    "AES128-SHA": ("AES_128_CBC_SHA", True, "AES-128-CBC with HMAC-SHA-1"),
    "AES256-SHA": ("AES_256_CBC_SHA", True, "AES-256-CBC with HMAC-SHA-1"),
    "CHACHA20-POLY1305": ("CHACHA20_POLY1305_SHA256", False, "ChaCha20-Poly1305 is not a"
                          " FIPS-approved cipher"),
    "DES-CBC3-SHA": ("3DES_EDE_CBC_SHA", False, "3DES: disallowed for encryption after 2023"
                     " (SP 800-131A Rev. 2)"),
    "DES-CBC-SHA": ("DES_CBC_SHA", False, "DES is not approved"),
    "RC4-SHA": ("RC4_128_SHA", False, "RC4 is not approved"),
    "RC4-MD5": ("RC4_128_MD5", False, "RC4 and MD5 are not approved"),
    "NULL-SHA": ("NULL_SHA", False, "no encryption"),
    "NULL-SHA256": ("NULL_SHA256", False, "no encryption"),
    "NULL-MD5": ("NULL_MD5", False, "no encryption"),
    "SEED-SHA": ("SEED_CBC_SHA", False, "SEED is not approved"),
    "IDEA-CBC-SHA": ("IDEA_CBC_SHA", False, "IDEA is not approved"),
}  # fmt: skip
for _size in ("128", "256"):
    for _mode, _iana_mode in (("", "CBC"), ("-GCM", "GCM")):
        for _family in ("CAMELLIA", "ARIA"):
            for _mac in ("SHA", "SHA256", "SHA384"):
                _name = f"{_family}{_size}{_mode}-{_mac}"
                _BULK.setdefault(
                    _name,
                    (f"{_family}_{_size}_{_iana_mode}_{_mac}", False, f"{_family} is not approved"),
                )
#: TLS 1.3 suites (``ciphersuites``), by name.
_TLS13 = {
    "TLS_AES_128_GCM_SHA256": (True, "AES-128-GCM"),
    "TLS_AES_256_GCM_SHA384": (True, "AES-256-GCM"),
    "TLS_AES_128_CCM_SHA256": (True, "AES-128-CCM"),
    "TLS_AES_128_CCM_8_SHA256": (True, "AES-128-CCM-8"),
    "TLS_CHACHA20_POLY1305_SHA256": (False, "ChaCha20-Poly1305 is not a FIPS-approved cipher"),
}
#: Options of ``server``/``default-server`` lines that take a value (the others are flags).
_VALUED = frozenset(
    [
        "addr",
        "agent-addr",
        "agent-inter",
        "agent-port",
        "agent-send",
        "alpn",
        "ca-file",
        "check-alpn",
        "check-proto",
        "check-sni",
        "ciphers",
        "ciphersuites",
        "client-sigalgs",
        "cookie",
        "crl-file",
        "crt",
        "curves",
        "downinter",
        "error-limit",
        "fall",
        "fastinter",
        "guid",
        "hash-key",
        "id",
        "init-addr",
        "init-state",
        "inter",
        "log-bufsize",
        "log-proto",
        "max-reuse",
        "maxconn",
        "maxqueue",
        "minconn",
        "namespace",
        "npn",
        "observe",
        "on-error",
        "on-marked-down",
        "on-marked-up",
        "pool-conn-name",
        "pool-low-conn",
        "pool-max-conn",
        "pool-purge-delay",
        "port",
        "proto",
        "redir",
        "resolve-net",
        "resolve-opts",
        "resolve-prefer",
        "resolvers",
        "rise",
        "set-proxy-v2-tlv-fmt",
        "shard",
        "sigalgs",
        "slowstart",
        "sni",
        "socks4",
        "source",
        "ssl-max-ver",
        "ssl-min-ver",
        "tcp-ut",
        "track",
        "usesrc",
        "verify",
        "verifyhost",
        "weight",
        "ws",
    ]
)


class CipherVerdict(NamedTuple):
    """One cipher (or cipher-string item) and whether it is FIPS-approved."""

    name: str  # as the configuration (or the negotiation) spells it
    iana: Optional[str]
    approved: Optional[bool]  # None: a keyword or unknown name, not judged
    why: str

    def record(self) -> dict[str, object]:
        """The JSON form."""
        return self._asdict()


def judge_cipher(name: str) -> CipherVerdict:
    """Whether the cipher ``name`` (OpenSSL or TLS 1.3 spelling) is FIPS-approved, and why."""
    if name in _TLS13:
        approved, why = _TLS13[name]
        return CipherVerdict(name, name, approved, why)
    for prefix, exchange, exchange_ok, exchange_why in _KEY_EXCHANGES:
        if not name.startswith(prefix):
            continue
        bulk = _BULK.get(name[len(prefix) :])
        if bulk is None:
            continue
        iana_bulk, bulk_ok, bulk_why = bulk
        iana = f"TLS_{exchange}_WITH_{iana_bulk}"
        if exchange_ok and bulk_ok:
            return CipherVerdict(name, iana, True, f"{exchange_why}; {bulk_why}")
        return CipherVerdict(name, iana, False, bulk_why if not bulk_ok else exchange_why)
    return CipherVerdict(
        name,
        None,
        None,
        "a keyword or a name fips-setup does not know: the ciphers it allows depend on the"
        " module's OpenSSL, so it is not judged",
    )


def cipher_list(value: str) -> tuple[list[CipherVerdict], list[str]]:
    """The ciphers a cipher string allows, judged, and the items it excludes (``!aNULL``)."""
    allowed: list[CipherVerdict] = []
    excluded: list[str] = []
    for item in value.replace(",", ":").replace(" ", ":").split(":"):
        if not item or item.startswith("@"):  # @STRENGTH, @SECLEVEL=n: ordering, not ciphers
            continue
        if item[0] in "!-+":
            excluded.append(item)
            continue
        allowed.append(judge_cipher(item))
    return allowed, excluded


class VersionRange(NamedTuple):
    """The protocol versions a server may use (None: the configuration forces no bound)."""

    minimum: Optional[str]
    maximum: Optional[str]


def version_range(options: list[list[str]]) -> VersionRange:
    """The versions allowed by layers of ``no-tlsv10``/``ssl-min-ver``/``force-*`` options.

    Each layer (global, default-server, server) is applied in order; a layer
    with ``ssl-min-ver``/``ssl-max-ver`` or ``force-*`` replaces what the
    layers before it said (as HAProxy's own options do).
    """
    enabled = list(VERSIONS)
    forced = False
    for words in options:
        minimum = _value_after(words, "ssl-min-ver")
        maximum = _value_after(words, "ssl-max-ver")
        if minimum or maximum:
            low = VERSIONS.index(minimum) if minimum in VERSIONS else 0
            high = VERSIONS.index(maximum) if maximum in VERSIONS else len(VERSIONS) - 1
            enabled, forced = list(VERSIONS[low : high + 1]), True
        for word in words:
            key = word.lower()
            if key.startswith("force-") and key[6:] in _OPTION_VERSIONS:
                enabled, forced = [_OPTION_VERSIONS[key[6:]]], True
            elif key.startswith("no-") and key[3:] in _OPTION_VERSIONS:
                version = _OPTION_VERSIONS[key[3:]]
                if version in enabled:
                    enabled.remove(version)
                    forced = True
    if not forced or not enabled:
        return VersionRange(None, None)
    return VersionRange(enabled[0], enabled[-1])


def _value_after(words: list[str], option: str) -> Optional[str]:
    found = None
    for index, word in enumerate(words[:-1]):
        if word == option:
            found = words[index + 1]
    return found


class ServerTls(NamedTuple):
    """The TLS a ``server`` line of the proxy uses toward the intake, all layers applied."""

    backend: str
    server: str
    address: str
    line: int  # 1-based
    tls: bool  # the ``ssl`` option: TLS at all
    verify: str  # "required" or "none"
    ca_file: Optional[str]
    sni: Optional[str]
    versions: VersionRange
    ciphers: Optional[str]  # the TLS 1.2 cipher string (None: the module's default)
    ciphersuites: Optional[str]  # the TLS 1.3 suites (None: the module's default)

    def cipher_verdicts(self) -> tuple[list[CipherVerdict], list[str]]:
        """The ciphers allowed (judged) and excluded; TLS 1.3 suites when TLS 1.3 is allowed."""
        allowed, excluded = cipher_list(self.ciphers) if self.ciphers else ([], [])
        if self.ciphersuites and self.versions.maximum in (None, "TLSv1.3"):
            allowed += [judge_cipher(s) for s in self.ciphersuites.split(":") if s]
        return allowed, excluded

    def problems(self) -> list[str]:
        """What keeps this server's TLS from being FIPS-approved, in words (empty: nothing)."""
        where = f"server {self.backend}/{self.server} (line {self.line})"
        if not self.tls:
            return [f"{where} sends to {self.address} without TLS (no 'ssl' option): in clear"]
        found = []
        if self.verify != "required":
            found.append(f"{where} does not verify the intake's certificate (verify {self.verify})")
        if self.versions.minimum is None:
            found.append(
                f"{where}: the configuration forces no minimum TLS version (the module's default"
                " applies)"
            )
        elif VERSIONS.index(self.versions.minimum) < VERSIONS.index(MIN_APPROVED_VERSION):
            found.append(
                f"{where} allows {self.versions.minimum}, below {MIN_APPROVED_VERSION}"
                " (SP 800-52 Rev. 2)"
            )
        if self.ciphers is None:
            found.append(
                f"{where}: the configuration forces no cipher list (the module's default applies)"
            )
        allowed, _ = self.cipher_verdicts()
        rejected = [c.name for c in allowed if c.approved is False]
        unknown = [c.name for c in allowed if c.approved is None]
        if rejected:
            found.append(
                f"{where} allows ciphers that are not FIPS-approved: {', '.join(rejected)}"
            )
        if unknown:
            found.append(f"{where} allows ciphers fips-setup cannot judge: {', '.join(unknown)}")
        return found

    def record(self) -> dict[str, object]:
        """The JSON form, with each cipher judged."""
        allowed, excluded = self.cipher_verdicts()
        return {
            "backend": self.backend,
            "server": self.server,
            "address": self.address,
            "line": self.line,
            "tls": self.tls,
            "verify": self.verify,
            "ca_file": self.ca_file,
            "sni": self.sni,
            "minimum_version": self.versions.minimum,
            "maximum_version": self.versions.maximum,
            "cipher_string": self.ciphers,
            "ciphersuites": self.ciphersuites,
            "ciphers": [c.record() for c in allowed],
            "excluded": excluded,
        }


def server_tls(text: str) -> list[ServerTls]:
    """Every live ``server`` line of the proxy's configuration, with its TLS in force."""
    global_words: list[str] = []
    ciphers: Optional[str] = None
    suites: Optional[str] = None
    verify = "required"  # HAProxy's default for ssl-server-verify
    defaults: list[str] = []  # the default-server line of the defaults section in force
    backend_defaults: list[str] = []
    current_section = ""
    found = []
    for line in lines_of(text):
        words = line.text.split("#", 1)[0].split()
        if not words:
            continue
        if line.section != current_section or words[0] == line.section:
            current_section = line.section
            backend_defaults = []
        if line.section == "global":
            if words[0] == "ssl-default-server-options":
                global_words = words[1:]
            elif words[0] == "ssl-default-server-ciphers" and len(words) > 1:
                ciphers = words[1]
            elif words[0] == "ssl-default-server-ciphersuites" and len(words) > 1:
                suites = words[1]
            elif words[0] == "ssl-server-verify" and len(words) > 1:
                verify = words[1]
        elif line.section == "defaults" and words[0] == "default-server":
            defaults = words[1:]
        elif line.section in ("backend", "listen") and words[0] == "default-server":
            backend_defaults = words[1:]
        elif line.section in ("backend", "listen") and words[0] == "server" and len(words) > 2:
            own = words[3:]
            layers = [defaults, backend_defaults, own]
            options = _options(layers)
            found.append(
                ServerTls(
                    backend=line.section_name,
                    server=words[1],
                    address=words[2],
                    line=line.number + 1,
                    tls=options.get("ssl") == "on",
                    verify=str(options.get("verify", verify)),
                    ca_file=options.get("ca-file"),
                    sni=options.get("sni"),
                    versions=version_range([global_words, *layers]),
                    ciphers=options.get("ciphers", ciphers),
                    ciphersuites=options.get("ciphersuites", suites),
                )
            )
    return found


def _options(layers: list[list[str]]) -> dict[str, str]:
    """Valued options and the ``ssl``/``no-ssl`` switch of layered server options."""
    found: dict[str, str] = {}
    for words in layers:
        index = 0
        while index < len(words):
            word = words[index]
            if word in _VALUED and index + 1 < len(words):
                found[word] = words[index + 1]
                index += 2
                continue
            if word == "ssl":
                found["ssl"] = "on"
            elif word == "no-ssl":
                found["ssl"] = "off"
            index += 1
    return found


def tls_record(servers: list[ServerTls]) -> dict[str, Any]:
    """Each server's TLS (its ciphers by name) and each cipher judged once (``ciphers``)."""
    judged: dict[str, Any] = {}
    records = []
    for server in servers:
        record: dict[str, Any] = dict(server.record(), problems=server.problems())
        allowed, _ = server.cipher_verdicts()
        for cipher in allowed:
            judged.setdefault(cipher.name, cipher.record())
        record["ciphers"] = [cipher.name for cipher in allowed]
        records.append(record)
    return {"servers": records, "ciphers": judged}
