"""The proxy's journal read back: bind errors, servers DOWN since the last start, and their meaning.

Lines as HAProxy 2.6 writes them on a Debian 12 test host, and as the vendor's
page quotes them.
"""

from __future__ import annotations

from fipsconf.proxy_log import explain_down, read_proxy_log

VENDOR_DOWN = [
    "haproxy[292759]: [WARNING] (292759) : Server datadog-api/mothership3 is DOWN, reason:"
    " Layer4 timeout, vcheck duration: 2000ms. 0 active and 0 backup servers left. 0 sessions"
    " active, 0 requeued, 0 remaining in queue.",
    "[ALERT] (292759) : backend 'datadog-api' has no server available!",
    "haproxy[1808]: [WARNING] (1808) : Server datadog-metrics/mothership2 is DOWN, reason: Layer4"
    ' connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup'
    " servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
    "haproxy[1808]: [ALERT] (1808) : backend 'datadog-metrics' has no server available!",
]


def test_the_vendors_examples() -> None:
    log = read_proxy_log(VENDOR_DOWN)
    assert [(s.backend, s.server, s.cause) for s in log.down] == [
        ("datadog-api", "mothership3", "Layer4 timeout"),
        ("datadog-metrics", "mothership2", 'Layer4 connection problem: "Connection refused"'),
    ]
    assert log.empty_backends == ["datadog-api", "datadog-metrics"]
    assert log.bind_errors == []


def test_a_server_back_up_is_not_down() -> None:
    log = read_proxy_log(
        [
            *VENDOR_DOWN,
            "[WARNING]  (410) : Server datadog-api/mothership3 is UP, reason: Layer6 check passed,"
            " check duration: 4ms. 1 active and 0 backup servers online.",
        ]
    )
    assert [s.server for s in log.down] == ["mothership2"]
    assert log.empty_backends == ["datadog-metrics"]


def test_a_start_forgets_what_came_before() -> None:
    started = [
        "Starting datadog-fips-proxy.service - Datadog FIPS Proxy...",
        "[NOTICE]   (485) : New worker (487) forked",
        "[NOTICE]   (485) : Loading success.",
        "Started datadog-fips-proxy.service - Datadog FIPS Proxy.",
    ]
    assert read_proxy_log([*VENDOR_DOWN, *started]) == read_proxy_log([])


BIND = [
    "Starting datadog-fips-proxy.service - Datadog FIPS Proxy...",
    "[ALERT]    (604) : Binding [/etc/datadog-fips-proxy/datadog-fips-proxy.cfg:63] for frontend"
    " profiles-forwarder: cannot bind socket (Address already in use) for [127.0.0.1:9806]",
    "[ALERT]    (604) : [/usr/sbin/haproxy.main()] Some protocols failed to start their listeners!"
    " Exiting.",
    "datadog-fips-proxy.service: Failed with result 'exit-code'.",
]


def test_bind_errors_of_the_last_start_attempt() -> None:
    vendor = (
        "[ALERT] (4518) : Starting frontend metrics-forwarder: cannot bind socket (Address"
        " already in use) [0.0.0.0:9804]"
    )
    log = read_proxy_log(["Starting datadog-fips-proxy.service", vendor, *BIND])
    [error] = log.bind_errors
    assert (error.address, error.port, error.reason) == (
        "127.0.0.1",
        9806,
        "Address already in use",
    )
    [older] = read_proxy_log([vendor]).bind_errors
    assert (older.address, older.port) == ("0.0.0.0", 9804)


def test_dns_maintenance_counts_as_down_until_it_resolves() -> None:
    going = (
        "[WARNING]  (9) : Server datadog-metrics/mothership ('haproxy-app.agent.ddog-gov.com') is"
        " going DOWN for maintenance (DNS timeout status). 0 active and 0 backup servers left."
    )
    [down] = read_proxy_log([going]).down
    assert down.cause == "DNS timeout status"
    back = (
        "[WARNING]  (9) : Server datadog-metrics/mothership administratively READY thanks to"
        " valid DNS answer."
    )
    assert read_proxy_log([going, back]).down == []


def test_what_each_reason_means() -> None:
    assert "firewall or a missing route" in explain_down("Layer4 timeout").meaning
    refused = explain_down("Layer4 connection problem", "Connection refused")
    assert "refused the connection" in refused.meaning and "dns show" in refused.fix
    route = explain_down("Layer4 connection problem", "No route to host")
    assert "No route to host" in route.meaning
    tls = explain_down("Layer6 invalid response", "SSL handshake failure")
    assert "TLS handshake" in tls.meaning
    dns = explain_down("DNS timeout status", dns_fix="fips-setup dns set --nameserver X")
    assert dns.fix.startswith("fips-setup dns set --nameserver X")
    assert "journalctl" in explain_down("Layer7 wrong status").fix
