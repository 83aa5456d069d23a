"""Read the FIPS proxy's journal: bind errors, intake servers DOWN, and what each means.

HAProxy writes its alerts and server state changes to stderr, which journald
keeps for the ``datadog-fips-proxy`` unit (``journalctl -u datadog-fips-proxy
-o cat``). The lines are replayed in order so that only what holds since the
proxy last started counts: a server that went DOWN and came back UP is fine,
and a restart forgets the states of the run before.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

_STARTING = re.compile(r"^Starting \S*datadog-fips-proxy|New worker \(\d+\) forked")
_BIND_ERROR = re.compile(
    r"cannot bind socket \((?P<reason>[^)]*)\)(?: for)? \[(?P<address>[^\]]*)\]"
)
_SERVER_DOWN = re.compile(
    r"Server (?P<backend>[^/\s]+)/(?P<server>\S+) is DOWN, reason: (?P<reason>[^,]+)"
    r"(?:, info: \"(?P<info>[^\"]*)\")?"
)
_SERVER_MAINT = re.compile(
    r"Server (?P<backend>[^/\s]+)/(?P<server>\S+)(?: \('[^']*'\))? is going DOWN for"
    r" maintenance(?: \((?P<reason>[^)]*)\))?"
)
_SERVER_UP = re.compile(
    r"Server (?P<backend>[^/\s]+)/(?P<server>\S+)(?: \('[^']*'\))?"
    r" (?:is UP\b|is UP/READY|administratively READY)"
)
_NO_SERVER = re.compile(r"backend '(?P<backend>[^']+)' has no server available!")


class BindError(NamedTuple):
    """The proxy could not listen on an address (another process holds the port)."""

    address: str
    port: int
    reason: str  # "Address already in use"
    line: str


class ServerDown(NamedTuple):
    """An intake server HAProxy's health check (or DNS) took out of service."""

    backend: str
    server: str
    reason: str  # "Layer4 timeout", "Layer4 connection problem", "DNS timeout status"...
    info: str  # "Connection refused", or ""
    line: str

    @property
    def cause(self) -> str:
        """``Layer4 connection problem: "Connection refused"``: the reason as HAProxy gave it."""
        return f'{self.reason}: "{self.info}"' if self.info else self.reason


class ProxyLog(NamedTuple):
    """What the journal says about the proxy's latest start."""

    bind_errors: list[BindError]
    down: list[ServerDown]  # servers still DOWN at the end of the journal
    empty_backends: list[str]  # backends reported without a server, none back since


def read_proxy_log(lines: list[str]) -> ProxyLog:
    """Replay the proxy's journal lines (oldest first) into the state they leave."""
    bind_errors: list[BindError] = []
    down: dict[tuple[str, str], ServerDown] = {}
    empty: list[str] = []
    for line in lines:
        if _STARTING.search(line):
            if line.startswith("Starting"):
                bind_errors = []
            down.clear()
            empty.clear()
            continue
        match = _BIND_ERROR.search(line)
        if match:
            address, _, port = match.group("address").rpartition(":")
            if port.isdigit():
                bind_errors.append(BindError(address, int(port), match.group("reason"), line))
            continue
        match = _SERVER_DOWN.search(line) or _SERVER_MAINT.search(line)
        if match:
            key = (match.group("backend"), match.group("server"))
            reason = (match.group("reason") or "maintenance").strip()
            info = match.groupdict().get("info") or ""
            down[key] = ServerDown(*key, reason, info, line)
            continue
        match = _SERVER_UP.search(line)
        if match:
            down.pop((match.group("backend"), match.group("server")), None)
            if match.group("backend") in empty:
                empty.remove(match.group("backend"))
            continue
        match = _NO_SERVER.search(line)
        if match and match.group("backend") not in empty:
            empty.append(match.group("backend"))
    return ProxyLog(bind_errors, list(down.values()), empty)


class Explanation(NamedTuple):
    """What a DOWN reason means for the operator, and what to do."""

    meaning: str
    fix: str


FIREWALL_FIX = (
    "allow outbound TCP 443 from this host to the US1-FED intake (its addresses:"
    " https://ip-ranges.ddog-gov.com/), in the host's firewall and the network's"
)


def explain_down(reason: str, info: str = "", dns_fix: Optional[str] = None) -> Explanation:
    """The meaning and the fix of a server's DOWN reason (HAProxy's wording)."""
    text = f"{reason} {info}".lower()
    dns = dns_fix or "fips-setup dns set --nameserver <your DNS server>"
    if "dns" in text or "resolution" in text or "no ip" in text:
        return Explanation(
            "the proxy's resolvers cannot resolve the intake's name", f"{dns}; then check: {_SHOW}"
        )
    if "layer4 timeout" in text:
        return Explanation(
            "connections to the intake time out: a firewall or a missing route drops them",
            FIREWALL_FIX,
        )
    if "refused" in text:
        return Explanation(
            "the intake's address refused the connection: a firewall rejects it, or the"
            " name resolves to the wrong address",
            f"{FIREWALL_FIX}; check what the name resolves to: {_SHOW}",
        )
    if "layer4" in text:
        return Explanation(
            f"no TCP connection to the intake ({info or reason}): a network or routing problem",
            FIREWALL_FIX,
        )
    if "layer6" in text or "ssl" in text or "handshake" in text:
        return Explanation(
            "the TLS handshake with the intake failed: something intercepts TLS on the way"
            " (a TLS-inspecting proxy or firewall), or the CA bundle lacks the intake's CA",
            "let this host reach the intake on TCP 443 without TLS interception",
        )
    return Explanation(
        f"the intake's health check fails ({reason})",
        "journalctl -u datadog-fips-proxy --no-pager (the proxy's log says more)",
    )


_SHOW = "fips-setup dns show"
