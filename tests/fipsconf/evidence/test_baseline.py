"""The proxy's configuration against the package's example, apart from the documented edits."""

from __future__ import annotations

from fipsconf import proxy_cfg
from fipsconf.evidence.baseline import MAX_DIFF_LINES, compare_with_example
from tests.fipsconf.evidence.samples import PROXY_EXAMPLE

PATH = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"


def test_the_example_itself_matches() -> None:
    assert compare_with_example(PROXY_EXAMPLE, PROXY_EXAMPLE, PATH) == (True, [], [])


def test_documented_edits_are_named_and_allowed() -> None:
    edited = proxy_cfg.with_port_range_start(PROXY_EXAMPLE, 10003)
    edited = proxy_cfg.with_local_address(edited, "::1")
    edited = proxy_cfg.with_resolvers(edited, "my-dns", ["nameserver dns1 10.0.0.2:53"],
                                      parse_resolv_conf=False)  # fmt: skip
    edited = edited.replace("# Some sane defaults", "# our own comment").replace("\n\n", "\n")
    baseline = compare_with_example(edited, PROXY_EXAMPLE, PATH)
    assert baseline.matches, baseline.differences
    assert baseline.edits == [
        "port range starts at 10003",
        "listens on ::1",
        "resolvers my-dns: dns1 10.0.0.2:53",
    ]


def test_other_changes_are_differences_shown_as_a_diff() -> None:
    edited = PROXY_EXAMPLE.replace("verify required", "verify none", 1).replace(
        "presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.1", "presetenv DD_FIPS_LOCAL_ADDRESS 0.0.0.0"
    )
    baseline = compare_with_example(edited, PROXY_EXAMPLE, PATH)
    assert not baseline.matches
    assert baseline.edits == []  # 0.0.0.0 is not a documented edit: it is a difference
    changed = [line for line in baseline.differences if line[:1] in "+-" and line[1:2] == " "]
    assert changed == [
        "-    presetenv DD_FIPS_LOCAL_ADDRESS 127.0.0.1",
        "+    presetenv DD_FIPS_LOCAL_ADDRESS 0.0.0.0",
        "-    default-server verify required ca-file /etc/ssl/certs/ca-certificates.crt check"
        " inter 10s resolvers my-dns init-addr none resolve-prefer ipv4",
        "+    default-server verify none ca-file /etc/ssl/certs/ca-certificates.crt check"
        " inter 10s resolvers my-dns init-addr none resolve-prefer ipv4",
    ]


def test_a_long_difference_is_cut() -> None:
    edited = PROXY_EXAMPLE.replace("mode http", "mode tcp")
    baseline = compare_with_example(edited, PROXY_EXAMPLE, PATH)
    assert len(baseline.differences) == MAX_DIFF_LINES + 1
    assert baseline.differences[-1].endswith("more lines")


def test_a_file_that_is_not_a_proxy_configuration() -> None:
    baseline = compare_with_example("global\n    daemon\n", PROXY_EXAMPLE, PATH)
    assert not baseline.matches and baseline.differences
