"""The proxy's configuration file: created from the package's example, kept current."""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple, Optional

from fipsconf import proxy_cfg
from fipsconf.errors import DocumentError
from installer.errors import PreconditionError
from installer.files import (
    Ownership,
    atomic_write,
    ownership_of,
    read_bytes,
)
from installer.host import Host
from installer.results import FileDiff, Template

PROXY_CONFIG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
PROXY_EXAMPLE = PROXY_CONFIG + ".example"
PROXY_USER = "dd-agent"
CONFIG_MODE = 0o640


def proxy_ownership(host: Host) -> Ownership:
    """``dd-agent:dd-agent``, mode 640, as the vendor documentation asks.

    Raises PreconditionError when the account is missing (no Agent installed).
    """
    ids = host.account_ids(PROXY_USER)
    if ids is None:
        raise PreconditionError(
            f"user or group {PROXY_USER!r} does not exist; is the Agent installed?"
        )
    return Ownership(ids[0], ids[1], CONFIG_MODE)


class ProxyConfigChange(NamedTuple):
    """What the proxy's configuration is and will be."""

    path: Path
    before: Optional[bytes]
    after: bytes
    reason: str  # "create", "adjust", "refresh" or "" (no change)
    stale: bool  # differs from what the package's example gives
    example: str = ""  # a new file's template: the package's example (empty otherwise)

    def diff(self) -> FileDiff:
        """The change for the diff list; people see a new file as a change of its example."""
        template = Template(PROXY_EXAMPLE, self.example) if self.before is None else None
        before = self.before.decode("utf-8") if self.before is not None else ""
        return FileDiff(str(self.path), before, self.after.decode("utf-8"), template)

    @property
    def changed(self) -> bool:
        """True when the file must be written."""
        return self.before != self.after


def plan_proxy_config(
    host: Host,
    *,
    port_start: Optional[int],
    address: Optional[str],
    refresh: bool,
) -> ProxyConfigChange:
    """Compute the proxy configuration from the example and the Agent's settings.

    A first install copies the example; later runs keep the existing file
    (adjusting only its ports or address when asked). With ``refresh``, a
    file that differs from what the example gives is replaced by it, keeping
    its DNS ``nameserver`` lines. Raises FileAccessError or DocumentError.
    """
    path = host.path(PROXY_CONFIG)
    example_path = host.path(PROXY_EXAMPLE)
    try:
        example = read_bytes(example_path).decode("utf-8")
        current = read_bytes(path).decode("utf-8") if path.exists() else None
    except UnicodeDecodeError:
        raise DocumentError(f"{path} or its example is not valid UTF-8") from None
    try:
        if current is None:
            after = proxy_cfg.render(example, port_start=port_start, address=address)
            return ProxyConfigChange(path, None, after.encode(), "create", False, example)
        from_example = proxy_cfg.render(
            example,
            port_start=port_start or proxy_cfg.port_range_start(current),
            address=address or _address_if_changed(current, example),
            keep_nameservers_of=current,
        )
        # where the nameserver lines sit is the operator's (or dns set's) choice
        stale = proxy_cfg.without_dns_lines(from_example) != proxy_cfg.without_dns_lines(current)
        if refresh and stale:
            return ProxyConfigChange(
                path, current.encode(), from_example.encode(), "refresh", False
            )
        adjusted = current
        if port_start is not None:
            adjusted = proxy_cfg.with_port_range_start(adjusted, port_start)
        if address is not None and proxy_cfg.local_address(adjusted) != address:
            adjusted = proxy_cfg.with_local_address(adjusted, address)
    except DocumentError as exc:
        raise exc.in_file(path) from None
    reason = "adjust" if adjusted != current else ""
    return ProxyConfigChange(path, current.encode(), adjusted.encode(), reason, stale)


def _address_if_changed(current: str, example: str) -> Optional[str]:
    mine = proxy_cfg.local_address(current)
    return mine if mine != proxy_cfg.local_address(example) else None


def write_proxy_config(host: Host, change: ProxyConfigChange) -> None:
    """Write the new configuration; a refreshed file's old version is kept as a backup."""
    if change.reason == "refresh" and change.before is not None:
        backup = change.path.with_name(
            change.path.name + time.strftime(".bak-%Y%m%d%H%M%S", time.gmtime())
        )
        original = ownership_of(change.path)
        atomic_write(backup, change.before, new_file=original)
    atomic_write(
        change.path,
        change.after,
        expect=change.before,
        new_file=proxy_ownership(host),
    )


def listen_targets(text: str) -> list[tuple[str, int]]:
    """Where the proxy listens: (address to probe, port) for each bind."""
    preset = proxy_cfg.local_address(text) or "127.0.0.1"
    targets = []
    for bind in proxy_cfg.binds(text):
        address = bind.address
        if "${" in address:
            address = preset
        if address in ("", "*", "0.0.0.0", "::", "[::]"):
            address = "127.0.0.1"
        targets.append((address.strip("[]"), bind.port))
    return targets
