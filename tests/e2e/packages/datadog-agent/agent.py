#!/opt/datadog-agent/embedded/bin/python3
"""Stand-in for the Datadog Agent binary, for fips-setup's end-to-end tests.

Installed as ``/opt/datadog-agent/bin/agent/agent`` (and ``/usr/bin/datadog-agent``)
by the stand-in ``datadog-agent`` package, and by its variant ``datadog-fips-agent``
(the FIPS Agent: same files, service and paths; ``FLAVOR`` tells them apart). It
reads ``datadog.yaml`` and the ``DD_*`` environment like the real Agent and picks
its metrics endpoint the same way, so a wrong setting has the same visible effect:

- the FIPS Agent ignores ``fips.*`` (it encrypts itself) and sends like a direct Agent;
- ``fips.enabled`` true (Agent >= 7.41): ``http(s)://<fips.local_address>:<port_range_start + 1>``,
  plain HTTP when ``fips.https`` is false; a non-loopback ``local_address`` is refused;
- otherwise ``dd_url``, else ``https://app.<site>``.

Every request carries ``X-E2E-Package: <package name>`` (a test marker the proxy
relays untouched), so the intake tells the FIPS Agent's payloads from the Agent's.

Subcommands: ``version``, ``status`` (the header of the real one, with ``FIPS Mode:
enabled`` for the FIPS Agent, ``proxy`` when ``fips.enabled`` is true, ``disabled``
otherwise), ``run`` (the service: POSTs a sequence-numbered JSON payload every
0.1 s, retries failures from a queue that survives restarts, and keeps its
counters in ``/var/lib/datadog-agent-standin/state.json``), and ``diagnose``
(``--include connectivity-datadog-core-endpoints`` from 7.48,
``datadog-connectivity`` before), which really connects and prints PASS/FAIL.
Exit status 1 when a check fails.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import platform
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Optional

import yaml

VERSION = "@AGENT_VERSION@"
COMMIT = "@AGENT_COMMIT@"
#: The package this program came in: datadog-agent or datadog-fips-agent.
PACKAGE = "@AGENT_PACKAGE@"
FIPS_AGENT = PACKAGE == "datadog-fips-agent"
DEFAULT_CONFIG = "/etc/datadog-agent/datadog.yaml"
STATE_DIR = os.environ.get("DD_STANDIN_STATE_DIR", "/var/lib/datadog-agent-standin")
LOG_FILE = "/var/log/datadog/agent.log"
TICK = 0.1
SEND_TIMEOUT = 2.0
#: The processes intake's offset from ``fips.port_range_start`` (9807 by default).
PROCESSES = 4
PROCESS_STATE = "process-agent.json"


class ConfigError(Exception):
    """The configuration cannot be used (the real Agent refuses to start too)."""


def version_tuple(version: str = VERSION) -> tuple[int, ...]:
    """``"7.50.3"`` -> ``(7, 50, 3)``; a pre-release ``"7.53.0~rc.1"`` -> ``(7, 53, 0)``."""
    return tuple(int(re.sub(r"\D.*", "", part) or 0) for part in version.split(".")[:3])


def log(message: str) -> None:
    """Log to stdout (journald) and, when writable, to the Agent's log file."""
    line = f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} | CORE | {message}"
    print(line, flush=True)
    try:
        with open(LOG_FILE, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass


def parse_bool(value: Any) -> bool:
    """Go's ``strconv.ParseBool`` as Viper applies it to settings and ``DD_*`` variables."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False", ""):
        return False
    raise ConfigError(f"invalid boolean value {value!r}")


class Config:
    """``datadog.yaml`` plus ``DD_*`` environment overrides (the environment wins)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except OSError as exc:
            raise ConfigError(f"unable to load Datadog config file: {exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"unable to load Datadog config file {path}: {exc}") from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the configuration is not a mapping")
        self.data: dict[str, Any] = data

    def get(self, key: str, default: Any = None) -> Any:
        """The value of dotted ``key``: ``DD_<KEY>`` from the environment, else the file."""
        env = "DD_" + key.upper().replace(".", "_")
        if env in os.environ:
            return os.environ[env]
        if key == "dd_url" and "DD_URL" in os.environ:
            return os.environ["DD_URL"]
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or node.get(part) is None:
                return default
            node = node[part]
        return node


class Endpoint:
    """Where metrics go, as the Agent's configuration selects it."""

    def __init__(self, base_url: str, fips: bool, tls_verify: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.fips = fips
        self.tls_verify = tls_verify

    @property
    def series_url(self) -> str:
        return self.base_url + "/api/v1/series"

    @property
    def validate_url(self) -> str:
        return self.base_url + "/api/v1/validate"


def is_loopback(address: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1: the only addresses the Agent accepts for the proxy."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def proxy_mode(config: Config) -> bool:
    """True when this Agent sends through the FIPS proxy (the FIPS Agent never does)."""
    return (
        not FIPS_AGENT
        and version_tuple() >= (7, 41)
        and parse_bool(config.get("fips.enabled", False))
    )


def select_endpoint(config: Config, offset: int = 1) -> Endpoint:
    """The endpoint of a product (``offset`` from ``fips.port_range_start``: 1 metrics,
    4 processes), following the real Agent's ``fips.*`` rules."""
    if proxy_mode(config):
        default_start = 3833 if version_tuple()[:2] == (7, 41) else 9803
        try:
            start = int(config.get("fips.port_range_start", default_start))
        except ValueError as exc:
            raise ConfigError(f"fips.port_range_start: {exc}") from exc
        address = str(config.get("fips.local_address", "localhost"))
        if not is_loopback(address):
            raise ConfigError(f"fips.local_address should be a loopback address, got {address!r}")
        https = parse_bool(config.get("fips.https", True))
        host = f"[{address}]" if ":" in address else address
        scheme = "https" if https else "http"
        verify = parse_bool(config.get("fips.tls_verify", True))
        return Endpoint(f"{scheme}://{host}:{start + offset}", fips=True, tls_verify=verify)
    if offset == PROCESSES:
        url = config.get("process_config.process_dd_url")
        site = str(config.get("site", "datadoghq.com"))
        return Endpoint(str(url) if url else f"https://process.{site}", fips=False)
    dd_url = config.get("dd_url")
    if dd_url:
        return Endpoint(str(dd_url), fips=False)
    site = str(config.get("site", "datadoghq.com"))
    return Endpoint(f"https://app.{site}", fips=False)


def api_key(config: Config) -> str:
    key = config.get("api_key")
    if not key or not str(key).strip():
        raise ConfigError("no API key configured, exiting")
    return str(key).strip()


class Client:
    """HTTP(S) client for one endpoint: no environment proxies, short timeouts."""

    def __init__(self, endpoint: Endpoint, key: str) -> None:
        self.endpoint = endpoint
        self.key = key
        context = ssl.create_default_context()
        if not endpoint.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )

    def request(self, url: str, body: bytes | None = None) -> int:
        """Send one request; the HTTP status, or an exception on a transport error."""
        headers = {
            "DD-API-KEY": self.key,
            "User-Agent": f"datadog-agent/{VERSION}",
            "X-E2E-Package": PACKAGE,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=SEND_TIMEOUT) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def transport_error(exc: BaseException, url: str) -> str:
    """A failed request as the real Agent (Go's net/http) words it in its log.

    The vendor's troubleshooting page names these: ``connect: connection
    refused``, ``context deadline exceeded (Client.Timeout exceeded while
    awaiting headers)``, ``connection reset by peer``.
    """
    cause = getattr(exc, "reason", exc)
    target = url.split("/")[2] if url.count("/") >= 2 else url
    if isinstance(cause, ConnectionRefusedError):
        return f'Post "{url}": dial tcp {target}: connect: connection refused'
    if isinstance(cause, (socket.timeout, TimeoutError)):
        return f'Post "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    if isinstance(cause, ConnectionResetError):
        return f'Post "{url}": read tcp ->{target}: read: connection reset by peer'
    if isinstance(cause, http.client.RemoteDisconnected):
        return f'Post "{url}": EOF'
    return f'Post "{url}": {cause}'


def atomic_write_json(path: str, data: Any) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def load_config(args: list[str]) -> Config:
    path = DEFAULT_CONFIG
    for flag in ("-c", "--cfgpath"):
        if flag in args:
            path = args[args.index(flag) + 1]
            if os.path.isdir(path):
                path = os.path.join(path, "datadog.yaml")
    return Config(path)


class Forwarder:
    """The ``run`` loop: a payload every tick, sent in order from a persistent queue."""

    def __init__(self, config: Config) -> None:
        self.endpoint = select_endpoint(config)
        self.client = Client(self.endpoint, api_key(config))
        self.hostname = str(config.get("hostname") or socket.gethostname())
        self.state_path = os.path.join(STATE_DIR, "state.json")
        self.stop = threading.Event()
        previous = self._load()
        self.next_seq: int = previous.get("next_seq", 0)
        self.queue: list[list[float]] = previous.get("queue", [])
        self.totals: dict[str, int] = previous.get("totals", {"sent": 0, "acked": 0, "failed": 0})
        self.run_counters = {"sent": 0, "acked": 0, "failed": 0}
        self.last_error = ""
        self.started_at = time.time()

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.state_path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self) -> None:
        atomic_write_json(
            self.state_path,
            {
                "pid": os.getpid(),
                "version": VERSION,
                "package": PACKAGE,
                "started_at": self.started_at,
                "updated_at": time.time(),
                "endpoint": self.endpoint.series_url,
                "fips": self.endpoint.fips,
                "next_seq": self.next_seq,
                "queue": self.queue,
                "queue_length": len(self.queue),
                "totals": self.totals,
                "run": self.run_counters,
                "last_error": self.last_error,
            },
        )

    def _count(self, counter: str) -> None:
        self.totals[counter] = self.totals.get(counter, 0) + 1
        self.run_counters[counter] += 1

    def flush(self) -> None:
        """Send queued payloads in order; stop at the first failure (retried next tick)."""
        while self.queue and not self.stop.is_set():
            seq, stamp = self.queue[0]
            body = json.dumps(
                {
                    "seq": int(seq),
                    "series": [
                        {
                            "metric": "datadog.agent.running",
                            "points": [[int(stamp), 1]],
                            "type": "gauge",
                            "host": self.hostname,
                        }
                    ],
                }
            ).encode()
            self._count("sent")
            url = self.endpoint.series_url
            try:
                status = self.client.request(url, body)
                error = "" if 200 <= status < 300 else f'error "{status}" while sending to "{url}"'
            except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
                error = transport_error(exc, url)
            if error:
                self._count("failed")
                if self.run_counters["failed"] % 50 == 1:
                    log(
                        "ERROR | (pkg/forwarder/worker.go:184 in process) | Error while processing"
                        f" transaction: error while sending transaction, rescheduling it: {error}"
                        f" (payload {seq})"
                    )
                self.last_error = error
                return
            self._count("acked")
            self.queue.pop(0)

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop.set())
        log(
            f"INFO | Starting Datadog Agent v{VERSION}; forwarding metrics to "
            f"{self.endpoint.series_url} (fips: {self.endpoint.fips}); "
            f"{len(self.queue)} payload(s) queued from the previous run"
        )
        self.save()
        while not self.stop.is_set():
            tick = time.monotonic()
            self.queue.append([self.next_seq, time.time()])
            self.next_seq += 1
            self.flush()
            self.save()
            self.stop.wait(max(0.0, TICK - (time.monotonic() - tick)))
        self.save()
        log(f"INFO | See ya! ({len(self.queue)} payload(s) kept for the next run)")
        return 0


def cmd_version() -> int:
    print(
        f"Agent {VERSION} - Commit: {COMMIT} - Serialization version: v5.0.102"
        " - Go version: go1.21.5"
    )
    return 0


def running_state() -> Optional[dict[str, Any]]:
    """The running Agent's state (None: no Agent runs)."""
    try:
        with open(os.path.join(STATE_DIR, "state.json"), encoding="utf-8") as handle:
            state = json.load(handle)
        os.kill(int(state["pid"]), 0)
    except PermissionError:  # it runs, as another user (dd-agent; status run as root)
        return state if isinstance(state, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if isinstance(state, dict) else None


def cmd_status(args: list[str]) -> int:
    """The header of ``agent status``, as the real Agent prints it."""
    try:
        config = load_config(args)
        proxied = proxy_mode(config)
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    # The real command asks the running Agent: its view wins (a DD_FIPS_* of its unit's
    # environment file, a datadog.yaml edited since it started).
    running = running_state()
    if running is not None:
        proxied = bool(running.get("fips"))
    mode = "enabled" if FIPS_AGENT else "proxy" if proxied else "disabled"
    title = f"Agent (v{VERSION})"
    now = time.strftime("%Y-%m-%d %H:%M:%S.000 UTC", time.gmtime())
    print("=" * len(title), title, "=" * len(title), sep="\n")
    print()
    print(f"  Status date: {now}")
    print(f"  Pid: {os.getpid()}")
    print("  Go Version: go1.22.8")
    print(f"  Python Version: {platform.python_version()}")
    print(f"  Build arch: {platform.machine()}")
    print("  Agent flavor: agent")
    print(f"  FIPS Mode: {mode}")
    print("  Log Level: info")
    return 0


def cmd_diagnose(args: list[str]) -> int:
    new_style = version_tuple() >= (7, 48)
    positional = [a for a in args if not a.startswith("-")]
    if "--include" in args:
        if not new_style:
            print("Error: unknown flag: --include", file=sys.stderr)
            return 1
        suite = args[args.index("--include") + 1]
        if suite != "connectivity-datadog-core-endpoints":
            print(f"Error: no diagnose suite matches {suite!r}", file=sys.stderr)
            return 1
    elif positional:
        if positional[0] != "datadog-connectivity" or new_style:
            print(f'Error: unknown command "{positional[0]}" for "agent diagnose"', file=sys.stderr)
            return 1
        suite = "datadog-connectivity"
    else:
        suite = "connectivity-datadog-core-endpoints" if new_style else "datadog-connectivity"
    try:
        config = load_config(args)
        endpoint = select_endpoint(config)
        client = Client(endpoint, api_key(config))
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print("=== Starting diagnose ===")
    print(f"Suite: {suite}")
    try:
        status = client.request(endpoint.validate_url)
        error = "" if 200 <= status < 300 else f"HTTP status code {status}"
    except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
        error = transport_error(exc, endpoint.validate_url).replace("Post ", "Get ", 1)
    verdict = "FAIL" if error else "PASS"
    print(f"1. {verdict} [{suite}] Connectivity to {endpoint.base_url}")
    print(f"   Diagnosis: {error or 'Success'}")
    print("-------------------------")
    print(f"Total:1, Success:{0 if error else 1}, Fail:{1 if error else 0}")
    return 1 if error else 0


def process_agent(args: list[str]) -> int:
    """The process Agent (under dd-procmgrd from 7.84): a payload every 0.2 s to the processes
    intake, or its proxy port, counted in ``process-agent.json`` beside the Agent's state."""
    try:
        config = load_config(["-c" if a == "--cfgpath" else a for a in args])
        endpoint = select_endpoint(config, PROCESSES)
        client = Client(endpoint, api_key(config))
    except ConfigError as exc:
        log(f"ERROR | process-agent: {exc}")
        return 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    counters = {"sent": 0, "acked": 0, "failed": 0}
    url = endpoint.base_url + "/api/v1/collector"
    state = os.path.join(STATE_DIR, PROCESS_STATE)
    log(f"INFO | process-agent {VERSION}: sending to {url} (fips: {endpoint.fips})")
    seq = 0
    while not stop.is_set():
        counters["sent"] += 1
        try:
            status = client.request(url, json.dumps({"seq": seq}).encode())
            ok = 200 <= status < 300
        except (OSError, ssl.SSLError, http.client.HTTPException):
            ok = False
        counters["acked" if ok else "failed"] += 1
        seq += 1
        record = {"pid": os.getpid(), "endpoint": url, "fips": endpoint.fips, **counters}
        with contextlib.suppress(OSError):
            atomic_write_json(state, record)
        stop.wait(0.2)
    return 0


def main(argv: list[str]) -> int:
    if os.path.basename(sys.argv[0]) == "process-agent":
        return process_agent(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: agent {run,version,status,diagnose} [-c CFGPATH]")
        return 0 if argv else 2
    command, args = argv[0], argv[1:]
    if command == "version":
        return cmd_version()
    if command == "diagnose":
        return cmd_diagnose(args)
    if command == "status":
        return cmd_status(args)
    if command in ("run", "start"):
        try:
            return Forwarder(load_config(args)).run()
        except ConfigError as exc:
            log(f"ERROR | {exc}")
            return 1
    print(f'Error: unknown command "{command}" for "agent"', file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
