"""The proxy's configuration against the package's example, apart from the documented edits.

Comment lines, blank lines and trailing blanks are not compared (they change
nothing HAProxy does). The documented edits are the ones the vendor's page and fips-setup make: the
DNS ``nameserver`` lines (and dropping ``parse-resolv-conf``) of the resolvers
sections, the port range, and a loopback listening address. Anything else that
differs from the example is a departure from the package's baseline.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from fipsconf import proxy_cfg
from fipsconf.datadog_yaml import check_local_address
from fipsconf.errors import FipsSetupError
from fipsconf.textdiff import unified_diff

#: At most this many diff lines are kept in the evidence.
MAX_DIFF_LINES = 60
MASK = "********"
#: HAProxy lines that carry a password: ``stats auth USER:PASSWORD``, a userlist's
#: ``user NAME password HASH`` / ``insecure-password PASSWORD``.
_SECRET_LINES = (
    re.compile(r"(?P<lead>\bstats\s+auth\s+[^:\s]*:)(?P<value>\S+)"),
    re.compile(r"(?P<lead>\b(?:insecure-password|password)\s+)(?P<value>\S+)"),
)


class Baseline(NamedTuple):
    """Whether the configuration is the example; the documented edits; what else differs."""

    matches: bool
    edits: list[str]
    differences: list[str]  # unified diff lines: the example (as edited) -> the configuration

    def record(self) -> dict[str, object]:
        """The JSON form."""
        return self._asdict()


def compare_with_example(current: str, example: str, path: str) -> Baseline:
    """Compare the configuration ``current`` (at ``path``) with the package's ``example``."""
    edits = []
    start = proxy_cfg.port_range_start(current)
    moved = start if start is not None and start != proxy_cfg.port_range_start(example) else None
    if moved is not None:
        edits.append(f"port range starts at {moved}")
    address = proxy_cfg.local_address(current)
    loopback: Optional[str] = None
    if address is not None and address != proxy_cfg.local_address(example):
        try:
            loopback = check_local_address(address)
        except FipsSetupError:
            loopback = None  # not a documented edit: it shows as a difference
        else:
            edits.append(f"listens on {address}")
    servers = proxy_cfg.nameservers(current)
    for section, lines in sorted(servers.items()):
        if lines and lines != proxy_cfg.nameservers(example).get(section):
            shown = ", ".join(" ".join(line.split()[1:]) for line in lines)
            edits.append(f"resolvers {section}: {shown}")
    try:
        expected = proxy_cfg.render(
            example,
            port_start=moved,
            address=loopback,
            keep_nameservers_of=current,
        )
    except FipsSetupError as exc:
        return Baseline(False, edits, [f"the configuration cannot be compared: {exc}"])
    before = _significant(proxy_cfg.without_dns_lines(expected))
    after = _significant(proxy_cfg.without_dns_lines(current))
    if before == after:
        return Baseline(True, edits, [])
    diff = unified_diff(path, before, after, context=0, before_label=f"{path}.example (edited)")
    # (hunk headers count significant lines, not the file's: left out, they would mislead)
    lines = [_masked(line) for line in diff.splitlines() if not line.startswith("@@")]
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines"]
    return Baseline(False, edits, lines)


def _significant(text: str) -> str:
    """``text`` without comment lines, blank lines and trailing blanks."""
    kept = [line.rstrip() for line in text.splitlines()]
    return "".join(line + "\n" for line in kept if line and not line.lstrip().startswith("#"))


def _masked(line: str) -> str:
    """``line`` with the passwords HAProxy's syntax carries masked."""
    for pattern in _SECRET_LINES:
        line = pattern.sub(lambda m: m.group("lead") + MASK, line)
    return line
