# Copyright: fips-setup contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)
"""The fips_proxy module's states as fips-setup runs, and what they did as one task result.

``state=enabled`` is ``fips-setup enable``, ``disabled`` is ``disable`` and
``fips_agent`` is ``migrate`` (the move to the FIPS Agent). The way back is
``state=enabled`` with ``rollback=true``: when the newest run fips-setup
journalled on the host is a ``migrate`` that was not undone,
``fips-setup rollback`` undoes it (the exact previous Agent, the proxy
running), then ``fips-setup enable`` makes sure the Agent sends through the
proxy (a no-op on a host that was proxied before the move). Otherwise it is
``enable`` alone, so a second run changes nothing.

Runs on the managed host with the standard library only (Python 3.9+).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from ansible_collections.fips_setup.datadog.plugins.module_utils.toolkit import (
    DEFAULT_CONFIG,
    ToolkitError,
    proxy_arguments,
    proxy_result,
)

#: Runs ``fips-setup ARGS --json`` on the host; (exit status, its JSON document).
RunToolkit = Callable[[List[str]], Tuple[int, Dict[str, Any]]]
#: A task result and the warnings to give Ansible.
Outcome = Tuple[Dict[str, Any], List[str]]

STATES = ("enabled", "disabled", "fips_agent")
#: Options of state=fips_agent alone: passed as ``--name VALUE`` and as ``--name``.
FIPS_AGENT_VALUES = ("agent_version",)
FIPS_AGENT_FLAGS = ("remove_proxy",)
#: Options of the proxy's states alone (``package_file`` belongs to enabled and fips_agent).
PROXY_ONLY = (
    "port_range_start",
    "local_address",
    "refresh_proxy_config",
    "allow_other_site",
    "remove_package",
    "rollback",
)
#: How ``enable`` refuses a host that runs the FIPS Agent (installer/agent.py).
FIPS_AGENT_INSTALLED = "the FIPS Agent (datadog-fips-agent) is installed"
WAY_BACK_HINT = (
    "to bring this host back to the proxy, run the task with rollback: true (it undoes"
    " fips-setup migrate: the exact previous Agent, the proxy running)"
)


def _given(params: Dict[str, Any], name: str) -> bool:
    return params.get(name) not in (None, False)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def migrate_arguments(params: Dict[str, Any]) -> List[str]:
    """The ``fips-setup migrate`` arguments for state=fips_agent.

    Raises ToolkitError for an option of the proxy's states.
    """
    for name in PROXY_ONLY:
        if _given(params, name):
            instead = " (remove_proxy removes the proxy's package)" * (name == "remove_package")
            raise ToolkitError(f"{name} does not apply to state=fips_agent{instead}")
    args = ["migrate", "--config", params.get("config") or DEFAULT_CONFIG]
    for name in FIPS_AGENT_FLAGS:
        if params.get(name):
            args.append(_option(name))
    for name in (*FIPS_AGENT_VALUES, "package_file"):
        if params.get(name) is not None:
            args += [_option(name), str(params[name])]
    return args


def task_arguments(params: Dict[str, Any]) -> List[str]:
    """The first fips-setup run the task asks for (without ``--dry-run``).

    Every option is checked against the state here, before anything runs on
    the host. Raises ToolkitError.
    """
    state = params.get("state") or "enabled"
    if state not in STATES:
        raise ToolkitError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    if state == "fips_agent":
        return migrate_arguments(params)
    for name in (*FIPS_AGENT_VALUES, *FIPS_AGENT_FLAGS):
        if _given(params, name):
            raise ToolkitError(f"{name} applies to state=fips_agent only")
    if state != "enabled" and _given(params, "rollback"):
        raise ToolkitError("rollback applies to state=enabled only (it brings the proxy back)")
    return proxy_arguments(params)


def reach_state(
    run: RunToolkit, params: Dict[str, Any], check_mode: bool, diff_mode: bool
) -> Outcome:
    """Bring the host to the task's state; the task result and its warnings.

    ``check_mode`` runs each command with ``--dry-run``. Raises ToolkitError
    (bad options, or fips-setup gave no JSON document).
    """
    args = task_arguments(params)
    if (params.get("state") or "enabled") == "enabled" and params.get("rollback"):
        return _way_back(run, args, check_mode, diff_mode)
    result, warnings = _run(run, args, check_mode, diff_mode)
    if result.get("failed") and FIPS_AGENT_INSTALLED in result["msg"]:
        result["msg"] += f"; {WAY_BACK_HINT}"
    return result, warnings


def _run(run: RunToolkit, args: List[str], check_mode: bool, diff_mode: bool) -> Outcome:
    returncode, document = run([*args, "--dry-run"] if check_mode else args)
    return proxy_result(document, returncode, diff_mode)


def _way_back(run: RunToolkit, enable: List[str], check_mode: bool, diff_mode: bool) -> Outcome:
    """state=enabled, rollback=true: undo the host's ``migrate``, if that is its newest run."""
    probe, warnings = _run(run, ["rollback"], True, diff_mode)
    if probe.get("failed"):
        probe["msg"] = f"rollback: true: cannot tell what a rollback would undo: {probe['msg']}"
        return probe, warnings
    checkpoint = probe.get("checkpoint") or {}
    if not probe.get("changed") or checkpoint.get("command") != "migrate":
        result, more = _run(run, enable, check_mode, diff_mode)
        if result.get("failed") and FIPS_AGENT_INSTALLED in result["msg"]:
            newest = checkpoint.get("command")
            found = (
                f"the newest run fips-setup can undo here is '{newest}', not a migrate"
                if probe.get("changed") and newest
                else "fips-setup has no migrate to undo here"
            )
            result["msg"] += (
                f"; rollback: true: {found}, and undoes nothing else ('fips-setup rollback"
                " --dry-run' on the host shows what a rollback would undo)"
            )
        return result, warnings + more
    if check_mode:
        probe["msg"] += "; then fips-setup enable would make sure the Agent sends through the proxy"
        probe["rolled_back"] = probe.pop("checkpoint")
        return probe, warnings
    back, more = _run(run, ["rollback"], False, diff_mode)
    warnings += more
    back["rolled_back"] = back.pop("checkpoint", checkpoint)
    if back.get("failed"):
        return back, warnings
    result, more = _run(run, enable, False, diff_mode)
    result["msg"] = f"{back['msg']}; then: {result['msg']}"
    result["changed"] = True
    result["actions"] = list(back.get("actions") or []) + list(result.get("actions") or [])
    result["rolled_back"] = back["rolled_back"]
    if diff_mode:
        result["diff"] = list(back.get("diff") or []) + list(result.get("diff") or [])
    return result, warnings + more
