"""``fips-setup install``: a new host's configuration, then ``enable`` or a started Agent.

Run by the one-step install script after it installed the Agent package:
``datadog.yaml`` from the package's example (and, when asked, Cloud
Security's ``system-probe.yaml`` / ``security-agent.yaml``, and
``install_info``); then in FIPS mode ``enable``, otherwise (the FIPS Agent
included) the Agent started. ``DD_INSTALL_ONLY`` starts nothing. The API key
comes from the environment (``DD_API_KEY``) or a file (``DD_API_KEY_FILE``),
never from the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, NamedTuple, Optional

from fipsconf.datadog_yaml import template_slots
from fipsconf.errors import DocumentError, FipsSetupError, SettingError
from fipsconf.new_host import FIPS_AGENT_FLAVOR, NewHostSettings, flag, settings_from_environment
from fipsconf.redact import REDACTOR
from fipsconf.security_configs import security_request
from fipsconf.yamldoc import decode_utf8, parse_yaml
from fipsconf.yamledit import case_insensitive_keys, set_values
from installer.agent import agent_installed, agent_missing
from installer.enable import EnableOptions, enable, require_root, restart_and_confirm
from installer.errors import FileAccessError, PreconditionError
from installer.files import atomic_write, read_bytes, read_text
from installer.host import Host
from installer.interrupts import Interrupted
from installer.journal import Journal, locked_run
from installer.new_host_files import INSTALLED_BY, plan_install_info, plan_security_files
from installer.packages import package_manager_for
from installer.plan import Plan, PlanFailed, PlanInterrupted, Progress, Step
from installer.platform import detect_platform
from installer.proxy import proxy_ownership
from installer.results import CommandResult, FileDiff, Template
from installer.services import AGENT_SERVICE, NoInit, service_manager_for
from installer.undo import UndoContext, file_undo

DATADOG_YAML = "/etc/datadog-agent/datadog.yaml"


class InstallOptions(NamedTuple):
    """``install``'s inputs: where, and the install environment."""

    environment: Mapping[str, str]
    config: Optional[Path] = None
    dry_run: bool = False


def read_settings(environment: Mapping[str, str]) -> NewHostSettings:
    """The install variables, with the API key from ``DD_API_KEY_FILE`` when given."""
    key_file = environment.get("DD_API_KEY_FILE")
    api_key = None
    if key_file:
        try:
            api_key = read_text(Path(key_file)).strip()
        except FileAccessError as exc:
            raise FileAccessError(f"DD_API_KEY_FILE: {exc}") from None
    settings = settings_from_environment(environment, api_key)
    for secret in (settings.api_key, settings.app_key):
        if secret:
            REDACTOR.register(secret)
    return settings


def new_datadog_yaml(example: str, settings: NewHostSettings) -> str:
    """The package's example with the new host's settings where it documents them.

    Raises DocumentError (the editor checks that the result means exactly
    the example's data plus these settings).
    """
    doc = parse_yaml(example)
    assignments = settings.assignments()
    keys = [a.path[0] for a in assignments]
    result = set_values(
        doc,
        assignments,
        keys_match=case_insensitive_keys,
        top_level_slots=template_slots(doc, keys),
    )
    return result.text


def install(
    host: Host, options: InstallOptions, progress: Optional[Progress] = None
) -> CommandResult:
    """Create the new host's files if absent, then enable the FIPS proxy or start the Agent.

    Raises FipsSetupError; a failure undoes what this run created. A real run
    holds the run lock and journals every step, its own and enable's.
    """
    # The variables first: a wrong value is the operator's to fix, whatever the host.
    settings = read_settings(options.environment)
    security_request(options.environment)
    flag("DD_INSTALL_ONLY", options.environment.get("DD_INSTALL_ONLY"))
    require_root(host, options.dry_run)
    if options.dry_run:
        return _install(host, options, settings, progress, None)
    with locked_run(host, "install") as journal:
        return _install(host, options, settings, progress, journal)


def _install(
    host: Host,
    options: InstallOptions,
    settings: NewHostSettings,
    progress: Optional[Progress],
    journal: Optional[Journal],
) -> CommandResult:
    install_only = flag("DD_INSTALL_ONLY", options.environment.get("DD_INSTALL_ONLY"))
    config = options.config or host.path(DATADOG_YAML)
    plan = Plan(UndoContext(host))
    created: Optional[bytes] = None
    diff: list[FileDiff] = []
    if not config.exists():
        new_contents, template = _new_file_contents(host, config, settings)
        created = new_contents
        diff.append(FileDiff(str(config), "", created.decode("utf-8"), template))
        ownership = proxy_ownership(host)  # dd-agent:dd-agent, 640, like the proxy's file
        plan.add(
            Step(
                "write-file",
                f"create {config} from its example (dd-agent:dd-agent, 640)",
                lambda: atomic_write(config, new_contents, new_file=ownership),
                lambda: [file_undo(config, new_contents)],
            )
        )
    warnings = [] if created is not None else [f"{config} exists: kept as it is"]
    warnings += settings.warnings
    installed_by = options.environment.get(INSTALLED_BY) or None
    for files in (
        plan_security_files(host, security_request(options.environment)),
        plan_install_info(host, installed_by),
    ):
        for step in files.steps:
            plan.add(step)
        diff += files.diff
        warnings += files.warnings
    started = False
    if not settings.fips:
        started = _plan_agent_start(host, plan, created is not None, install_only, warnings)
    if not options.dry_run:
        plan.execute(progress, journal)
    if not settings.fips:
        return CommandResult(
            changed=plan.changes_anything(),
            msg=_direct_message(config, settings, created is not None, started, options.dry_run),
            diff=diff,
            warnings=warnings,
            actions=plan.records(),
            dry_run=options.dry_run,
        )
    enable_options = EnableOptions(
        config=config,
        dry_run=options.dry_run,
        config_contents=created if options.dry_run else None,
        no_restart=install_only,
    )
    after = Plan(UndoContext(host))
    try:
        enabled = enable(host, enable_options, progress, journal)
        # enable restarts the Agent when it changes datadog.yaml; a stopped Agent (left by
        # a run with DD_INSTALL_ONLY) is started as well.
        if _plan_agent_start(host, after, False, install_only, warnings) and not options.dry_run:
            after.execute(progress, journal)
    except PlanInterrupted as exc:
        tail = _undo_own(plan, journal)
        raise PlanInterrupted(f"{exc}{tail}", plan.steps + exc.steps, exc.signal) from None
    except PlanFailed as exc:
        tail = _undo_own(plan, journal)
        raise PlanFailed(f"{exc}{tail}", plan.steps + exc.steps) from None
    except Interrupted as signal:
        tail = _undo_own(plan, journal)
        raise PlanInterrupted(f"{signal}{tail}", plan.steps, signal) from None
    except BaseException:
        _undo_own(plan, journal)
        raise
    return CommandResult(
        changed=plan.changes_anything() or enabled.changed or after.changes_anything(),
        msg=enabled.msg,
        diff=_merged(diff, enabled.diff),
        warnings=warnings + enabled.warnings,
        actions=plan.records() + enabled.actions + after.records(),
        details=enabled.details,
        dry_run=options.dry_run,
        failed=enabled.failed,
        error=enabled.error,
    )


def _plan_agent_start(
    host: Host, plan: Plan, created: bool, install_only: bool, warnings: list[str]
) -> bool:
    """Add the Agent's (re)start when it has a new datadog.yaml or is not running.

    Returns True when a start was planned. With ``DD_INSTALL_ONLY`` nothing is started.
    """
    if install_only:
        return False
    services = service_manager_for(host)
    if isinstance(services, NoInit):
        warnings.append(f"no init system found: start {AGENT_SERVICE} yourself")
        return False
    if not created and services.is_active(AGENT_SERVICE):
        return False
    plan.add(
        Step(
            "restart-service",
            f"start {AGENT_SERVICE} and check that it is running",
            lambda: restart_and_confirm(host, services, AGENT_SERVICE),
        )
    )
    return True


def _direct_message(
    config: Path, settings: NewHostSettings, created: bool, started: bool, dry_run: bool
) -> str:
    """What ``install`` did on a host that reports directly (FIPS mode off, or the FIPS Agent)."""
    mode = "the FIPS Agent" if settings.flavor == FIPS_AGENT_FLAVOR else "FIPS mode off"
    done = [
        f"{config} {'would be created' if dry_run else 'created'}" if created else f"{config} kept"
    ]
    if started:
        done.append(f"{AGENT_SERVICE} {'would be started' if dry_run else 'started'}")
    return f"{', '.join(done)} ({mode})"


def _no_agent(host: Host) -> bool:
    """True when the package database says that no Agent is installed (False: it cannot tell)."""
    try:
        packages = package_manager_for(host, detect_platform(host))
        return not agent_installed(packages)
    except FipsSetupError:
        return False


def _undo_own(plan: Plan, journal: Optional[Journal]) -> str:
    """Undo install's own steps after enable failed: how that ends the message."""
    done = [step.description for step in plan.steps if step.status == "done" and step.changes]
    if not done:
        return ""
    tail = plan.undo_done(journal)
    if "still in place" in tail:
        return tail
    return f"; undone as well: {'; '.join(reversed(done))}"


def _merged(first: list[FileDiff], then: list[FileDiff]) -> list[FileDiff]:
    """One entry per file: a file changed twice goes from its first before to its last after."""
    merged: dict[str, FileDiff] = {}
    for change in first + then:
        earlier = merged.get(change.path)
        merged[change.path] = earlier._replace(after=change.after) if earlier else change
    return list(merged.values())


def _new_file_contents(
    host: Host, config: Path, settings: NewHostSettings
) -> tuple[bytes, Template]:
    """The new datadog.yaml, and the example it is made from."""
    example = config.with_name(config.name + ".example")
    if not example.is_file():
        if _no_agent(host):
            raise agent_missing(
                ": fips-setup install configures the Agent the one-step install script has just"
                " installed, from its datadog.yaml.example"
            )
        raise PreconditionError(
            f"{config} does not exist and neither does {example}: is the Agent package complete?"
        )
    if not settings.api_key:
        raise SettingError(
            f"{config} does not exist: set DD_API_KEY (or DD_API_KEY_FILE) to create it"
        )
    try:
        example_text = decode_utf8(read_bytes(example))
        text = new_datadog_yaml(example_text, settings)
    except DocumentError as exc:
        raise exc.in_file(example) from None
    return text.encode("utf-8"), Template(str(example), example_text)
