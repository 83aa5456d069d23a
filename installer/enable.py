"""``fips-setup enable``: install, configure and start the proxy, then point the Agent at it.

The order keeps every payload (DESIGN rule 3): the proxy is installed,
configured, started and accepting connections before the Agent's
configuration changes and the Agent restarts. Every check runs before the
first change; a failure undoes what this run did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple, Optional

from fipsconf.datadog_yaml import (
    WRONG_SITE,
    FipsRequest,
    check_fips_settings,
    fips_settings,
    refuse_wrong_site,
    setting_problem,
    site_advice,
    site_line,
)
from fipsconf.envfiles import Override, as_bool, is_bool
from installer.agent import agent_overrides, check_agent
from installer.configure import DatadogYamlChange, plan_datadog_yaml
from installer.errors import PreconditionError
from installer.files import read_text
from installer.host import Host
from installer.journal import Journal, locked_run, unfinished_warning
from installer.packages import PROXY_PACKAGE, PackageError, PackageManager, package_manager_for
from installer.plan import Plan, Progress, Step
from installer.platform import Platform, detect_platform
from installer.ports import listeners
from installer.proxy import (
    ProxyConfigChange,
    listen_targets,
    plan_proxy_config,
    write_proxy_config,
)
from installer.results import CommandResult
from installer.services import (
    AGENT_SERVICE,
    PROXY_SERVICE,
    NoInit,
    ServiceError,
    ServiceManager,
    service_manager_for,
)
from installer.undo import PackageVersion, ServiceState, UndoAction, UndoContext, file_undo

PORT_WAIT_SECONDS = 30.0
AGENT_WAIT_SECONDS = 30.0


class EnableOptions(NamedTuple):
    """What the operator asked ``enable`` for."""

    config: Path
    port_range_start: Optional[int] = None
    local_address: Optional[str] = None
    package_file: Optional[Path] = None
    no_install: bool = False
    no_restart: bool = False
    refresh_proxy_config: bool = False
    allow_other_site: bool = False
    dry_run: bool = False
    #: Plan against these datadog.yaml bytes (a dry run of ``install``, before the file exists).
    config_contents: Optional[bytes] = None


class HostState(NamedTuple):
    """What the checks found, for planning."""

    platform: Platform
    packages: PackageManager
    services: ServiceManager
    agent_version: str
    proxy_version: Optional[str]
    datadog_yaml: DatadogYamlChange
    port_start: int
    warnings: list[str]


def require_root(host: Host, dry_run: bool) -> None:
    """Refuse to change a host without root (a dry run may look as anyone)."""
    if not dry_run and not host.is_root():
        raise PreconditionError("must run as root (sudo); nothing was changed")


def open_host(
    host: Host, *, dry_run: bool, no_restart: bool
) -> tuple[Platform, PackageManager, ServiceManager]:
    """Root, platform, package manager and init system, as ``enable`` and ``disable`` need.

    Raises PreconditionError: not root (unless a dry run), an unsupported
    platform, or no init system without ``no_restart``.
    """
    require_root(host, dry_run)
    platform = detect_platform(host)
    services = service_manager_for(host)
    if isinstance(services, NoInit) and not no_restart:
        raise PreconditionError(NoInit.MESSAGE)
    return platform, package_manager_for(host, platform), services


def inspect_host(host: Host, options: EnableOptions) -> HostState:
    """Every check ``enable`` makes before its first change. Raises PreconditionError & co."""
    platform, packages, services = open_host(
        host, dry_run=options.dry_run, no_restart=options.no_restart
    )
    agent_version = check_agent(packages)
    request = FipsRequest(
        enabled=True,
        port_range_start=options.port_range_start,
        local_address=options.local_address,
    )
    yaml_change = plan_datadog_yaml(options.config, request, options.config_contents)
    settings = check_fips_settings(yaml_change.edit.result.document, str(options.config))
    overrides = agent_overrides(host)
    site_overrides = [o for o in overrides if o.setting == "site"]
    site_codes = ("site-not-fed", WRONG_SITE)
    advice = [a for a in yaml_change.advice if not (site_overrides and a.code in site_codes)]
    for override in site_overrides:  # the Agent reads DD_SITE before datadog.yaml
        advice += site_advice(override.value, f"{override.variable} in {override.source}")
    # never routed to the wrong site, --allow-other-site or not
    document = yaml_change.edit.result.document
    refuse_wrong_site(
        advice,
        None if site_overrides else str(options.config),
        None if site_overrides else site_line(document),
    )
    warnings = [a.message for a in advice]
    not_fed = [a.message for a in advice if a.code == "site-not-fed"]
    if not_fed and not options.allow_other_site:
        source = options.config if not site_overrides else site_overrides[0].source
        raise PreconditionError(
            f"{source}: {not_fed[0]}; or pass --allow-other-site to enable anyway"
        )
    check_overrides([o for o in overrides if o.is_fips], settings, enabling=True)
    proxy_version = packages.installed_version(PROXY_PACKAGE)
    if proxy_version is None:
        _check_installable(packages, options)
    port_start = int(settings["port_range_start"])
    check_ports_free(host, port_start)
    return HostState(
        platform,
        packages,
        services,
        str(agent_version),
        proxy_version,
        yaml_change,
        port_start,
        warnings,
    )


def _check_installable(packages: PackageManager, options: EnableOptions) -> None:
    if options.no_install:
        raise PreconditionError(
            f"{PROXY_PACKAGE} is not installed and --no-install was given; install it first"
        )
    if options.package_file is not None:
        if not options.package_file.is_file():
            raise PreconditionError(f"{options.package_file}: no such package file")
        return
    if packages.datadog_repository() is None:
        raise PackageError(packages.missing_repository_message())


def check_overrides(overrides: list[Override], settings: dict[str, Any], *, enabling: bool) -> None:
    """Refuse when a ``DD_FIPS_*`` variable would silently undo, contradict or break the change.

    ``settings``: the fips settings datadog.yaml will have. Every variable is
    checked, whether or not the matching option was given: a value the
    Agent would reject, and a value that disagrees with the file.
    """
    for override in overrides:
        problem = _override_problem(override, settings, enabling)
        if problem:
            raise PreconditionError(
                f"{override.source}:{override.line}: {override.variable}={override.value}"
                f" overrides datadog.yaml and {problem}; remove it (or make it agree) and run"
                " again"
            )


def _override_problem(override: Override, settings: dict[str, Any], enabling: bool) -> str:
    value = override.value.strip()
    setting = override.setting
    if setting in ("enabled", "https", "tls_verify") and not is_bool(value):
        return "is not true or false"
    if setting == "enabled" and as_bool(value) != enabling:
        return "contradicts this change"
    if not enabling:
        return ""
    if setting == "https" and as_bool(value):
        return "contradicts this change (the Agent must talk plain HTTP to the local proxy)"
    if setting in ("port_range_start", "local_address"):
        problem = setting_problem(setting, value)
        if problem:
            return problem
    if setting == "port_range_start" and int(value) != int(settings["port_range_start"]):
        return f"contradicts fips.port_range_start: {settings['port_range_start']}"
    if setting == "local_address" and _proxy_address(value) != _proxy_address(
        str(settings["local_address"])
    ):
        return f"contradicts fips.local_address: {settings['local_address']}"
    return ""


def _proxy_address(address: str) -> str:
    """The address the proxy binds for an Agent setting (localhost is the example's 127.0.0.1)."""
    return "127.0.0.1" if address.lower() == "localhost" else address.strip("[]")


def check_ports_free(host: Host, start: int) -> None:
    """Refuse when another process holds one of the proxy's 16 ports."""
    others = [
        listener for listener in listeners(host, range(start, start + 16)) if not listener.is_proxy
    ]
    if others:
        held = "; ".join(listener.describe() for listener in others)
        raise PreconditionError(
            f"the FIPS proxy needs TCP ports {start}-{start + 15}, but {held} is in use;"
            " stop that process or choose another range with --port-range-start"
        )


def plan_enable(
    host: Host, options: EnableOptions, state: HostState
) -> tuple[Plan, Optional[ProxyConfigChange]]:
    """The steps that take this host from its state to a FIPS-proxied Agent.

    Only what must change is planned: on a configured host the plan is empty.
    Also returns the proxy configuration change when it is known before
    installing (None on a first install: the example comes with the package).
    """
    plan = Plan(UndoContext(host))
    packages, services = state.packages, state.services
    installed_now = state.proxy_version is None
    if installed_now:
        plan.add(_install_step(packages, options))
    config_change = None if installed_now else _plan_config(host, options, state)
    config_changes = config_change is None or config_change.changed
    if config_changes:
        plan.add(_ConfigStep(host, options, state, config_change, services))
    if not options.no_restart:
        if not services.is_active(PROXY_SERVICE):
            plan.add(
                Step(
                    "start-service",
                    f"start {PROXY_SERVICE}",
                    lambda: services.start(PROXY_SERVICE),
                    lambda: [ServiceState(PROXY_SERVICE, active=False)],
                )
            )
        elif config_changes:
            plan.add(
                Step(
                    "restart-service",
                    f"restart {PROXY_SERVICE} with its new configuration",
                    lambda: services.restart(PROXY_SERVICE),
                    nothing_lasting,
                )
            )
        if installed_now or services.is_enabled(PROXY_SERVICE) is False:
            plan.add(
                Step(
                    "enable-service",
                    f"enable {PROXY_SERVICE} at boot",
                    lambda: services.enable(PROXY_SERVICE),
                    lambda: [_boot_state(services, PROXY_SERVICE)],
                )
            )
    yaml_change = state.datadog_yaml
    if not plan.steps and not yaml_change.changed:
        return plan, config_change  # configured already: check nothing, restart nothing
    if not options.no_restart:
        plan.add(
            Step(
                "wait-ports",
                "wait until the proxy accepts connections on all its ports",
                lambda: wait_for_proxy(host, services),
                changes=False,
            )
        )
    for step in agent_steps(host, yaml_change, services, options.no_restart):
        plan.add(step)
    return plan, config_change


def nothing_lasting() -> list[UndoAction]:
    """The undo of a restart: nothing (the step whose change it applies restarts again)."""
    return []


def _boot_state(services: ServiceManager, service: str) -> UndoAction:
    """How to put ``service`` back to starting at boot (or not) as it does now."""
    return ServiceState(service, active=None, enabled=bool(services.is_enabled(service)))


def _install_step(packages: PackageManager, options: EnableOptions) -> Step:
    def undo() -> list[UndoAction]:
        return [PackageVersion(PROXY_PACKAGE, packages.installed_version(PROXY_PACKAGE))]

    if options.package_file is not None:
        package_file = options.package_file
        return Step(
            "install-package",
            f"install {PROXY_PACKAGE} from {package_file}",
            lambda: packages.install_file(package_file),
            undo,
        )
    return Step(
        "install-package",
        f"install {PROXY_PACKAGE} with {packages.name} (refreshing only the Datadog repository)",
        lambda: packages.install_from_repository(PROXY_PACKAGE),
        undo,
    )


def _plan_config(host: Host, options: EnableOptions, state: HostState) -> ProxyConfigChange:
    settings = fips_settings(state.datadog_yaml.edit.result.document.data)
    address = options.local_address
    if address is None and settings["local_address"] not in ("localhost",):
        address = str(settings["local_address"])
    port = options.port_range_start
    if port is None and state.port_start != 9803:
        port = state.port_start
    return plan_proxy_config(
        host, port_start=port, address=address, refresh=options.refresh_proxy_config
    )


class _ConfigStep(Step):
    """Writes the proxy configuration, computing it at run time on a fresh install."""

    def __init__(
        self,
        host: Host,
        options: EnableOptions,
        state: HostState,
        change: Optional[ProxyConfigChange],
        services: ServiceManager,
    ) -> None:
        self.host, self.options, self.state, self.change = host, options, state, change
        self.services = services
        description = "create the proxy configuration from its example (dd-agent:dd-agent, 640)"
        if change is not None and change.reason == "refresh":
            description = (
                "replace the proxy configuration with the package's example"
                " (backup kept, nameservers carried over)"
            )
        elif change is not None and change.reason == "adjust":
            description = "adjust the proxy configuration's ports or address"
        super().__init__("write-file", description, self._write, self._undo)

    def _undo(self) -> list[UndoAction]:
        if self.change is None:
            self.change = _plan_config(self.host, self.options, self.state)
        actions: list[UndoAction] = []
        if self.change.before is not None and self.services.is_active(PROXY_SERVICE):
            # applied after the file is put back: the proxy runs on the old file again
            actions.append(ServiceState(PROXY_SERVICE, active=True, restart=True))
        actions.append(file_undo(self.change.path, self.change.after))
        return actions

    def _write(self) -> None:
        assert self.change is not None
        if self.change.changed:
            write_proxy_config(self.host, self.change)


def agent_steps(
    host: Host, change: DatadogYamlChange, services: ServiceManager, no_restart: bool
) -> list[Step]:
    """Point the Agent elsewhere: write datadog.yaml, then restart the Agent (when it changed)."""
    if not change.changed:
        return []
    steps = [datadog_yaml_step(change, services, no_restart)]
    if not no_restart:
        steps.append(
            Step(
                "restart-service",
                f"restart {AGENT_SERVICE} and check that it is running",
                lambda: restart_and_confirm(host, services, AGENT_SERVICE),
                nothing_lasting,
            )
        )
    return steps


def datadog_yaml_step(
    change: DatadogYamlChange, services: ServiceManager, no_restart: bool
) -> Step:
    """Write datadog.yaml; undoing puts it back and restarts the Agent on it."""
    write = change.write_step()

    def undo() -> list[UndoAction]:
        assert write.undo is not None
        actions: list[UndoAction] = []
        if not no_restart and services.is_active(AGENT_SERVICE):
            actions.append(ServiceState(AGENT_SERVICE, active=True, restart=True))
        return actions + list(write.undo())

    return Step(write.kind, write.description, write.run, undo)


def wait_for_proxy(host: Host, services: ServiceManager) -> None:
    """Poll until every port the proxy binds accepts a connection. Raises ServiceError."""
    from installer.proxy import PROXY_CONFIG

    text = read_text(host.path(PROXY_CONFIG))
    targets = listen_targets(text)
    pending = list(targets)

    def all_open() -> bool:
        pending[:] = [(a, p) for a, p in pending if not host.probe(a, p, 0.5)]
        return not pending

    if not host.wait_for(all_open, PORT_WAIT_SECONDS, interval=0.05):
        closed = ", ".join(str(port) for _, port in pending)
        lines = services.journal(PROXY_SERVICE, 5)
        detail = f"; its last log lines: {' | '.join(lines)}" if lines else ""
        raise ServiceError(
            f"{PROXY_SERVICE} did not open port(s) {closed} within"
            f" {PORT_WAIT_SECONDS:.0f} s{detail}"
        )


def restart_and_confirm(host: Host, services: ServiceManager, service: str) -> None:
    """Restart ``service`` and wait until it is active. Raises ServiceError.

    No further waiting "to see whether it stays up": the edit cannot make the
    Agent's configuration unreadable (it is parsed back before it is written),
    and ``status``/``doctor`` show a service that fails later.
    """
    services.restart(service)
    if service == AGENT_SERVICE:  # dd-procmgrd (7.84+) follows it: both must run again
        services.wait_for_agent(AGENT_WAIT_SECONDS, after=" after its restart")
        return
    if not host.wait_for(lambda: services.is_active(service), AGENT_WAIT_SECONDS, interval=0.1):
        lines = services.journal(service, 5)
        detail = f"; its last log lines: {' | '.join(lines)}" if lines else ""
        raise ServiceError(f"{service} is not running after its restart{detail}")


def enable(
    host: Host,
    options: EnableOptions,
    progress: Optional[Progress] = None,
    journal: Optional[Journal] = None,
) -> CommandResult:
    """Run (or, with ``dry_run``, show) the enable plan. Raises FipsSetupError.

    A real run holds the run lock and journals its steps (``journal``: the
    journal of a calling command, ``install``, which holds the lock already).
    """
    if options.dry_run or journal is not None:
        return _enable(host, options, progress, journal)
    require_root(host, dry_run=False)
    with locked_run(host, "enable") as own_journal:
        return _enable(host, options, progress, own_journal)


def _enable(
    host: Host, options: EnableOptions, progress: Optional[Progress], journal: Optional[Journal]
) -> CommandResult:
    state = inspect_host(host, options)
    plan, config_change = plan_enable(host, options, state)
    if config_change is not None and config_change.stale:
        state.warnings.append(
            f"{config_change.path} differs from what the package's example gives (a package"
            " upgrade changed the example, or the file was edited); it is kept as it is:"
            " run with --refresh-proxy-config to replace it (a backup is kept and its DNS"
            " nameservers carried over)"
        )
    unfinished = unfinished_warning(journal) if journal is not None else None
    if unfinished:
        state.warnings.append(unfinished)
    if not options.dry_run:
        plan.execute(progress, journal)
    changed = plan.changes_anything()
    yaml_change = state.datadog_yaml
    diff = [
        step.change.diff()
        for step in plan.steps
        if isinstance(step, _ConfigStep) and step.change is not None and step.change.changed
    ]
    diff += [yaml_change.diff()] if yaml_change.changed else []
    result = CommandResult(
        changed=changed,
        msg=_message(options, state, plan),
        diff=diff,
        warnings=state.warnings,
        actions=plan.records(),
        details={
            "platform": state.platform._asdict(),
            "agent_version": state.agent_version,
            "proxy_version": state.packages.installed_version(PROXY_PACKAGE)
            if not options.dry_run
            else state.proxy_version,
            "port_range_start": state.port_start,
            "commands": _commands(host),
        },
        dry_run=options.dry_run,
    )
    if not (options.dry_run or options.no_restart):
        from installer.verify import verify_enabled  # every real run ends proving it works

        result = verify_enabled(host, options.config, result)
    return result


def _commands(host: Host) -> list[dict[str, Any]]:
    return [result.record() for result in host.runner.history]


def _message(options: EnableOptions, state: HostState, plan: Plan) -> str:
    """What happened, saying only what was checked (the end-to-end check is ``verify``'s)."""
    ports = f"{state.port_start}-{state.port_start + 15}"
    if not plan.changes_anything():
        return (
            f"the FIPS proxy is running on ports {ports} and datadog.yaml points the Agent at"
            " it; nothing to change"
        )
    if options.dry_run:
        return "dry run: these steps would enable the FIPS proxy; nothing was changed"
    if options.no_restart:
        return (
            f"the proxy configuration and datadog.yaml are set for ports {ports}; start the"
            " proxy and restart the Agent yourself (--no-restart)"
        )
    agent = (
        "the Agent restarted with fips.enabled: true and is running"
        if any(step.description.startswith(f"restart {AGENT_SERVICE}") for step in plan.steps)
        else "datadog.yaml already pointed the Agent at it"
    )
    return f"the FIPS proxy accepts connections on ports {ports}; {agent}"
