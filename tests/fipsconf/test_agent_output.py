"""The Agent's log (connection errors to the proxy) and its connectivity check's output."""

from __future__ import annotations

import calendar

from fipsconf.agent_output import log_time, proxy_connection_errors, read_diagnose

NOW = calendar.timegm((2024, 5, 2, 10, 30, 0, 0, 0, 0))
LOG = """\
2024-05-02 10:00:00 UTC | CORE | ERROR | (pkg/forwarder/worker.go:184) | Post "http://localhost:9804/api/v1/series": dial tcp 127.0.0.1:9804: connect: connection refused
2024-05-02 10:25:00 UTC | CORE | ERROR | (pkg/forwarder/worker.go:184) | Post "http://localhost:9804/api/v1/series": dial tcp 127.0.0.1:9804: connect: connection refused
2024-05-02 10:26:00 UTC | TRACE | ERROR | Post "http://localhost:9805/v0.4/traces": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
  a continuation line: connection refused :9806
2024-05-02 10:27:00 UTC | CORE | ERROR | read tcp 127.0.0.1:41234->127.0.0.1:9808: read: connection reset by peer
2024-05-02 10:28:00 UTC | CORE | ERROR | Post "https://app.datadoghq.com/api/v1/series": dial tcp 1.2.3.4:443: connect: connection refused
2024-05-02 10:29:00 UTC | CORE | INFO | all good
"""


def test_recent_errors_to_the_proxys_ports() -> None:
    errors = proxy_connection_errors(LOG, range(9803, 9819), since=NOW - 600)
    assert [(e.error, e.times, e.ports) for e in errors] == [
        ("connection refused", 2, [9804, 9806]),
        ("context deadline exceeded", 1, [9805]),
        ("connection reset by peer", 1, [9808]),
    ]
    assert errors[0].last_line.startswith("  a continuation line")


def test_older_lines_and_other_ports_do_not_count() -> None:
    assert proxy_connection_errors(LOG, range(10003, 10019), since=NOW - 600) == []
    assert proxy_connection_errors(LOG, range(9803, 9819), since=NOW) == []


def test_log_times() -> None:
    assert log_time("2024-05-02 10:00:00 UTC | CORE | INFO | x") == NOW - 1800
    assert log_time("2024-05-02T10:00:00Z x") == NOW - 1800
    assert log_time("2024-05-02 10:00:00.123 UTC | x") == NOW - 1800
    assert log_time("no time here") is None
    assert log_time("2024-05-02 10:00:00 | local time") is not None


PASSING = """=== Starting diagnose ===
==============
Suite: connectivity-datadog-core-endpoints
1. --------------
  PASS [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9804
2. --------------
  PASS [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9808
-------------------------
  Total:2, Success:2
"""
FAILING = """=== Starting diagnose ===
Suite: connectivity-datadog-core-endpoints
1. FAIL [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9804
   Diagnosis: dial tcp 127.0.0.1:9804: connect: connection refused
2. PASS [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9808
-------------------------
Total:2, Success:1, Fail:1
"""


def test_the_connectivity_checks_summary() -> None:
    summary = read_diagnose(PASSING)
    assert summary is not None and (summary.total, summary.failed, summary.passed) == (2, 0, 2)
    failing = read_diagnose(FAILING)
    assert failing is not None and (failing.total, failing.failed) == (2, 1)
    assert failing.failures == [
        "1. FAIL [connectivity-datadog-core-endpoints] Connectivity to http://localhost:9804"
        " (Diagnosis: dial tcp 127.0.0.1:9804: connect: connection refused)"
    ]
    assert read_diagnose("Error: unknown flag: --include") is None
