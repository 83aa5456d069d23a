"""HDF (what Heimdall reads) and the HTML page, from one host's evidence."""

from __future__ import annotations

import json
import re

from fipsconf.evidence.formats import render
from fipsconf.evidence.hdf import to_hdf
from fipsconf.evidence.html import to_html
from tests.fipsconf.evidence.samples import proxied_host, sealed, set_check


def stopped_proxy() -> dict[str, object]:
    facts = proxied_host()
    facts["proxy"]["service"] = {"state": "inactive (dead)", "active": False, "enabled": True}
    facts["proxy"]["listeners"] = []
    facts["live_check"] = {
        "checked": False,
        "detail": "not checked: datadog-fips-proxy is not running",
    }
    set_check(facts, "proxy-service", "fail", "datadog-fips-proxy is inactive (dead): stopped")
    return sealed(facts)


def test_hdf_has_one_control_per_requirement_tagged_with_nist_controls() -> None:
    document = stopped_proxy()
    hdf = to_hdf(document)
    assert set(hdf) >= {"platform", "profiles", "statistics", "version"}
    assert hdf["platform"] == {
        "name": "Red Hat Enterprise Linux",
        "release": "9.4",
        "target_id": "web-1",
    }
    (profile,) = hdf["profiles"]
    assert profile["sha256"] == document["digest"]["value"]
    assert {"name", "sha256", "supports", "attributes", "groups", "controls"} <= set(profile)
    controls = {c["id"]: c for c in profile["controls"]}
    assert list(controls) == [r["id"] for r in document["requirements"]]
    running = controls["proxy-running"]
    assert running["tags"]["nist"] == ["SC-8", "SC-8 (1)", "SC-13"]
    assert running["impact"] > 0
    (result,) = running["results"]
    assert result["status"] == "failed"
    assert result["message"].startswith("datadog-fips-proxy is inactive (dead): stopped")
    evidence = json.loads(result["code_desc"])  # the facts it read, as code description
    assert evidence["proxy.service"]["state"] == "inactive (dead)"
    assert evidence["doctor.proxy-service"]["status"] == "fail"
    assert result["start_time"] == "2026-12-08T10:00:00Z"
    # not applicable: impact 0 (Heimdall's Not Applicable), the reason kept
    live = controls["live-tls"]
    assert live["impact"] == 0 and live["results"][0]["status"] == "skipped"
    assert live["results"][0]["skip_message"] == "not checked: datadog-fips-proxy is not running"
    counts = {s: sum(1 for c in profile["controls"] if c["results"][0]["status"] == s)
              for s in ("passed", "failed", "skipped")}  # fmt: skip
    statuses = [r["status"] for r in document["requirements"]]
    assert counts == {
        "passed": statuses.count("pass"),
        "failed": statuses.count("fail"),
        "skipped": statuses.count("not-applicable"),
    }


def test_the_html_page_is_self_contained_verdict_first_then_controls_then_facts() -> None:
    document = stopped_proxy()
    page = to_html(document)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r'(src|href)="(?!#)', page)  # no external asset
    verdict = page.index("NOT COMPLIANT")
    controls = page.index("Controls (NIST SP 800-53 Rev. 5)")
    facts = page.index("<h2>Facts</h2>")
    raw = page.index("<h2>The evidence document</h2>")
    assert verdict < controls < facts < raw
    assert "SC-8(1) Transmission Confidentiality and Integrity | Cryptographic Protection" in page
    assert "datadog-fips-proxy is inactive (dead): stopped" in page
    assert document["digest"]["value"] in page
    assert "@media print" in page


def test_html_escapes_what_the_host_said() -> None:
    facts = proxied_host(hostname="<img src=x onerror=alert(1)>")
    facts["proxy"]["listeners"][0]["command"] = "haproxy </td><script>alert(1)</script>"
    page = to_html(sealed(facts))
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_render_each_format() -> None:
    document = sealed(proxied_host())
    assert json.loads(render(document, "json")) == document
    assert json.loads(render(document, "hdf"))["profiles"][0]["name"]
    assert "assessment-results" in json.loads(render(document, "oscal"))
    assert render(document, "html").startswith("<!DOCTYPE html>")
