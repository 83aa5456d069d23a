"""Read what the Agent says: its log's connection errors, its connectivity check, its status.

The vendor's troubleshooting page names three errors the Agent logs when it
cannot reach the proxy (``connect: connection refused``, ``context deadline
exceeded``, ``connection reset by peer``) and the ``datadog-agent diagnose``
connectivity suite, whose summary line is ``Total:N, Success:N, Fail:N``;
``datadog-agent status`` has a ``FIPS Mode:`` line in its header.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import NamedTuple, Optional

_FIPS_MODE = re.compile(r"^\s*FIPS Mode:\s*(\S+)", re.MULTILINE)

#: The errors the vendor documents, as the Agent (Go) spells them.
CONNECTION_ERRORS = ("connection refused", "context deadline exceeded", "connection reset by peer")
_STAMP = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s*(UTC|Z)?")


class LogErrors(NamedTuple):
    """One kind of connection error to the proxy found in the Agent's log."""

    error: str
    times: int
    ports: list[int]
    last_line: str


def log_time(line: str) -> Optional[float]:
    """The time of an Agent log line (seconds since the epoch), None without one.

    The Agent writes ``2024-05-02 10:11:12 UTC | CORE | ...`` (UTC), or the
    local time without a zone.
    """
    match = _STAMP.match(line)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    if match.group(7):
        return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))


def proxy_connection_errors(text: str, ports: range, since: float) -> list[LogErrors]:
    """The documented connection errors to ``ports`` in lines logged at ``since`` or later.

    A line counts when it names one of the errors and one of the ports
    (``:9804``); lines without a time follow the last timed line.
    """
    found: dict[str, LogErrors] = {}
    port_pattern = re.compile(r":(\d{2,5})\b")
    recent = False
    for line in text.splitlines():
        stamp = log_time(line)
        if stamp is not None:
            recent = stamp >= since
        if not recent:
            continue
        lowered = line.lower()
        error = next((e for e in CONNECTION_ERRORS if e in lowered), None)
        if error is None:
            continue
        hit = sorted({int(p) for p in port_pattern.findall(line) if int(p) in ports})
        if not hit:
            continue
        earlier = found.get(error)
        merged = sorted(set(hit) | set(earlier.ports)) if earlier else hit
        found[error] = LogErrors(error, (earlier.times if earlier else 0) + 1, merged, line)
    return [found[e] for e in CONNECTION_ERRORS if e in found]


class DiagnoseSummary(NamedTuple):
    """The outcome of ``datadog-agent diagnose`` for the connectivity suite."""

    total: int
    failed: int
    failures: list[str]  # "FAIL ... / Diagnosis: ..." of the first failed checks

    @property
    def passed(self) -> int:
        """How many of its checks passed."""
        return self.total - self.failed


def read_diagnose(output: str) -> Optional[DiagnoseSummary]:
    """The summary of a diagnose run's output (None: no summary line in it)."""
    totals = re.search(r"Total:\s*(\d+)", output)
    if totals is None:
        return None
    failed = sum(int(n) for n in re.findall(r"\b(?:Fail|Error):\s*(\d+)", output))
    lines = output.splitlines()
    failures = []
    for index, line in enumerate(lines):
        if re.search(r"\bFAIL\b", line):
            detail = line.strip()
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            if following.startswith("Diagnosis:"):
                detail += f" ({following})"
            failures.append(detail)
    return DiagnoseSummary(int(totals.group(1)), failed, failures[:3])


def fips_mode(status_output: str) -> Optional[str]:
    """The ``FIPS Mode:`` word of ``datadog-agent status`` output, or None without that line.

    ``enabled`` on the FIPS Agent, ``proxy`` on an Agent with ``fips.enabled``,
    ``disabled`` otherwise (``not`` of ``not available`` on builds without it).
    """
    match = _FIPS_MODE.search(status_output)
    return match.group(1) if match else None
