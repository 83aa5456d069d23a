"""``fips-setup disable``: point the Agent back at Datadog directly, then stop the proxy.

The reverse order of ``enable``: the Agent stops using the proxy (file, then
restart) before the proxy stops, so no payload meets a closed port.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Optional

from fipsconf.datadog_yaml import FipsRequest, fips_settings
from installer.agent import agent_installed, agent_missing, fips_overrides
from installer.configure import plan_datadog_yaml
from installer.enable import agent_steps, check_overrides, open_host, require_root
from installer.host import Host
from installer.journal import Journal, locked_run, unfinished_warning
from installer.packages import PROXY_PACKAGE, PackageManager
from installer.plan import Plan, Progress, Step
from installer.results import CommandResult
from installer.services import PROXY_SERVICE, ServiceManager
from installer.undo import PackageVersion, ServiceState, UndoAction, UndoContext


class DisableOptions(NamedTuple):
    """What the operator asked ``disable`` for."""

    config: Path
    remove_package: bool = False
    no_restart: bool = False
    dry_run: bool = False


def proxy_off_steps(
    services: ServiceManager,
    packages: PackageManager,
    *,
    stop: bool,
    remove: bool,
    keep_copy: Optional[str] = None,
) -> list[Step]:
    """Stop the proxy and keep it from starting at boot (``stop``); remove its package (``remove``).

    Only what is not so already. Undoing the removal installs the same version
    again (from ``keep_copy``, a copy of its package file, when given).
    """
    steps = []
    if stop and services.is_active(PROXY_SERVICE):
        steps.append(
            Step(
                "stop-service",
                f"stop {PROXY_SERVICE}",
                lambda: services.stop(PROXY_SERVICE),
                lambda: [ServiceState(PROXY_SERVICE, active=True)],
            )
        )
    if stop and services.is_enabled(PROXY_SERVICE):
        steps.append(
            Step(
                "disable-service",
                f"disable {PROXY_SERVICE} at boot",
                lambda: services.disable(PROXY_SERVICE),
                lambda: [ServiceState(PROXY_SERVICE, active=None, enabled=True)],
            )
        )
    if remove and packages.installed_version(PROXY_PACKAGE) is not None:

        def undo() -> list[UndoAction]:
            version = packages.installed_version(PROXY_PACKAGE)
            return [PackageVersion(PROXY_PACKAGE, version, keep_copy if version else None)]

        steps.append(
            Step(
                "remove-package",
                f"remove {PROXY_PACKAGE} with {packages.name} (its configuration is kept)",
                lambda: packages.remove(PROXY_PACKAGE),
                undo,
            )
        )
    return steps


def disable(
    host: Host, options: DisableOptions, progress: Optional[Progress] = None
) -> CommandResult:
    """Run (or, with ``dry_run``, show) the disable plan. Raises FipsSetupError.

    A real run holds the run lock and journals its steps.
    """
    if options.dry_run:
        return _disable(host, options, progress, None)
    require_root(host, dry_run=False)
    with locked_run(host, "disable") as journal:
        return _disable(host, options, progress, journal)


def _disable(
    host: Host, options: DisableOptions, progress: Optional[Progress], journal: Optional[Journal]
) -> CommandResult:
    platform, packages, services = open_host(
        host, dry_run=options.dry_run, no_restart=options.no_restart
    )
    config = options.config
    if not (config.exists() or config.is_symlink()) and not agent_installed(packages):
        raise agent_missing(f" and {config} does not exist: there is nothing to disable", "")
    yaml_change = plan_datadog_yaml(config, FipsRequest(enabled=False))
    settings = fips_settings(yaml_change.edit.result.document.data)
    check_overrides(fips_overrides(host), settings, enabling=False)

    plan = Plan(UndoContext(host))
    for step in agent_steps(host, yaml_change, services, options.no_restart):
        plan.add(step)
    for step in proxy_off_steps(
        services, packages, stop=not options.no_restart, remove=options.remove_package
    ):
        plan.add(step)
    warnings = []
    unfinished = unfinished_warning(journal) if journal is not None else None
    if unfinished:
        warnings.append(unfinished)
    if not options.dry_run:
        plan.execute(progress, journal)
    changed = plan.changes_anything()
    if not changed:
        message = "the Agent already sends directly (fips.enabled is off) and the proxy is stopped"
    elif options.dry_run:
        message = "dry run: these steps would disable the FIPS proxy; nothing was changed"
    else:
        message = (
            "datadog.yaml points the Agent directly at Datadog (fips.enabled: false), the Agent"
            " restarted on it; the FIPS proxy is stopped"
            if not options.no_restart
            else "datadog.yaml points the Agent directly at Datadog (fips.enabled: false);"
            " restart the Agent and stop the proxy yourself (--no-restart)"
        )
    return CommandResult(
        changed=changed,
        msg=message,
        diff=[yaml_change.diff()] if yaml_change.changed else [],
        warnings=warnings,
        actions=plan.records(),
        details={"platform": platform._asdict()},
        dry_run=options.dry_run,
    )
