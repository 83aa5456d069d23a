"""The TLS the proxy's configuration forces toward the intake, judged cipher by cipher."""

from __future__ import annotations

import pytest

from fipsconf.tls_policy import cipher_list, judge_cipher, server_tls, version_range
from tests.fipsconf.evidence.samples import PROXY_EXAMPLE


@pytest.mark.parametrize(
    ("name", "iana", "approved"),
    [
        ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", True),
        ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", True),
        ("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", True),
        ("DHE-RSA-AES256-SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", True),
        ("ECDHE-ECDSA-AES128-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", True),
        ("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", True),
        ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", False),
        ("TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", False),
        ("DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", False),
        ("ECDHE-RSA-CAMELLIA256-SHA384", "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", False),
        ("ADH-AES128-GCM-SHA256", "TLS_DH_anon_WITH_AES_128_GCM_SHA256", False),
        ("ECDHE-RSA-NULL-SHA", "TLS_ECDHE_RSA_WITH_NULL_SHA", False),
        ("RC4-MD5", "TLS_RSA_WITH_RC4_128_MD5", False),
        ("PSK-AES128-GCM-SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256", False),
    ],
)
def test_each_cipher_is_judged_by_its_parts(name: str, iana: str, approved: bool) -> None:
    verdict = judge_cipher(name)
    assert (verdict.iana, verdict.approved) == (iana, approved)
    assert verdict.why


def test_keywords_and_unknown_names_are_not_judged() -> None:
    for name in ("HIGH", "DEFAULT", "kEECDH+AESGCM", "FOO-BAR"):
        verdict = judge_cipher(name)
        assert verdict.approved is None and verdict.iana is None
        assert "not judged" in verdict.why


def test_exclusions_are_not_allowed_ciphers() -> None:
    allowed, excluded = cipher_list("ECDHE-RSA-AES128-GCM-SHA256:!aNULL:-MD5:+RC4:@STRENGTH")
    assert [c.name for c in allowed] == ["ECDHE-RSA-AES128-GCM-SHA256"]
    assert excluded == ["!aNULL", "-MD5", "+RC4"]


@pytest.mark.parametrize(
    ("layers", "minimum", "maximum"),
    [
        ([["no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv13"]], "TLSv1.2", "TLSv1.2"),
        ([["ssl-min-ver", "TLSv1.2"]], "TLSv1.2", "TLSv1.3"),
        (
            [["no-sslv3"], ["ssl-min-ver", "TLSv1.1", "ssl-max-ver", "TLSv1.2"]],
            "TLSv1.1",
            "TLSv1.2",
        ),
        ([["no-tlsv10"], ["force-tlsv13"]], "TLSv1.3", "TLSv1.3"),
        ([[], []], None, None),
    ],
)
def test_version_ranges(layers: list[list[str]], minimum: str, maximum: str) -> None:
    assert version_range(layers) == (minimum, maximum)


def test_the_vendor_configuration_forces_tls_1_2_and_approved_ciphers_on_every_server() -> None:
    servers = server_tls(PROXY_EXAMPLE)
    assert len(servers) == 15
    metrics = servers[0]
    assert (metrics.backend, metrics.server, metrics.address) == (
        "datadog-metrics", "mothership", "haproxy-app.agent.ddog-gov.com:443",
    )  # fmt: skip
    assert metrics.tls and metrics.verify == "required"
    assert metrics.ca_file == "/etc/ssl/certs/ca-certificates.crt"
    assert metrics.versions == ("TLSv1.2", "TLSv1.2")
    assert all(s.problems() == [] for s in servers)
    record = metrics.record()
    assert [c["name"] for c in record["ciphers"]] == [
        "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256", "AES256-GCM-SHA384",
    ]  # fmt: skip
    assert record["excluded"] == ["!aNULL", "!eNULL", "!EXPORT"]


def test_server_options_override_the_global_and_default_server_ones() -> None:
    text = (
        "global\n    ssl-default-server-ciphers ECDHE-RSA-AES128-GCM-SHA256\n"
        "    ssl-default-server-options ssl-min-ver TLSv1.2\n"
        "defaults\n    default-server verify required ca-file ca.crt\n"
        "backend plain\n    server a intake:80\n"
        "backend weak\n    default-server verify none\n"
        "    server b intake:443 ssl ciphers HIGH:!aNULL ssl-min-ver TLSv1.0\n"
        "backend good\n    server c intake:443 ssl check inter 10s\n"
    )
    plain, weak, good = server_tls(text)
    assert plain.problems() == [
        "server plain/a (line 7) sends to intake:80 without TLS (no 'ssl' option): in clear"
    ]
    assert weak.problems() == [
        "server weak/b (line 10) does not verify the intake's certificate (verify none)",
        "server weak/b (line 10) allows TLSv1.0, below TLSv1.2 (SP 800-52 Rev. 2)",
        "server weak/b (line 10) allows ciphers fips-setup cannot judge: HIGH",
    ]
    assert good.problems() == [] and good.verify == "required" and good.ca_file == "ca.crt"


def test_a_configuration_that_forces_nothing_says_so() -> None:
    (server,) = server_tls("backend b\n    server s intake:443 ssl verify required\n")
    assert server.problems() == [
        "server b/s (line 2): the configuration forces no minimum TLS version (the module's"
        " default applies)",
        "server b/s (line 2): the configuration forces no cipher list (the module's default"
        " applies)",
    ]
