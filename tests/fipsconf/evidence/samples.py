"""Facts of realistic hosts, as installer.evidence collects them, for the pure builders' tests."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any, Optional

from fipsconf.crypto_modules import FIPS_AGENT_PATH, PROXY_PATH, TABLE_DATE, module_use
from fipsconf.evidence.baseline import compare_with_example
from fipsconf.evidence.document import build_evidence
from fipsconf.tls_policy import judge_cipher, server_tls, tls_record

REPO = Path(__file__).resolve().parents[3]
#: The stand-in proxy package's example: the vendor's TLS settings, 16 frontends, 15 backends.
PROXY_EXAMPLE = (
    (REPO / "tests/e2e/packages/datadog-fips-proxy/datadog-fips-proxy.cfg.example.in")
    .read_text()
    .replace("@PROXY_VERSION@", "1.1.30")
)
PROXY_CMD = "/opt/datadog-fips-proxy/embedded/sbin/haproxy -Ws -f /etc/datadog-fips-proxy/datadog-fips-proxy.cfg"

PASSING_CHECKS = (
    "root", "platform", "agent-installed", "fips-agent", "proxy-installed", "proxy-config",
    "proxy-config-valid", "proxy-config-current", "datadog-yaml", "fips-enabled", "fips-https",
    "fips-local-address", "fips-port-range", "site", "http-proxy", "remote-config", "agent-service",
    "proxy-service", "proxy-ports", "agent-to-proxy", "proxy-to-intake", "proxy-dns", "agent-log",
)  # fmt: skip
FINDINGS = {
    "fips-enabled": "fips.enabled is true (file)",
    "fips-https": "fips.https is false (file): plain HTTP to the local proxy",
    "fips-local-address": "fips.local_address is localhost (default): loopback",
    "fips-port-range": "the Agent and the proxy agree on ports 9803-9818",
    "site": "site is ddog-gov.com (datadog.yaml)",
    "proxy-config": "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg: dd-agent:dd-agent 640",
    "proxy-service": "datadog-fips-proxy is active (running)",
    "proxy-ports": "all 16 ports 9803-9818 are held by the proxy (pid 500)",
}


def check(check_id: str, status: str = "pass", finding: Optional[str] = None) -> dict[str, Any]:
    """A doctor check's record."""
    return {
        "id": check_id,
        "status": status,
        "finding": finding or FINDINGS.get(check_id, f"{check_id} is fine"),
        "fix": None if status == "pass" else "do what it says",
    }


def listener(port: int, address: str = "127.0.0.1") -> dict[str, Any]:
    """One of the proxy's listeners."""
    return {
        "port": port,
        "address": address,
        "loopback": address.startswith("127.") or address == "::1",
        "pid": 500,
        "command": PROXY_CMD,
        "proxy": True,
    }


def module(path: str) -> dict[str, Any]:
    """The module record for ``path``, as installer.evidence writes it."""
    use = module_use(path)
    return {
        "path": use.path,
        "component": use.component,
        "name": use.module.name,
        "vendor": use.module.vendor,
        "module_version": use.module_version,
        "certificate": use.module.certificate,
        "url": use.module.url,
        "standard": use.module.standard,
        "status": use.module.status,
        "status_since": use.module.status_since,
        "status_words": use.module.status_words(),
        "meaning": use.module.meaning(),
        "claim": use.claim._asdict(),
        "sources": [s._asdict() for s in use.module.sources],
        "file": None,
        "as_of": TABLE_DATE,
    }


def proxied_host(
    hostname: str = "web-1", config: str = PROXY_EXAMPLE, machine: Optional[str] = None
) -> dict[str, Any]:
    """A compliant proxied host: Agent 7.60 through a running proxy on loopback."""
    servers = server_tls(config)
    return {
        "collected": {
            "time": "2026-12-08T10:00:00Z",
            "root": True,
            "config": "/etc/datadog-agent/datadog.yaml",
            "command": "fips-setup evidence",
            "toolkit": {"name": "fips-setup", "version": "0.1.0", "code_sha256": "ab" * 32},
            "seconds": 0.61,
        },
        "host": {
            "hostname": hostname,
            "machine_id": machine or hashlib.md5(hostname.encode()).hexdigest(),
            "os": {
                "id": "rhel",
                "name": "Red Hat Enterprise Linux 9.4",
                "base_name": "Red Hat Enterprise Linux",
                "version": "9.4",
            },
            "kernel": "5.14.0-427.el9.x86_64",
            "architecture": "x86_64",
            "kernel_fips": {"path": "/proc/sys/crypto/fips_enabled", "value": "1", "enabled": True},
        },
        "agent": {
            "flavor": "datadog-agent",
            "version": "7.60.0",
            "package_version": "1:7.60.0-1",
            "version_supported": True,
            "fips_mode": {"value": "proxy", "line": "FIPS Mode: proxy", "problem": None},
            "settings": {
                "enabled": {"value": True, "source": "file"},
                "https": {"value": False, "source": "file"},
                "port_range_start": {"value": 9803, "source": "default"},
                "local_address": {"value": "localhost", "source": "default"},
            },
            "overrides": [],
            "site": {"value": "ddog-gov.com", "source": "datadog.yaml"},
            "problems": [],
        },
        "proxy": {
            "installed": True,
            "package_version": "1.1.30-1",
            "service": {"state": "active (running)", "active": True, "enabled": True},
            "ports": [9803, 9818],
            "openssl": {
                "built_with": "OpenSSL 3.0.16",
                "running_on": "OpenSSL 3.0.16",
                "problem": None,
            },
            "listeners": [listener(port) for port in range(9803, 9819)],
            "loopback_only": True,
            "config": {
                "path": "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg",
                "problem": None,
                "owner": "dd-agent",
                "group": "dd-agent",
                "mode": "640",
                "sha256": "cd" * 32,
                "example_path": "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg.example",
                "example_sha256": "ef" * 32,
                "baseline": compare_with_example(
                    config, PROXY_EXAMPLE, "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
                ).record(),
            },
            "tls": tls_record(servers),
        },
        "module": module(PROXY_PATH),
        "live_check": {
            "checked": True,
            "detail": "one request through a copy of the proxy to haproxy-app.agent.ddog-gov.com",
            "server": "haproxy-app.agent.ddog-gov.com",
            "backend": "datadog-metrics/mothership",
            "protocol": "TLSv1.2",
            "cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "http_status": 200,
            "seconds": 0.21,
            "cipher_verdict": judge_cipher("ECDHE-RSA-AES128-GCM-SHA256").record(),
        },
        "doctor": {
            "summary": {},
            "checks": [check(i) for i in PASSING_CHECKS]
            + [
                check("kernel-fips", "info", "the kernel runs in FIPS mode"),
                check("crypto-module", "info", "relies on #4282"),
                check("fips-mode", "skip", "datadog-fips-agent is not installed"),
            ],
        },
    }


def fips_agent_host(hostname: str = "db-1") -> dict[str, Any]:
    """A compliant FIPS Agent host (moved from the proxy; the proxy's package removed)."""
    facts = proxied_host(hostname)
    facts["agent"].update(
        flavor="datadog-fips-agent",
        version="7.65.2",
        package_version="1:7.65.2-1",
        fips_mode={"value": "enabled", "line": "FIPS Mode: enabled", "problem": None},
    )
    facts["agent"]["settings"]["enabled"] = {"value": False, "source": "file"}
    facts["proxy"] = {"installed": False, "package_version": None}
    facts["module"] = module(FIPS_AGENT_PATH)
    facts["live_check"] = {"checked": False, "detail": "not checked: the FIPS proxy is not in use"}
    facts["doctor"]["checks"] = [
        check("fips-mode", "pass", "sudo -u dd-agent datadog-agent status: FIPS Mode: enabled"),
        check("site"),
        check("proxy-installed", "skip", "the FIPS Agent is installed: it needs no proxy"),
    ]
    return facts


def sealed(facts: dict[str, Any]) -> dict[str, Any]:
    """The evidence document of ``facts`` (a copy: the facts stay as they were)."""
    return build_evidence(copy.deepcopy(facts))


def set_check(facts: dict[str, Any], check_id: str, status: str, finding: str) -> None:
    """Replace a doctor check's outcome."""
    checks = facts["doctor"]["checks"]
    facts["doctor"]["checks"] = [c for c in checks if c["id"] != check_id] + [
        check(check_id, status, finding)
    ]
