"""The fips_proxy module's states (plugins/module_utils/fips_proxy_state.py).

The way out (``state: fips_agent``, ``fips-setup migrate``) and the way back
(``state: enabled`` with ``rollback: true``: ``fips-setup rollback`` of that
move, then ``enable``), with a fake toolkit that answers each argument list
with a JSON document as ``fips-setup ... --json`` does, and records the calls.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest

from tests.installer.ansible import toolkit  # noqa: F401 (puts the collection on sys.path)

from ansible_collections.fips_setup.datadog.plugins.module_utils import (  # isort: skip
    fips_proxy_state as states,
)

CONFIG = "/etc/datadog-agent/datadog.yaml"
ENABLE = ["enable", "--config", CONFIG]
ToolkitError = states.ToolkitError
Answer = Tuple[int, Dict[str, Any]]


class Toolkit:
    """Answers each run by its arguments (``--dry-run`` included); records every call."""

    def __init__(self, answers: Dict[Tuple[str, ...], Answer]) -> None:
        self.answers = answers
        self.calls: List[List[str]] = []

    def __call__(self, args: List[str]) -> Answer:
        self.calls.append(list(args))
        key = tuple(args)
        assert key in self.answers, f"unexpected run: fips-setup {' '.join(args)}"
        return self.answers[key]


def params(**given: Any) -> Dict[str, Any]:
    """The module's parameters, as AnsibleModule fills them (defaults for the others)."""
    defaults: Dict[str, Any] = {
        "state": "enabled", "config": CONFIG, "port_range_start": None, "local_address": None,
        "package_file": None, "refresh_proxy_config": False, "allow_other_site": False,
        "remove_package": False, "rollback": False, "agent_version": None, "remove_proxy": False,
    }  # fmt: skip
    return {**defaults, **given}


def done(msg: str, changed: bool = True, **details: Any) -> Answer:
    return 0, {"changed": changed, "failed": False, "msg": msg, "dry_run": False,
               "diff": [], "warnings": [], "actions": [], **details}  # fmt: skip


def failed(msg: str, error: str, returncode: int = 1, **details: Any) -> Answer:
    return returncode, {"changed": False, "failed": True, "msg": msg, "error": error, **details}


MIGRATE_RUN = {"command": "migrate", "pid": 42, "started": "2026-10-01T12:00:00Z",
               "state": "finished", "actions": 9, "path": "/var/lib/fips-setup/x"}  # fmt: skip
ROLLBACK_PLAN = done(
    "dry run: these steps would undo migrate (pid 42, started 2026-10-01T12:00:00Z);"
    " nothing was changed",
    dry_run=True,
    actions=[{"kind": "rollback", "description": "undo 'install-package': remove"
              " datadog-fips-agent", "status": "planned"}],
    checkpoint=MIGRATE_RUN,
)  # fmt: skip
ROLLED_BACK = done(
    "rolled back migrate (pid 42, started 2026-10-01T12:00:00Z): the host is as it was before it",
    actions=[{"kind": "rollback", "description": "undo 'install-package': remove"
              " datadog-fips-agent", "status": "done"}],
    checkpoint={**MIGRATE_RUN, "state": "rolled-back"},
)  # fmt: skip
PROXIED = done(
    "the Agent already sends through the FIPS proxy on ports 9803-9818; nothing to change;"
    " verified: the Agent's connectivity check passed",
    changed=False,
    verification={"verified": True, "checks": []},
    agent_version="7.50.3",
)
REFUSED_FIPS_AGENT = failed(
    "the FIPS Agent (datadog-fips-agent) is installed: it encrypts with a FIPS validated module"
    " itself and needs no proxy, and the two cannot be installed together; nothing to do",
    "precondition",
)


# -- the options of each state ---------------------------------------------------------


def test_fips_agent_runs_migrate_with_each_given_option() -> None:
    given = params(state="fips_agent", agent_version="7.65.2", remove_proxy=True,
                   package_file="/root/datadog-fips-agent_7.65.2-1_amd64.deb")  # fmt: skip
    assert states.task_arguments(given) == [
        "migrate", "--config", CONFIG, "--remove-proxy", "--agent-version", "7.65.2",
        "--package-file", "/root/datadog-fips-agent_7.65.2-1_amd64.deb",
    ]  # fmt: skip
    assert states.task_arguments(params(state="fips_agent", config="/srv/datadog.yaml")) == [
        "migrate", "--config", "/srv/datadog.yaml"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"port_range_start": 9900}, "port_range_start does not apply to state=fips_agent"),
        ({"local_address": "127.0.0.1"}, "local_address does not apply to state=fips_agent"),
        ({"refresh_proxy_config": True}, "refresh_proxy_config does not apply"),
        ({"allow_other_site": True}, "allow_other_site does not apply to state=fips_agent"),
        ({"rollback": True}, "rollback does not apply to state=fips_agent"),
        (
            {"remove_package": True},
            r"remove_package does not apply to state=fips_agent \(remove_proxy removes the"
            r" proxy's package\)",
        ),
    ],
)
def test_an_option_of_the_proxy_is_refused_with_fips_agent(
    given: Dict[str, Any], message: str
) -> None:
    with pytest.raises(ToolkitError, match=message):
        states.task_arguments(params(state="fips_agent", **given))


@pytest.mark.parametrize("state", ["enabled", "disabled"])
@pytest.mark.parametrize(
    ("given", "name"), [({"agent_version": "7.65.2"}, "agent_version"),
                        ({"remove_proxy": True}, "remove_proxy")],
)  # fmt: skip
def test_an_option_of_the_fips_agent_is_refused_with_the_proxys_states(
    state: str, given: Dict[str, Any], name: str
) -> None:
    with pytest.raises(ToolkitError, match=f"{name} applies to state=fips_agent only"):
        states.task_arguments(params(state=state, **given))


def test_rollback_goes_with_enabled_only_and_the_proxys_options_still_apply() -> None:
    with pytest.raises(ToolkitError, match="rollback applies to state=enabled only"):
        states.task_arguments(params(state="disabled", rollback=True))
    assert states.task_arguments(params(rollback=True, port_range_start=10000)) == [
        *ENABLE, "--port-range-start", "10000"
    ]  # fmt: skip
    with pytest.raises(ToolkitError, match="package_file applies to state=enabled only"):
        states.task_arguments(params(state="disabled", package_file="/root/x.deb"))


def test_a_state_the_module_does_not_know_is_refused() -> None:
    with pytest.raises(ToolkitError, match="state must be one of enabled, disabled, fips_agent"):
        states.task_arguments(params(state="fips-agent"))


# -- the way out -----------------------------------------------------------------------


def test_check_mode_runs_migrate_dry_and_reports_its_plan() -> None:
    plan = done(
        "dry run: these steps would move this host to the FIPS Agent (datadog-fips-agent"
        " 1:7.65.2-1 from the Datadog repository); nothing was changed",
        dry_run=True,
        warnings=["this kernel is not in FIPS mode"],
        actions=[{"kind": "download", "description": "download ...", "status": "planned"}],
        diff=[{"path": CONFIG, "before": "api_key: ********\nfips:\n  enabled: true\n",
               "after": "api_key: ********\nfips:\n  enabled: false\n"}],
        fips_agent_version="1:7.65.2-1",
    )  # fmt: skip
    fake = Toolkit({("migrate", "--config", CONFIG, "--dry-run"): plan})
    result, warnings = states.reach_state(fake, params(state="fips_agent"), True, True)
    assert fake.calls == [["migrate", "--config", CONFIG, "--dry-run"]]
    assert result["changed"] is True and result["dry_run"] is True
    assert result["fips_agent_version"] == "1:7.65.2-1"
    assert result["actions"][0]["status"] == "planned"
    assert result["diff"] == [{"before_header": CONFIG, "after_header": CONFIG,
                               "before": "api_key: ********\nfips:\n  enabled: true\n",
                               "after": "api_key: ********\nfips:\n  enabled: false\n"}]  # fmt: skip
    assert warnings == ["this kernel is not in FIPS mode"]
    assert "failed" not in result


def test_a_moved_host_reports_no_change_and_its_verification() -> None:
    again = done(
        "the FIPS Agent (datadog-fips-agent 1:7.65.2-1) is in place; nothing to change",
        changed=False,
        verification={"verified": True, "checks": [{"id": "fips-mode", "status": "pass"}]},
        agent_version=None,
        agent_stopped_seconds=None,
    )
    fake = Toolkit({("migrate", "--config", CONFIG): again})
    result, _ = states.reach_state(fake, params(state="fips_agent"), False, False)
    assert result["changed"] is False and "failed" not in result
    assert result["verification"]["verified"] is True
    assert "diff" not in result  # diff mode off


def test_a_failed_move_is_a_failed_task_with_what_was_undone() -> None:
    undone = failed(
        "install datadog-fips-agent 1:7.65.2-1 with apt failed: ... exited with status 1; the"
        " earlier steps were undone, the host is as it was",
        "step-failed",
        actions=[{"kind": "stop-service", "description": "stop datadog-agent", "status": "undone"},
                 {"kind": "install-package", "description": "install", "status": "failed"}],
    )  # fmt: skip
    fake = Toolkit({("migrate", "--config", CONFIG): undone})
    result, _ = states.reach_state(fake, params(state="fips_agent"), False, False)
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "step-failed"
    assert result["msg"].endswith("the host is as it was")
    assert [a["status"] for a in result["actions"]] == ["undone", "failed"]


def test_enabled_on_a_host_with_the_fips_agent_says_how_to_come_back() -> None:
    fake = Toolkit({tuple(ENABLE): REFUSED_FIPS_AGENT})
    result, _ = states.reach_state(fake, params(), False, False)
    assert result["failed"] is True and result["error"] == "precondition"
    assert result["msg"].startswith(REFUSED_FIPS_AGENT[1]["msg"])
    assert result["msg"].endswith(f"; {states.WAY_BACK_HINT}")
    assert "rollback: true" in states.WAY_BACK_HINT


# -- the way back ------------------------------------------------------------------------


def test_the_way_back_undoes_the_move_then_checks_the_proxy() -> None:
    fake = Toolkit({
        ("rollback", "--dry-run"): ROLLBACK_PLAN,
        ("rollback",): ROLLED_BACK,
        tuple(ENABLE): PROXIED,
    })  # fmt: skip
    result, warnings = states.reach_state(fake, params(rollback=True), False, False)
    assert fake.calls == [["rollback", "--dry-run"], ["rollback"], ENABLE]
    assert result["changed"] is True and "failed" not in result
    assert result["msg"] == f"{ROLLED_BACK[1]['msg']}; then: {PROXIED[1]['msg']}"
    assert [a["status"] for a in result["actions"]] == ["done"]
    assert result["rolled_back"]["command"] == "migrate"
    assert result["rolled_back"]["state"] == "rolled-back"
    assert result["verification"]["verified"] is True  # enable's, after the rollback
    assert result["agent_version"] == "7.50.3"
    assert "checkpoint" not in result and warnings == []


def test_the_way_back_in_check_mode_shows_the_rollbacks_plan_and_changes_nothing() -> None:
    fake = Toolkit({("rollback", "--dry-run"): ROLLBACK_PLAN})
    result, _ = states.reach_state(fake, params(rollback=True), True, True)
    assert fake.calls == [["rollback", "--dry-run"]]  # no real run, and no enable on the FIPS Agent
    assert result["changed"] is True and result["dry_run"] is True
    assert result["msg"].startswith("dry run: these steps would undo migrate (pid 42")
    assert result["msg"].endswith("then fips-setup enable would make sure the Agent sends"
                                  " through the proxy")  # fmt: skip
    assert result["rolled_back"] == MIGRATE_RUN and result["diff"] == []


def test_the_way_back_on_a_host_with_nothing_to_undo_is_enable_alone() -> None:
    nothing = done("nothing to roll back: no fips-setup run has changed this host", changed=False)
    fake = Toolkit({("rollback", "--dry-run"): nothing, tuple(ENABLE): PROXIED})
    result, _ = states.reach_state(fake, params(rollback=True), False, False)
    assert fake.calls == [["rollback", "--dry-run"], ENABLE]
    assert result["changed"] is False and result["msg"] == PROXIED[1]["msg"]
    assert "rolled_back" not in result

    fake = Toolkit({("rollback", "--dry-run"): nothing, (*ENABLE, "--dry-run"): PROXIED})
    result, _ = states.reach_state(fake, params(rollback=True), True, False)
    assert fake.calls == [["rollback", "--dry-run"], [*ENABLE, "--dry-run"]]
    assert result["changed"] is False


def test_the_way_back_never_undoes_a_run_that_is_not_the_move() -> None:
    logs_run = done(
        "dry run: these steps would undo logs (pid 7, started 2026-10-02T08:00:00Z); nothing"
        " was changed",
        checkpoint={**MIGRATE_RUN, "command": "logs"},
    )
    fake = Toolkit({("rollback", "--dry-run"): logs_run, tuple(ENABLE): REFUSED_FIPS_AGENT})
    result, _ = states.reach_state(fake, params(rollback=True), False, False)
    assert fake.calls == [["rollback", "--dry-run"], ENABLE]  # never a real rollback
    assert result["failed"] is True
    assert (
        "rollback: true: the newest run fips-setup can undo here is 'logs', not a migrate"
        in (result["msg"])
    )
    assert "and undoes nothing else ('fips-setup rollback --dry-run' on the host" in result["msg"]


def test_the_way_back_on_a_fips_agent_installed_by_hand_is_refused_naming_why() -> None:
    nothing = done("nothing to roll back: no fips-setup run has changed this host", changed=False)
    fake = Toolkit({("rollback", "--dry-run"): nothing, tuple(ENABLE): REFUSED_FIPS_AGENT})
    result, _ = states.reach_state(fake, params(rollback=True), False, False)
    assert result["failed"] is True
    assert result["msg"].endswith(
        "; rollback: true: fips-setup has no migrate to undo here, and undoes nothing else"
        " ('fips-setup rollback --dry-run' on the host shows what a rollback would undo)"
    )


def test_a_rollback_that_fails_is_a_failed_task_and_enable_does_not_run() -> None:
    cut = failed(
        "rollback failed: undo 'remove-package': install datadog-agent 1:7.50.3-1: ...; done:"
        " undo 'verify'; run 'fips-setup rollback' again to finish",
        "step-failed",
        actions=[{"kind": "rollback", "description": "undo 'remove-package'", "status": "failed"}],
    )
    fake = Toolkit({("rollback", "--dry-run"): ROLLBACK_PLAN, ("rollback",): cut})
    result, _ = states.reach_state(fake, params(rollback=True), False, False)
    assert fake.calls == [["rollback", "--dry-run"], ["rollback"]]
    assert result["failed"] is True and result["error"] == "step-failed"
    assert result["msg"] == cut[1]["msg"]
    assert result["rolled_back"] == MIGRATE_RUN  # what it was undoing


def test_enable_failing_after_the_rollback_is_failed_and_changed() -> None:
    not_verified = failed(
        "the Agent sends through the FIPS proxy, but it is NOT verified: agent-connectivity",
        "not-verified",
    )  # enable changed nothing: the rollback did
    fake = Toolkit({
        ("rollback", "--dry-run"): ROLLBACK_PLAN,
        ("rollback",): ROLLED_BACK,
        tuple(ENABLE): not_verified,
    })  # fmt: skip
    result, _ = states.reach_state(fake, params(rollback=True), False, False)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith(f"{ROLLED_BACK[1]['msg']}; then: the Agent sends")
    assert result["error"] == "not-verified"


def test_a_journal_the_probe_cannot_read_fails_the_task_naming_it() -> None:
    damaged = failed(
        "/var/lib/fips-setup/runs/0003/journal.json: the journal is damaged; 'fips-setup rollback"
        " --discard' sets it aside",
        "file-access",
    )
    fake = Toolkit({("rollback", "--dry-run"): damaged})
    result, _ = states.reach_state(fake, params(rollback=True), False, False)
    assert fake.calls == [["rollback", "--dry-run"]]
    assert result["failed"] is True and result["error"] == "file-access"
    assert result["msg"].startswith(
        "rollback: true: cannot tell what a rollback would undo: /var/lib/fips-setup/runs/0003"
    )


def test_the_refusal_the_module_recognises_is_the_toolkits_own() -> None:
    from installer.agent import check_agent
    from installer.errors import PreconditionError

    class FipsAgentHost:
        def installed_version(self, name: str) -> Any:
            return "1:7.65.2-1" if name == "datadog-fips-agent" else None

    with pytest.raises(PreconditionError) as refused:
        check_agent(FipsAgentHost())  # type: ignore[arg-type]
    assert states.FIPS_AGENT_INSTALLED in str(refused.value)
