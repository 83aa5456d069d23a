"""What the checks look at, gathered once, on demand, from several threads.

Each fact is computed the first time a check asks for it (a package query,
the proxy's journal, one HTTP request...) and shared with every other check;
checks running in parallel that need the same fact wait for one computation.
Facts never raise: a fact that cannot be had says why (``problem``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional, TypeVar

from packaging.version import Version

from fipsconf import proxy_cfg
from fipsconf.errors import FipsSetupError
from fipsconf.proxy_log import ProxyLog, read_proxy_log
from installer.agent import parse_version
from installer.files import Ownership, ownership_of, read_bytes
from installer.host import Host
from installer.net import DnsAnswer, HttpAnswer
from installer.packages import (
    AGENT_PACKAGE,
    FIPS_AGENT_PACKAGE,
    PROXY_PACKAGE,
    PackageManager,
    package_manager_for,
)
from installer.platform import Platform, detect_platform
from installer.ports import Listener, listeners
from installer.proxy import PROXY_CONFIG, PROXY_USER
from installer.runner import CommandError, ProcessResult
from installer.services import (
    PROXY_SERVICE,
    AgentSupervision,
    ServiceManager,
    ServiceState,
    service_manager_for,
)
from installer.status import AgentSettings, agent_settings

T = TypeVar("T")
#: journal lines read for the proxy: enough for a start and its 16 backends' states
JOURNAL_LINES = 400
#: Per address tried: a loopback connection is accepted or refused at once, unless a
#: firewall drops it ("localhost" may be tried as ::1, then 127.0.0.1).
HTTP_CONNECT_TIMEOUT = 0.5
HTTP_READ_TIMEOUT = 2.0
DNS_TIMEOUT = 1.0
RESOLV_CONF = "/etc/resolv.conf"


class ProxyConfig(NamedTuple):
    """The proxy's configuration file: its text (None: unreadable or absent) and why not."""

    text: Optional[str]
    ownership: Optional[Ownership]
    problem: Optional[str]


class NameserverAnswer(NamedTuple):
    """One nameserver the proxy uses, where it comes from, and what it answered."""

    section: str
    address: str
    port: int
    source: str  # "datadog-fips-proxy.cfg:31 (dns1)" or "/etc/resolv.conf"
    answer: DnsAnswer

    @property
    def target(self) -> str:
        """``ADDRESS:PORT``."""
        return proxy_cfg.nameserver_target(self.address, self.port)


class DnsReport(NamedTuple):
    """The proxy's resolvers in use and what each nameserver answered for the intake name."""

    name: Optional[str]  # the intake name asked for (None: none in the configuration)
    sections: list[proxy_cfg.ResolversSection]
    answers: list[NameserverAnswer]


class Facts:
    """The host as the checks see it; every property is computed at most once."""

    def __init__(self, host: Host, config: Path) -> None:
        self.host = host
        self.config = config
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _once(self, key: str, compute: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = compute()
            value: T = self._values[key]
            return value

    # -- the host --------------------------------------------------------------

    @property
    def root(self) -> bool:
        """True when fips-setup runs as root."""
        return self._once("root", self.host.is_root)

    def platform(self) -> tuple[Optional[Platform], Optional[str]]:
        """The supported platform, or None and why not."""

        def detect() -> tuple[Optional[Platform], Optional[str]]:
            try:
                return detect_platform(self.host), None
            except FipsSetupError as exc:
                return None, str(exc)

        return self._once("platform", detect)

    def packages(self) -> Optional[PackageManager]:
        """The package manager (None on an unsupported platform)."""

        def find() -> Optional[PackageManager]:
            platform = self.platform()[0]
            return package_manager_for(self.host, platform) if platform else None

        return self._once("packages", find)

    def version(self, package: str) -> Optional[str]:
        """The installed version of ``package`` (None: not installed, or unknown)."""

        def query() -> Optional[str]:
            packages = self.packages()
            return packages.installed_version(package) if packages else None

        return self._once(f"version:{package}", query)

    def agent_version(self) -> Optional[Version]:
        """The Agent's version, or the FIPS Agent's (None: neither installed, or not a version)."""
        return parse_version(self.version(AGENT_PACKAGE) or self.version(FIPS_AGENT_PACKAGE))

    @property
    def fips_agent(self) -> bool:
        """True when the FIPS Agent (which needs no proxy) is installed."""
        return self.version(FIPS_AGENT_PACKAGE) is not None

    @property
    def no_agent(self) -> bool:
        """True when the package database says that neither Agent is installed."""
        return (
            self.packages() is not None
            and not self.fips_agent
            and self.version(AGENT_PACKAGE) is None
        )

    @property
    def proxy_installed(self) -> bool:
        """True when the proxy package is installed."""
        return self.version(PROXY_PACKAGE) is not None

    def services(self) -> ServiceManager:
        """The init system."""
        return self._once("services", lambda: service_manager_for(self.host))

    def service(self, name: str) -> ServiceState:
        """What the init system says of ``name``."""
        return self._once(f"service:{name}", lambda: self.services().state(name))

    def supervision(self) -> AgentSupervision:
        """How the Agent's payloads run (units, or dd-procmgrd asked as dd-agent when root)."""
        return self._once(
            "supervision", lambda: self.services().agent_supervision(read_processes=self.root)
        )

    def journal(self, name: str) -> list[str]:
        """The service's last journal lines (oldest first)."""
        return self._once(f"journal:{name}", lambda: self.services().journal(name, JOURNAL_LINES))

    def proxy_log(self) -> ProxyLog:
        """The proxy's journal, read: bind errors, servers DOWN since it last started."""
        return self._once("proxy-log", lambda: read_proxy_log(self.journal(PROXY_SERVICE)))

    def agent_status(self) -> tuple[Optional[ProcessResult], str]:
        """``datadog-agent status``, run once as dd-agent: its result, or None and why not."""

        def run() -> tuple[Optional[ProcessResult], str]:
            from installer.doctor.network_checks import (
                NO_AGENT_BINARY,
                STATUS_TIMEOUT,
                agent_binary,
            )

            if not self.root:
                return None, "needs root to run the Agent's status as dd-agent"
            binary = agent_binary(self)
            if binary is None:
                return None, NO_AGENT_BINARY
            try:
                result = self.host.runner.run(
                    [binary, "status"], check=False, timeout=STATUS_TIMEOUT, user=PROXY_USER
                )
            except CommandError as exc:
                return None, str(exc)
            return result, ""

        return self._once("agent-status", run)

    # -- configuration ---------------------------------------------------------

    def settings(self) -> AgentSettings:
        """datadog.yaml and the DD_FIPS_* overrides: the settings in effect."""
        return self._once("settings", lambda: agent_settings(self.host, self.config))

    def port_start(self) -> int:
        """The Agent's ``fips.port_range_start`` in effect (9803 when it is not a number)."""
        value = self.settings().effective.get("port_range_start", 9803)
        try:
            return int(value)
        except (TypeError, ValueError):
            return 9803

    def local_address(self) -> str:
        """The Agent's ``fips.local_address`` in effect."""
        return str(self.settings().effective.get("local_address") or "localhost")

    def proxy_config(self) -> ProxyConfig:
        """The proxy's configuration file."""

        def read() -> ProxyConfig:
            path = self.host.path(PROXY_CONFIG)
            try:
                owner = ownership_of(path)
                if owner is None:
                    return ProxyConfig(None, None, f"{PROXY_CONFIG} does not exist")
                text = read_bytes(path).decode("utf-8", errors="replace")
            except FipsSetupError as exc:
                return ProxyConfig(None, ownership_of_or_none(path), str(exc))
            return ProxyConfig(text, owner, None)

        return self._once("proxy-config", read)

    def proxy_port_start(self) -> Optional[int]:
        """The first port the proxy's configuration binds (None: unknown)."""
        text = self.proxy_config().text
        return proxy_cfg.port_range_start(text) if text else None

    # -- the network -----------------------------------------------------------

    def listeners(self) -> dict[int, Listener]:
        """Who listens on the Agent's and the proxy's port ranges, by port."""

        def read() -> dict[int, Listener]:
            starts = {self.port_start(), self.proxy_port_start() or self.port_start()}
            ports = range(min(starts), max(starts) + 16)
            return {listener.port: listener for listener in listeners(self.host, ports)}

        return self._once("listeners", read)

    def metrics_url(self, path: str = "/") -> str:
        """The Agent's metrics URL on the proxy: ``http://<local_address>:<start + 1><path>``."""
        address = self.local_address()
        host = f"[{address.strip('[]')}]" if ":" in address else address
        return f"http://{host}:{self.port_start() + 1}{path}"

    def metrics_answer(self) -> HttpAnswer:
        """One request to the metrics port, as ``curl http://localhost:9804/`` (the vendor's)."""
        return self._once(
            "metrics-answer",
            lambda: self.host.http_get(
                self.metrics_url(), {}, HTTP_CONNECT_TIMEOUT, HTTP_READ_TIMEOUT
            ),
        )

    def dns(self) -> DnsReport:
        """The proxy's nameservers, each asked for the metrics intake's name (in parallel)."""
        return self._once("dns", self._ask_nameservers)

    def _ask_nameservers(self) -> DnsReport:
        text = self.proxy_config().text or ""
        start = self.proxy_port_start() or self.port_start()
        name = proxy_cfg.intake_name(text, start + 1)
        in_use = proxy_cfg.resolvers_in_use(text)
        sections = [s for s in proxy_cfg.resolvers_sections(text) if not in_use or s.name in in_use]
        targets: list[tuple[str, str, int, str]] = []
        for section in sections:
            for server in section.nameservers:
                where = f"{Path(PROXY_CONFIG).name}:{server.line} ({server.name})"
                targets.append((section.name, server.address, server.port, where))
            if section.parse_resolv_conf:
                for address in self.resolv_conf_nameservers():
                    targets.append((section.name, address, 53, RESOLV_CONF))
        if name is None or not targets:
            return DnsReport(name, sections, [])
        asked = name

        def ask(target: tuple[str, str, int, str]) -> NameserverAnswer:
            section, address, port, where = target
            answer = self.host.dns_query(address, port, asked, DNS_TIMEOUT)
            return NameserverAnswer(section, address, port, where, answer)

        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            answers = list(pool.map(ask, targets))
        return DnsReport(name, sections, answers)

    def resolv_conf_nameservers(self) -> list[str]:
        """The ``nameserver`` addresses of /etc/resolv.conf, as HAProxy reads them."""
        try:
            text = read_bytes(self.host.path(RESOLV_CONF)).decode("utf-8", errors="replace")
        except FipsSetupError:
            return []
        found = []
        for line in text.splitlines():
            words = line.split()
            if words[:1] == ["nameserver"] and len(words) > 1:
                found.append(words[1].split("%")[0])
        return found


def ownership_of_or_none(path: Path) -> Optional[Ownership]:
    """The owner and mode of ``path``, None when even that cannot be read."""
    try:
        return ownership_of(path)
    except FipsSetupError:
        return None
