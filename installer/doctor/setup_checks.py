"""Checks of what is installed and how: root, platform, packages, the proxy's file, kernel."""

from __future__ import annotations

from typing import Optional

from fipsconf.errors import FipsSetupError
from fipsconf.logs_config import has_proxy_source, logs_enabled
from fipsconf.proxy_releases import newest_note, stale_package, version_of
from installer.agent import MIN_AGENT, NEW_HOST_ADVICE, NO_AGENT
from installer.doctor.facts import Facts
from installer.doctor.model import (
    CheckFunction,
    Outcome,
    check,
    failed,
    noted,
    passed,
    skipped,
    warned,
)
from installer.files import ownership_of, read_bytes
from installer.packages import AGENT_PACKAGE, FIPS_AGENT_PACKAGE, PROXY_PACKAGE
from installer.proxy import (
    PROXY_CONFIG,
    PROXY_EXAMPLE,
    PROXY_USER,
    plan_proxy_config,
    proxy_ownership,
)
from installer.services import PROXY_SERVICE

CHECKS: list[CheckFunction] = []
HAPROXY = "/opt/datadog-fips-proxy/embedded/sbin/haproxy"
KERNEL_FIPS = "/proc/sys/crypto/fips_enabled"
LOGS_CONF = "/etc/datadog-agent/conf.d/fips_proxy.d/conf.yaml"
JOURNAL_GROUP = "systemd-journal"
OWNER_FIX = f"chown {PROXY_USER}:{PROXY_USER} {PROXY_CONFIG} && chmod 640 {PROXY_CONFIG}"


def needs_root(facts: Facts) -> Optional[Outcome]:
    """A skip when not root (the files, journal and processes these checks read are root's)."""
    return None if facts.root else skipped("needs root: run sudo fips-setup doctor")


def proxy_irrelevant(facts: Facts) -> Optional[Outcome]:
    """A skip when there is no proxy to check (the FIPS Agent, or no proxy package)."""
    if facts.fips_agent:
        return skipped(f"the FIPS Agent ({FIPS_AGENT_PACKAGE}) is installed: it needs no proxy")
    if facts.platform()[0] is None:
        return skipped("the platform is not supported: its packages were not looked at")
    if not facts.proxy_installed:
        return skipped(f"{PROXY_PACKAGE} is not installed (see proxy-installed)")
    return None


def proxy_config_unreadable(facts: Facts) -> Optional[Outcome]:
    """A skip unless the proxy's configuration can be read (the proxy is there, root runs)."""
    skip = proxy_irrelevant(facts) or needs_root(facts)
    if skip:
        return skip
    config = facts.proxy_config()
    return (
        skipped(config.problem or f"{PROXY_CONFIG} cannot be read") if config.text is None else None
    )


def package_command(facts: Facts, package: str) -> str:
    """How an operator installs or upgrades ``package`` from the Datadog repository here."""
    packages = facts.packages()
    name = packages.name if packages else "apt-get"
    if name == "apt":
        return f"apt-get update && apt-get install {package}"
    if name == "zypper":
        return f"zypper refresh datadog && zypper install {package}"
    return f"{name} makecache && {name} install {package}"


def upgrade_command(facts: Facts, package: str) -> str:
    """How an operator upgrades the installed ``package`` from the Datadog repository here."""
    packages = facts.packages()
    name = packages.name if packages else "apt-get"
    if name == "apt":
        return f"apt-get update && apt-get install --only-upgrade {package}"
    if name == "zypper":
        return f"zypper refresh datadog && zypper update {package}"
    return f"{name} makecache && {name} upgrade {package}"


@check("root", CHECKS)
def _root(facts: Facts) -> Outcome:
    if facts.root:
        return passed("running as root")
    return warned(
        "not running as root: the checks that read the proxy's and the Agent's files,"
        " journal and processes are skipped",
        "sudo fips-setup doctor",
    )


@check("platform", CHECKS)
def _platform(facts: Facts) -> Outcome:
    platform, problem = facts.platform()
    if platform is None:
        return failed(
            problem or "unknown platform",
            "run the Agent on a supported host; the FIPS proxy is not built for this one",
        )
    what = "the FIPS Agent" if facts.fips_agent else "the FIPS proxy"
    return passed(f"{platform.name} on {platform.architecture}: supported by {what}")


@check("agent-installed", CHECKS)
def _agent_installed(facts: Facts) -> Outcome:
    if facts.platform()[0] is None:
        return skipped("the platform is not supported: its packages were not looked at")
    if facts.fips_agent:
        return noted(
            f"{FIPS_AGENT_PACKAGE} {facts.version(FIPS_AGENT_PACKAGE)} is installed instead of"
            f" {AGENT_PACKAGE} (see fips-agent)"
        )
    if facts.no_agent:
        return failed(NO_AGENT, NEW_HOST_ADVICE)
    version = facts.agent_version()
    if version is None:
        return failed(
            f"{AGENT_PACKAGE} {facts.version(AGENT_PACKAGE)} is installed, and that is not a"
            " version fips-setup can compare",
            f"reinstall it: {package_command(facts, AGENT_PACKAGE)}",
        )
    if version < MIN_AGENT:
        return failed(
            f"{AGENT_PACKAGE} {version} is installed; the FIPS proxy needs {MIN_AGENT} or newer",
            package_command(facts, AGENT_PACKAGE),
        )
    return passed(f"{AGENT_PACKAGE} {version} ({MIN_AGENT} or newer)")


@check("fips-agent", CHECKS)
def _fips_agent(facts: Facts) -> Outcome:
    if facts.platform()[0] is None:
        return skipped("the platform is not supported: its packages were not looked at")
    if facts.no_agent:
        return skipped("no Agent is installed (see agent-installed)")
    if not facts.fips_agent:
        return passed(f"{FIPS_AGENT_PACKAGE} is not installed: the proxy is what encrypts")
    version = facts.version(FIPS_AGENT_PACKAGE)
    proxy = facts.service(PROXY_SERVICE)
    leftovers = [
        what
        for what, present in (
            (f"{PROXY_SERVICE} runs", proxy.active),
            (f"{PROXY_SERVICE} starts at boot", facts.services().is_enabled(PROXY_SERVICE)),
            ("fips.enabled is true (ignored)", facts.settings().effective.get("enabled") is True),
        )
        if present
    ]
    if leftovers:
        return warned(
            f"the FIPS Agent {version} is installed: it encrypts with its own FIPS module,"
            f" ignores fips.* and needs no proxy, but {', '.join(leftovers)}",
            "fips-setup migrate (stops and disables the proxy, sets fips.enabled: false)",
        )
    if facts.proxy_installed:
        return noted(
            f"the FIPS Agent {version} is installed; {PROXY_PACKAGE} is stopped and disabled,"
            " kept installed for a way back (fips-setup rollback)",
            "once the way back is no longer needed: fips-setup migrate --remove-proxy",
        )
    return noted(
        f"the FIPS Agent {version} is installed: it needs no proxy; the proxy's checks are skipped"
    )


@check("proxy-deprecated", CHECKS)
def _proxy_deprecated(facts: Facts) -> Outcome:
    if facts.fips_agent:
        return skipped("the FIPS Agent is installed already")
    if facts.no_agent:  # a new host: nothing to migrate, the FIPS Agent can come first
        return noted(
            "the vendor recommends the FIPS Agent"
            f" ({FIPS_AGENT_PACKAGE}, Agent 7.65 or newer) over the FIPS proxy",
            "on a new host, run the one-step install script with"
            f" DD_AGENT_FLAVOR={FIPS_AGENT_PACKAGE}",
        )
    return noted(
        "the vendor no longer recommends the FIPS proxy: the FIPS Agent"
        f" ({FIPS_AGENT_PACKAGE}, Agent 7.65 or newer) replaces it",
        "fips-setup migrate --dry-run (the plan), then fips-setup migrate: checked, verified,"
        " and undone by fips-setup rollback",
    )


@check("proxy-installed", CHECKS)
def _proxy_installed(facts: Facts) -> Outcome:
    if facts.fips_agent:
        return skipped(f"the FIPS Agent ({FIPS_AGENT_PACKAGE}) is installed: it needs no proxy")
    if facts.platform()[0] is None:
        return skipped("the platform is not supported: its packages were not looked at")
    version = facts.version(PROXY_PACKAGE)
    if version is None and facts.no_agent:
        return skipped(
            f"{PROXY_PACKAGE} is not installed, nor is the Agent it serves (see agent-installed)"
        )
    if version is None:
        return failed(
            f"{PROXY_PACKAGE} is not installed",
            "fips-setup enable (installs, configures and starts it, then points the Agent at it)",
        )
    return passed(f"{PROXY_PACKAGE} {version}")


@check("proxy-version", CHECKS)
def _proxy_version(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts)
    if skip:
        return skip
    version = facts.version(PROXY_PACKAGE) or ""
    stale = stale_package(version)
    if stale:
        return warned(stale, f"{upgrade_command(facts, PROXY_PACKAGE)}, then fips-setup doctor")
    if version_of(version) is None:
        return noted(f"{PROXY_PACKAGE} {version}: not a version fips-setup can compare")
    return passed(
        f"{PROXY_PACKAGE} {version}: the newest release fips-setup knows is {newest_note()}"
    )


@check("proxy-config", CHECKS)
def _proxy_config(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts)
    if skip:
        return skip
    owner = ownership_of(facts.host.path(PROXY_CONFIG))
    if owner is None:
        return failed(
            f"{PROXY_CONFIG} does not exist: the proxy cannot start without it",
            "fips-setup enable (creates it from the package's example)",
        )
    user, group = facts.host.account_names(owner.uid, owner.gid)
    shown = f"{user}:{group} {owner.mode:03o}"
    writable = [who for who, bit in (("its group", 0o020), ("everyone", 0o002)) if owner.mode & bit]
    if writable:
        return failed(
            f"{PROXY_CONFIG} is writable by {' and '.join(writable)} ({shown}): whoever can write"
            " it decides where the Agent's payloads go",
            OWNER_FIX,
        )
    try:
        expected = proxy_ownership(facts.host)
    except FipsSetupError as exc:
        return failed(str(exc), "install the Agent first (it creates the dd-agent account)")
    if owner != expected:
        return warned(f"{PROXY_CONFIG} is {shown}, not dd-agent:dd-agent 640", OWNER_FIX)
    return passed(f"{PROXY_CONFIG}: {shown}")


@check("proxy-config-valid", CHECKS)
def _proxy_config_valid(facts: Facts) -> Outcome:
    skip = proxy_config_unreadable(facts)
    if skip:
        return skip
    if not facts.host.path(HAPROXY).is_file():
        return failed(
            f"{HAPROXY} is missing: the proxy package is damaged",
            f"reinstall it: {package_command(facts, PROXY_PACKAGE)}",
        )
    # As the proxy's own user: a configuration dd-agent can write must not run as root.
    result = facts.host.runner.run(
        [HAPROXY, "-c", "-f", PROXY_CONFIG], check=False, timeout=15, user=PROXY_USER
    )
    if result.ok:
        return passed(f"haproxy -c accepts {PROXY_CONFIG}")
    alerts = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    shown = [line for line in alerts if "ALERT" in line] or alerts
    return failed(
        f"haproxy -c rejects {PROXY_CONFIG}: {' | '.join(shown[:2]) or result.returncode}",
        "correct the line it names, or go back to the package's example:"
        " fips-setup enable --refresh-proxy-config",
    )


@check("proxy-config-current", CHECKS)
def _proxy_config_current(facts: Facts) -> Outcome:
    skip = proxy_config_unreadable(facts)
    if skip:
        return skip
    example = ownership_of(facts.host.path(PROXY_EXAMPLE))
    if example is None:
        return warned(
            f"{PROXY_EXAMPLE} is missing, so the configuration cannot be compared with it",
            f"reinstall the proxy: {package_command(facts, PROXY_PACKAGE)}",
        )
    change = plan_proxy_config(facts.host, port_start=None, address=None, refresh=False)
    if not change.stale:
        return passed(f"{PROXY_CONFIG} is the package's example (with this host's ports and DNS)")
    newer = facts.host.path(PROXY_EXAMPLE).stat().st_mtime > change.path.stat().st_mtime
    why = " (the example is newer: a proxy upgrade changed it)" if newer else ""
    return warned(
        f"{PROXY_CONFIG} differs from what the package's example gives{why}",
        "fips-setup enable --refresh-proxy-config (a backup is kept, DNS settings carried over)",
    )


@check("logs-collection", CHECKS)
def _logs_collection(facts: Facts) -> Outcome:
    skip = proxy_irrelevant(facts) or needs_root(facts)
    if skip:
        return skip
    enabled = logs_enabled(facts.settings().data) is True
    try:
        source = has_proxy_source(read_bytes(facts.host.path(LOGS_CONF)).decode("utf-8", "replace"))
    except FipsSetupError:
        source = False
    member = facts.host.in_group(PROXY_USER, JOURNAL_GROUP) is True
    parts = {
        "logs_enabled: true": enabled,
        f"{LOGS_CONF} with the proxy's journald source": source,
        f"{PROXY_USER} in {JOURNAL_GROUP}": member,
    }
    if all(parts.values()):
        return noted("the proxy's logs are shipped to Datadog: " + ", ".join(parts))
    if not (source or member):  # logs_enabled alone is about the host's other logs
        return noted(
            "the proxy's logs are not shipped to Datadog (they stay in journald)",
            "fips-setup logs enable",
        )
    missing = [part for part, present in parts.items() if not present]
    return warned(
        f"the proxy's log collection is half set up: missing {', '.join(missing)}",
        "fips-setup logs enable",
    )


@check("kernel-fips", CHECKS)
def _kernel_fips(facts: Facts) -> Outcome:
    try:
        value = read_bytes(facts.host.path(KERNEL_FIPS)).decode(errors="replace").strip()
    except FipsSetupError:
        value = None
    if value == "1":
        return noted(f"the kernel runs in FIPS mode ({KERNEL_FIPS} = 1)")
    shown = f"{KERNEL_FIPS} = {value}" if value is not None else f"{KERNEL_FIPS} is absent"
    enable = "fips-mode-setup --enable (RHEL) or pro enable fips (Ubuntu), then reboot"
    if facts.fips_agent:
        return warned(
            f"the kernel is not in FIPS mode ({shown}): the FIPS Agent's validation assumes a"
            " host in FIPS mode (the vendor's FIPS Agent page asks for it)",
            enable,
        )
    if value is None:
        return noted(f"this kernel has no FIPS mode switch ({shown})")
    return noted(
        f"the kernel is not in FIPS mode ({KERNEL_FIPS} = {value}); the proxy's own module is"
        " validated without it, but your policy may ask for it host-wide",
        f"if it does: {enable}",
    )
