"""The commands behind the command line, as plain functions returning exit codes.

Both the Typer application and the fast path call these, so a command
behaves the same whichever parsed its arguments. Library modules are
imported inside each function: a command loads only what it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from fipsconf.errors import FipsSetupError
from installer.cli import options
from installer.cli.render import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    left_changed,
    show_document,
    show_failure,
    show_internal_error,
    show_interrupted,
    show_result,
)

DEFAULT_CONFIG = Path("/etc/datadog-agent/datadog.yaml")


def usage_failure(message: str, *, as_json: bool) -> int:
    """Show a usage error found after parsing (options that do not go together)."""
    show_failure(message, "usage", as_json=as_json)
    return EXIT_USAGE


def run_and_render(
    as_json: bool, command: Callable[[], Any], render: Optional[Callable[..., None]] = None
) -> int:
    """Run a library call and render its result or error; return the exit status.

    Every command goes through here: an expected failure is one line (or one
    JSON document) and exit 1; an interrupted run says what was undone and
    exits 128 + the signal's number; anything unexpected is still one line
    and one document (``error: internal``), the traceback only with ``--debug``.

    A result carrying a ``document`` (``helm``/``ecs`` writing to stdout) prints
    the document's bytes on stdout and its message and warnings on stderr, so
    that stdout can be redirected to a file; with ``--json`` the JSON document
    (carrying the diff) is all of stdout. ``render`` shows the result instead
    of :func:`show_result` (``render(result, as_json=...)``). A result that
    ran but ``failed`` (a check failed, a verification did not pass) exits 1.
    """
    from installer.interrupts import Interrupted
    from installer.plan import PlanFailed, PlanInterrupted

    try:
        result = command()
    except PlanInterrupted as exc:
        return show_interrupted(str(exc), exc.signal, as_json=as_json, steps=exc.steps)
    except Interrupted as signal:
        return show_interrupted(f"{signal}; nothing was changed", signal, as_json=as_json)
    except FipsSetupError as exc:
        extra = None
        if isinstance(exc, PlanFailed) and exc.steps:
            extra = {
                "changed": left_changed(exc.steps),
                "actions": [step.record() for step in exc.steps],
                "undone": exc.undone,
            }
        show_failure(str(exc), exc.code, as_json=as_json, extra=extra)
        return EXIT_FAILED
    except Exception as exc:  # the last resort: still one line, one document
        return show_internal_error(exc, as_json=as_json)
    document = getattr(result, "document", None)
    if document is not None and not as_json:
        # helm/ecs without --in-place or --output: the new file is stdout, exactly
        show_document(document, result)
    else:
        (render or show_result)(result, as_json=as_json)
    return EXIT_FAILED if getattr(result, "failed", False) else EXIT_OK


def configure_command(
    config: Path,
    *,
    disable: bool,
    port_range_start: Optional[int],
    local_address: Optional[str],
    dry_run: bool,
    as_json: bool,
) -> int:
    """``fips-setup configure``."""
    problem = options.first_problem(
        options.port_range("--port-range-start", port_range_start),
        options.loopback("--local-address", local_address),
    )
    if problem:
        return usage_failure(problem, as_json=as_json)
    from fipsconf.datadog_yaml import FipsRequest
    from installer.configure import configure

    request = FipsRequest(
        enabled=not disable, port_range_start=port_range_start, local_address=local_address
    )
    return run_and_render(as_json, lambda: configure(config, request, dry_run=dry_run))


def enable_command(
    config: Path,
    *,
    port_range_start: Optional[int],
    local_address: Optional[str],
    package_file: Optional[Path],
    no_install: bool,
    no_restart: bool,
    refresh_proxy_config: bool,
    allow_other_site: bool,
    dry_run: bool,
    as_json: bool,
) -> int:
    """``fips-setup enable``."""
    problem = options.first_problem(
        options.port_range("--port-range-start", port_range_start),
        options.loopback("--local-address", local_address),
    )
    if problem:
        return usage_failure(problem, as_json=as_json)
    from installer.cli.render import progress_display
    from installer.enable import EnableOptions, enable
    from installer.host import Host

    asked = EnableOptions(
        config=config,
        port_range_start=port_range_start,
        local_address=local_address,
        package_file=package_file,
        no_install=no_install,
        no_restart=no_restart,
        refresh_proxy_config=refresh_proxy_config,
        allow_other_site=allow_other_site,
        dry_run=dry_run,
    )
    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: enable(Host(), asked, progress))


def disable_command(
    config: Path, *, remove_package: bool, no_restart: bool, dry_run: bool, as_json: bool
) -> int:
    """``fips-setup disable``."""
    from installer.cli.render import progress_display
    from installer.disable import DisableOptions, disable
    from installer.host import Host

    asked = DisableOptions(
        config=config, remove_package=remove_package, no_restart=no_restart, dry_run=dry_run
    )
    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: disable(Host(), asked, progress))


def status_command(config: Path, *, as_json: bool) -> int:
    """``fips-setup status``."""
    from installer.cli.render import show_status
    from installer.host import Host
    from installer.status import status

    return run_and_render(as_json, lambda: status(Host(), config), render=show_status)


def migrate_command(
    config: Path,
    *,
    remove_proxy: bool,
    agent_version: Optional[str],
    package_file: Optional[Path],
    dry_run: bool,
    as_json: bool,
) -> int:
    """``fips-setup migrate``: the proxy's host to the FIPS Agent."""
    problem = options.agent_version("--agent-version", agent_version)
    if problem:
        return usage_failure(problem, as_json=as_json)
    from installer.cli.render import progress_display, warm_up
    from installer.host import Host
    from installer.migrate import MigrateOptions, migrate

    warm_up()  # the move removes the Agent's Python, maybe this one: print with what is loaded
    asked = MigrateOptions(
        config=config,
        remove_proxy=remove_proxy,
        agent_version=agent_version,
        package_file=package_file,
        dry_run=dry_run,
    )
    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: migrate(Host(), asked, progress))


def rollback_command(*, dry_run: bool, as_json: bool) -> int:
    """``fips-setup rollback``: undo the last run that changed the host."""
    from installer.cli.render import progress_display
    from installer.host import Host
    from installer.rollback import rollback

    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: rollback(Host(), dry_run=dry_run, progress=progress))


def install_command(config: Optional[Path], *, dry_run: bool, as_json: bool) -> int:
    """``fips-setup install``: reads DD_API_KEY, DD_SITE... from the environment."""
    import os

    from installer.cli.render import progress_display
    from installer.host import Host
    from installer.install import InstallOptions, install

    asked = InstallOptions(environment=dict(os.environ), config=config, dry_run=dry_run)
    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: install(Host(), asked, progress))


def helm_command(
    values: Path,
    *,
    in_place: bool,
    output: Optional[Path],
    port: Optional[int],
    local_address: Optional[str],
    image_tag: Optional[str],
    from_fips_agent: bool,
    fips_agent: bool,
    dry_run: bool,
    as_json: bool,
    all_ports: bool = False,
) -> int:
    """``fips-setup helm``."""
    from fipsconf.helm_values import HelmRequest, fips_agent_conflict
    from installer.containers import Destination, helm_values

    request = HelmRequest(
        port=port,
        local_address=local_address,
        image_tag=image_tag,
        from_fips_agent=from_fips_agent,
        fips_agent=fips_agent,
        all_ports=all_ports,
    )
    problem = options.first_problem(
        fips_agent_conflict(request.options_beside_fips_agent()),
        _standard_input_conflict(values, in_place),
        options.port_range("--port", port),
        options.loopback("--local-address", local_address),
        options.image_tag("--image-tag", image_tag),
    )
    if problem:
        return usage_failure(problem, as_json=as_json)
    destination = Destination(in_place=in_place, output=output, print_document=not as_json)
    return run_and_render(
        as_json, lambda: helm_values(values, request, destination, dry_run=dry_run)
    )


def _standard_input_conflict(source: Path, in_place: bool) -> Optional[str]:
    """What to say when ``-`` (standard input) comes with ``--in-place``; None otherwise."""
    from installer.containers import reads_standard_input

    if in_place and reads_standard_input(source):
        return (
            f"{source} reads the file from standard input, which cannot be rewritten in place;"
            " write the result with --output PATH (or to stdout)"
        )
    return None


def ecs_command(
    taskdef: Path,
    *,
    in_place: bool,
    output: Optional[Path],
    image_tag: Optional[str],
    agent_container: Optional[str],
    port_range_start: Optional[int],
    from_fips_agent: bool,
    fips_agent: bool,
    dry_run: bool,
    as_json: bool,
    allow_bridge: bool = False,
) -> int:
    """``fips-setup ecs``."""
    from fipsconf.ecs_taskdef import EcsRequest
    from fipsconf.helm_values import fips_agent_conflict
    from installer.containers import Destination, ecs_task_definition

    request = EcsRequest(
        image_tag=image_tag,
        agent_container=agent_container,
        port_range_start=port_range_start,
        from_fips_agent=from_fips_agent,
        fips_agent=fips_agent,
        allow_bridge=allow_bridge,
    )
    conflict = fips_agent_conflict(request.options_beside_fips_agent()) or (
        _standard_input_conflict(taskdef, in_place)
    )
    problem = options.first_problem(
        conflict,
        options.image_tag("--image-tag", image_tag),
        options.port_range("--port-range-start", port_range_start),
    )
    if problem:
        return usage_failure(problem, as_json=as_json)
    destination = Destination(in_place=in_place, output=output, print_document=not as_json)
    return run_and_render(
        as_json, lambda: ecs_task_definition(taskdef, request, destination, dry_run=dry_run)
    )


def doctor_command(config: Path, *, no_agent_check: bool, as_json: bool) -> int:
    """``fips-setup doctor``: exit 1 when a check fails."""
    from installer.cli.render import show_checks
    from installer.doctor import DoctorOptions, doctor, preload
    from installer.host import Host

    if not as_json:
        preload("rich.console", "rich.table", "rich.text")  # the table, while the checks run
    asked = DoctorOptions(config=config, agent_check=not no_agent_check)
    return run_and_render(as_json, lambda: doctor(Host(), asked), show_checks)


def verify_command(config: Path, *, as_json: bool) -> int:
    """``fips-setup verify``: exit 0 only when a payload gets through."""
    from installer.cli.render import show_checks
    from installer.host import Host
    from installer.verify import verify

    return run_and_render(as_json, lambda: verify(Host(), config), show_checks)


def logs_command(action: str, config: Path, *, dry_run: bool, as_json: bool) -> int:
    """``fips-setup logs enable`` / ``logs disable``."""
    from installer.cli.render import progress_display
    from installer.host import Host
    from installer.logs import LogsOptions, logs_disable, logs_enable

    run = logs_enable if action == "enable" else logs_disable
    asked = LogsOptions(config=config, dry_run=dry_run)
    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: run(Host(), asked, progress))


def dns_show_command(config: Path, *, as_json: bool) -> int:
    """``fips-setup dns show``."""
    from installer.cli.render import show_dns
    from installer.dns import dns_show
    from installer.host import Host

    return run_and_render(as_json, lambda: dns_show(Host(), config), show_dns)


def dns_set_command(
    nameservers: list[str], *, no_resolv_conf: bool, dry_run: bool, as_json: bool
) -> int:
    """``fips-setup dns set --nameserver ADDR[:PORT]...``."""
    problem = options.nameservers("--nameserver", nameservers)
    if problem:
        return usage_failure(problem, as_json=as_json)
    from installer.cli.render import progress_display
    from installer.dns import DnsSetOptions, dns_set
    from installer.host import Host

    asked = DnsSetOptions(nameservers, resolv_conf=not no_resolv_conf, dry_run=dry_run)
    with progress_display(as_json) as progress:
        return run_and_render(as_json, lambda: dns_set(Host(), asked, progress))


def evidence_command(
    config: Path, *, form: str, output: Optional[Path], agent_check: bool, as_json: bool
) -> int:
    """``fips-setup evidence``: this host's compliance evidence (exit 0 whatever the verdict)."""
    from installer.evidence import EvidenceOptions, evidence_report
    from installer.host import Host

    asked = EvidenceOptions(config=config, agent_check=agent_check)
    return run_and_render(as_json, lambda: evidence_report(Host(), asked, form, output))


def evidence_merge_command(
    files: list[Path], *, form: str, output: Optional[Path], as_json: bool
) -> int:
    """``fips-setup evidence merge FILE...``: many hosts' evidence in one report."""
    from installer.evidence import merge_report

    if not files:
        return usage_failure("give at least one evidence file to merge", as_json=as_json)
    return run_and_render(as_json, lambda: merge_report(files, form, output))
