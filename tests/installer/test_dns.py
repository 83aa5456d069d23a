"""dns show / dns set: only the resolvers section changes, checked by HAProxy, restored on failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from fipsconf.errors import SettingError
from installer.dns import DnsSetOptions, dns_set, dns_show
from installer.enable import EnableOptions, enable
from installer.net import DnsAnswer
from installer.plan import PlanFailed
from tests.fakes import FakeHost
from tests.installer.conftest import HostFactory

CONFIG = "/etc/datadog-agent/datadog.yaml"  # a Path only inside tests (pyfakefs on 3.9)
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"


@pytest.fixture
def host(make_host: HostFactory) -> FakeHost:
    fake = make_host()
    assert not enable(fake, EnableOptions(config=Path(CONFIG))).failed
    Path("/etc/resolv.conf").write_text("nameserver 10.0.0.53\n")
    return fake


def test_set_edits_only_the_nameservers_checks_and_restarts(host: FakeHost) -> None:
    before = Path(PROXY_CFG).read_text()
    restarts = host.system.restarts["datadog-fips-proxy"]
    result = dns_set(host, DnsSetOptions(["10.0.0.2", "[fd00::53]:5353"]))
    after = Path(PROXY_CFG).read_text()
    assert after == before.replace(
        "    # nameserver dns1 <Your DNS IP>:<Port>\n",
        "    # nameserver dns1 <Your DNS IP>:<Port>\n"
        "    nameserver dns1 10.0.0.2:53\n    nameserver dns2 [fd00::53]:5353\n",
    )
    assert result.changed and [a["kind"] for a in result.actions] == [
        "check", "write-file", "restart-service"
    ]  # fmt: skip
    [check] = [
        (call, user)
        for call, user in zip(host.system.calls, host.system.users)
        if call[0].endswith("/haproxy")
    ][-1:]
    assert check[0][1:3] == ("-c", "-f") and check[1] == "dd-agent"
    checked = Path(check[0][3])
    assert str(checked.parent) == "/etc/datadog-fips-proxy"
    assert not checked.exists()  # a scratch copy beside the file, gone
    assert host.system.restarts["datadog-fips-proxy"] == restarts + 1
    assert result.msg == (
        "the proxy now resolves with 10.0.0.2:53, [fd00::53]:5353 (resolvers my-dns) and was"
        " restarted"
    )
    again = dns_set(host, DnsSetOptions(["10.0.0.2:53", "[fd00::53]:5353"]))
    assert (again.changed, again.actions) == (False, [])


def test_no_resolv_conf_drops_parse_resolv_conf(host: FakeHost) -> None:
    dns_set(host, DnsSetOptions(["10.0.0.2"], resolv_conf=False))
    assert "parse-resolv-conf" not in Path(PROXY_CFG).read_text()


def test_a_rejected_configuration_is_not_written(host: FakeHost) -> None:
    before = Path(PROXY_CFG).read_bytes()
    restarts = host.system.restarts["datadog-fips-proxy"]
    host.system.haproxy_check = (1, "[ALERT]    (1) : config : parsing [x:30] : 'nameserver' bad")
    with pytest.raises(
        PlanFailed, match=r"haproxy -c rejects the new configuration: .*nothing was changed"
    ):
        dns_set(host, DnsSetOptions(["10.0.0.2"]))
    assert Path(PROXY_CFG).read_bytes() == before
    assert host.system.restarts["datadog-fips-proxy"] == restarts


def test_a_failed_restart_puts_the_old_file_back(host: FakeHost) -> None:
    before = Path(PROXY_CFG).read_bytes()
    host.system.fail("systemctl", "restart", "datadog-fips-proxy", times=1)
    with pytest.raises(PlanFailed, match="the earlier steps were undone"):
        dns_set(host, DnsSetOptions(["10.0.0.2"]))
    assert Path(PROXY_CFG).read_bytes() == before
    assert host.system.commands("systemctl")[-1] == ["systemctl", "restart", "datadog-fips-proxy"]


@pytest.mark.parametrize("value", ["10.0.0", "fd00::53", "10.0.0.2:70000", "name.example"])
def test_bad_addresses_change_nothing(host: FakeHost, value: str) -> None:
    before = Path(PROXY_CFG).read_bytes()
    with pytest.raises(SettingError, match="nameserver"):
        dns_set(host, DnsSetOptions(["10.0.0.2", value]))
    assert Path(PROXY_CFG).read_bytes() == before


def test_a_dry_run(host: FakeHost) -> None:
    before = Path(PROXY_CFG).read_bytes()
    calls = len(host.system.changing_commands())
    result = dns_set(host, DnsSetOptions(["10.0.0.2"], dry_run=True))
    assert result.changed and result.diff[0].after != result.diff[0].before
    assert Path(PROXY_CFG).read_bytes() == before
    assert host.system.changing_commands()[calls:] == []
    assert not any(c[0].endswith("/haproxy") for c in host.system.calls)


def test_a_stopped_proxy_is_not_started(host: FakeHost) -> None:
    host.system.active["datadog-fips-proxy"] = False
    result = dns_set(host, DnsSetOptions(["10.0.0.2"]))
    assert [a["kind"] for a in result.actions] == ["check", "write-file"]
    assert result.msg.endswith("once it starts")


def test_show(host: FakeHost) -> None:
    Path(PROXY_CFG).write_text(
        Path(PROXY_CFG)
        .read_text()
        .replace(
            "    parse-resolv-conf\n", "    parse-resolv-conf\n    nameserver dns1 10.9.9.9:53\n"
        )
    )
    host.system.dns_answers[("10.9.9.9", 53)] = DnsAnswer("", [], "no reply within 1 s", 1.0)
    result = dns_show(host, Path(CONFIG))
    details = result.details
    assert details["name"] == "haproxy-app.agent.ddog-gov.com"
    assert details["resolvers"] == [
        {"name": "my-dns", "parse_resolv_conf": True, "nameservers": ["10.9.9.9:53"]}
    ]
    assert [(a["nameserver"], a["source"], a["resolves"]) for a in details["answers"]] == [
        ("10.9.9.9:53", "datadog-fips-proxy.cfg:11 (dns1)", False),
        ("10.0.0.53:53", "/etc/resolv.conf", True),
    ]
    assert result.msg == "1 of 2 nameservers resolve haproxy-app.agent.ddog-gov.com"
    assert result.warnings == [
        "10.9.9.9:53 (datadog-fips-proxy.cfg:11 (dns1)) does not resolve"
        " haproxy-app.agent.ddog-gov.com: no reply within 1 s"
    ]


def test_rollback_puts_the_nameservers_back_and_restarts_the_proxy(host: FakeHost) -> None:
    from installer.rollback import rollback

    before = Path(PROXY_CFG).read_bytes()
    dns_set(host, DnsSetOptions(["10.0.0.2"]))
    restarts = host.system.restarts["datadog-fips-proxy"]
    assert rollback(host, dry_run=False).changed
    assert Path(PROXY_CFG).read_bytes() == before
    assert host.system.restarts["datadog-fips-proxy"] == restarts + 1
