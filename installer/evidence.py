"""``fips-setup evidence``: collect one host's facts, judge them, seal the document.

Read-only. The facts come through the same doors and the same shared facts
as ``doctor`` (whose checks run too and are part of the evidence); the pieces
that wait on processes or the network (the doctor's checks, the Agent's
status, the live check, the proxy's program's version) run in parallel, each
bounded. Everything is redacted before the document is sealed with its
SHA-256, so the digest is of exactly what is written.
"""

from __future__ import annotations

import hashlib
import os
import platform as _platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from fipsconf.agent_output import fips_mode
from fipsconf.crypto_modules import FIPS_AGENT_PATH, PROXY_PATH, module_use
from fipsconf.errors import FipsSetupError
from fipsconf.evidence.baseline import compare_with_example
from fipsconf.evidence.document import build_evidence
from fipsconf.redact import REDACTOR
from fipsconf.tls_policy import server_tls, tls_record
from installer.agent import MIN_AGENT
from installer.doctor import all_checks, run_checks
from installer.doctor.facts import Facts
from installer.doctor.model import CheckFunction, skipped, summary
from installer.doctor.network_checks import AGENT_CONNECTIVITY
from installer.doctor.setup_checks import KERNEL_FIPS
from installer.files import read_bytes, read_text
from installer.host import Host
from installer.live_check import HAPROXY, LiveCheck, live_check, not_checked
from installer.packages import AGENT_PACKAGE, FIPS_AGENT_PACKAGE, PROXY_PACKAGE
from installer.proxy import PROXY_CONFIG, PROXY_EXAMPLE, PROXY_USER
from installer.results import CommandResult
from installer.runner import CommandError
from installer.services import PROXY_SERVICE

MIN_FIPS_AGENT = "7.65"
HOSTNAME = "/proc/sys/kernel/hostname"
MACHINE_ID = "/etc/machine-id"
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")


class EvidenceOptions(NamedTuple):
    """What the operator asked ``evidence`` for."""

    config: Path
    agent_check: bool = False  # the Agent's own connectivity check (slow): off by default


class EvidenceResult(CommandResult):
    """The sealed evidence document, and a one-line verdict."""

    def __init__(self, document: dict[str, Any]) -> None:
        verdict = document["verdict"]
        hostname = document["host"]["hostname"]
        words = "compliant" if verdict["compliant"] else "NOT compliant"
        failing = verdict["failed_controls"]
        msg = f"{hostname}: {words}" + (f" ({', '.join(failing)} fail)" if failing else "")
        super().__init__(changed=False, msg=msg, details={"evidence": document})
        self.evidence = document


def evidence(host: Host, options: EvidenceOptions) -> EvidenceResult:
    """Collect, judge and seal the evidence of this host. Never changes anything."""
    started = time.monotonic()
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(host.clock.time()))
    facts = Facts(host, options.config)
    checks = [
        check
        if options.agent_check or check.id != AGENT_CONNECTIVITY.id
        else CheckFunction(check.id, lambda _: skipped("left out (evidence --agent-check runs it)"))
        for check in all_checks(agent_check=True)
    ]
    waiting: list[Callable[[], Any]] = [
        lambda: run_checks(facts, checks),
        facts.agent_status,
        lambda: _live(facts),
        lambda: _proxy_openssl(facts),
        toolkit_identity,
    ]
    with ThreadPoolExecutor(max_workers=len(waiting)) as pool:
        checked, status, live, openssl, toolkit = pool.map(lambda wait: wait(), waiting)
    collected: dict[str, Any] = {
        "time": when,
        "root": facts.root,
        "config": str(options.config),
        "command": "fips-setup evidence",
        "toolkit": toolkit,
    }
    document: dict[str, Any] = {
        "collected": collected,
        "host": _host(host),
        "agent": _agent(facts, status),
        "proxy": _proxy(facts, openssl),
        "module": _module(facts),
        "live_check": live.record(),
        "doctor": _doctor(checked),
    }
    collected["seconds"] = round(time.monotonic() - started, 3)
    return EvidenceResult(build_evidence(document, redact=REDACTOR.redact_data))


def _flavor(facts: Facts) -> Optional[str]:
    if facts.fips_agent:
        return FIPS_AGENT_PACKAGE
    return AGENT_PACKAGE if facts.version(AGENT_PACKAGE) else None


def _host(host: Host) -> dict[str, Any]:
    return {
        "hostname": _hostname(host),
        "machine_id": _machine_id(host),
        "os": _os_release(host),
        "kernel": os.uname().release,
        "architecture": _platform.machine(),
        "kernel_fips": _kernel_fips(host),
    }


def _hostname(host: Host) -> str:
    try:
        name = read_text(host.path(HOSTNAME), limit=4096).strip()
    except FipsSetupError:
        name = ""
    return name or os.uname().nodename


def _machine_id(host: Host) -> Optional[str]:
    """/etc/machine-id: tells apart machines that share a hostname (cloned images)."""
    try:
        value = read_text(host.path(MACHINE_ID), limit=4096).strip()
    except FipsSetupError:
        return None
    return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


def _os_release(host: Host) -> dict[str, Optional[str]]:
    for location in OS_RELEASE:
        try:
            text = read_text(host.path(location), limit=65536)
        except FipsSetupError:
            continue
        values = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip("\"'")
        return {
            "id": values.get("ID"),
            "name": values.get("PRETTY_NAME") or values.get("NAME"),
            "base_name": values.get("NAME"),
            "version": values.get("VERSION_ID"),
            "source": location,
        }
    return {"id": None, "name": None, "base_name": None, "version": None, "source": None}


def _kernel_fips(host: Host) -> dict[str, Any]:
    try:
        value: Optional[str] = read_text(host.path(KERNEL_FIPS), limit=64).strip()
    except FipsSetupError:
        value = None
    return {"path": KERNEL_FIPS, "value": value, "enabled": value == "1"}


def _agent(facts: Facts, status: tuple[Any, str]) -> dict[str, Any]:
    flavor = _flavor(facts)
    version = facts.agent_version()
    minimum = MIN_FIPS_AGENT if flavor == FIPS_AGENT_PACKAGE else str(MIN_AGENT)
    from packaging.version import Version

    result, problem = status
    line = None
    mode = None
    if result is not None:
        mode = fips_mode(result.stdout)
        line = f"FIPS Mode: {mode}" if mode else None
        if mode is None:
            problem = result.tail() or f"exit status {result.returncode}: no 'FIPS Mode' line"
    agent: dict[str, Any] = {
        "flavor": flavor,
        "version": str(version) if version else None,
        "package_version": facts.version(flavor) if flavor else None,
        "version_supported": bool(version and version >= Version(minimum)),
        "fips_mode": {"value": mode, "line": line, "problem": problem or None},
    }
    if not facts.root:
        agent.update(settings=None, overrides=None, site=None, problems=["not run as root"])
        return agent
    settings = facts.settings()
    agent["settings"] = {
        key: {"value": value, "source": settings.sources.get(key)}
        for key, value in settings.effective.items()
    }
    agent["overrides"] = [o._asdict() for o in settings.overrides]
    site_source = "datadog.yaml"
    for override in settings.overrides:
        if override.setting == "site":
            site_source = f"{override.variable} in {override.source}"
    agent["site"] = {"value": settings.site, "source": site_source}
    agent["problems"] = list(settings.problems)
    return agent


def _proxy(facts: Facts, openssl: dict[str, Optional[str]]) -> dict[str, Any]:
    installed = facts.proxy_installed
    proxy: dict[str, Any] = {
        "installed": installed,
        "package_version": facts.version(PROXY_PACKAGE),
    }
    if not installed or facts.fips_agent:
        return proxy
    state = facts.service(PROXY_SERVICE)
    proxy["service"] = {
        "state": state.describe(),
        "active": state.active,
        "enabled": facts.services().is_enabled(PROXY_SERVICE),
    }
    start = facts.proxy_port_start() or facts.port_start()
    proxy["ports"] = [start, start + 15]
    proxy["openssl"] = openssl
    if not facts.root:
        proxy.update(listeners=None, loopback_only=None, config=None, tls=None)
        return proxy
    held = [
        listener
        for port, listener in sorted(facts.listeners().items())
        if start <= port <= start + 15
    ]
    proxy["listeners"] = [
        {
            "port": listener.port,
            "address": listener.address,
            "loopback": _loopback(listener.address),
            "pid": listener.pid,
            "command": listener.command,
            "proxy": listener.is_proxy,
        }
        for listener in held
    ]
    proxy["loopback_only"] = all(entry["loopback"] for entry in proxy["listeners"])
    proxy["config"] = _proxy_config(facts)
    text = facts.proxy_config().text
    if text is None:
        proxy["tls"] = None
        return proxy
    proxy["tls"] = tls_record(server_tls(text))
    return proxy


def _loopback(address: str) -> bool:
    import ipaddress

    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed.is_loopback


def _proxy_config(facts: Facts) -> dict[str, Any]:
    config = facts.proxy_config()
    out: dict[str, Any] = {"path": PROXY_CONFIG, "problem": config.problem}
    if config.ownership is not None:
        user, group = facts.host.account_names(config.ownership.uid, config.ownership.gid)
        out.update(owner=user, group=group, mode=f"{config.ownership.mode:03o}")
    if config.text is None:
        return out
    out["sha256"] = hashlib.sha256(config.text.encode("utf-8")).hexdigest()
    out["example_path"] = PROXY_EXAMPLE
    try:
        example = read_bytes(facts.host.path(PROXY_EXAMPLE)).decode("utf-8", errors="replace")
    except FipsSetupError as exc:
        out["example_sha256"] = None
        out["problem"] = f"the package's example cannot be read: {exc}"
        return out
    out["example_sha256"] = hashlib.sha256(example.encode("utf-8")).hexdigest()
    out["baseline"] = compare_with_example(config.text, example, PROXY_CONFIG).record()
    return out


def _proxy_openssl(facts: Facts) -> dict[str, Optional[str]]:
    """The OpenSSL the proxy's HAProxy was built with and runs on (``haproxy -vv``)."""
    out: dict[str, Optional[str]] = {"built_with": None, "running_on": None, "problem": None}
    if not facts.proxy_installed or facts.fips_agent:
        out["problem"] = "the proxy is not in use"
        return out
    if not facts.root:
        out["problem"] = "needs root to run the proxy's program as dd-agent"
        return out
    if not facts.host.path(HAPROXY).is_file():
        out["problem"] = f"{HAPROXY} is missing"
        return out
    try:
        result = facts.host.runner.run([HAPROXY, "-vv"], check=False, timeout=5, user=PROXY_USER)
    except CommandError as exc:
        out["problem"] = str(exc)
        return out
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key.strip() == "Built with OpenSSL version":
            out["built_with"] = value.strip()
        elif key.strip() == "Running on OpenSSL version":
            out["running_on"] = value.strip()
    if out["running_on"] is None:
        out["problem"] = "haproxy -vv names no OpenSSL version"
    return out


def _live(facts: Facts) -> LiveCheck:
    if _flavor(facts) != AGENT_PACKAGE:
        return not_checked("the FIPS proxy is not in use on this host")
    if not facts.proxy_installed:
        return not_checked(f"{PROXY_PACKAGE} is not installed")
    if not facts.root:
        return not_checked("needs root to run the proxy's program as dd-agent")
    if not facts.service(PROXY_SERVICE).active:
        return not_checked(f"{PROXY_SERVICE} is not running")
    text = facts.proxy_config().text
    if text is None:
        return not_checked(facts.proxy_config().problem or f"{PROXY_CONFIG} cannot be read")
    start = facts.proxy_port_start() or facts.port_start()
    return live_check(facts.host, text, start + 1)


def _module(facts: Facts) -> Optional[dict[str, Any]]:
    flavor = _flavor(facts)
    if flavor == FIPS_AGENT_PACKAGE:
        use = module_use(FIPS_AGENT_PATH)
    elif flavor == AGENT_PACKAGE and facts.proxy_installed:
        use = module_use(PROXY_PATH)
    else:
        return None
    module = use.module
    record: dict[str, Any] = {
        "path": use.path,
        "component": use.component,
        "name": module.name,
        "vendor": module.vendor,
        "module_version": use.module_version,
        "certificate": module.certificate,
        "url": module.url,
        "standard": module.standard,
        "status": module.status,
        "status_since": module.status_since,
        "status_words": module.status_words(),
        "meaning": module.meaning(),
        "claim": use.claim._asdict(),
        "sources": [source._asdict() for source in module.sources],
        "file": None,
    }
    from fipsconf.crypto_modules import TABLE_DATE

    record["as_of"] = TABLE_DATE
    if use.module_file:
        record["file"] = _file_digest(facts.host, use.module_file)
    return record


def _file_digest(host: Host, location: str) -> dict[str, Any]:
    try:
        data = read_bytes(host.path(location))
    except FipsSetupError as exc:
        return {"path": location, "sha256": None, "problem": str(exc)}
    return {"path": location, "sha256": hashlib.sha256(data).hexdigest(), "problem": None}


def _doctor(checks: list[Any]) -> dict[str, Any]:
    return {"summary": summary(checks), "checks": [check.record() for check in checks]}


def toolkit_identity() -> dict[str, Any]:
    """This toolkit: its version, the SHA-256 of its code, and of its zipapp when run from one."""
    import installer
    from installer import __version__

    digest = hashlib.sha256()
    roots = [Path(installer.__file__).parent, Path(sys.modules["fipsconf"].__file__ or "").parent]
    readable = all(root.is_dir() for root in roots)  # not when imported from inside the zipapp
    for root in roots if readable else []:
        for path in sorted(root.rglob("*.py")):
            if "ansible" in path.relative_to(root).parts:
                continue
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    identity: dict[str, Any] = {
        "name": "fips-setup",
        "version": __version__,
        "code_sha256": digest.hexdigest() if readable else None,
        "code_sha256_of": "every .py file of the installer and fipsconf packages (sorted path,"
        " NUL, contents)",
        "archive": None,
        "archive_sha256": None,
    }
    archive = _running_archive()
    if archive:
        identity["archive"] = archive
        with open(archive, "rb") as handle:
            identity["archive_sha256"] = hashlib.sha256(handle.read()).hexdigest()
    return identity


def _running_archive() -> Optional[str]:
    """The zipapp this process runs from, if it does (its path is on sys.path)."""
    import zipfile

    for entry in sys.path:
        if entry.endswith(".pyz") and os.path.isfile(entry) and zipfile.is_zipfile(entry):
            return entry
    return None


class ReportResult(CommandResult):
    """A report written to a file, or ``document``: the bytes the command line prints."""

    def __init__(
        self, *, changed: bool, msg: str, details: dict[str, Any], document: Optional[bytes]
    ) -> None:
        super().__init__(changed=changed, msg=msg, details=details)
        self.document = document


def evidence_report(
    host: Host, options: EvidenceOptions, form: str, output: Optional[Path]
) -> ReportResult:
    """``fips-setup evidence``: the evidence in ``form``, written to ``output`` or handed back."""
    from fipsconf.evidence.formats import render

    result = evidence(host, options)
    text = render(result.evidence, form)
    return _deliver(result.msg, text, form, output, {"evidence": result.evidence})


def merge_report(files: list[Path], form: str, output: Optional[Path]) -> ReportResult:
    """``fips-setup evidence merge``: check every file, then join them into one report.

    Raises EvidenceError naming the first file that is not intact evidence
    (or cannot be read); then nothing is merged or written.
    """
    from fipsconf.evidence.fleet import EvidenceError, load_evidence, merge, render

    named = []
    for path in files:
        try:
            data = read_bytes(path)
        except FipsSetupError as exc:
            raise EvidenceError(f"{exc}; nothing was merged") from None
        named.append((str(path), load_evidence(str(path), data)))
    fleet = merge(named)
    summary = dict(fleet.summary)
    summary["reasons"] = [
        {**reason, "hosts": [h["host"] for h in reason["hosts"]]} for reason in summary["reasons"]
    ]
    return _deliver(summary["text"], render(fleet, form), form, output, {"summary": summary})


def _deliver(
    msg: str, text: str, form: str, output: Optional[Path], details: dict[str, Any]
) -> ReportResult:
    """Write ``text`` to ``output`` (atomically; 0600 when new), or hand it to the command line."""
    from installer.files import Ownership, write_file

    data = text.encode("utf-8")
    details = {"format": form, "output": str(output) if output else None, **details}
    if output is not None:
        if not output.parent.is_dir():
            raise FipsSetupError(
                f"{output}: cannot write: the folder {output.parent} does not exist"
            )
        write_file(output, data, new_file=Ownership(os.geteuid(), os.getegid(), 0o600))
        return ReportResult(
            changed=True, msg=f"{msg}; {form} written to {output}", details=details, document=None
        )
    if "evidence" not in details or form != "json":
        details["document"] = text  # --json: the report itself, as text
    return ReportResult(changed=False, msg=msg, details=details, document=data)
