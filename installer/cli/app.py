"""The ``fips-setup`` command line as a Typer application.

Each command here only declares its options and calls its function in
:mod:`installer.cli.commands`.
"""

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer

from installer.cli import commands
from installer.cli.render import EXIT_OK, EXIT_USAGE, show_failure


class UsageCommand(typer.core.TyperCommand):
    """A command whose usage line shows ``VALUES.yaml``, not Typer's ``{VALUES.yaml}``."""

    def collect_usage_pieces(self, ctx: Any) -> List[str]:
        pieces: List[str] = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


app = typer.Typer(
    name="fips-setup",
    help="Install, configure and troubleshoot the Datadog Agent FIPS Proxy.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path,
    typer.Option("--config", metavar="PATH", help="The Agent's datadog.yaml.", show_default=True),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
]
PortOption = Annotated[
    Optional[int],
    typer.Option(
        "--port-range-start",
        metavar="N",
        help="First of the proxy's 16 ports (fips.port_range_start; default 9803).",
    ),
]
AddressOption = Annotated[
    Optional[str],
    typer.Option(
        "--local-address",
        metavar="ADDR",
        help="Loopback address of the proxy (fips.local_address; default localhost).",
    ),
]


def _show_version(value: bool) -> None:
    if value:
        from installer import __version__

        typer.echo(f"fips-setup {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="On an unexpected error, also print its traceback (stderr; secrets masked).",
        ),
    ] = False,
) -> None:
    """Install, configure and troubleshoot the Datadog Agent FIPS Proxy."""


def _exit(status: int) -> None:
    raise typer.Exit(status)


@app.command()
def configure(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    disable: Annotated[
        bool, typer.Option("--disable", help="Set fips.enabled: false instead.")
    ] = False,
    port_range_start: PortOption = None,
    local_address: AddressOption = None,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Set fips.enabled: true and fips.https: false in datadog.yaml (and nothing else)."""
    _exit(
        commands.configure_command(
            config,
            disable=disable,
            port_range_start=port_range_start,
            local_address=local_address,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


@app.command()
def enable(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    port_range_start: PortOption = None,
    local_address: AddressOption = None,
    package_file: Annotated[
        Optional[Path],
        typer.Option(
            "--package-file",
            metavar="PATH",
            help="Install the proxy from this .deb/.rpm (air-gapped hosts).",
        ),
    ] = None,
    no_install: Annotated[
        bool, typer.Option("--no-install", help="Do not install the proxy package.")
    ] = False,
    no_restart: Annotated[
        bool,
        typer.Option(
            "--no-restart", help="Change files only; start or restart no service (containers)."
        ),
    ] = False,
    refresh_proxy_config: Annotated[
        bool,
        typer.Option(
            "--refresh-proxy-config",
            help="Replace a proxy configuration that differs from the package's example"
            " (backup kept, DNS nameservers carried over).",
        ),
    ] = False,
    allow_other_site: Annotated[
        bool,
        typer.Option(
            "--allow-other-site",
            help="Enable even though site is not ddog-gov.com (US2-FED is refused regardless).",
        ),
    ] = False,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Install, configure and start the proxy, then point the Agent at it (no data gap)."""
    _exit(
        commands.enable_command(
            config,
            port_range_start=port_range_start,
            local_address=local_address,
            package_file=package_file,
            no_install=no_install,
            no_restart=no_restart,
            refresh_proxy_config=refresh_proxy_config,
            allow_other_site=allow_other_site,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


@app.command()
def disable(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    remove_package: Annotated[
        bool, typer.Option("--remove-package", help="Also remove the proxy package.")
    ] = False,
    no_restart: Annotated[
        bool, typer.Option("--no-restart", help="Change files only; touch no service.")
    ] = False,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Point the Agent back at Datadog directly, then stop the proxy."""
    _exit(
        commands.disable_command(
            config,
            remove_package=remove_package,
            no_restart=no_restart,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


def _install_help() -> str:
    from fipsconf.new_host import INSTALL_VARIABLES

    width = max(len(name) for name, _ in INSTALL_VARIABLES) + 2
    rows = "\n".join(f"  {name:<{width}}{what}" for name, what in INSTALL_VARIABLES)
    return (
        "New hosts, once the Agent's package is there (the one-step install script runs it):"
        " create datadog.yaml from its example and the environment; then, with DD_FIPS_MODE,"
        " enable the FIPS proxy, else start the Agent.\n\n"
        "Reads, from the environment only (a key never goes on a command line):\n\b\n"
        f"{rows}\n\n"
        "What each one does: docs/install-script.md."
    )


@app.command(help=_install_help(), cls=UsageCommand)
def install(
    config: Annotated[
        Optional[Path],
        typer.Option(
            "--config",
            metavar="PATH",
            help=f"The Agent's datadog.yaml. \\[default: {commands.DEFAULT_CONFIG}]",
        ),
    ] = None,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    _exit(commands.install_command(config, dry_run=dry_run, as_json=json_output))


@app.command()
def status(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    json_output: JsonOption = False,
) -> None:
    """Show versions, services, fips settings (and overrides) and the proxy's ports."""
    _exit(commands.status_command(config, as_json=json_output))


@app.command()
def migrate(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    remove_proxy: Annotated[
        bool,
        typer.Option(
            "--remove-proxy", help="Also remove the proxy's package (its configuration is kept)."
        ),
    ] = False,
    agent_version: Annotated[
        Optional[str],
        typer.Option(
            "--agent-version",
            metavar="V",
            help="Install this FIPS Agent version (7.65.2); default: the newest in the repository.",
        ),
    ] = None,
    package_file: Annotated[
        Optional[Path],
        typer.Option(
            "--package-file",
            metavar="PATH",
            help="Install the FIPS Agent from this .deb/.rpm (air-gapped hosts).",
        ),
    ] = None,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Move from the FIPS proxy to the FIPS Agent: checked, verified, undone on failure."""
    _exit(
        commands.migrate_command(
            config,
            remove_proxy=remove_proxy,
            agent_version=agent_version,
            package_file=package_file,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


@app.command()
def rollback(dry_run: DryRunOption = False, json_output: JsonOption = False) -> None:
    """Put the host back as it was before the last enable, disable, install or migrate."""
    _exit(commands.rollback_command(dry_run=dry_run, as_json=json_output))


@app.command()
def doctor(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    no_agent_check: Annotated[
        bool,
        typer.Option(
            "--no-agent-check",
            help="Leave out the Agent's own connectivity check (the slow one).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run every troubleshooting check of the vendor's page; exit 1 when one fails."""
    _exit(commands.doctor_command(config, no_agent_check=no_agent_check, as_json=json_output))


@app.command()
def verify(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    json_output: JsonOption = False,
) -> None:
    """Prove that payloads get through: the Agent's connectivity check and one request."""
    _exit(commands.verify_command(config, as_json=json_output))


logs_app = typer.Typer(
    help="Ship the proxy's journald logs with the Agent, or stop.", no_args_is_help=True
)
app.add_typer(logs_app, name="logs")


@logs_app.command("enable")
def logs_enable(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """logs_enabled, the journald source of the proxy, dd-agent in systemd-journal; restart."""
    _exit(commands.logs_command("enable", config, dry_run=dry_run, as_json=json_output))


@logs_app.command("disable")
def logs_disable(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Take back exactly what 'logs enable' added; other log settings stay."""
    _exit(commands.logs_command("disable", config, dry_run=dry_run, as_json=json_output))


dns_app = typer.Typer(
    help="The nameservers the proxy resolves the intake with.", no_args_is_help=True
)
app.add_typer(dns_app, name="dns")


@dns_app.command("show")
def dns_show(
    config: ConfigOption = commands.DEFAULT_CONFIG,
    json_output: JsonOption = False,
) -> None:
    """The proxy's resolvers, and whether each nameserver resolves the intake's name."""
    _exit(commands.dns_show_command(config, as_json=json_output))


@dns_app.command("set")
def dns_set(
    more: Annotated[
        Optional[List[str]],
        typer.Argument(metavar="[ADDR[:PORT]...]", help="More nameservers, after --nameserver."),
    ] = None,
    nameserver: Annotated[
        Optional[List[str]],
        typer.Option(
            "--nameserver",
            metavar="ADDR[:PORT]",
            help="A nameserver: 10.0.0.2, or 10.0.0.2:53; IPv6 in brackets (repeat for more).",
        ),
    ] = None,
    no_resolv_conf: Annotated[
        bool,
        typer.Option("--no-resolv-conf", help="Drop parse-resolv-conf: only these nameservers."),
    ] = False,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Set the proxy's nameservers (checked with its HAProxy, then the proxy restarted)."""
    _exit(
        commands.dns_set_command(
            [*(nameserver or []), *(more or [])],
            no_resolv_conf=no_resolv_conf,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


evidence_app = typer.Typer(
    help="Compliance evidence for an assessor: this host's, or a fleet's merged.",
    invoke_without_command=True,
)
app.add_typer(evidence_app, name="evidence")
EvidenceOutputOption = Annotated[
    Optional[Path],
    typer.Option(
        "--output",
        metavar="PATH",
        help="Write it to PATH (atomically; mode 600 when new). Without it: stdout.",
    ),
]


class EvidenceFormat(str, Enum):
    """``evidence --format``."""

    json = "json"
    hdf = "hdf"
    oscal = "oscal"
    html = "html"


class ReportFormat(str, Enum):
    """``evidence merge --format``."""

    html = "html"
    hdf = "hdf"
    oscal = "oscal"
    csv = "csv"
    json = "json"


@evidence_app.callback()
def evidence(
    context: typer.Context,
    config: ConfigOption = commands.DEFAULT_CONFIG,
    form: Annotated[
        EvidenceFormat,
        typer.Option(
            "--format",
            help="json (the toolkit's own document), hdf (Heimdall), oscal (OSCAL 1.1"
            " assessment results) or html (one page).",
        ),
    ] = EvidenceFormat.json,
    output: EvidenceOutputOption = None,
    agent_check: Annotated[
        bool,
        typer.Option(
            "--agent-check",
            help="Also run the Agent's own connectivity check (slow) among doctor's checks.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """This host's FIPS evidence, each fact mapped to NIST SP 800-53 controls (read-only)."""
    if context.invoked_subcommand is not None:
        return
    _exit(
        commands.evidence_command(
            config, form=form.value, output=output, agent_check=agent_check, as_json=json_output
        )
    )


@evidence_app.command("merge")
def evidence_merge(
    files: Annotated[
        List[Path],
        typer.Argument(metavar="FILE...", help="Evidence files (evidence --format json)."),
    ],
    form: Annotated[
        ReportFormat,
        typer.Option("--format", help="html, hdf, oscal, csv (or json)."),
    ] = ReportFormat.html,
    output: EvidenceOutputOption = None,
    json_output: JsonOption = False,
) -> None:
    """Join many hosts' evidence into one report: the summary first, then each host."""
    _exit(
        commands.evidence_merge_command(files, form=form.value, output=output, as_json=json_output)
    )


InPlaceOption = Annotated[
    bool,
    typer.Option("--in-place", help="Rewrite the file itself (atomically; owner and mode kept)."),
]
OutputOption = Annotated[
    Optional[Path],
    typer.Option(
        "--output",
        metavar="PATH",
        help="Write the result to PATH. Without this or --in-place: print it on stdout.",
    ),
]
FipsAgentOption = Annotated[
    bool,
    typer.Option(
        "--fips-agent",
        help="Move to the FIPS Agent instead (the vendor's recommended method): no proxy.",
    ),
]
FromFipsAgentOption = Annotated[
    bool,
    typer.Option(
        "--from-fips-agent",
        help="Move from the FIPS Agent back to the proxy sidecar (refused without it;"
        " --allow-fips-agent is its older name).",
    ),
]
#: The older name of --from-fips-agent, still taken, not shown.
AllowFipsAgentOption = Annotated[bool, typer.Option("--allow-fips-agent", hidden=True)]


def _one_destination(in_place: bool, output: Optional[Path]) -> None:
    if in_place and output is not None:
        raise _usage_error_type()("--in-place and --output cannot be used together; choose one")


@app.command(cls=UsageCommand)
def helm(
    values: Annotated[
        Path,
        typer.Argument(
            metavar="VALUES.yaml",
            help="A values file of the Datadog Helm chart; - reads it from standard input.",
        ),
    ],
    in_place: InPlaceOption = False,
    output: OutputOption = None,
    port: Annotated[
        Optional[int],
        typer.Option("--port", metavar="N", help="fips.port: first of the proxy's 16 ports."),
    ] = None,
    local_address: Annotated[
        Optional[str],
        typer.Option("--local-address", metavar="ADDR", help="fips.local_address (loopback only)."),
    ] = None,
    image_tag: Annotated[
        Optional[str],
        typer.Option(
            "--image-tag",
            metavar="TAG",
            help="fips.image.tag: the fips-proxy image version (not set: the chart's default).",
        ),
    ] = None,
    all_ports: Annotated[
        bool,
        typer.Option(
            "--all-ports",
            help="Set fips.portRange: 16, so that the sidecar declares all the proxy's ports"
            " (the chart's default, 15, leaves out NetFlow's 9818).",
        ),
    ] = False,
    fips_agent: FipsAgentOption = False,
    from_fips_agent: FromFipsAgentOption = False,
    allow_fips_agent: AllowFipsAgentOption = False,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Enable the FIPS proxy sidecar in Helm values, or the FIPS Agent with --fips-agent."""
    _one_destination(in_place, output)
    _exit(
        commands.helm_command(
            values,
            in_place=in_place,
            output=output,
            port=port,
            local_address=local_address,
            image_tag=image_tag,
            all_ports=all_ports,
            from_fips_agent=from_fips_agent or allow_fips_agent,
            fips_agent=fips_agent,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


@app.command(cls=UsageCommand)
def ecs(
    taskdef: Annotated[
        Path,
        typer.Argument(
            metavar="TASKDEF.json",
            help="An ECS task definition, aws ecs describe-task-definition output, or a"
            " list of container definitions (Terraform, CloudFormation); - reads it from"
            " standard input.",
        ),
    ],
    in_place: InPlaceOption = False,
    output: OutputOption = None,
    image_tag: Annotated[
        Optional[str],
        typer.Option(
            "--image-tag",
            metavar="TAG",
            help="fips-proxy version (new sidecar: the newest fips-setup knows, from"
            " public.ecr.aws/datadog for government sites; an existing one keeps its own).",
        ),
    ] = None,
    agent_container: Annotated[
        Optional[str],
        typer.Option(
            "--agent-container",
            metavar="NAME",
            help="The Agent container, when its image does not say so.",
        ),
    ] = None,
    port_range_start: Annotated[
        Optional[int],
        typer.Option(
            "--port-range-start",
            metavar="N",
            help="First of the proxy's 16 ports (default: the definition's own, else 9803).",
        ),
    ] = None,
    allow_bridge: Annotated[
        bool,
        typer.Option(
            "--allow-bridge",
            help="Write a task definition whose networkMode is bridge or unset (refused"
            " without it: its Agent cannot reach the sidecar) when awsvpc or host is set"
            " where the file is used.",
        ),
    ] = False,
    fips_agent: FipsAgentOption = False,
    from_fips_agent: FromFipsAgentOption = False,
    allow_fips_agent: AllowFipsAgentOption = False,
    dry_run: DryRunOption = False,
    json_output: JsonOption = False,
) -> None:
    """Add the fips-proxy sidecar to ECS container definitions, or the FIPS Agent image."""
    _one_destination(in_place, output)
    _exit(
        commands.ecs_command(
            taskdef,
            in_place=in_place,
            output=output,
            image_tag=image_tag,
            agent_container=agent_container,
            port_range_start=port_range_start,
            allow_bridge=allow_bridge,
            from_fips_agent=from_fips_agent or allow_fips_agent,
            fips_agent=fips_agent,
            dry_run=dry_run,
            as_json=json_output,
        )
    )


def _usage_error_type() -> Any:
    # typer re-exports click's exceptions but not UsageError itself; it is
    # BadParameter's base class whichever click (vendored or not) is in use.
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _option_without_its_value(command: Any, args: List[str]) -> Optional[str]:
    """The problem when an option that takes a value is followed by another option.

    Click would take ``--json`` in ``configure --config --json`` as the path,
    and the run would end in a plain error where one JSON document was asked for.
    """
    words = args[: args.index("--")] if "--" in args else args
    if all(word.startswith("-") for word in words):
        given = [word for word in words if word in ("--json", "--dry-run")]
        if given:
            return (
                f"{given[0]} goes with a command: fips-setup COMMAND [OPTIONS] {given[0]}"
                " (fips-setup --help lists the commands)"
            )
    while words and words[0] in getattr(command, "commands", {}):
        command, words = command.commands[words[0]], words[1:]
    valued = {
        name
        for param in getattr(command, "params", [])
        if getattr(param, "param_type_name", "") == "option"
        and not getattr(param, "is_flag", False)
        for name in param.opts
    }
    for option, following in zip(words, words[1:]):
        if option in valued and following.startswith("--"):
            return (
                f"{option} needs a value, and is followed by the option {following}"
                f" (for a file of that name: {option} ./{following})"
            )
    return None


def run(args: List[str]) -> int:
    """Parse ``args`` with Typer and run the command; returns the exit status."""
    command = typer.main.get_command(app)
    usage_error = _usage_error_type()
    missing = _option_without_its_value(command, args)
    if missing:
        show_failure(missing, "usage", as_json="--json" in args)
        return EXIT_USAGE
    try:
        status = command.main(args=args, prog_name="fips-setup", standalone_mode=False)
    except usage_error as exc:
        if "--json" in args:
            show_failure(exc.format_message(), "usage", as_json=True)
        else:
            exc.show()
        return EXIT_USAGE
    except typer.Abort:  # click's own Ctrl-C at a prompt (there is none; kept for safety)
        show_failure("interrupted", "interrupted", as_json="--json" in args)
        return 130
    return status if isinstance(status, int) else EXIT_OK
