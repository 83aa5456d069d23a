"""Ansible against booted test hosts: the real ``ssh`` connection to sshd inside each host.

The hosts have no network of their own. ssh reaches each one's sshd through a
``ProxyCommand`` that runs ``nc 127.0.0.1 22`` inside the host's network
namespace (``nsenter --net``), so Ansible's own connection plugin, its
ControlPersist multiplexing and pipelining are all in play. The collection is
installed from the tarball ``make dist`` builds, as an operator would, into a
private collections path; nothing of the test machine's Ansible set-up is used.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .host import TestHost
from .util import REPO, host_run, make_target

ANSIBLE_BIN = REPO / ".venv-ansible" / "bin"
PLAYBOOK = REPO / "docs" / "ansible" / "fips-proxy.yml"
AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"
GROUP = "datadog_agents"
#: ``PLAY RECAP`` lines: ``debian : ok=3 changed=1 unreachable=0 failed=0 ...``.
_RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$", re.MULTILINE)


def build_collection() -> Path:
    """The collection tarball (``make collection``: the zipapp inside), built once per call."""
    make_target("collection")
    tarballs = sorted((REPO / "dist").glob("fips_setup-datadog-*.tar.gz"))
    if not tarballs:
        raise RuntimeError("make collection built no dist/fips_setup-datadog-*.tar.gz")
    return tarballs[-1]


@dataclass(frozen=True)
class PlaybookRun:
    """One ``ansible-playbook`` run: its exit status, output and per-host recap."""

    argv: List[str]
    returncode: int
    output: str  # stdout and stderr, interleaved as Ansible wrote them
    seconds: float

    def recap(self) -> Dict[str, Dict[str, int]]:
        """``{host: {"ok": n, "changed": n, "failed": n, ...}}`` from the PLAY RECAP."""
        tail = self.output[self.output.rfind("PLAY RECAP") :]
        return {
            m["host"]: {k: int(v) for k, v in (p.split("=") for p in m["counts"].split())}
            for m in _RECAP.finditer(tail)
        }


class Fleet:
    """Booted hosts as an Ansible inventory (group ``datadog_agents``), and a controller."""

    def __init__(self, hosts: Mapping[str, TestHost], collection: Path, workdir: Path) -> None:
        self.hosts = dict(hosts)
        self.dir = Path(tempfile.mkdtemp(prefix="ansible-", dir=workdir))
        self.key = self.dir / "id_ed25519"
        host_run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key])
        public = self.key.with_suffix(".pub").read_text()
        for host in self.hosts.values():
            host.run(["install", "-d", "-m", "700", "/root/.ssh"])
            host.write_file(AUTHORIZED_KEYS, public, mode=0o600)
        self.collections = self.dir / "collections"
        self._ansible(
            [
                "ansible-galaxy",
                "collection",
                "install",
                "-p",
                str(self.collections),
                str(collection),
            ]
        )
        self.inventory = self.dir / "inventory.ini"
        self.write_inventory()
        (self.dir / "ansible.cfg").write_text(
            "[defaults]\n"
            f"collections_path = {self.collections}\n"
            "host_key_checking = False\n"
            "interpreter_python = /usr/bin/python3\n"
            "forks = 10\n"
            "nocolor = True\n"
            "retry_files_enabled = False\n"
            f"local_tmp = {self.dir / 'tmp'}\n"
            "[ssh_connection]\n"
            "pipelining = True\n"
            f"control_path_dir = {self.dir / 'cp'}\n"
            "ssh_args = -o ControlMaster=auto -o ControlPersist=120s"
            " -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no"
            " -o IdentitiesOnly=yes -o LogLevel=ERROR\n"
        )

    def write_inventory(self, order: Optional[Sequence[str]] = None) -> None:
        """The inventory, hosts in ``order`` (default: as given), each reached through nsenter."""
        lines = [f"[{GROUP}]"]
        for name in order or list(self.hosts):
            proxy = f"nsenter --target {self.hosts[name].pid} --net nc 127.0.0.1 22"
            lines.append(
                f"{name} ansible_host={name} ansible_user=root"
                f" ansible_ssh_private_key_file={self.key}"
                f" ansible_ssh_common_args='-o ProxyCommand=\"{proxy}\"'"
            )
        self.inventory.write_text("\n".join(lines) + "\n")

    def _env(self) -> Dict[str, str]:
        return {
            "PATH": f"{ANSIBLE_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.dir),
            "LANG": "C.UTF-8",
            "ANSIBLE_CONFIG": str(self.dir / "ansible.cfg"),
        }

    def _ansible(
        self, argv: Sequence[str], timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            env=self._env(),
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=True,
        )

    def playbook(
        self, *options: str, playbook: Path = PLAYBOOK, extra_vars: Optional[Dict[str, str]] = None
    ) -> PlaybookRun:
        """Run ``ansible-playbook -i INVENTORY PLAYBOOK OPTIONS -e K=V...``; never raises on failure."""
        argv = [str(ANSIBLE_BIN / "ansible-playbook"), "-i", str(self.inventory), str(playbook)]
        for key, value in (extra_vars or {}).items():
            argv += ["-e", f"{key}={value}"]
        argv += list(options)
        started = time.monotonic()
        proc = subprocess.run(
            argv,
            env=self._env(),
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
            check=False,
        )
        return PlaybookRun(argv, proc.returncode, proc.stdout, time.monotonic() - started)

    def info(self, *module_args: str, hosts: str = GROUP) -> Dict[str, Dict[str, Any]]:
        """Each host's ``fips_setup.datadog.fips_proxy_info`` result, as data.

        An ad hoc ``ansible HOSTS -b -m fips_setup.datadog.fips_proxy_info -a ARGS``
        whose ``--tree`` folder holds one JSON result per host.
        """
        tree = Path(tempfile.mkdtemp(prefix="tree-", dir=self.dir))
        argv = [str(ANSIBLE_BIN / "ansible"), hosts, "-i", str(self.inventory), "-b"]
        argv += ["-m", "fips_setup.datadog.fips_proxy_info", "--tree", str(tree)]
        argv += ["-a", " ".join(module_args)] if module_args else []
        self._ansible(argv)
        return {path.name: json.loads(path.read_text()) for path in tree.iterdir()}

    def close(self) -> None:
        """Stop the ssh control masters and delete the controller's files."""
        control = self.dir / "cp"
        if control.is_dir():
            for socket in control.iterdir():
                subprocess.run(
                    ["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "x"],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    check=False,
                    timeout=10,
                )
        shutil.rmtree(self.dir, ignore_errors=True)


def ansible_prerequisites() -> List[str]:
    """What the Ansible scenarios need beyond the e2e harness (empty: all there)."""
    missing = []
    if not (ANSIBLE_BIN / "ansible-playbook").exists():
        missing.append(f"no {ANSIBLE_BIN}/ansible-playbook (make .venv-ansible/stamp)")
    missing += [f"no {tool} (openssh-client, netcat-openbsd)" for tool in ("ssh", "ssh-keygen", "nc")
                if shutil.which(tool) is None]  # fmt: skip
    return missing
