"""verify, and enable ending with it: "verified" only when a payload got through."""

from __future__ import annotations

from pathlib import Path

from pyfakefs.fake_filesystem import FakeFilesystem

from installer.enable import EnableOptions, enable
from installer.net import CONNECT_TIMEOUT, HttpAnswer
from installer.verify import verify
from tests.fakes import FakeHost
from tests.installer.conftest import API_KEY, PROCMGR_PROCESS, HostFactory, procmgr_path

CONFIG = "/etc/datadog-agent/datadog.yaml"  # a Path only inside tests (pyfakefs on 3.9)
VALIDATE = "/api/v1/validate"


def enabled(make_host: HostFactory) -> FakeHost:
    host = make_host()
    assert not enable(host, EnableOptions(config=Path(CONFIG))).failed
    return host


def test_a_working_proxy_is_verified(make_host: HostFactory) -> None:
    host = enabled(make_host)
    result = verify(host, Path(CONFIG))
    assert not result.failed and result.msg.startswith("verified:")
    assert [(c.id, c.status) for c in result.checks] == [
        ("metrics-request", "pass"),
        ("agent-connectivity", "pass"),
        ("agent-supervision", "pass"),
    ]
    url, headers = host.system.http_requests[-1]
    assert url == "http://localhost:9804/api/v1/validate"
    assert headers == {"DD-API-KEY": API_KEY}  # a header, never an argument
    assert all(API_KEY not in " ".join(c) for c in host.system.calls)


def test_a_proxy_that_cannot_reach_the_intake(make_host: HostFactory) -> None:
    host = enabled(make_host)
    host.system.http_answers[VALIDATE] = HttpAnswer(503, "", "Service Unavailable", 0.01)
    result = verify(host, Path(CONFIG))
    assert result.failed and result.record()["error"] == "checks-failed"
    request = result.checks[0]
    assert request.finding == (
        "GET http://localhost:9804/api/v1/validate: the proxy answered HTTP 503: it cannot reach"
        " the Datadog intake"
    )
    assert host.clock.slept >= 10.0  # retried for its patience first


def test_an_intake_that_refuses_the_key(make_host: HostFactory) -> None:
    host = enabled(make_host)
    host.system.http_answers[VALIDATE] = HttpAnswer(403, "", "Forbidden", 0.01)
    check = verify(host, Path(CONFIG)).checks[0]
    assert check.status == "fail" and "refused the API key (HTTP 403)" in check.finding
    assert host.clock.slept == 0  # not worth waiting for


def test_the_agents_check_is_needed_too(make_host: HostFactory) -> None:
    host = enabled(make_host)
    host.system.diagnose = (1, "Total:1, Success:0, Fail:1\n")
    result = verify(host, Path(CONFIG))
    assert result.failed
    assert [c.status for c in result.checks] == ["pass", "fail", "pass"]


def test_enable_says_verified_only_when_it_is(make_host: HostFactory) -> None:
    host = make_host()
    result = enable(host, EnableOptions(config=Path(CONFIG)))
    assert not result.failed
    assert result.msg.endswith(
        "; verified: the Agent's connectivity check passed and a request went through the proxy"
        " to the intake"
    )
    assert result.details["verification"]["verified"] is True
    assert result.details["verification"]["seconds"] >= 0
    ran = [c["argv"][:2] for c in result.details["commands"]]
    assert ["/opt/datadog-agent/bin/agent/agent", "diagnose"] in ran  # listed with the rest


def test_enable_that_cannot_reach_the_intake_keeps_the_installation(
    make_host: HostFactory,
) -> None:
    host = make_host()
    host.system.http_answers[VALIDATE] = HttpAnswer(503, "", "Service Unavailable", 0.01)
    host.system.diagnose = (1, "1. FAIL [x] Connectivity\nTotal:1, Success:0, Fail:1\n")
    result = enable(host, EnableOptions(config=Path(CONFIG)))
    assert result.failed and result.changed
    document = result.record()
    assert document["error"] == "not-verified" and document["failed"] is True
    assert "verified" not in result.msg.replace("NOT verified", "")
    assert "it is NOT verified: metrics-request: GET http://localhost:9804/api/v1/validate" in (
        result.msg
    )
    assert "The installation is kept: the proxy and the Agent are set up as they should be" in (
        result.msg
    )
    assert result.msg.endswith("Run fips-setup doctor for the cause and its fix")
    assert all(step["status"] == "done" for step in document["actions"])  # nothing undone
    assert host.system.active["datadog-fips-proxy"]
    assert "  enabled: true\n" in Path(CONFIG).read_text()


def test_enable_that_cannot_reach_the_proxy_says_so(make_host: HostFactory) -> None:
    host = make_host()
    host.system.http_answers[VALIDATE] = HttpAnswer(None, CONNECT_TIMEOUT, "no connection", 1.0)
    result = enable(host, EnableOptions(config=Path(CONFIG)))
    assert result.failed
    assert "a local firewall drops packets to port 9804" in result.msg
    assert "undoing it would not make the Agent's payloads reach Datadog" in result.msg


def test_no_verification_without_restarts_or_in_a_dry_run(make_host: HostFactory) -> None:
    host = make_host()
    dry = enable(host, EnableOptions(config=Path(CONFIG), dry_run=True))
    assert "verification" not in dry.details and host.system.http_requests == []
    files_only = enable(host, EnableOptions(config=Path(CONFIG), no_restart=True))
    assert "verification" not in files_only.details and not files_only.failed
    assert host.system.http_requests == []


def test_a_crashed_payload_under_dd_procmgrd_is_not_verified(
    make_host: HostFactory, fs: FakeFilesystem
) -> None:
    # Agent 7.84: the payloads dd-procmgrd supervises send too; one that crashed sends nothing.
    host = procmgr_path(enabled(make_host), fs)
    assert not verify(host, Path(CONFIG)).failed
    host.system.procmgr_processes = [{**PROCMGR_PROCESS, "state": "Crashed", "pid": 0}]
    result = verify(host, Path(CONFIG))
    assert result.failed
    assert "agent-supervision: dd-procmgrd (datadog-agent-procmgr) supervises:" in result.msg
    assert "datadog-agent-process Crashed under dd-procmgrd" in result.msg
