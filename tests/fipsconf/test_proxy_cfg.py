"""The proxy's HAProxy configuration: ports, address and DNS, everything else untouched."""

from __future__ import annotations

import re

import pytest

from fipsconf import proxy_cfg
from fipsconf.errors import DocumentError, SettingError
from tests.fakes import PROXY_EXAMPLE


def test_binds_and_range() -> None:
    binds = proxy_cfg.binds(PROXY_EXAMPLE)
    assert [b.port for b in binds] == list(range(9803, 9819))
    assert {b.address for b in binds} == {"${DD_FIPS_LOCAL_ADDRESS}"}
    assert proxy_cfg.port_range_start(PROXY_EXAMPLE) == 9803
    assert proxy_cfg.local_address(PROXY_EXAMPLE) == "127.0.0.1"


def test_moving_the_port_range_changes_only_bind_ports() -> None:
    moved = proxy_cfg.with_port_range_start(PROXY_EXAMPLE, 10000)
    assert [b.port for b in proxy_cfg.binds(moved)] == list(range(10000, 10016))
    before = PROXY_EXAMPLE.splitlines()
    after = moved.splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(changed) == 16 and all("bind" in a for a, _ in changed)
    assert proxy_cfg.with_port_range_start(moved, 9803) == PROXY_EXAMPLE


def test_no_binds_is_not_a_proxy_configuration() -> None:
    with pytest.raises(DocumentError, match="no 'bind' lines"):
        proxy_cfg.with_port_range_start("global\n    daemon\n", 10000)


def test_the_local_address_preset_is_replaced() -> None:
    changed = proxy_cfg.with_local_address(PROXY_EXAMPLE, "127.0.0.2")
    assert "    presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.2\n" in changed
    assert changed.count("127.0.0.2") == 1
    assert proxy_cfg.local_address(changed) == "127.0.0.2"


def test_literal_bind_addresses_are_replaced() -> None:
    text = "global\n    daemon\nfrontend a\n    bind 127.0.0.1:9804 ssl\r\nfrontend b\n    bind 127.0.0.1:9805\n"
    changed = proxy_cfg.with_local_address(text, "::1")
    assert changed == text.replace("127.0.0.1:", "::1:")
    assert proxy_cfg.local_address(changed) == "::1"


def test_a_preset_is_added_where_binds_use_the_variable_without_one() -> None:
    text = "global\n  daemon\nfrontend a\n  bind ${DD_FIPS_LOCAL_ADDRESS}:9804\n"
    changed = proxy_cfg.with_local_address(text, "127.0.0.3")
    assert (
        changed
        == "global\n  presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.3\n  daemon\nfrontend a\n  bind ${DD_FIPS_LOCAL_ADDRESS}:9804\n"
    )


def test_nameservers_carry_over() -> None:
    old = PROXY_EXAMPLE.replace(
        "    # nameserver dns1 <Your DNS IP>:<Port>\n",
        "    nameserver dns1 10.0.0.2:53\n    nameserver dns2 10.0.0.3:53\n",
    )
    assert proxy_cfg.nameservers(old) == {
        "my-dns": ["nameserver dns1 10.0.0.2:53", "nameserver dns2 10.0.0.3:53"]
    }
    new_example = PROXY_EXAMPLE.replace("timeout connect 5s", "timeout connect 9s")
    rendered = proxy_cfg.render(new_example, port_start=None, address=None, keep_nameservers_of=old)
    assert "timeout connect 9s" in rendered
    assert proxy_cfg.nameservers(rendered) == proxy_cfg.nameservers(old)
    assert rendered.index("parse-resolv-conf") < rendered.index("nameserver dns1 10.0.0.2:53")


def test_existing_nameservers_are_replaced_in_place() -> None:
    text = "resolvers my-dns\n    nameserver a 1.1.1.1:53\n    hold valid 10s\n"
    out = proxy_cfg.with_nameservers(text, {"my-dns": ["nameserver b 10.0.0.9:53"]})
    assert out == "resolvers my-dns\n    nameserver b 10.0.0.9:53\n    hold valid 10s\n"


E2E_RESOLVERS = """defaults
    default-server verify required check resolvers my-dns init-addr none

# This section is to reload DNS Records
resolvers my-dns
    parse-resolv-conf
    # nameserver dns1 <Your DNS IP>:<Port>
    # nameserver dns2 <Your DNS IP>:<Port>
    resolve_retries 3
    hold valid 10s

# HAProxy statistics, port 9803 (port_range_start + 0)
listen stats
    bind 127.0.0.1:9803
"""


def test_the_resolvers_in_use() -> None:
    [section] = proxy_cfg.resolvers_sections(E2E_RESOLVERS)
    assert (section.name, section.parse_resolv_conf, section.nameservers) == ("my-dns", True, [])
    assert proxy_cfg.resolvers_in_use(E2E_RESOLVERS) == ["my-dns"]
    assert section.lines(E2E_RESOLVERS) == [
        "resolvers my-dns", "parse-resolv-conf", "resolve_retries 3", "hold valid 10s"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "address", "port"),
    [
        ("nameserver dns1 10.0.0.2:53", "10.0.0.2", 53),
        ("nameserver dns1 10.0.0.2", "10.0.0.2", 53),
        ("nameserver dns1 [fd00::53]:5353", "fd00::53", 5353),
        ("nameserver dns1 udp@10.0.0.3:54", "10.0.0.3", 54),
    ],
)
def test_nameserver_lines_are_read(line: str, address: str, port: int) -> None:
    text = f"resolvers r\n    {line}\n"
    [server] = proxy_cfg.resolvers_sections(text)[0].nameservers
    assert (server.name, server.address, server.port, server.line) == ("dns1", address, port, 2)


def test_new_nameservers_go_after_the_commented_examples() -> None:
    lines = ["nameserver dns1 10.0.0.2:53", "nameserver dns2 [fd00::53]:53"]
    out = proxy_cfg.with_resolvers(E2E_RESOLVERS, "my-dns", lines)
    assert out == E2E_RESOLVERS.replace(
        "    # nameserver dns2 <Your DNS IP>:<Port>\n",
        "    # nameserver dns2 <Your DNS IP>:<Port>\n"
        "    nameserver dns1 10.0.0.2:53\n    nameserver dns2 [fd00::53]:53\n",
    )
    again = proxy_cfg.with_resolvers(out, "my-dns", ["nameserver dns1 10.9.9.9:53"])
    assert again == E2E_RESOLVERS.replace(
        "    # nameserver dns2 <Your DNS IP>:<Port>\n",
        "    # nameserver dns2 <Your DNS IP>:<Port>\n    nameserver dns1 10.9.9.9:53\n",
    )


def test_parse_resolv_conf_is_dropped_only_when_asked() -> None:
    out = proxy_cfg.with_resolvers(
        E2E_RESOLVERS, "my-dns", ["nameserver dns1 10.0.0.2:53"], parse_resolv_conf=False
    )
    assert "parse-resolv-conf" not in out
    assert not proxy_cfg.resolvers_sections(out)[0].parse_resolv_conf
    kept = proxy_cfg.with_resolvers(out, "my-dns", ["nameserver dns1 10.0.0.3:53"])
    assert "parse-resolv-conf" not in kept  # never added back


def test_without_examples_nameservers_follow_parse_resolv_conf_then_the_header() -> None:
    text = "resolvers r\r\n  parse-resolv-conf\r\n  hold valid 10s\r\n"
    out = proxy_cfg.with_resolvers(text, "r", ["nameserver a 10.0.0.1:53"])
    assert (
        out
        == "resolvers r\r\n  parse-resolv-conf\r\n  nameserver a 10.0.0.1:53\r\n  hold valid 10s\r\n"
    )
    bare = "resolvers r\n  hold valid 10s\n"
    assert proxy_cfg.with_resolvers(bare, "r", ["nameserver a 10.0.0.1:53"]) == (
        "resolvers r\n  nameserver a 10.0.0.1:53\n  hold valid 10s\n"
    )


def test_a_missing_section_is_an_error() -> None:
    with pytest.raises(DocumentError, match="has no 'resolvers other' section"):
        proxy_cfg.with_resolvers(E2E_RESOLVERS, "other", [])


def test_a_refresh_keeps_a_dropped_parse_resolv_conf() -> None:
    mine = proxy_cfg.with_resolvers(
        E2E_RESOLVERS, "my-dns", ["nameserver dns1 10.0.0.2:53"], parse_resolv_conf=False
    )
    assert (
        proxy_cfg.render(E2E_RESOLVERS, port_start=None, address=None, keep_nameservers_of=mine)
        == mine
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("10.0.0.2:5353", ("10.0.0.2", 5353)),
        ("[fd00::53]", ("fd00::53", 53)),
        ("[fd00::53]:53", ("fd00::53", 53)),
        (" 127.0.0.1:53 ", ("127.0.0.1", 53)),
    ],
)
def test_operators_nameservers(value: str, expected: tuple[str, int]) -> None:
    assert proxy_cfg.parse_nameserver(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("10.0.0", "is not an address"),
        ("dns.example.com", "is not an address"),
        ("fd00::53", "an IPv6 address goes in brackets ([fd00::53]:53)"),
        ("[10.0.0.2]:53", "is not an address"),
        ("[fd00::53", "is not an address"),
        ("10.0.0.2:0", "the port must be a number from 1 to 65535"),
        ("10.0.0.2:65536", "the port must be a number from 1 to 65535"),
        ("10.0.0.2:x", "the port must be a number from 1 to 65535"),
        ("[fd00::53]53", "is not an address"),
    ],
)
def test_bad_nameservers_are_refused(value: str, words: str) -> None:
    with pytest.raises(SettingError, match=re.escape(words)):
        proxy_cfg.parse_nameserver(value)


def test_the_metrics_intake_name() -> None:
    text = (
        "frontend metrics-forwarder\n    bind 127.0.0.1:9804\n    default_backend datadog-metrics\n"
        "backend datadog-api\n    server mothership3 api.ddog-gov.com:443 check\n"
        "backend datadog-metrics\n    server mothership haproxy-app.agent.ddog-gov.com:443 ssl\n"
        "backend ips\n    server direct 10.1.1.1:443\n"
    )
    assert [(s.backend, s.host, s.port) for s in proxy_cfg.servers(text)] == [
        ("datadog-api", "api.ddog-gov.com", 443),
        ("datadog-metrics", "haproxy-app.agent.ddog-gov.com", 443),
        ("ips", "10.1.1.1", 443),
    ]
    assert proxy_cfg.intake_name(text, 9804) == "haproxy-app.agent.ddog-gov.com"
    assert proxy_cfg.intake_name(text, 9805) == "api.ddog-gov.com"  # no frontend: the first name
    assert proxy_cfg.intake_name("backend ips\n    server d 10.1.1.1:443\n", 9804) is None


def test_dns_lines_left_out_for_comparing() -> None:
    mine = E2E_RESOLVERS.replace("    parse-resolv-conf\n", "    nameserver dns1 10.0.0.2:53\n")
    assert proxy_cfg.without_dns_lines(mine) == proxy_cfg.without_dns_lines(E2E_RESOLVERS)
    assert "10.0.0.2" not in proxy_cfg.without_dns_lines(mine)
    assert "    # nameserver dns1 <Your DNS IP>" in proxy_cfg.without_dns_lines(mine)


def test_quoted_bind_targets_are_read_and_moved() -> None:
    # HAProxy expands ${VAR} only inside double quotes: a bind target is often quoted whole
    text = (
        "global\n    presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.1\n"
        'frontend metrics-forwarder\n    bind "${DD_FIPS_LOCAL_ADDRESS}:9804"\n'
        "listen stats\n    bind '127.0.0.1:9803'\n"
    )
    assert [(b.address, b.port) for b in proxy_cfg.binds(text)] == [
        ("${DD_FIPS_LOCAL_ADDRESS}", 9804),
        ("127.0.0.1", 9803),
    ]
    assert proxy_cfg.port_range_start(text) == 9803
    moved = proxy_cfg.with_port_range_start(text, 10003)
    assert 'bind "${DD_FIPS_LOCAL_ADDRESS}:10004"\n' in moved
    assert "bind '127.0.0.1:10003'\n" in moved
    assert proxy_cfg.with_port_range_start(moved, 9803) == text
