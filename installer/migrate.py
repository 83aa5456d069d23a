"""``fips-setup migrate``: move a host from the FIPS proxy to the FIPS Agent, reversibly.

Every check runs before the first change (root, platform, site, the FIPS
Agent's exact version, the way back, disk space). Then the swap: the Agent
is stopped, ``datadog-agent`` removed (never purged: ``/etc/datadog-agent``
stays), ``fips.enabled: false`` written (the FIPS Agent ignores ``fips.*``;
the block stays for the way back), ``datadog-fips-agent`` installed (its
package starts it; started here if not) and verified: its status shows
``FIPS Mode: enabled`` and its connectivity check passes. The proxy keeps
running until then, so that undoing the swap returns at once to a proxied
Agent that sends; only then is it stopped, disabled at boot and, with
``--remove_proxy``, its package removed (its configuration stays).

Refreshing the repository and downloading the FIPS Agent happen before the
Agent stops: the gap in the Agent's payloads is the package swap alone.
Every changing step is journalled first; a failure or a signal undoes the
move (the FIPS Agent is removed before the exact previous ``datadog-agent``
is installed again), and ``fips-setup rollback`` undoes a completed one.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import NamedTuple, Optional

from fipsconf.datadog_yaml import FED_SITE, FipsRequest, agent_setting, ignored_while_proxied
from fipsconf.errors import FipsSetupError
from fipsconf.sites import fips_agent_note
from installer.agent import (
    ENVIRONMENT_FILE,
    agent_environment,
    agent_missing,
    agent_overrides,
)
from installer.configure import DatadogYamlChange, plan_datadog_yaml
from installer.disable import proxy_off_steps
from installer.doctor.model import ChecksResult
from installer.enable import AGENT_WAIT_SECONDS, require_root
from installer.errors import PreconditionError
from installer.files import read_bytes
from installer.fips_agent import (
    Target,
    WayBack,
    agent_size,
    check_disk_space,
    choose_target,
    kernel_fips_warning,
    way_back,
)
from installer.host import Host
from installer.journal import (
    Journal,
    keep_package_file,
    kept_package_path,
    locked_run,
    unfinished_warning,
)
from installer.packages import (
    AGENT_PACKAGE,
    FIPS_AGENT_PACKAGE,
    PROXY_PACKAGE,
    PackageManager,
    package_manager_for,
    same_version,
    upstream_version,
)
from installer.plan import Plan, Progress, Step
from installer.platform import Platform, detect_platform
from installer.proxy import PROXY_CONFIG
from installer.results import CommandResult
from installer.services import (
    AGENT_SERVICE,
    NoInit,
    ServiceManager,
    service_manager_for,
)
from installer.undo import PackageVersion, ServiceState, UndoAction, UndoContext, file_undo

#: How long the new Agent may take to pass its verification (status, connectivity).
VERIFY_PATIENCE = 20.0
#: Variables that send the Agent elsewhere; ignored while it sends through the proxy.
_ROUTE_VARIABLES = (
    *("DD_DD_URL", "DD_URL", "DD_PROXY_HTTP", "DD_PROXY_HTTPS"),
    *("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"),
)
#: Loaded before the first change. The move removes the Agent's embedded Python, which
#: may be the interpreter running fips-setup (the one-step script and the Ansible
#: collection use it), and with it the standard library a later import would read.
#: What the modules of a run import inside functions (tests/installer/test_migrate.py
#: checks that nothing is missing); the command line warms up its own output.
_LOAD_AHEAD = (
    "distro",
    "fcntl",
    "installer.net",
    "installer.status",
    "installer.verify",
    "ipaddress",
    "requests",
    "tempfile",
    "traceback",
    "xml.etree.ElementTree",
    "xml.parsers.expat",
)


class MigrateOptions(NamedTuple):
    """What the operator asked ``migrate`` for."""

    config: Path
    remove_proxy: bool = False
    agent_version: Optional[str] = None
    package_file: Optional[Path] = None
    dry_run: bool = False


class HostState(NamedTuple):
    """What the checks found, for planning."""

    platform: Platform
    packages: PackageManager
    services: ServiceManager
    agent: Optional[str]  # datadog-agent's version (None: the FIPS Agent is installed)
    fips_agent: Optional[str]  # datadog-fips-agent's version before the move
    proxy: Optional[str]
    target: Optional[Target]  # the FIPS Agent to install (None: installed already)
    agent_back: Optional[WayBack]
    proxy_back: Optional[WayBack]
    datadog_yaml: DatadogYamlChange
    agent_enabled: Optional[bool]
    warnings: list[str]


class NotVerified(FipsSetupError):
    """The FIPS Agent runs but did not pass its verification."""

    code = "not-verified"


def migrate(
    host: Host, options: MigrateOptions, progress: Optional[Progress] = None
) -> CommandResult:
    """Run (or, with ``dry_run``, show) the move to the FIPS Agent. Raises FipsSetupError.

    A real run holds the run lock and journals its steps.
    """
    if options.dry_run:
        return _migrate(host, options, progress, None)
    require_root(host, dry_run=False)
    with locked_run(host, "migrate") as journal:
        return _migrate(host, options, progress, journal)


def load_ahead() -> None:
    """Import now what the rest of the run may need (see ``_LOAD_AHEAD``)."""
    for module in _LOAD_AHEAD:
        importlib.import_module(module)


def inspect_host(host: Host, options: MigrateOptions) -> HostState:
    """Every check ``migrate`` makes before its first change. Raises PreconditionError & co."""
    require_root(host, options.dry_run)
    platform = detect_platform(host)
    services = service_manager_for(host)
    if isinstance(services, NoInit):
        raise PreconditionError(
            "no init system found (systemd, Upstart or SysV service), as in a container:"
            " migrate stops, starts and checks the Agent's service; for containers use the"
            " Agent image's FIPS variant (fips-setup helm/ecs --fips-agent); nothing was changed"
        )
    packages = package_manager_for(host, platform)
    agent, fips, proxy = (
        packages.installed_version(name)
        for name in (AGENT_PACKAGE, FIPS_AGENT_PACKAGE, PROXY_PACKAGE)
    )
    _check_agents(packages, agent, fips)
    yaml_change = plan_datadog_yaml(options.config, FipsRequest(enabled=False))
    warnings = _check_site(host, options.config, yaml_change)
    target = agent_back = proxy_back = None
    if agent is not None:
        if options.package_file is None and not options.dry_run:
            packages.refresh(then="nothing was changed")
        try:
            target = choose_target(packages, options.agent_version, options.package_file)
        except PreconditionError as exc:
            if options.dry_run and options.package_file is None:
                raise PreconditionError(
                    f"{exc} (dry run: the repository's metadata was read as it is, not refreshed)"
                ) from None
            raise
        agent_back = way_back(packages, AGENT_PACKAGE, agent)
        check_disk_space(host, packages, agent_size(host, packages, AGENT_PACKAGE))
        warnings += _routes_warning(host, options.config)
    else:
        assert fips is not None
        _check_installed(packages, fips, options)
    if options.remove_proxy and proxy is not None:
        proxy_back = way_back(packages, PROXY_PACKAGE, proxy)
    kernel = kernel_fips_warning(host)
    if kernel:
        warnings.append(kernel)
    return HostState(
        platform,
        packages,
        services,
        agent,
        fips,
        proxy,
        target,
        agent_back,
        proxy_back,
        yaml_change,
        services.is_enabled(AGENT_SERVICE),
        warnings,
    )


def _check_agents(packages: PackageManager, agent: Optional[str], fips: Optional[str]) -> None:
    if agent is not None and fips is not None:
        raise PreconditionError(
            f"both {AGENT_PACKAGE} {agent} and {FIPS_AGENT_PACKAGE} {fips} are installed, which"
            " their packages do not allow (their files clash): remove the one that should not"
            " be there by hand; nothing was changed"
        )
    for name, version in ((AGENT_PACKAGE, agent), (FIPS_AGENT_PACKAGE, fips)):
        if version is None and packages.is_present(name):
            raise PreconditionError(
                f"{name} is half-installed (a package script failed): finish or remove it with"
                f" {packages.name} first; nothing was changed"
            )
    if agent is None and fips is None:
        raise agent_missing(
            advice="on a new host, install the FIPS Agent with the one-step install script and"
            f" DD_AGENT_FLAVOR={FIPS_AGENT_PACKAGE}"
        )


def _check_site(host: Host, config: Path, change: DatadogYamlChange) -> list[str]:
    """The FIPS Agent is for the government sites (US2-FED with a note, returned as a
    warning); ``DD_SITE`` wins over the file, as in the Agent."""
    site = agent_setting(change.edit.result.document.data, "site")
    where = str(config)
    for override in agent_overrides(host):
        if override.setting == "site":
            site, where = override.value, f"DD_SITE in {override.source}:{override.line}"
    if site is not None and str(site).strip().lower() == FED_SITE:
        return []
    note = fips_agent_note(site)
    if note is not None:  # US2-FED: the FIPS Agent sends to the site's own intake
        return [f"{where}: {note}"]
    shown = f"site is {site}" if site else "site is not set (the Agent's default is datadoghq.com)"
    raise PreconditionError(
        f"{where}: {shown}: the FIPS Agent is for the government sites, US1-FED ({FED_SITE})"
        " and US2-FED; nothing was changed"
    )


def _check_installed(packages: PackageManager, version: str, options: MigrateOptions) -> None:
    """On a FIPS Agent host: ``--agent-version`` / ``--package-file`` must name what is there."""
    wanted = options.agent_version
    if options.package_file is not None:
        identity = packages.file_identity(options.package_file)
        wanted = identity[1] if identity else str(options.package_file)
    if wanted is None or same_version(wanted, version) or upstream_version(version) == wanted:
        return
    raise PreconditionError(
        f"{FIPS_AGENT_PACKAGE} {version} is installed already; migrate does not change its"
        f" version (asked: {wanted}): upgrade it with {packages.name}; nothing was changed"
    )


def _routes_warning(host: Host, config: Path) -> list[str]:
    """Settings the proxied Agent ignores that will send the FIPS Agent elsewhere."""
    from installer.status import agent_settings

    settings = agent_settings(host, config)
    if settings.effective.get("enabled") is not True:
        return []  # the Agent does not send through the proxy: they apply already
    found = ignored_while_proxied(settings.data)
    found += [f"{o.variable} in {o.source}" for o in agent_environment(host, _ROUTE_VARIABLES)]
    if not found:
        return []
    return [
        f"{', '.join(found)}: ignored while the Agent sends through the proxy, used by the FIPS"
        " Agent (it has no proxy mode): remove them unless that is where it should send"
    ]


class RunRecord:
    """What a run saw: when the Agent stopped and the FIPS Agent ran, and the verification."""

    def __init__(self) -> None:
        self.stopped: Optional[float] = None
        self.started: Optional[float] = None
        self.verification: Optional[ChecksResult] = None

    def gap(self) -> Optional[float]:
        """Seconds without an Agent (None: no swap happened)."""
        if self.stopped is None or self.started is None:
            return None
        return round(self.started - self.stopped, 3)


def plan_migrate(host: Host, options: MigrateOptions, state: HostState, record: RunRecord) -> Plan:
    """The steps from this host's state to a verified FIPS Agent with the proxy off.

    Only what must change is planned: on a moved host the plan is empty. The
    FIPS Agent is verified before the proxy stops, whenever anything changes.
    """
    plan = Plan(UndoContext(host))
    packages, services = state.packages, state.services
    copies: dict[str, str] = {}
    for back in (state.agent_back, state.proxy_back):
        if back is not None and back.cached is not None:
            copies[back.package] = str(kept_package_path(host, back.cached))
            plan.add(_keep_step(host, back, back.cached))
    agent_steps: list[Step] = []
    if state.agent is not None:
        agent_steps += _swap_steps(host, options, state, record, copies.get(AGENT_PACKAGE))
    elif state.datadog_yaml.changed:
        agent_steps.append(state.datadog_yaml.write_step())  # the FIPS Agent ignores fips.*
    if state.agent is not None or not services.is_active(AGENT_SERVICE):
        agent_steps.append(_start_step(host, services, state.agent_enabled, record))
    proxy_steps = proxy_off_steps(
        services, packages, stop=True, remove=options.remove_proxy,
        keep_copy=copies.get(PROXY_PACKAGE),
    )  # fmt: skip
    for step in agent_steps:
        plan.add(step)
    if any(step.changes for step in agent_steps + proxy_steps):
        plan.add(
            Step(
                "verify",
                "verify the FIPS Agent: its status shows FIPS Mode: enabled, its connectivity"
                " check passes",
                lambda: _verify(host, options.config, record),
                changes=False,
            )
        )
    for step in proxy_steps:
        plan.add(step)
    return plan


def _keep_step(host: Host, back: WayBack, source: Path) -> Step:
    def keep() -> None:
        keep_package_file(host, source)

    copy = kept_package_path(host, source)
    return Step(
        "keep-package",
        f"keep a copy of {back.package} {back.version}'s package for the way back ({copy};"
        " the repository no longer serves it)",
        keep,
        changes=False,
    )


def _swap_steps(
    host: Host,
    options: MigrateOptions,
    state: HostState,
    record: RunRecord,
    agent_copy: Optional[str],
) -> list[Step]:
    packages, services = state.packages, state.services
    target, agent = state.target, state.agent
    assert target is not None and agent is not None
    steps = []
    if target.file is None:
        steps.append(
            Step(
                "download",
                f"download {target.describe()} ahead of the swap (the Agent keeps running)",
                lambda: packages.download(FIPS_AGENT_PACKAGE, target.version),
                changes=False,
            )
        )
    yaml_change = state.datadog_yaml
    snapshot = [ENVIRONMENT_FILE, PROXY_CONFIG]  # packages' scripts could touch them
    if not yaml_change.changed:
        snapshot.append(str(options.config))

    def stop() -> None:
        record.stopped = host.clock.monotonic()
        services.stop_agent()

    def stop_undo() -> list[UndoAction]:
        # applied last first: the files are put back before the Agent starts again
        actions: list[UndoAction] = [
            ServiceState(AGENT_SERVICE, active=True, enabled=state.agent_enabled)
        ]
        for name in snapshot:
            path = host.path(name)
            if path.exists():  # kept as it is: restored only if something changed it
                actions.append(file_undo(path, read_bytes(path)))
        return actions

    steps.append(Step("stop-service", f"stop {AGENT_SERVICE}", stop, stop_undo))
    steps.append(
        Step(
            "remove-package",
            f"remove {AGENT_PACKAGE} {agent} with {packages.name} (not purged: /etc/datadog-agent"
            " stays)",
            lambda: packages.remove(AGENT_PACKAGE),
            lambda: [PackageVersion(AGENT_PACKAGE, agent, agent_copy)],
        )
    )
    if yaml_change.changed:
        steps.append(yaml_change.write_step())

    def install() -> None:
        if target.file is not None:
            packages.install_file(target.file)
        else:
            packages.install_version(FIPS_AGENT_PACKAGE, target.version)

    steps.append(
        Step(
            "install-package",
            f"install {target.describe()} with {packages.name}",
            install,
            lambda: [PackageVersion(FIPS_AGENT_PACKAGE, None)],
        )
    )
    return steps


def _start_step(
    host: Host, services: ServiceManager, enabled: Optional[bool], record: RunRecord
) -> Step:
    """Start the (FIPS) Agent unless its package did, wait until it runs; enable it as it was."""

    def start() -> None:
        if not services.is_active(AGENT_SERVICE):
            services.start(AGENT_SERVICE)
        services.wait_for_agent(AGENT_WAIT_SECONDS)  # dd-procmgrd too, on its path
        record.started = host.clock.monotonic()
        if enabled and services.is_enabled(AGENT_SERVICE) is False:
            services.enable(AGENT_SERVICE)

    def undo() -> list[UndoAction]:
        return [
            ServiceState(
                AGENT_SERVICE,
                active=services.is_active(AGENT_SERVICE),
                enabled=services.is_enabled(AGENT_SERVICE),
            )
        ]

    return Step(
        "start-service", f"start {AGENT_SERVICE} (the FIPS Agent) and check it runs", start, undo
    )


def _verify(host: Host, config: Path, record: RunRecord) -> None:
    from installer.verify import verify_fips_agent

    checked = record.verification = verify_fips_agent(host, config, VERIFY_PATIENCE)
    if checked.failed:
        raise NotVerified(checked.msg.replace("not verified: ", "", 1))


def _migrate(
    host: Host, options: MigrateOptions, progress: Optional[Progress], journal: Optional[Journal]
) -> CommandResult:
    state = inspect_host(host, options)
    record = RunRecord()
    plan = plan_migrate(host, options, state, record)
    warnings = list(state.warnings)
    unfinished = unfinished_warning(journal) if journal is not None else None
    if unfinished:
        warnings.append(unfinished)
    if not options.dry_run:
        load_ahead()
        plan.execute(progress, journal)
    changed = plan.changes_anything()
    if not options.dry_run and not changed:
        from installer.verify import verify_fips_agent

        record.verification = verify_fips_agent(host, options.config, VERIFY_PATIENCE)
    yaml_change = state.datadog_yaml
    installed = (
        state.packages.installed_version(FIPS_AGENT_PACKAGE) if not options.dry_run else None
    )
    result = CommandResult(
        changed=changed,
        msg=_message(options, state, plan, record),
        diff=[yaml_change.diff()] if yaml_change.changed else [],
        warnings=warnings,
        actions=plan.records(),
        details={
            "platform": state.platform._asdict(),
            "agent_version": state.agent,
            "fips_agent_version": installed
            or (state.target.version if state.target else state.fips_agent),
            "proxy_version": state.proxy,
            "agent_stopped_seconds": record.gap(),
        },
        dry_run=options.dry_run,
    )
    checked = record.verification
    if checked is not None:
        result.details["verification"] = {
            "verified": not checked.failed,
            "checks": [c.record() for c in checked.checks],
        }
        if checked.failed:  # nothing changed, and what is there does not pass
            result.msg += (
                f"; but it is NOT verified: {checked.msg.replace('not verified: ', '', 1)}"
            )
            result.msg += "; run fips-setup doctor for the cause and its fix"
            result.failed, result.error = True, "not-verified"
    return result


def _message(options: MigrateOptions, state: HostState, plan: Plan, record: RunRecord) -> str:
    proxy = _proxy_words(options, state)
    if not plan.changes_anything():
        installed = f"{FIPS_AGENT_PACKAGE} {state.fips_agent}"
        return f"the FIPS Agent ({installed}) is in place{proxy}; nothing to change"
    if options.dry_run:
        what = (
            state.target.describe() if state.target else f"{FIPS_AGENT_PACKAGE} {state.fips_agent}"
        )
        return (
            f"dry run: these steps would move this host to the FIPS Agent ({what}); nothing"
            " was changed"
        )
    if state.agent is None:
        return (
            f"the FIPS Agent ({FIPS_AGENT_PACKAGE} {state.fips_agent}) runs and is verified{proxy}"
        )
    assert state.target is not None
    gap = record.gap()
    stopped = f" (the Agent was stopped for {gap:.1f} s)" if gap is not None else ""
    return (
        f"moved to the FIPS Agent: {state.target.describe()} replaced {AGENT_PACKAGE}"
        f" {state.agent}{stopped} and is verified: its status shows FIPS Mode: enabled and its"
        f" connectivity check passed{proxy}; fips-setup rollback goes back"
    )


def _proxy_words(options: MigrateOptions, state: HostState) -> str:
    if state.proxy is None:
        return ""
    if options.remove_proxy:
        return f"; {PROXY_PACKAGE} is removed (its configuration is kept)"
    return (
        f"; the FIPS proxy is stopped and disabled at boot ({PROXY_PACKAGE} stays installed:"
        " --remove-proxy removes it)"
    )
