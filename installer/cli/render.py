"""Turn results and errors into output: one JSON document, or text for people.

Every string passes through the redactor on its way out. rich is imported
only for human output, so ``--json`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Callable, Iterator, Optional

from fipsconf.redact import REDACTOR
from installer.results import CommandResult

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Settings:
    #: ``--debug``: an unexpected error also prints its traceback (stderr).
    debug = False


def set_debug(enabled: bool) -> None:
    """Turn ``--debug`` on or off for this process."""
    _Settings.debug = enabled


def emit_json(document: dict[str, Any]) -> None:
    """Write exactly one redacted JSON object to stdout.

    Where stdout cannot carry a character (an ASCII or Latin-1 locale), the
    JSON escapes it instead: the same data, whatever the terminal.
    """
    data = REDACTOR.redact_data(document)
    text = json.dumps(data, ensure_ascii=False)
    if not _encodable(text, sys.stdout):
        text = json.dumps(data, ensure_ascii=True)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


#: What people see where the terminal cannot show the marks (an ASCII or Latin-1 locale).
_ASCII_MARKS = {"→": "->", "✓": "+", "✗": "x", "○": "o", "↺": "~", "•": "*"}


def _encodable(text: str, stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True  # a text stream that takes any str (io.StringIO)
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def mark(symbol: str, stderr: bool = False) -> str:
    """``symbol`` (an arrow, a tick...), or its ASCII stand-in where the terminal lacks it."""
    stream = sys.stderr if stderr else sys.stdout
    return symbol if _encodable(symbol, stream) else _ASCII_MARKS.get(symbol, "*")


def failure_document(
    message: str, code: str, extra: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    """The JSON document for a failed command."""
    out: dict[str, Any] = {"changed": False, "failed": True, "msg": message, "error": code}
    if extra:
        out.update(extra)
    return out


def warm_up() -> None:
    """Load now what printing a result or an error will need (people's output and JSON).

    For ``migrate``, which removes the Agent's embedded Python and its standard
    library while the run may be using them: the output is printed afterwards.
    """
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    import installer.doctor.model  # noqa: F401  (show_checks)
    from fipsconf.textdiff import unified_diff

    console = Console(file=io.StringIO(), highlight=False, soft_wrap=True, force_terminal=True)
    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("status")
    table.add_row(Text("PASS", style="green"))
    console.print(table)
    console.print(_colored_diff(unified_diff("x", "a\n", "b\n")))
    console.print(Text("error: ", style="bold red") + Text("é ✓ ↺", style="italic"))
    json.dumps(REDACTOR.redact_data({"msg": "é"}), ensure_ascii=False)
    import traceback  # noqa: F401  (--debug)


def show_result(result: CommandResult, *, as_json: bool) -> None:
    """Print a successful result."""
    if as_json:
        emit_json(result.record())
        return
    from rich.text import Text

    from fipsconf.textdiff import unified_diff

    console = _console()
    for file_diff in result.diff:
        before, label = file_diff.before, ""
        if file_diff.template is not None:  # a new file: show what changed from its template
            before, label = file_diff.template.text, f"{file_diff.template.path} (template)"
        text = unified_diff(
            file_diff.path,
            REDACTOR.redact(before),
            REDACTOR.redact(file_diff.after),
            before_label=REDACTOR.redact(label),
        )
        if text:
            console.print(_colored_diff(text))
    for warning in result.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(REDACTOR.redact(warning)))
    if result.actions and (result.dry_run or len(result.actions) > 1):
        for action in result.actions:
            marker = mark(_ACTION_MARKS.get(action["status"], "•"))
            console.print(Text(f"  {marker} ") + Text(REDACTOR.redact(action["description"])))
    if result.failed:  # it ran, but did not do all it should: the error line, on stderr
        show_failure(result.msg, result.error or "failed", as_json=False)
        return
    done = mark("✓" if result.changed and not result.dry_run else "•")
    console.print(Text(f"{done} ", style="green") + Text(REDACTOR.redact(result.msg)))


_ACTION_MARKS = {"planned": "○", "done": "✓", "failed": "✗", "undone": "↺", "undo-failed": "!"}


@contextlib.contextmanager
def progress_display(as_json: bool) -> Iterator[Optional[Callable[[Any], None]]]:
    """A spinner naming the running step (people only; nothing with ``--json``)."""
    if as_json or not sys.stderr.isatty():
        yield None
        return
    console = _console(stderr=True)
    with console.status("checking the host...") as status:

        def update(step: Any) -> None:
            status.update(f"{step.description}...")

        yield update


def show_status(result: CommandResult, *, as_json: bool) -> None:
    """Print ``status``: one JSON document, or tables for people."""
    if as_json:
        emit_json(result.record())
        return
    from rich.table import Table
    from rich.text import Text

    doc = result.details
    console = _console()
    table = Table(title="fips-setup status", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    platform = doc["platform"]
    table.add_row(
        "host",
        f"{platform['name']} ({platform['architecture']}), init system: {doc['init_system']}",
    )
    flavor = {"datadog-fips-agent": "the FIPS Agent", "datadog-agent": "the Agent"}
    table.add_row("Agent flavor", flavor.get(doc.get("agent_flavor") or "", "none installed"))
    for name, version in doc["packages"].items():
        table.add_row(name, version or "not installed")
    installed = {
        "datadog-agent": doc.get("agent_flavor") is not None,
        "datadog-fips-proxy": bool(doc["packages"].get("datadog-fips-proxy")),
    }
    for name, state in doc["services"].items():
        if not installed.get(name, True) and not state["active"]:
            table.add_row(f"{name} service", "not installed")
            continue
        active = "active" if state["active"] else "inactive"
        boot = {True: "enabled at boot", False: "disabled at boot", None: "boot start unknown"}
        table.add_row(f"{name} service", f"{active}, {boot[state['enabled']]}")
    supervision = doc.get("agent_supervision") or {}
    if supervision.get("units"):  # per-payload units, or dd-procmgrd (Agent 7.84+)
        table.add_row("Agent payloads", supervision["summary"])
        for process in supervision.get("processes") or []:
            pid = f" (pid {process['pid']})" if process["pid"] else ""
            table.add_row("  dd-procmgrd", f"{process['name']}: {process['state']}{pid}")
    yaml_doc = doc["datadog_yaml"]
    table.add_row("datadog.yaml", yaml_doc.get("error") or yaml_doc["path"])
    site = yaml_doc["site"]
    table.add_row("site", str(site) if site is not None else "not set")
    for key, value in doc["effective"].items():
        source = doc["sources"][key]
        shown = f"{_yaml_scalar(value)} ({source})" if source is not None else "unknown"
        table.add_row(f"fips.{key}", shown)
    for override in doc["overrides"]:
        table.add_row(
            "override", f"{override['variable']}={override['value']} in {override['source']}"
        )
    proxy_config = doc["proxy_config"]
    if proxy_config["exists"]:
        verdict = "ok" if proxy_config["owner_and_mode_ok"] else "NOT dd-agent:dd-agent 640"
        table.add_row(
            "proxy config",
            f"{proxy_config['path']} ({proxy_config['owner']}:{proxy_config['group']}"
            f" {proxy_config['mode']}: {verdict})",
        )
    else:
        table.add_row("proxy config", f"{proxy_config['path']} missing")
    table.add_row("listening ports", REDACTOR.redact(_port_owners(doc["ports"])))
    last_run = doc.get("last_run")
    if last_run:
        table.add_row(
            "last change",
            f"{last_run['command']} (pid {last_run['pid']}, {last_run['started']}):"
            f" {last_run['state']}",
        )
    for problem in doc.get("problems", []):
        if problem != yaml_doc.get("error"):  # shown as the datadog.yaml row already
            table.add_row(Text("problem", style="bold red"), REDACTOR.redact(problem))
    console.print(table)
    for warning in result.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(REDACTOR.redact(warning)))
    console.print(Text(REDACTOR.redact(result.msg)))


_STATUS_STYLES = {
    "fail": "bold red",
    "warn": "bold yellow",
    "info": "cyan",
    "skip": "dim",
    "pass": "green",
}


def show_checks(result: CommandResult, *, as_json: bool) -> None:
    """Print checks (``doctor``, ``verify``): a table, failures first, in colour; or the JSON."""
    if as_json:
        emit_json(result.record())
        return
    from rich.table import Table
    from rich.text import Text

    from installer.doctor.model import sorted_for_people

    checks = sorted_for_people(getattr(result, "checks", []))
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("status", no_wrap=True)
    table.add_column("check", no_wrap=True, style="bold")
    table.add_column("finding, and what to do")
    for check in checks:
        style = _STATUS_STYLES.get(check.status, "")
        finding = Text(REDACTOR.redact(check.finding))
        if check.fix:
            finding.append(f"\n{mark('→')} " + REDACTOR.redact(check.fix), style="italic")
        table.add_row(Text(check.status.upper(), style=style), check.id, finding)
    console = _console()
    console.print(table)
    outcome = (
        Text(f"{mark('✗')} ", style="bold red")
        if result.failed
        else Text(f"{mark('✓')} ", style="green")
    )
    console.print(outcome + Text(REDACTOR.redact(result.msg)))


def show_dns(result: CommandResult, *, as_json: bool) -> None:
    """Print ``dns show``: the resolvers, then each nameserver and its answer."""
    if as_json:
        emit_json(result.record())
        return
    from rich.table import Table
    from rich.text import Text

    doc = result.details
    console = _console()
    for section in doc["resolvers"]:
        own = ", ".join(section["nameservers"]) or "none of its own"
        resolv = "; and those of /etc/resolv.conf" if section["parse_resolv_conf"] else ""
        console.print(Text(f"resolvers {section['name']}: {own}{resolv}"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("nameserver", "from", f"answer for {doc['name']}"):
        table.add_column(column)
    for answer in doc["answers"]:
        if answer["resolves"]:
            said = Text(f"{', '.join(answer['addresses'])} ({answer['seconds'] * 1000:.0f} ms)")
        else:
            said = Text(answer["problem"] or f"{answer['rcode']}, no address", style="bold red")
        table.add_row(answer["nameserver"], answer["source"], said)
    console.print(table)
    for warning in result.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(REDACTOR.redact(warning)))
    console.print(Text(f"{mark('•')} ", style="green") + Text(REDACTOR.redact(result.msg)))


def show_document(document: bytes, result: CommandResult) -> None:
    """Write a new file's bytes to stdout exactly, and the message and warnings to stderr."""
    from rich.text import Text

    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.write(document)
        buffer.flush()
    else:  # a text-only stream (some test and embedding set-ups)
        sys.stdout.write(document.decode("utf-8"))
        sys.stdout.flush()
    console = _console(stderr=True)
    for warning in result.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(REDACTOR.redact(warning)))
    console.print(
        Text(f"{mark('•', stderr=True)} ", style="green") + Text(REDACTOR.redact(result.msg))
    )


def show_failure(
    message: str, code: str, *, as_json: bool, extra: Optional[dict[str, Any]] = None
) -> None:
    """Print a one-line error (stderr) or the failure JSON document (stdout)."""
    if as_json:
        emit_json(failure_document(message, code, extra))
        return
    from rich.text import Text

    _console(stderr=True).print(Text("error: ", style="bold red") + Text(REDACTOR.redact(message)))


def show_interrupted(
    message: str, signal: Any, *, as_json: bool, steps: Optional[list[Any]] = None
) -> int:
    """Report a run a signal stopped (what was undone); return the exit status (128 + signal)."""
    steps = steps or []
    extra = {
        "changed": left_changed(steps),
        "interrupted": True,
        "signal": signal.name,
        "actions": [step.record() for step in steps],
        "undone": [step.description for step in reversed(steps) if step.status == "undone"],
    }
    show_failure(message, "interrupted", as_json=as_json, extra=extra)
    return int(signal.exit_status)


def left_changed(steps: list[Any]) -> bool:
    """True when a failed run left a change in place (a step done, or one it could not undo)."""
    return any(step.status in ("done", "undo-failed") and step.changes for step in steps)


def show_internal_error(exc: BaseException, *, as_json: bool) -> int:
    """The last resort for an unexpected error: one line or one document, exit 1.

    The traceback goes to stderr only with ``--debug`` (it may show paths and
    values, redacted like everything else).
    """
    name = type(exc).__name__
    message = (
        f"internal error ({name}: {exc}); nothing more is known: run again with --debug for"
        " the details and report them"
    )
    if _Settings.debug:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(REDACTOR.redact(text))
        sys.stderr.flush()
    show_failure(message, "internal", as_json=as_json, extra={"exception": name})
    return EXIT_FAILED


def _yaml_scalar(value: Any) -> str:
    """A setting as datadog.yaml spells it (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _port_owners(ports: list[dict[str, Any]]) -> str:
    """``9803-9818 (pid 42: haproxy ...)``: consecutive ports of one process together."""
    groups: list[tuple[int, int, Any, str]] = []
    for port in sorted(ports, key=lambda p: p["port"]):
        owner = (port["pid"], port["command"])
        if groups and groups[-1][2:] == owner and groups[-1][1] + 1 == port["port"]:
            groups[-1] = (groups[-1][0], port["port"], *owner)
        else:
            groups.append((port["port"], port["port"], *owner))
    shown = []
    for first, last, pid, command in groups:
        span = str(first) if first == last else f"{first}-{last}"
        shown.append(f"{span} (pid {pid}: {command})" if pid else f"{span} (unknown process)")
    return "; ".join(shown) or "none"


def _colored_diff(text: str) -> Any:
    from rich.text import Text

    out = Text()
    for line in text.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(line, style="bold")
        elif line.startswith("+"):
            out.append(line, style="green")
        elif line.startswith("-"):
            out.append(line, style="red")
        elif line.startswith("@@"):
            out.append(line, style="cyan")
        else:
            out.append(line)
    return out


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    _never_fail_to_print(sys.stderr if stderr else sys.stdout)
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _never_fail_to_print(stream: Any) -> None:
    """Let a terminal that cannot show a character (a path, a value) get ``?`` instead.

    People's output on an ASCII or Latin-1 terminal must not end in an error
    for a character it cannot show (the marks have stand-ins; file text may
    hold anything).
    """
    if not _encodable("\u2192\u00e9", stream) and hasattr(stream, "reconfigure"):
        # a stream that cannot change (closed, detached) is left as it is
        with contextlib.suppress(ValueError, OSError):
            stream.reconfigure(errors="replace")
