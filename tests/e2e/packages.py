"""Stand-in Datadog packages, built as .deb and .rpm.

``datadog-agent``, its FIPS variant ``datadog-fips-agent`` (the same program, files,
service and paths, and like the real one no Conflicts/Replaces with
``datadog-agent``: the two cannot both be installed because their files clash),
``datadog-fips-proxy``, and ``datadog-signing-keys`` (deb only). Sources are under
``packages/``; the packages carry the real names, paths, user, units and version
scheme (epoch 1, release 1; pre-releases like ``7.53.0~rc.1``) of DESIGN §2. The
rpm packages require nothing (``AutoReqProv: no``): the rpm database of the
Debian-based test host is empty.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from .util import E2E_DIR, REPO, host_run, shared_dir

SOURCES = E2E_DIR / "packages"
DEFAULT_AGENT_VERSION = "7.50.3"
DEFAULT_FIPS_AGENT_VERSION = "7.65.2"
DEFAULT_PROXY_VERSION = "1.1.17"
#: From 7.84 the Agent's payloads run under dd-procmgrd (datadog-agent-procmgr.service).
PROCMGR_VERSION = (7, 84)
PROCMGR_UNIT = "datadog-agent-procmgr.service"
AGENT_PACKAGE = "datadog-agent"
FIPS_AGENT_PACKAGE = "datadog-fips-agent"
SIGNING_KEYS_KEYRING = "/opt/datadog-signing-keys/datadog-archive-keyring.gpg"
MAINTAINER = "fips-setup e2e tests <e2e@example.invalid>"
#: deb architecture -> rpm architecture
RPM_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Package:
    """A built package file."""

    name: str
    version: str
    kind: str  # "deb" or "rpm"
    path: Path


def deb_arch() -> str:
    return host_run(["dpkg", "--print-architecture"]).decode().strip()


def agent_example(version: str) -> bytes:
    """The ``datadog.yaml.example`` the Agent package ships.

    The vendor's from ``../shared/fixtures`` (the 7.45 one for Agents up to 7.45);
    without shared/, a short one of the same shape kept beside the package's sources.
    From 7.84 the 2026 form, generated from the Agent's schema (``tests/fixtures``;
    the first release shipping it is not named by the vendor's sources).
    """
    fixtures = shared_dir() / "fixtures" / "datadog-agent"
    old = fixtures / "datadog.yaml.example-7.45"
    if _version_tuple(version) < (7, 46) and old.is_file():
        return old.read_bytes()
    if _version_tuple(version) >= PROCMGR_VERSION:  # the schema-generated form (tests/fixtures)
        return (REPO / "tests/fixtures/datadog-agent/datadog-agent_linux.yaml.example").read_bytes()
    if (fixtures / "datadog.yaml.example").is_file():
        return (fixtures / "datadog.yaml.example").read_bytes()
    return (SOURCES / "datadog-agent" / "datadog.yaml.example").read_bytes()


def proxy_cfg_example(version: str) -> str:
    """The ``datadog-fips-proxy.cfg.example`` a proxy package of ``version`` ships by default."""
    template = (SOURCES / "datadog-fips-proxy" / "datadog-fips-proxy.cfg.example.in").read_text()
    return template.replace("@PROXY_VERSION@", version)


def _version_tuple(version: str) -> Tuple[int, ...]:
    """``7.50.3`` -> (7, 50, 3); a pre-release ``7.53.0~rc.1`` -> (7, 53, 0)."""
    return tuple(int(re.sub(r"\D.*", "", part) or 0) for part in version.split(".")[:3])


class _Stage:
    """A package's file tree being assembled."""

    def __init__(self, root: Path) -> None:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        self.root = root

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode)

    def symlink(self, path: str, target: str) -> None:
        link = self.root / path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)

    def dir(self, path: str) -> None:
        (self.root / path.lstrip("/")).mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class _Spec:
    """What a package is made of, independent of its format."""

    name: str
    version: str
    summary: str
    deb_depends: str
    owned: Tuple[str, ...]  # top-level paths the rpm owns (directories recursively)
    scripts: Dict[str, str]  # "preinst" / "postinst" / "prerm" -> shell body


class PackageBuilder:
    """Builds (and remembers) stand-in packages under ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.deb_arch = deb_arch()
        self.rpm_arch = RPM_ARCH.get(self.deb_arch, self.deb_arch)
        self._built: Dict[Tuple[str, str, str, str], Package] = {}

    def agent(
        self, version: str = DEFAULT_AGENT_VERSION, kind: str = "deb", package: str = AGENT_PACKAGE
    ) -> Package:
        """``datadog-agent`` ``version`` (e.g. 7.44.1, 7.50.3, 7.53.0~rc.1) as a deb or an rpm.

        ``package="datadog-fips-agent"`` builds the FIPS Agent instead (see :meth:`fips_agent`).
        """
        cache_key = (package, version, kind, "")
        if cache_key not in self._built:
            self._built[cache_key] = self._build(
                self._agent_spec(version, package),
                kind,
                lambda stage, unit_dir: self._agent_tree(stage, unit_dir, version, package),
            )
        return self._built[cache_key]

    def fips_agent(
        self,
        version: str = DEFAULT_FIPS_AGENT_VERSION,
        kind: str = "deb",
        failing_script: Optional[str] = None,
    ) -> Package:
        """``datadog-fips-agent`` ``version`` (7.65 and later): the Agent's variant.

        Same files, service and paths as ``datadog-agent``; its ``status`` says
        ``FIPS Mode: enabled``, it ignores ``fips.*`` and sends straight to the
        intake over TLS, marking its requests ``X-E2E-Package: datadog-fips-agent``.
        ``failing_script`` ("preinst" or "postinst"): a broken package whose
        script of that name fails (exit 1) on installation.
        """
        if failing_script is None:
            return self.agent(version, kind, FIPS_AGENT_PACKAGE)
        cache_key = (FIPS_AGENT_PACKAGE, version, kind, failing_script)
        if cache_key not in self._built:
            spec = self._agent_spec(version, FIPS_AGENT_PACKAGE)
            fail = f'echo "{failing_script} of {FIPS_AGENT_PACKAGE} fails (e2e test)" >&2\nexit 1\n'
            scripts = {**spec.scripts, failing_script: fail + spec.scripts[failing_script]}
            self._built[cache_key] = self._build(
                replace(spec, scripts=scripts),
                kind,
                lambda stage, unit_dir: self._agent_tree(
                    stage, unit_dir, version, FIPS_AGENT_PACKAGE
                ),
                suffix=f"failing-{failing_script}",
            )
        return self._built[cache_key]

    def signing_keys(self, keyring: bytes, version: str = "1.4.0", kind: str = "deb") -> Package:
        """``datadog-signing-keys`` shipping ``keyring`` (binary), deb only, as the real one.

        Its postinst copies the keyring to ``/usr/share/keyrings/datadog-archive-keyring.gpg``
        (the file apt's ``signed-by=`` names), so key rotations reach apt.
        """
        if kind != "deb":
            raise ValueError("datadog-signing-keys exists as a deb only")
        digest = hashlib.sha256(keyring).hexdigest()[:12]
        cache_key = ("datadog-signing-keys", version, kind, digest)
        if cache_key not in self._built:
            spec = _Spec(
                name="datadog-signing-keys",
                version=version,
                summary="Stand-in Datadog package signing keys (fips-setup e2e tests)",
                deb_depends="",
                owned=("/opt/datadog-signing-keys",),
                scripts=_scripts("datadog-signing-keys"),
            )

            def tree(stage: _Stage, unit_dir: str) -> None:
                stage.file(SIGNING_KEYS_KEYRING, keyring)

            self._built[cache_key] = self._build(spec, kind, tree, suffix=digest)
        return self._built[cache_key]

    def fips_proxy(
        self,
        version: str = DEFAULT_PROXY_VERSION,
        kind: str = "deb",
        cfg_example: Optional[str] = None,
    ) -> Package:
        """``datadog-fips-proxy`` ``version``; ``cfg_example`` replaces the shipped example.

        By default the example is ``proxy_cfg_example(version)``, which names the
        version, so two versions always ship different examples.
        """
        text = proxy_cfg_example(version) if cfg_example is None else cfg_example
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        cache_key = ("datadog-fips-proxy", version, kind, digest)
        if cache_key not in self._built:
            spec = _Spec(
                name="datadog-fips-proxy",
                version=version,
                summary="Stand-in Datadog Agent FIPS Proxy (fips-setup e2e tests)",
                deb_depends="haproxy",
                owned=(
                    "/opt/datadog-fips-proxy",
                    "/etc/datadog-fips-proxy",
                    "/usr/lib/systemd/system/datadog-fips-proxy.service",
                ),
                scripts=_scripts("datadog-fips-proxy"),
            )

            def tree(stage: _Stage, unit_dir: str) -> None:
                src = SOURCES / "datadog-fips-proxy"
                stage.file(
                    "/opt/datadog-fips-proxy/embedded/sbin/haproxy",
                    (src / "haproxy").read_bytes(),
                    0o755,
                )
                stage.file("/etc/datadog-fips-proxy/datadog-fips-proxy.cfg.example", text.encode())
                stage.file(
                    f"{unit_dir}/datadog-fips-proxy.service",
                    (src / "datadog-fips-proxy.service").read_bytes(),
                )

            self._built[cache_key] = self._build(spec, kind, tree, suffix=digest)
        return self._built[cache_key]

    # -- the Agent ---------------------------------------------------------------

    def _agent_spec(self, version: str, package: str) -> _Spec:
        flavor = "FIPS Agent" if package == FIPS_AGENT_PACKAGE else "Agent"
        return _Spec(
            name=package,
            version=version,
            summary=f"Stand-in Datadog {flavor} (fips-setup e2e tests)",
            deb_depends="python3, python3-yaml",
            owned=(
                "/opt/datadog-agent",
                "/etc/datadog-agent",
                "/usr/bin/datadog-agent",
                "/usr/lib/systemd/system/datadog-agent.service",
                *(
                    [f"/usr/lib/systemd/system/{PROCMGR_UNIT}"]
                    if _version_tuple(version) >= PROCMGR_VERSION
                    else []
                ),
            ),
            scripts=_scripts("datadog-agent"),
        )

    def _agent_tree(self, stage: _Stage, unit_dir: str, version: str, package: str) -> None:
        src = SOURCES / "datadog-agent"
        commit = hashlib.sha1(f"{package} {version}".encode()).hexdigest()[:9]
        program = (src / "agent.py").read_text()
        for placeholder, value in (("VERSION", version), ("COMMIT", commit), ("PACKAGE", package)):
            program = program.replace(f"@AGENT_{placeholder}@", value)
        stage.file("/opt/datadog-agent/bin/agent/agent", program.encode(), 0o755)
        stage.symlink("/opt/datadog-agent/embedded/bin/python3", "/usr/bin/python3")
        stage.symlink("/usr/bin/datadog-agent", "/opt/datadog-agent/bin/agent/agent")
        stage.file("/etc/datadog-agent/datadog.yaml.example", agent_example(version))
        for example in ("system-probe.yaml.example", "security-agent.yaml.example"):
            stage.file(f"/etc/datadog-agent/{example}", (src / example).read_bytes())
        stage.dir("/etc/datadog-agent/conf.d")
        unit = (src / "datadog-agent.service").read_text()
        if _version_tuple(version) >= PROCMGR_VERSION:
            # 7.84's layout: dd-procmgrd, bound to the Agent's unit, runs the process Agent
            unit = unit.replace(
                "After=network.target\n", f"After=network.target\nWants={PROCMGR_UNIT}\n"
            )
            for name in ("dd-procmgrd", "dd-procmgr"):
                stage.file(
                    f"/opt/datadog-agent/embedded/bin/{name}", (src / name).read_bytes(), 0o755
                )
            stage.symlink("/opt/datadog-agent/embedded/bin/process-agent", "../../bin/agent/agent")
            stage.file(
                "/opt/datadog-agent/processes.d/datadog-agent-process.yaml",
                (src / "datadog-agent-process.yaml").read_bytes(),
            )
            stage.file(f"{unit_dir}/{PROCMGR_UNIT}", (src / PROCMGR_UNIT).read_bytes())
        stage.file(f"{unit_dir}/datadog-agent.service", unit.encode())

    # -- formats -----------------------------------------------------------------

    def _build(
        self, spec: _Spec, kind: str, tree: Callable[[_Stage, str], None], suffix: str = ""
    ) -> Package:
        name = f"{spec.name}-{spec.version}{'-' + suffix if suffix else ''}-{kind}"
        stage = _Stage(self.workdir / "stage" / name)
        # Debian keeps units in /lib/systemd/system, RHEL and SUSE in /usr/lib/systemd/system
        # (the same directory on the merged-/usr test host).
        unit_dir = "/lib/systemd/system" if kind == "deb" else "/usr/lib/systemd/system"
        tree(stage, unit_dir)
        out = self.workdir / "out" / name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        if kind == "deb":
            path = self._deb(spec, stage, out)
        elif kind == "rpm":
            path = self._rpm(spec, stage, out)
        else:
            raise ValueError(f"unknown package kind {kind!r}")
        return Package(name=spec.name, version=spec.version, kind=kind, path=path)

    def _deb(self, spec: _Spec, stage: _Stage, out: Path) -> Path:
        control = (
            f"Package: {spec.name}\n"
            f"Version: 1:{spec.version}-1\n"
            f"Architecture: {self.deb_arch}\n"
            f"Maintainer: {MAINTAINER}\n"
            + (f"Depends: {spec.deb_depends}\n" if spec.deb_depends else "")
            + "Section: utils\n"
            "Priority: optional\n"
            f"Description: {spec.summary}\n"
        )
        stage.file("/DEBIAN/control", control.encode())
        wrappers = {
            "preinst": ('if [ "$1" = install ] || [ "$1" = upgrade ]; then\n', "fi\n"),
            "postinst": ('if [ "$1" = configure ]; then\n', "fi\n"),
            "prerm": ('if [ "$1" = remove ]; then\n', "fi\n"),
        }
        for script, (head, tail) in wrappers.items():
            body = "#!/bin/sh\nset -e\n" + head + spec.scripts[script] + tail
            stage.file(f"/DEBIAN/{script}", body.encode(), 0o755)
        path = out / f"{spec.name}_{spec.version}-1_{self.deb_arch}.deb"
        host_run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", stage.root, path])
        return path

    def _rpm(self, spec: _Spec, stage: _Stage, out: Path) -> Path:
        text = "\n".join(
            [
                f"Name: {spec.name}",
                f"Version: {spec.version}",
                "Release: 1",
                "Epoch: 1",
                f"Summary: {spec.summary}",
                "License: Apache-2.0",
                "AutoReqProv: no",
                "%global debug_package %{nil}",
                "%global __os_install_post %{nil}",
                "%global _build_id_links none",
                "%description",
                spec.summary,
                "%install",
                f"cp -a {stage.root}/. %{{buildroot}}/",
                "%files",
                *spec.owned,
                *_lua_scriptlet("%pre", spec.scripts["preinst"]),
                *_lua_scriptlet("%post", spec.scripts["postinst"]),
                *_lua_scriptlet("%preun", spec.scripts["prerm"], only_if='[ "$1" -eq 0 ]'),
                "",
            ]
        )
        spec_file = out / f"{spec.name}.spec"
        spec_file.write_text(text)
        host_run(
            [
                "rpmbuild",
                "-bb",
                "--define",
                f"_topdir {out / 'rpmbuild'}",
                "--define",
                f"_rpmdir {out}",
                "--define",
                "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
                "--target",
                self.rpm_arch,
                spec_file,
            ]
        )
        return out / f"{spec.name}-{spec.version}-1.{self.rpm_arch}.rpm"


def _lua_scriptlet(section: str, body: str, only_if: str = "") -> List[str]:
    """An rpm scriptlet running ``body`` with /bin/sh from rpm's built-in Lua.

    A plain shell scriptlet makes rpmbuild add ``Requires: /bin/sh``, which nothing
    in the test host's (empty) rpm database provides; a Lua one requires nothing.
    ``$1`` is the scriptlet's instance count, as in a shell scriptlet.
    """
    script = f"if {only_if}; then\n{body}fi\n" if only_if else body
    if "]==]" in script:
        raise ValueError("scriptlet body contains the Lua long-string terminator")
    return [
        f"{section} -p <lua>",
        f'local ok, err = rpm.execute("/bin/sh", "-e", "-c", [==[{script}]==], "sh", '
        "tostring(arg[2]))",
        'if not ok then error("scriptlet failed: " .. tostring(err)) end',
    ]


def _scripts(package: str) -> Dict[str, str]:
    src = SOURCES / package
    return {name: (src / f"{name}.sh").read_text() for name in ("preinst", "postinst", "prerm")}
