"""The fleet report: every input checked first, then the summary with its reasons grouped."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from fipsconf.evidence.document import to_json
from fipsconf.evidence.fleet import EvidenceError, load_evidence, merge, render
from tests.fipsconf.evidence.samples import fips_agent_host, proxied_host, sealed, set_check


def stopped(hostname: str) -> dict[str, Any]:
    facts = proxied_host(hostname)
    facts["proxy"]["service"] = {"state": "inactive (dead)", "active": False, "enabled": True}
    facts["proxy"]["listeners"] = []
    set_check(facts, "proxy-service", "fail", "datadog-fips-proxy is inactive (dead): stopped")
    return sealed(facts)


def direct(hostname: str) -> dict[str, Any]:
    facts = proxied_host(hostname)
    facts["agent"]["settings"]["enabled"] = {"value": False, "source": "file"}
    set_check(facts, "fips-enabled", "fail", "fips.enabled is false (file)")
    return sealed(facts)


def data(document: dict[str, Any]) -> bytes:
    return to_json(document).encode()


def test_damaged_truncated_or_foreign_input_is_named_in_one_line() -> None:
    good = data(sealed(proxied_host()))
    truncated = good[: len(good) // 2]
    with pytest.raises(EvidenceError) as caught:
        load_evidence("web-1.json", truncated)
    message = str(caught.value)
    assert message.startswith("web-1.json: not valid JSON at line ")
    assert "(the file ends early: truncated?); nothing was merged" in message
    assert "\n" not in message

    edited = json.loads(good)
    edited["verdict"]["compliant"] = False
    with pytest.raises(EvidenceError, match=r"^web-1.json: damaged: its contents no longer match"
                       r" its SHA-256 \([0-9a-f]{16}\.\.\.\): it was changed after"):  # fmt: skip
        load_evidence("web-1.json", json.dumps(edited).encode())

    for foreign, said in (
        (b'{"profiles": []}', "it has no 'schema' member"),
        (b'{"schema": "fips-setup-evidence/9"}', "its schema is 'fips-setup-evidence/9'"),
        (b"[1, 2]", "it has no 'schema' member"),
    ):
        with pytest.raises(
            EvidenceError, match=rf"^x.json: not fips-setup evidence \({re.escape(said)},"
        ):
            load_evidence("x.json", foreign)
    with pytest.raises(EvidenceError, match=r"^x.json: not UTF-8 text"):
        load_evidence("x.json", b"\xff\xfe{")

    unsealed = json.loads(good)
    del unsealed["digest"]
    with pytest.raises(EvidenceError, match=r"\(none recorded\)"):
        load_evidence("x.json", json.dumps(unsealed).encode())


def test_a_sealed_document_missing_what_a_report_reads_is_damaged() -> None:
    from fipsconf.evidence.document import seal

    document = sealed(proxied_host())
    del document["host"]["hostname"]
    with pytest.raises(EvidenceError, match=r"^x.json: damaged: host.hostname is missing or not"):
        load_evidence("x.json", json.dumps(seal(document)).encode())


def test_the_json_wrapper_of_the_command_or_the_ansible_module_is_accepted() -> None:
    document = sealed(proxied_host())
    wrapped = {"changed": False, "failed": False, "msg": "ok", "evidence": document}
    assert load_evidence("x.json", json.dumps(wrapped).encode()) == document


def test_one_host_twice_is_refused() -> None:
    document = sealed(proxied_host())
    with pytest.raises(EvidenceError, match=r"^b.json and a.json are both evidence of web-1"):
        merge([("a.json", document), ("b.json", document)])


def test_machines_sharing_a_hostname_are_told_apart_by_their_machine_id() -> None:
    one = sealed(proxied_host("localhost", machine="a" * 32))
    two = stopped_on("localhost", "b" * 32)
    fleet = merge([("1.json", one), ("2.json", two)])
    assert fleet.summary["not_compliant"] == ["localhost [bbbbbbbbbbbb]"]
    assert sorted(fleet.summary["evidence_digests"]) == [
        "localhost [aaaaaaaaaaaa]", "localhost [bbbbbbbbbbbb]",
    ]  # fmt: skip
    page = render(fleet, "html")
    assert 'id="host-localhost__aaaaaaaaaaaa_"' in page
    # the documents themselves are untouched: still sealed, no label in the json report
    hosts = json.loads(render(fleet, "json"))["hosts"]
    assert [load_evidence("x", json.dumps(h).encode())["digest"] for h in hosts] == [
        two["digest"], one["digest"],
    ]  # fmt: skip


def stopped_on(hostname: str, machine: str) -> dict[str, Any]:
    facts = proxied_host(hostname, machine=machine)
    facts["proxy"]["service"] = {"state": "inactive (dead)", "active": False, "enabled": True}
    set_check(facts, "proxy-service", "fail", "datadog-fips-proxy is inactive (dead): stopped")
    return sealed(facts)


def test_the_summary_comes_first_with_reasons_grouped() -> None:
    named = [
        ("a.json", sealed(proxied_host("web-1"))),
        ("b.json", stopped("web-2")),
        ("c.json", direct("web-3")),
        ("d.json", stopped("web-4")),
        ("e.json", sealed(fips_agent_host("db-1"))),
    ]
    fleet = merge(named)
    summary = fleet.summary
    assert (summary["hosts"], summary["compliant"]) == (5, 2)
    assert summary["not_compliant"] == ["web-2", "web-3", "web-4"]
    assert [(r["id"], [h["host"] for h in r["hosts"]]) for r in summary["reasons"]] == [
        ("proxy-running", ["web-2", "web-4"]),
        ("fips-path", ["web-3"]),
        ("fips-settings", ["web-3"]),
    ]
    assert summary["text"].startswith(
        "2 of 5 hosts compliant; not compliant: web-2, web-3, web-4, because: The FIPS proxy"
        " runs and holds its ports (proxy-running): web-2, web-4; "
    )
    assert summary["evidence_digests"]["db-1"] == named[4][1]["digest"]["value"]
    # the non-compliant hosts first
    assert [d["host"]["hostname"] for d in fleet.documents] == [
        "web-2", "web-3", "web-4", "db-1", "web-1",
    ]  # fmt: skip

    page = render(fleet, "html")
    assert page.index("2 of 5 compliant, 3 NOT COMPLIANT") < page.index("Not compliant, and why")
    assert page.index("Not compliant, and why") < page.index(
        '<section class="host" id="host-web-2"'
    )
    for document in fleet.documents:
        assert document["digest"]["value"] in page

    hdf = json.loads(render(fleet, "hdf"))
    ids = [c["id"] for c in hdf["profiles"][0]["controls"]]
    assert len(ids) == 5 * len(named[0][1]["requirements"]) == len(set(ids))
    assert "web-2/proxy-running" in ids
    assert hdf["passthrough"]["evidence_digests"] == summary["evidence_digests"]


def test_csv_one_row_per_host_and_no_formulas() -> None:
    evil = proxied_host('=HYPERLINK("http://x")')
    fleet = merge([("a.json", stopped("web-2")), ("b.json", sealed(evil))])
    rows = list(csv.DictReader(io.StringIO(render(fleet, "csv"))))
    assert [r["host"] for r in rows] == ["web-2", '\'=HYPERLINK("http://x")']
    assert rows[0]["compliant"] == "no"
    assert rows[0]["failed_controls"] == "SC-13 SC-8 SC-8(1)"
    assert rows[0]["reasons"].startswith("proxy-running: datadog-fips-proxy is inactive")
    assert (rows[0]["SC-13"], rows[0]["CM-2"]) == ("fail", "pass")
    assert rows[0]["evidence_sha256"] == fleet.documents[0]["digest"]["value"]
    assert rows[0]["module_certificate"] == "4282"
