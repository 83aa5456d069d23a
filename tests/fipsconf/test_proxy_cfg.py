"""The proxy's HAProxy configuration: ports, address and DNS, everything else untouched."""

from __future__ import annotations

import pytest

from fipsconf import proxy_cfg
from fipsconf.errors import DocumentError
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
