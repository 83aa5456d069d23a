"""``fips-setup evidence`` on a fake host: the facts collected, judged, sealed and written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

import installer.evidence as collecting
from fipsconf.evidence.document import digest_of
from fipsconf.evidence.fleet import EvidenceError
from fipsconf.redact import REDACTOR
from installer.enable import EnableOptions, enable
from installer.evidence import EvidenceOptions, evidence, evidence_report, merge_report
from installer.live_check import LiveCheck, not_checked
from tests.fakes import SequentialExecutor
from tests.fipsconf.evidence.samples import PROXY_EXAMPLE
from tests.installer.conftest import API_KEY, HostFactory
from tests.installer.doctor.conftest import CONFIG, HAPROXY_CMDLINE, PROXY_PID, listen

NEGOTIATED = LiveCheck(
    True,
    "one request through a copy of the proxy (its HAProxy, its configuration) to"
    " haproxy-app.agent.ddog-gov.com",
    "haproxy-app.agent.ddog-gov.com",
    "datadog-metrics/mothership",
    "TLSv1.2",
    "ECDHE-RSA-AES128-GCM-SHA256",
    200,
    0.2,
)
OPTIONS = EvidenceOptions(Path(CONFIG))
APP_KEY = "fedcba9876543210fedcba9876543210"


@pytest.fixture(autouse=True)
def _in_sequence(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The collectors one after another (pyfakefs), the live check answered by a stand-in."""
    monkeypatch.setattr(collecting, "ThreadPoolExecutor", SequentialExecutor)
    calls: list[tuple[str, int]] = []

    def answer(host: Any, text: str, port: int) -> LiveCheck:
        calls.append((text, port))
        return NEGOTIATED

    monkeypatch.setattr(collecting, "live_check", answer)
    return calls


@pytest.fixture
def compliant(make_host: HostFactory, fs: FakeFilesystem) -> Any:
    """RHEL 9-like host: the Agent 7.50 through a running proxy with the vendor's TLS settings."""
    host = make_host("rocky-9")
    host.system.proxy_example = PROXY_EXAMPLE
    result = enable(host, EnableOptions(config=Path(CONFIG)))
    assert not result.failed, result.msg
    listen(fs, range(9803, 9819), PROXY_PID, HAPROXY_CMDLINE)
    fs.create_file("/etc/resolv.conf", contents="nameserver 10.0.0.53\n")
    fs.create_file("/proc/sys/kernel/hostname", contents="web-7\n")
    host.system.journal = ["Started datadog-fips-proxy.service - Datadog FIPS Proxy."]
    return host


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in document["controls"]}


def test_a_compliant_host_passes_every_mapped_control(
    compliant: Any, _in_sequence: list[tuple[str, int]]
) -> None:
    result = evidence(compliant, OPTIONS)
    document = result.evidence
    assert statuses(document) == dict.fromkeys(["SC-13", "SC-8", "SC-8(1)", "CM-6", "CM-2"], "pass")
    assert result.msg == "web-7: compliant" and not result.changed and not result.failed
    assert document["digest"]["value"] == digest_of(document)
    # the facts, as the issue lists them
    host = document["host"]
    assert host["hostname"] == "web-7" and host["os"]["name"] == "Rocky Linux 9.3 (Blue Onyx)"
    assert host["kernel_fips"] == {"path": "/proc/sys/crypto/fips_enabled", "value": None,
                                   "enabled": False}  # fmt: skip
    agent = document["agent"]
    assert (agent["flavor"], agent["version"]) == ("datadog-agent", "7.50.3")
    assert agent["fips_mode"]["line"] == "FIPS Mode: proxy"
    assert agent["settings"]["enabled"] == {"value": True, "source": "file"}
    assert agent["settings"]["local_address"] == {"value": "localhost", "source": "default"}
    assert agent["site"] == {"value": "ddog-gov.com", "source": "datadog.yaml"}
    proxy = document["proxy"]
    assert proxy["service"]["active"] is True and proxy["loopback_only"] is True
    assert [entry["port"] for entry in proxy["listeners"]] == list(range(9803, 9819))
    assert all(entry["proxy"] and entry["pid"] == PROXY_PID for entry in proxy["listeners"])
    config = proxy["config"]
    written = Path("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg").read_bytes()
    assert config["sha256"] == __import__("hashlib").sha256(written).hexdigest()
    assert config["baseline"]["matches"] is True
    (metrics, *_) = proxy["tls"]["servers"]
    assert metrics["minimum_version"] == "TLSv1.2" and metrics["problems"] == []
    judged = proxy["tls"]["ciphers"]
    assert metrics["ciphers"] and all(judged[name]["approved"] for name in metrics["ciphers"])
    assert document["module"]["certificate"] == "4282"
    assert document["module"]["status_words"].startswith("FIPS 140-2, Historical since 2026-09-22")
    assert document["live_check"]["protocol"] == "TLSv1.2"
    # the live check got the proxy's own configuration and its metrics port
    assert _in_sequence == [(written.decode(), 9804)]
    checks = {c["id"]: c for c in document["doctor"]["checks"]}
    assert checks["fips-enabled"]["status"] == "pass"
    assert checks["fips-enabled"]["controls"] == ["SC-13", "SC-8(1)", "CM-6"]
    assert checks["agent-connectivity"]["finding"] == "left out (evidence --agent-check runs it)"
    assert checks["fips-mode"]["status"] == "skip"  # a proxied Agent; its status is read anyway
    assert document["collected"]["root"] is True and document["collected"]["seconds"] >= 0


def test_the_agents_status_runs_once_for_doctor_and_the_evidence(compliant: Any) -> None:
    compliant.system.packages["datadog-fips-agent"] = "1:7.70.0-1"
    evidence(compliant, OPTIONS)
    status_runs = [c for c in compliant.system.calls if c[1:2] == ("status",)]
    assert len(status_runs) == 1


def test_dd_fips_enabled_false_in_the_environment_file(compliant: Any) -> None:
    Path("/etc/datadog-agent/environment").write_text("DD_FIPS_ENABLED=false\n")
    document = evidence(compliant, OPTIONS).evidence
    assert document["verdict"]["failed_controls"] == ["SC-13", "SC-8(1)", "CM-6"]
    source = "DD_FIPS_ENABLED in /etc/datadog-agent/environment"
    assert document["agent"]["settings"]["enabled"] == {"value": False, "source": source}
    path = next(r for r in document["requirements"] if r["id"] == "fips-path")
    assert path["finding"].startswith(f"fips.enabled is false ({source}): the Agent sends")


def test_a_stopped_proxy_is_not_live_checked(
    compliant: Any, _in_sequence: list[tuple[str, int]]
) -> None:
    from tests.installer.doctor.conftest import stop_listening

    compliant.system.active["datadog-fips-proxy"] = False
    stop_listening(PROXY_PID)
    document = evidence(compliant, OPTIONS).evidence
    assert _in_sequence == []
    assert document["live_check"]["detail"] == "not checked: datadog-fips-proxy is not running"
    assert document["verdict"]["failed_controls"] == ["SC-13", "SC-8", "SC-8(1)"]


def test_a_listener_beyond_loopback(compliant: Any, fs: FakeFilesystem) -> None:
    table = Path("/proc/net/tcp")
    table.write_text(table.read_text().replace("0100007F:2654", "00000000:2654"))  # 9812
    document = evidence(compliant, OPTIONS).evidence
    outside = [e for e in document["proxy"]["listeners"] if not e["loopback"]]
    assert [(e["port"], e["address"]) for e in outside] == [(9812, "0.0.0.0")]
    assert document["proxy"]["loopback_only"] is False
    assert "SC-8" in document["verdict"]["failed_controls"]


def test_no_secret_reaches_the_evidence(compliant: Any, fs: FakeFilesystem) -> None:
    # the API key (datadog.yaml), a listener's command line holding a key, a password in an
    # edited proxy configuration (its differences are evidence), a proxy password in a URL
    REDACTOR.register(API_KEY)
    listen(fs, range(9818, 9819), 4242, f"helper\0--app-key\0{APP_KEY}".encode())
    config = Path("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg")
    config.write_text(
        config.read_text().replace(
            "    stats uri /\n",
            "    stats uri /\n    stats auth admin:hunter2secret\n"
            "    http-request redirect location http://ops:pr0xyPassw0rd@jump.internal/\n",
        )
    )
    seen = []
    for form in ("json", "hdf", "oscal", "html"):
        text = evidence_report(compliant, OPTIONS, form, None).document
        assert text is not None
        seen.append(text)
        for secret in (API_KEY, APP_KEY, "hunter2secret", "pr0xyPassw0rd"):
            assert secret.encode() not in text, (form, secret)
    assert b"stats auth admin:********" in seen[0]  # the difference is shown, masked
    assert b"helper --app-key ********" in seen[0]


def test_output_is_written_atomically_mode_600_and_its_digest_holds(
    compliant: Any, fs: FakeFilesystem
) -> None:
    fs.create_dir("/srv/evidence")
    target = Path("/srv/evidence/web-7.json")
    result = evidence_report(compliant, OPTIONS, "json", target)
    assert result.changed and result.document is None
    assert result.msg == f"web-7: compliant; json written to {target}"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    written = json.loads(target.read_text())
    assert written["digest"]["value"] == digest_of(written)
    assert os.listdir("/srv/evidence") == ["web-7.json"]  # no temporary file left
    record = result.record()
    assert record["output"] == str(target) and record["format"] == "json"
    assert record["evidence"] == written


def test_output_into_a_missing_folder_is_refused_in_one_line(compliant: Any) -> None:
    from fipsconf.errors import FipsSetupError

    with pytest.raises(FipsSetupError, match=r"^/nowhere/e.html: cannot write: the folder"):
        evidence_report(compliant, OPTIONS, "html", Path("/nowhere/e.html"))


def test_merge_checks_every_file_then_writes_one_report(compliant: Any, fs: FakeFilesystem) -> None:
    fs.create_dir("/srv/fleet")
    files = []
    for name in ("web-7", "web-8"):
        Path("/proc/sys/kernel/hostname").write_text(name + "\n")
        target = Path(f"/srv/fleet/{name}.json")
        evidence_report(compliant, OPTIONS, "json", target)
        files.append(target)
    report = Path("/srv/fleet/report.csv")
    result = merge_report(files, "csv", report)
    assert result.msg == f"2 of 2 hosts compliant; csv written to {report}"
    assert result.record()["summary"]["hosts"] == 2
    assert report.read_text().splitlines()[0].startswith("host,compliant,failed_controls")

    Path("/srv/fleet/web-8.json").write_text(files[1].read_text()[:500])
    before = report.read_bytes()
    with pytest.raises(EvidenceError, match=r"^/srv/fleet/web-8.json: not valid JSON at line"):
        merge_report(files, "csv", report)
    assert report.read_bytes() == before  # nothing merged, nothing written
    with pytest.raises(EvidenceError, match=r"^/srv/fleet/gone.json: cannot read: no such file;"
                       " nothing was merged"):  # fmt: skip
        merge_report([Path("/srv/fleet/gone.json")], "csv", report)


def test_as_a_user_the_unreadable_is_unverified(
    compliant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(compliant), "is_root", lambda self: False)
    document = evidence(compliant, OPTIONS).evidence
    assert document["collected"]["root"] is False
    assert document["live_check"]["detail"] == (
        "not checked: needs root to run the proxy's program as dd-agent"
    )
    assert document["verdict"]["compliant"] is False
    path = next(r for r in document["requirements"] if r["id"] == "fips-path")
    assert path["finding"] == "fips.enabled could not be verified (not run as root)"


def test_toolkit_identity_hashes_the_code_that_runs() -> None:
    identity = collecting.toolkit_identity()
    assert identity["version"]
    assert len(identity["code_sha256"]) == 64
    assert identity == collecting.toolkit_identity()  # stable


def test_the_live_check_is_skipped_without_a_proxy(make_host: HostFactory) -> None:
    document = evidence(make_host(), OPTIONS).evidence
    assert document["live_check"] == {
        **not_checked("datadog-fips-proxy is not installed").record(),
    }
    assert document["module"] is None
