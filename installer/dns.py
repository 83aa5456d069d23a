"""``fips-setup dns show | set``: the nameservers the proxy resolves the intake with.

The vendor's page asks operators to edit the ``resolvers my-dns`` section of
the proxy's configuration by hand. ``set`` edits only that section (every
other byte stays), checks the result with the proxy's own HAProxy
(``haproxy -c``, as the proxy's user) before it replaces the file, restarts
the proxy, waits for its ports, and puts the old file back if any of it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple, Optional

from fipsconf import proxy_cfg
from fipsconf.errors import DocumentError, SettingError
from installer.agent import agent_missing
from installer.doctor.facts import Facts
from installer.doctor.setup_checks import HAPROXY
from installer.enable import require_root, wait_for_proxy
from installer.errors import PreconditionError
from installer.files import atomic_write, ownership_of, read_bytes, scratch_copy
from installer.host import Host
from installer.journal import locked_run
from installer.plan import Plan, Progress, Step
from installer.proxy import PROXY_CONFIG, PROXY_USER, proxy_ownership
from installer.results import CommandResult, FileDiff
from installer.runner import CommandError
from installer.services import PROXY_SERVICE, NoInit, ServiceManager, service_manager_for
from installer.undo import ServiceState, UndoAction, UndoContext, file_undo


class DnsSetOptions(NamedTuple):
    """What the operator asked ``dns set`` for."""

    nameservers: list[str]
    resolv_conf: bool = True
    dry_run: bool = False


def _read_config(host: Host) -> tuple[Path, bytes, str]:
    path = host.path(PROXY_CONFIG)
    if not path.exists():
        if host.account_ids(PROXY_USER) is None:  # every Agent package makes it
            raise agent_missing(f" (no {PROXY_USER!r} account), nor the FIPS proxy")
        raise PreconditionError(
            f"{PROXY_CONFIG} does not exist: set the proxy up first (fips-setup enable)"
        )
    raw = read_bytes(path)
    try:
        return path, raw, raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{PROXY_CONFIG}: not valid UTF-8") from None


def section_in_use(text: str) -> str:
    """The ``resolvers`` section the proxy's servers use. Raises DocumentError."""
    sections = [s.name for s in proxy_cfg.resolvers_sections(text)]
    used = [name for name in proxy_cfg.resolvers_in_use(text) if name in sections]
    if len(used) == 1 or (not used and len(sections) == 1):
        return (used or sections)[0]
    if not sections:
        raise DocumentError(
            "has no resolvers section; fips-setup enable --refresh-proxy-config brings back"
            " the package's"
        )
    raise DocumentError(
        f"the servers use several resolvers sections ({', '.join(used)}): edit them by hand"
    )


def dns_show(host: Host, config: Path) -> CommandResult:
    """The proxy's resolvers and what each nameserver answers for the intake's name."""
    if not host.is_root():
        raise PreconditionError(f"must run as root (sudo) to read {PROXY_CONFIG}")
    _read_config(host)
    report = Facts(host, config).dns()
    answers: list[dict[str, Any]] = [
        {
            "section": a.section,
            "nameserver": a.target,
            "source": a.source,
            "resolves": a.answer.resolves,
            "addresses": a.answer.addresses,
            "rcode": a.answer.rcode or None,
            "problem": a.answer.problem or None,
            "seconds": a.answer.seconds,
        }
        for a in report.answers
    ]
    sections = [
        {
            "name": s.name,
            "parse_resolv_conf": s.parse_resolv_conf,
            "nameservers": [n.target for n in s.nameservers],
        }
        for s in report.sections
    ]
    silent = [a for a in answers if not a["resolves"]]
    warnings = [
        f"{a['nameserver']} ({a['source']}) does not resolve {report.name}:"
        f" {a['problem'] or a['rcode']}"
        for a in silent
    ]
    if not answers:
        msg = "the proxy has no nameserver to ask"
    else:
        msg = f"{len(answers) - len(silent)} of {len(answers)} nameservers resolve {report.name}"
    return CommandResult(
        changed=False,
        msg=msg,
        warnings=warnings,
        details={"name": report.name, "resolvers": sections, "answers": answers},
    )


def dns_set(
    host: Host, options: DnsSetOptions, progress: Optional[Progress] = None
) -> CommandResult:
    """Set the proxy's nameservers (``dry_run``: show the change). Raises FipsSetupError."""
    if not options.nameservers:
        raise SettingError("give at least one --nameserver ADDR[:PORT]")
    targets = [proxy_cfg.parse_nameserver(value) for value in options.nameservers]
    require_root(host, options.dry_run)
    path, raw, text = _read_config(host)
    try:
        section = section_in_use(text)
        lines = [
            f"nameserver dns{number} {proxy_cfg.nameserver_target(address, port)}"
            for number, (address, port) in enumerate(targets, start=1)
        ]
        new_text = proxy_cfg.with_resolvers(
            text, section, lines, parse_resolv_conf=options.resolv_conf
        )
    except DocumentError as exc:
        raise exc.in_file(PROXY_CONFIG) from None
    after = new_text.encode("utf-8")
    services = service_manager_for(host)
    plan = Plan(UndoContext(host))
    if after != raw:
        plan.add(
            Step(
                "check",
                f"check the new configuration with {HAPROXY} -c",
                lambda: _check(host, path, after),
                changes=False,
            )
        )
        restart = services.is_active(PROXY_SERVICE) and not isinstance(services, NoInit)

        def write() -> None:
            atomic_write(path, after, expect=raw)

        def put_back() -> list[UndoAction]:
            # recorded first, so applied last: the proxy restarts on the file put back
            again = [ServiceState(PROXY_SERVICE, active=True, restart=True)] if restart else []
            return [*again, file_undo(path, after)]

        plan.add(
            Step(
                "write-file",
                f"set the nameservers of resolvers {section} in {PROXY_CONFIG}",
                write,
                put_back,
            )
        )
        if restart:
            plan.add(
                Step(
                    "restart-service",
                    f"restart {PROXY_SERVICE} and wait for its ports",
                    lambda: _restart(host, services),
                )
            )
    if not options.dry_run:
        with locked_run(host, "dns set") as journal:
            plan.execute(progress, journal)
    changed = plan.changes_anything()
    shown = ", ".join(proxy_cfg.nameserver_target(a, p) for a, p in targets)
    if not changed:
        msg = f"the proxy already uses {shown} (resolvers {section}); nothing to change"
    elif options.dry_run:
        msg = f"dry run: the proxy would use {shown}; nothing was changed"
    elif any(step.kind == "restart-service" for step in plan.steps):
        msg = f"the proxy now resolves with {shown} (resolvers {section}) and was restarted"
    else:
        msg = f"the proxy will resolve with {shown} (resolvers {section}) once it starts"
    return CommandResult(
        changed=changed,
        msg=msg,
        diff=[FileDiff(PROXY_CONFIG, text, new_text)] if changed else [],
        actions=plan.records(),
        details={
            "section": section,
            "nameservers": lines,
            "parse_resolv_conf": options.resolv_conf,
        },
        dry_run=options.dry_run,
    )


def _check(host: Host, path: Path, data: bytes) -> None:
    """``haproxy -c`` on the new text, in a file beside the real one (as the proxy's user)."""
    if not host.path(HAPROXY).is_file():
        raise PreconditionError(f"{HAPROXY} is missing: is datadog-fips-proxy installed?")
    owner = ownership_of(path) or proxy_ownership(host)
    with scratch_copy(path, data, owner) as candidate:
        result = host.runner.run(
            [HAPROXY, "-c", "-f", str(candidate)], check=False, timeout=30, user=PROXY_USER
        )
    if not result.ok:
        said = [
            line.strip() for line in (result.stderr + result.stdout).splitlines() if "ALERT" in line
        ]
        raise CommandError(
            f"haproxy -c rejects the new configuration: {' | '.join(said[:2]) or result.tail()}"
        )


def _restart(host: Host, services: ServiceManager) -> None:
    services.restart(PROXY_SERVICE)
    wait_for_proxy(host, services)
