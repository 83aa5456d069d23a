"""The managed-host side of the Ansible collection (plugins/module_utils/toolkit.py).

It runs under the Python Ansible picks on a managed host (3.9 and newer) with
the standard library only, so these tests run on the project's oldest and
newest Pythons. The toolkit is a fake: a command runner that records the
argument list and answers with a JSON document, as fips-setup --json does.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from tests.installer.ansible import toolkit

ToolkitError = toolkit.ToolkitError
ENABLED = {"state": "enabled", "config": "/etc/datadog-agent/datadog.yaml"}
DISABLED = {"state": "disabled", "config": "/etc/datadog-agent/datadog.yaml"}


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever runs the tests plays root: the files they create are 'root's'."""
    monkeypatch.setattr(toolkit, "ROOT_UID", os.getuid())
    monkeypatch.setattr(toolkit.os, "geteuid", os.getuid)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FakeToolkit:
    """Records each argument list; answers with (exit status, JSON document, stderr)."""

    def __init__(self, returncode: int, document: Any, stderr: str = "") -> None:
        self.calls: List[List[str]] = []
        self.answer = (returncode, json.dumps(document), stderr)

    def __call__(self, argv: List[str]) -> Tuple[int, str, str]:
        self.calls.append(argv)
        return self.answer


# -- arguments -------------------------------------------------------------------


def test_enabled_passes_each_given_option_to_enable() -> None:
    params = {
        **ENABLED,
        "port_range_start": 10000,
        "local_address": "127.0.0.1",
        "package_file": "/root/proxy.deb",
        "refresh_proxy_config": True,
        "allow_other_site": True,
        "remove_package": False,
    }
    assert toolkit.proxy_arguments(params) == [
        "enable", "--config", "/etc/datadog-agent/datadog.yaml",
        "--port-range-start", "10000", "--local-address", "127.0.0.1",
        "--package-file", "/root/proxy.deb", "--refresh-proxy-config", "--allow-other-site",
    ]  # fmt: skip


def test_options_left_at_their_defaults_are_not_passed() -> None:
    params = {**ENABLED, "port_range_start": None, "refresh_proxy_config": False}
    assert toolkit.proxy_arguments(params) == [
        "enable", "--config", "/etc/datadog-agent/datadog.yaml"
    ]  # fmt: skip


def test_disabled_runs_disable_and_can_remove_the_package() -> None:
    assert toolkit.proxy_arguments({**DISABLED, "remove_package": True}) == [
        "disable", "--config", "/etc/datadog-agent/datadog.yaml", "--remove-package"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({**DISABLED, "port_range_start": 9900}, "port_range_start applies to state=enabled only"),
        ({**DISABLED, "allow_other_site": True}, "allow_other_site applies to state=enabled only"),
        ({**ENABLED, "remove_package": True}, "remove_package applies to state=disabled only"),
    ],
)
def test_an_option_of_the_other_state_is_refused(params: Dict[str, Any], message: str) -> None:
    with pytest.raises(ToolkitError, match=message):
        toolkit.proxy_arguments(params)


# -- the document ------------------------------------------------------------------


def test_output_that_is_not_one_json_object_is_one_line_naming_the_exit_status() -> None:
    with pytest.raises(ToolkitError) as raised:
        toolkit.parse_document("", 1, "Traceback...\n  File x\nOSError: no space left\n")
    assert str(raised.value) == (
        "fips-setup exited 1 without its JSON document: OSError: no space left"
    )
    with pytest.raises(ToolkitError, match="exited 0 without its JSON document"):
        toolkit.parse_document("[1, 2]", 0, "")


def test_changed_msg_and_actions_are_the_toolkits() -> None:
    document = {
        "changed": True, "failed": False, "msg": "the Agent now sends through the FIPS proxy",
        "dry_run": False, "diff": [], "warnings": ["site is not ddog-gov.com"],
        "actions": [{"kind": "start-service", "description": "start x", "status": "done"}],
        "port_range_start": 9803,
    }  # fmt: skip
    result, warnings = toolkit.proxy_result(document, 0, diff_mode=False)
    assert result == {
        "changed": True,
        "msg": "the Agent now sends through the FIPS proxy",
        "dry_run": False,
        "actions": document["actions"],
        "port_range_start": 9803,
    }
    assert warnings == ["site is not ddog-gov.com"]


def test_diff_mode_gives_each_file_before_and_after_with_its_path() -> None:
    document = {
        "changed": True, "failed": False, "msg": "dry run",
        "diff": [
            {"path": "/etc/datadog-agent/datadog.yaml", "before": "api_key: ********\n",
             "after": "api_key: ********\nfips:\n  enabled: true\n"},
            {"path": "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg", "before": "",
             "after": "global\n"},
        ],
    }  # fmt: skip
    result, _ = toolkit.proxy_result(document, 0, diff_mode=True)
    assert result["diff"] == [
        {
            "before_header": "/etc/datadog-agent/datadog.yaml",
            "after_header": "/etc/datadog-agent/datadog.yaml",
            "before": "api_key: ********\n",
            "after": "api_key: ********\nfips:\n  enabled: true\n",
        },
        {
            "before_header": "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg (absent)",
            "after_header": "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg",
            "before": "",
            "after": "global\n",
        },
    ]


def test_a_failure_keeps_the_toolkits_message_code_and_steps() -> None:
    document = {
        "changed": False, "failed": True, "error": "step-failed",
        "msg": "start datadog-fips-proxy failed: ...; the earlier steps were undone",
        "actions": [{"kind": "install-package", "description": "install", "status": "undone"}],
    }  # fmt: skip
    result, _ = toolkit.proxy_result(document, 1, diff_mode=False)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == document["msg"] and result["error"] == "step-failed"
    assert result["actions"][0]["status"] == "undone"


def test_a_usage_error_says_the_toolkit_refused_the_arguments() -> None:
    document = {"changed": False, "failed": True, "msg": "No such option: --frobnicate"}
    result, _ = toolkit.proxy_result(document, 2, diff_mode=False)
    assert result["failed"] is True
    assert result["msg"] == "fips-setup refused the arguments: No such option: --frobnicate"


def test_doctor_answers_are_facts_whether_or_not_a_check_failed() -> None:
    checks = [{"id": "proxy-running", "status": "fail", "finding": "inactive", "fix": "start it"}]
    summary = {"fail": 1, "warn": 0, "info": 0, "skip": 0, "pass": 0}
    failing = {
        "changed": False, "failed": True, "error": "checks-failed", "msg": "1 check failed",
        "checks": checks, "summary": summary,
    }  # fmt: skip
    assert toolkit.doctor_facts(failing, 1) == {
        "failed": True, "error": "checks-failed", "msg": "1 check failed",
        "checks": checks, "summary": summary,
    }  # fmt: skip
    healthy = {"changed": False, "failed": False, "msg": "no check failed", "checks": []}
    assert toolkit.doctor_facts(healthy, 0) == {
        "failed": False, "msg": "no check failed", "checks": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("document", "returncode", "message"),
    [
        (
            {"failed": True, "error": "usage", "msg": "No such option: --frobnicate"},
            2,
            "fips-setup doctor could not run: fips-setup refused the arguments: No such option",
        ),
        (
            {"failed": True, "error": "internal", "msg": "unexpected error: KeyError"},
            1,
            "fips-setup doctor could not run: unexpected error: KeyError",
        ),
        ({"failed": False, "msg": "ok"}, 0, "fips-setup doctor could not run: ok"),
    ],
)
def test_a_doctor_that_did_not_run_its_checks_is_a_module_failure(
    document: Dict[str, Any], returncode: int, message: str
) -> None:
    with pytest.raises(ToolkitError, match=message):
        toolkit.doctor_facts(document, returncode)


def test_status_facts_drop_changed_and_failed_and_a_failure_is_an_error() -> None:
    document = {"changed": False, "failed": False, "msg": "ok", "effective": {"enabled": True}}
    assert toolkit.status_facts(document, 0) == {"msg": "ok", "effective": {"enabled": True}}
    with pytest.raises(ToolkitError, match="fips-setup status failed: cannot read x"):
        toolkit.status_facts({"failed": True, "msg": "cannot read x"}, 1)


# -- keeping the toolkit -------------------------------------------------------------


def test_a_sent_copy_is_kept_checked_private_and_replaces_older_versions(
    tmp_path: Path, as_root: None
) -> None:
    folder = tmp_path / "fips-setup"
    folder.mkdir(mode=0o700)
    old = folder / f"fips-setup-{'0' * 64}.pyz"
    old.write_bytes(b"old")
    sent = tmp_path / "sent.pyz"
    sent.write_bytes(b"zipapp v2")

    kept = toolkit.install_toolkit(str(sent), sha256(b"zipapp v2"), str(folder))

    assert kept == str(folder / f"fips-setup-{sha256(b'zipapp v2')}.pyz")
    assert Path(kept).read_bytes() == b"zipapp v2"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [Path(kept).name]
    assert toolkit.installed_toolkit(sha256(b"zipapp v2"), str(folder)) == kept


def test_a_copy_altered_on_the_way_is_refused_and_not_kept(tmp_path: Path, as_root: None) -> None:
    folder = tmp_path / "fips-setup"
    sent = tmp_path / "sent.pyz"
    sent.write_bytes(b"zipapp, cut sho")
    with pytest.raises(ToolkitError, match="does not match its checksum"):
        toolkit.install_toolkit(str(sent), sha256(b"zipapp, cut short"), str(folder))
    assert list(folder.iterdir()) == []


def test_a_kept_copy_that_was_altered_is_deleted_so_that_a_good_one_is_sent(
    tmp_path: Path, as_root: None
) -> None:
    folder = tmp_path / "fips-setup"
    folder.mkdir(mode=0o700)
    digest = sha256(b"zipapp")
    (folder / f"fips-setup-{digest}.pyz").write_bytes(b"zipapp, altered")
    assert toolkit.installed_toolkit(digest, str(folder)) is None
    assert list(folder.iterdir()) == []


def test_the_folder_is_created_0700(tmp_path: Path, as_root: None) -> None:
    folder = tmp_path / "fips-setup"
    assert toolkit.installed_toolkit(sha256(b"x"), str(folder)) is None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o777, 0o720, 0o702])
def test_a_folder_others_can_write_is_never_used(tmp_path: Path, as_root: None, mode: int) -> None:
    folder = tmp_path / "fips-setup"
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(ToolkitError, match="must be root's and writable by nobody else"):
        toolkit.installed_toolkit(sha256(b"x"), str(folder))


def test_a_link_in_place_of_the_folder_is_refused(tmp_path: Path, as_root: None) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "fips-setup").symlink_to(elsewhere)
    with pytest.raises(ToolkitError, match="is not a folder"):
        toolkit.installed_toolkit(sha256(b"x"), str(tmp_path / "fips-setup"))


def test_not_root_is_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toolkit, "ROOT_UID", os.getuid() + 1)
    with pytest.raises(ToolkitError, match="add 'become: true'"):
        toolkit.installed_toolkit(sha256(b"x"), str(tmp_path / "fips-setup"))


def test_without_a_checksum_the_module_says_to_use_the_collection() -> None:
    with pytest.raises(ToolkitError, match="action plugin sends the toolkit"):
        toolkit.ready_toolkit(None, None)


# -- running it ----------------------------------------------------------------------


def test_the_toolkit_runs_isolated_with_json_and_its_document_comes_back(
    tmp_path: Path, as_root: None
) -> None:
    pyz = tmp_path / "fips-setup.pyz"
    pyz.write_bytes(b"zipapp")
    fake = FakeToolkit(0, {"changed": False, "failed": False, "msg": "nothing to change"})
    returncode, document = toolkit.run_toolkit(
        fake, "/opt/datadog-agent/embedded/bin/python3", str(pyz), sha256(b"zipapp"),
        ["enable", "--config", "/etc/datadog-agent/datadog.yaml", "--dry-run"],
    )  # fmt: skip
    assert fake.calls == [
        ["/opt/datadog-agent/embedded/bin/python3", "-E", "-s", str(pyz),
         "enable", "--config", "/etc/datadog-agent/datadog.yaml", "--dry-run", "--json"]
    ]  # fmt: skip
    assert (returncode, document["msg"]) == (0, "nothing to change")


def test_a_copy_altered_after_it_was_kept_never_runs(tmp_path: Path, as_root: None) -> None:
    pyz = tmp_path / "fips-setup.pyz"
    pyz.write_bytes(b"zipapp, altered")
    fake = FakeToolkit(0, {})
    with pytest.raises(ToolkitError, match="no longer matches its checksum: not run"):
        toolkit.run_toolkit(fake, "python3", str(pyz), sha256(b"zipapp"), ["status"])
    assert fake.calls == []


def test_the_agents_python_runs_the_toolkit_else_the_hosts_own(tmp_path: Path) -> None:
    agent = tmp_path / "python3"
    agent.write_text("#!/bin/sh\n")
    agent.chmod(0o755)
    assert toolkit.toolkit_python(str(agent), "/usr/bin/python3", (3, 9)) == str(agent)
    missing = str(tmp_path / "missing")
    assert toolkit.toolkit_python(missing, "/usr/bin/python3", (3, 9)) == "/usr/bin/python3"
    with pytest.raises(ToolkitError, match=r"no Python 3\.9 or newer.*Python is 3\.8"):
        toolkit.toolkit_python(missing, "/usr/bin/python3", (3, 8))


def test_evidence_facts_are_the_evidence_whatever_the_verdict() -> None:
    evidence = {"schema": "fips-setup-evidence/1", "verdict": {"compliant": False}}
    document = {
        "changed": False,
        "failed": False,
        "msg": "web-1: NOT compliant",
        "evidence": evidence,
    }
    assert toolkit.evidence_facts(document, 0) == evidence  # not compliant is an answer
    with pytest.raises(ToolkitError, match="could not collect the evidence: not root"):
        toolkit.evidence_facts({"failed": True, "msg": "not root"}, 1)
    with pytest.raises(ToolkitError, match="could not collect the evidence: exit status 2"):
        toolkit.evidence_facts({"failed": False}, 2)
