"""``fips-setup status``: what is installed, running and configured, in one document."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from fipsconf.datadog_yaml import (
    DEFAULT_PORT_RANGE_START,
    FED_SITE,
    explicit_fips_settings,
    fips_settings,
    port_number,
    setting_problem,
)
from fipsconf.envfiles import Override, as_bool
from fipsconf.errors import DocumentError, FipsSetupError
from fipsconf.proxy_releases import stale_package
from fipsconf.redact import REDACTOR
from fipsconf.yamldoc import decode_utf8, parse_yaml
from installer.agent import NEW_HOST_ADVICE, NO_AGENT, agent_overrides
from installer.files import ownership_of, read_bytes
from installer.host import Host
from installer.journal import RunLock, load_checkpoint, state_dir
from installer.packages import AGENT_PACKAGE, FIPS_AGENT_PACKAGE, PROXY_PACKAGE, package_manager_for
from installer.platform import detect_platform
from installer.ports import listeners
from installer.proxy import PROXY_CONFIG, proxy_ownership
from installer.results import CommandResult
from installer.services import (
    AGENT_SERVICE,
    PROXY_SERVICE,
    AgentSupervision,
    service_manager_for,
)

_CONVERT: dict[str, Callable[[str], Any]] = {
    "enabled": as_bool,
    "https": as_bool,
    "tls_verify": as_bool,
    "port_range_start": int,
}


def status(host: Host, config: Path) -> CommandResult:
    """Collect the state of the Agent, the proxy and their settings. Never changes anything."""
    platform = detect_platform(host)
    packages = package_manager_for(host, platform)
    services = service_manager_for(host)
    document: dict[str, Any] = {"platform": platform._asdict(), "init_system": services.name}
    document["packages"] = {
        name: packages.installed_version(name)
        for name in (AGENT_PACKAGE, PROXY_PACKAGE, FIPS_AGENT_PACKAGE)
    }
    document["agent_flavor"] = next(
        (name for name in (FIPS_AGENT_PACKAGE, AGENT_PACKAGE) if document["packages"][name]), None
    )
    document["services"] = {
        name: {"active": services.is_active(name), "enabled": services.is_enabled(name)}
        for name in (AGENT_SERVICE, PROXY_SERVICE)
    }
    supervision = services.agent_supervision(read_processes=True)
    document["agent_supervision"] = _supervision(supervision)
    settings = agent_settings(host, config)
    file_settings, site, problem = settings.file, settings.site, settings.problem
    overrides, effective, sources = settings.overrides, settings.effective, settings.sources
    problems = list(settings.problems) + supervision.problems()
    document["datadog_yaml"] = {"path": str(config), "site": site, "fips": file_settings}
    if problem:
        # Nothing is in effect from a file the Agent cannot read (it would not start):
        # only what an override sets is known.
        document["datadog_yaml"]["error"] = problem
        document["datadog_yaml"]["fips"] = None
        unknown = [key for key, source in sources.items() if source in ("file", "default")]
        effective = {**effective, **dict.fromkeys(unknown)}
        document["sources"] = {key: None if key in unknown else sources[key] for key in sources}
    else:
        document["sources"] = sources
    document["overrides"] = [o._asdict() for o in overrides]
    document["effective"] = effective
    start = port_number(effective["port_range_start"])
    if start is None or setting_problem("port_range_start", start):
        start = DEFAULT_PORT_RANGE_START  # shown as a problem above; look where the default is
    document["last_run"], run_problem = _last_run(host)
    if run_problem:
        problems.append(run_problem)
    document["problems"] = problems
    document["ports"] = [
        {"port": ln.port, "address": ln.address, "pid": ln.pid, "command": ln.command}
        for ln in listeners(host, range(start, start + 16))
    ]
    document["proxy_config"] = _proxy_config(host)
    summary = _summary(document, start)
    return CommandResult(changed=False, msg=summary, details=document, warnings=_warnings(document))


def _warnings(document: dict[str, Any]) -> list[str]:
    """What the operator should act on without it being a problem: an outdated proxy."""
    proxy = document["packages"][PROXY_PACKAGE]
    stale = (
        stale_package(proxy) if proxy and document["agent_flavor"] != FIPS_AGENT_PACKAGE else None
    )
    return [f"{stale} (upgrade it from the Datadog repository)"] if stale else []


def _supervision(supervision: AgentSupervision) -> dict[str, Any]:
    """How the Agent's payloads run: systemd units, or dd-procmgrd (7.84+), and their states."""
    processes = supervision.processes
    return {
        "manager": supervision.manager,
        "summary": supervision.describe(),
        "units": {name: state.describe() for name, state in supervision.units.items()},
        "processes": None
        if processes is None
        else [{"name": p.name, "state": p.state, "pid": p.pid} for p in processes],
        "processes_problem": supervision.problem,
    }


def _last_run(host: Host) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    """The last changing run's journal (None if none or unreadable), and a problem to show."""
    folder = state_dir(host)
    if not os.access(folder, os.R_OK | os.X_OK):
        return None, None  # none yet, or not root: the journal is root's alone
    try:
        checkpoint = load_checkpoint(folder)
    except FipsSetupError as exc:
        return None, str(exc)
    if checkpoint is None:
        return None, None
    summary = checkpoint.summary()
    holder = RunLock(folder).held_by_other()
    if checkpoint.state == "running" and holder is None:
        summary["state"] = "killed"
        return summary, (
            f"the fips-setup {checkpoint.describe()} stopped before it finished (killed, or"
            " the host went down): run 'fips-setup rollback' to put the host back as it was"
            " before it, or run the command again to finish it"
        )
    return summary, None


class AgentSettings(NamedTuple):
    """The Agent's fips settings: in its file, overridden, and in effect (with their source)."""

    data: dict[str, Any]  # the parsed datadog.yaml ({} when it cannot be read)
    file: dict[str, Any]  # the file's fips settings, defaults filled in
    site: Optional[str]
    problem: Optional[str]  # why the file could not be read, or None
    overrides: list[Override]  # DD_FIPS_* and DD_SITE set for the Agent service
    effective: dict[str, Any]
    sources: dict[str, str]  # "file", "default" or "DD_FIPS_X in /path"
    problems: list[str]  # the file's problem, unreadable overrides, unusable values
    problem_line: Optional[int] = None  # the line the file's problem is on, when it has one
    missing: bool = False  # the file does not exist

    def source_of(self, setting: str) -> Optional[Override]:
        """The override that sets ``setting``, if one does."""
        return next((o for o in reversed(self.overrides) if o.setting == setting), None)


def agent_settings(host: Host, config: Path) -> AgentSettings:
    """Read ``config`` and the ``DD_FIPS_*`` / ``DD_SITE`` overrides; the settings in effect.

    Never raises: what cannot be read or is unusable is listed in ``problems``.
    """
    data: dict[str, Any] = {}
    problem = None
    problem_line = None
    missing = _missing(config)
    try:
        doc = parse_yaml(decode_utf8(read_bytes(config)))
        REDACTOR.register_from(doc.data)
    except DocumentError as exc:
        problem, problem_line = exc.located(str(config)), exc.line
    except FipsSetupError as exc:
        problem = str(exc)
    else:
        data = doc.data if isinstance(doc.data, dict) else {}
    problems: list[str] = [problem] if problem else []
    site = data.get("site")
    file_settings = fips_settings(data)
    explicit = set(explicit_fips_settings(data))
    try:
        all_overrides = agent_overrides(host)
    except FipsSetupError as exc:  # the environment file is root's: say so, do not crash
        all_overrides = []
        problems.append(f"could not read the Agent's overrides: {exc}")
    effective = dict(file_settings)
    sources = {key: "file" if key in explicit else "default" for key in effective}
    for override in (o for o in all_overrides if o.is_fips):
        convert = _CONVERT.get(override.setting, str)
        try:
            effective[override.setting] = convert(override.value)
        except ValueError:
            effective[override.setting] = override.value
        sources[override.setting] = f"{override.variable} in {override.source}"
    for override in all_overrides:
        if override.setting == "site":
            site = override.value
    for key in ("port_range_start", "local_address"):
        bad = setting_problem(key, effective[key])
        if bad:
            problems.append(f"fips.{key} is {effective[key]!r} ({sources[key]}): {bad}")
    return AgentSettings(
        data,
        file_settings,
        str(site) if site is not None else None,
        problem,
        all_overrides,
        effective,
        sources,
        problems,
        problem_line,
        missing,
    )


def _missing(path: Path) -> bool:
    """True when ``path`` does not exist (a folder on the way missing too; not when unreadable)."""
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _proxy_config(host: Host) -> dict[str, Any]:
    path = host.path(PROXY_CONFIG)
    owner = ownership_of(path)
    if owner is None:
        return {"path": PROXY_CONFIG, "exists": False}
    try:
        expected = proxy_ownership(host)
    except FipsSetupError:
        expected = None
    user, group = host.account_names(owner.uid, owner.gid)
    return {
        "path": PROXY_CONFIG,
        "exists": True,
        "uid": owner.uid,
        "gid": owner.gid,
        "owner": user,
        "group": group,
        "mode": f"{owner.mode:03o}",
        "owner_and_mode_ok": expected is not None and owner == expected,
    }


def _summary(document: dict[str, Any], start: int) -> str:
    """One line: what the configuration says and whether both services run (not verified)."""
    effective = document["effective"]
    proxy_active = document["services"][PROXY_SERVICE]["active"]
    agent_active = document["services"][AGENT_SERVICE]["active"]
    site = document["datadog_yaml"]["site"]
    if document["agent_flavor"] is None:
        state = f"{NO_AGENT}: {NEW_HOST_ADVICE}"
        if document["packages"][PROXY_PACKAGE]:
            state += f"; {PROXY_PACKAGE} is installed, with no Agent to serve"
        return state
    error = document["datadog_yaml"].get("error")
    if error:
        return (
            f"the Agent cannot read {document['datadog_yaml']['path']}, so it would not start"
            " (see the problem above): fix the file, fips-setup doctor names what to do"
        )
    if document["agent_flavor"] == FIPS_AGENT_PACKAGE:
        state = (
            f"the FIPS Agent ({FIPS_AGENT_PACKAGE}) encrypts with its own FIPS module and sends"
            " directly: no proxy needed, fips.* is ignored"
        )
        if not agent_active:
            state += "; but it is not running"
        if proxy_active:
            state += "; the FIPS proxy still runs (fips-setup migrate stops it)"
        return state
    if effective.get("enabled") and not effective.get("https") and proxy_active and agent_active:
        state = (
            "FIPS proxy mode is on: datadog.yaml points the Agent at the proxy on ports"
            f" {start}-{start + 15}, and both are running"
        )
        if site != FED_SITE:
            state += f" (but site is {site or 'not set'}, not {FED_SITE})"
        return state
    if effective.get("enabled"):
        return (
            "FIPS proxy mode is on in the configuration, but the proxy or the Agent is not running"
        )
    if not agent_active:
        return "FIPS proxy mode is off, and the Agent is not running"
    return "FIPS proxy mode is off: the Agent sends directly to Datadog"
