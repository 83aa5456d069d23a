"""``fips-setup install``: a new host's datadog.yaml, then (in FIPS mode) ``enable``.

Run by the one-step install script after it installed the Agent package.
The API key comes from the environment (``DD_API_KEY``) or a file
(``DD_API_KEY_FILE``), never from the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, NamedTuple, Optional

from fipsconf.datadog_yaml import template_slots
from fipsconf.errors import DocumentError, SettingError
from fipsconf.new_host import NewHostSettings, settings_from_environment
from fipsconf.redact import REDACTOR
from fipsconf.yamldoc import decode_utf8, parse_yaml
from fipsconf.yamledit import case_insensitive_keys, set_values
from installer.enable import EnableOptions, enable, require_root
from installer.errors import FileAccessError, PreconditionError
from installer.files import NewFile, read_bytes, read_text
from installer.host import Host
from installer.plan import Plan, PlanFailed, Progress, Step
from installer.proxy import proxy_ownership
from installer.results import CommandResult, FileDiff, Template

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
    if settings.api_key:
        REDACTOR.register(settings.api_key)
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
    """Create datadog.yaml if absent, then enable the FIPS proxy in FIPS mode.

    Raises FipsSetupError; a failure after datadog.yaml was created removes it.
    """
    require_root(host, options.dry_run)
    settings = read_settings(options.environment)
    config = options.config or host.path(DATADOG_YAML)
    plan = Plan()
    created: Optional[bytes] = None
    new_file: Optional[NewFile] = None
    diff: list[FileDiff] = []
    if not config.exists():
        new_contents, template = _new_file_contents(config, settings)
        created = new_contents
        diff.append(FileDiff(str(config), "", created.decode("utf-8"), template))
        # dd-agent:dd-agent, 640, like the proxy's file
        new_file = NewFile(config, new_contents, proxy_ownership(host))
        plan.add(
            Step(
                "write-file",
                f"create {config} from its example (dd-agent:dd-agent, 640)",
                new_file.create,
                new_file.remove,
            )
        )
    warnings = [] if created is not None else [f"{config} exists: kept as it is"]
    if not options.dry_run:
        plan.execute(progress)
    if not settings.fips:
        done = "would be created" if options.dry_run else "created"
        return CommandResult(
            changed=plan.changes_anything(),
            msg=f"{config} {done} (FIPS mode off)" if created else f"{config} kept (FIPS mode off)",
            diff=diff,
            warnings=warnings,
            actions=plan.records(),
            dry_run=options.dry_run,
        )
    enable_options = EnableOptions(
        config=config, dry_run=options.dry_run, config_contents=created if options.dry_run else None
    )
    try:
        enabled = enable(host, enable_options, progress)
    except PlanFailed as exc:
        if new_file is not None and not options.dry_run:
            new_file.remove()
            raise PlanFailed(f"{exc}; {config} was removed again", exc.steps) from None
        raise
    except Exception:
        if new_file is not None and not options.dry_run:
            new_file.remove()
        raise
    return CommandResult(
        changed=plan.changes_anything() or enabled.changed,
        msg=enabled.msg,
        diff=_merged(diff, enabled.diff),
        warnings=warnings + enabled.warnings,
        actions=plan.records() + enabled.actions,
        details=enabled.details,
        dry_run=options.dry_run,
    )


def _merged(first: list[FileDiff], then: list[FileDiff]) -> list[FileDiff]:
    """One entry per file: a file changed twice goes from its first before to its last after."""
    merged: dict[str, FileDiff] = {}
    for change in first + then:
        earlier = merged.get(change.path)
        merged[change.path] = earlier._replace(after=change.after) if earlier else change
    return list(merged.values())


def _new_file_contents(config: Path, settings: NewHostSettings) -> tuple[bytes, Template]:
    """The new datadog.yaml, and the example it is made from."""
    example = config.with_name(config.name + ".example")
    if not example.is_file():
        raise PreconditionError(
            f"{config} does not exist and neither does {example}: is the Agent package installed?"
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
