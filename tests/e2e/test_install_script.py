"""The one-step install script on booted hosts (issues 5, 14 and 13's script part, 18, 19).

A bare host knows neither the Datadog repository nor its key; the script checks
the mirror's signing key (``DD_REPO_URL``, a ``file://`` copy laid out like
Datadog's, signed by the tests' key: ``DD_REPO_KEY_FINGERPRINTS`` trusts it),
resolves the Agent version against the repository, sets both up, installs the
Agent, and hands over to the fips-setup zipapp (``FIPS_SETUP_PYZ``) run with the
Agent's python3. It runs exactly as the README shows it, ``bash -c "$(cat
script)"``, as root and as a user with sudo. Meanwhile a sampler reads every
process's command line and environment: the API key (and a mirror's password)
must never appear in a command line, nor in the environment of anything but the
shells, sudo and fips-setup, nor in any file the install leaves readable by others.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable, Dict, Optional

import pytest

from .harness import API_KEY, DATADOG_YAML, Harness
from .host import DIRECT_SNI, PROXY_METRICS_SNI, TOOLKIT_PYZ, TestHost
from .image import cache_root
from .packages import Package
from .repos import APT_SOURCE, REPO_MOUNT, YUM_REPO, ZYPP_REPO, SigningKey, apt_source_line
from .util import REPO, CommandError, host_run

pytestmark = pytest.mark.e2e

APT_AUTH = "/etc/apt/auth.conf.d/datadog.conf"
ZYPP_CREDENTIALS = "/etc/zypp/credentials.d/datadog"

MakeHost = Callable[..., TestHost]
SCRIPT = (REPO / "scripts" / "install_script_agent7.sh").read_text()
PROXY_CFG = "/etc/datadog-fips-proxy/datadog-fips-proxy.cfg"
SECURITY_AGENT = "/etc/datadog-agent/security-agent.yaml"
SYSTEM_PROBE = "/etc/datadog-agent/system-probe.yaml"
INSTALL_INFO = "/etc/datadog-agent/install_info"
SAMPLER_DIR = "/run/sampler"
#: Processes that may hold the key in their environment: the shells running the script,
#: sudo, the test harness's nsenter/runuser, and fips-setup itself (python3).
MAY_HOLD_THE_KEY = {"bash", "sudo", "nsenter", "runuser", "python3"}
#: A mirror's password reaches no program at all but the shells that read it.
MAY_HOLD_THE_MIRROR_TOKEN = {"bash", "sudo", "nsenter", "runuser"}
# Reads /proc/*/cmdline and /proc/*/environ in a loop until told to stop; the secrets come
# from a root-only file (one a line: the API key first) so that the sampler's own command
# line does not hold them. Per secret: the command lines that held it, who had it in the
# environment.
SAMPLER = f"""
import json, os, pathlib, time
secrets = pathlib.Path("{SAMPLER_DIR}/key").read_bytes().split()
argv_hits, env_hits, rounds = [], {{s.decode(): set() for s in secrets}}, 0
while not os.path.exists("{SAMPLER_DIR}/stop"):
    rounds += 1
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            line = pathlib.Path(f"/proc/{{pid}}/cmdline").read_bytes()
            comm = pathlib.Path(f"/proc/{{pid}}/comm").read_text().strip()
            environ = pathlib.Path(f"/proc/{{pid}}/environ").read_bytes()
            again = pathlib.Path(f"/proc/{{pid}}/comm").read_text().strip()
        except OSError:
            continue
        if again != comm:  # it exec'd between the reads: a shell's fork becoming head, say
            environ = b""
        for number, secret in enumerate(secrets):
            if secret in line:
                argv_hits.append(line.replace(secret, b"<SECRET%d>" % number).decode(errors="replace"))
            if secret in environ:
                env_hits[secret.decode()].add(comm)
    time.sleep(0.01)
environ = {{number: sorted(env_hits[s.decode()]) for number, s in enumerate(secrets)}}
result = {{"argv": argv_hits, "environ": environ[0], "secrets_environ": environ, "rounds": rounds}}
pathlib.Path("{SAMPLER_DIR}/result.json").write_text(json.dumps(result))
"""
#: A mirror that asks for a user and password (issue 18 point 9): HTTPS with the intake's
#: certificate (``*.ddog-gov.com``, from the tests' CA, which the host trusts) on
#: ``mirror.ddog-gov.com:8443``, serving the host's Datadog repository.
MIRROR_DIR = "/run/e2e-mirror"
MIRROR_USER = "e2e-mirror"
MIRROR_TOKEN = "mT0k3n-9c4e7a21b5"
MIRROR_URL = f"https://{MIRROR_USER}:{MIRROR_TOKEN}@mirror.ddog-gov.com:8443/"
MIRROR_SERVER = f"""
import base64, functools, http.server, json, pathlib, ssl
user, token = pathlib.Path("{MIRROR_DIR}/credentials").read_text().split()
expected = "Basic " + base64.b64encode(f"{{user}}:{{token}}".encode()).decode()
stats = {{"authorized": 0, "refused": 0}}

class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TLS handshake for many downloads

    def log_message(self, *args):
        pass

    def allowed(self):
        ok = self.headers.get("Authorization") == expected
        stats["authorized" if ok else "refused"] += 1
        pathlib.Path("{MIRROR_DIR}/stats.json").write_text(json.dumps(stats))
        if not ok:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="mirror"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        return ok

    def do_GET(self):
        if self.allowed():
            super().do_GET()

    def do_HEAD(self):
        if self.allowed():
            super().do_HEAD()

handler = functools.partial(Handler, directory="{REPO_MOUNT}")
server = http.server.ThreadingHTTPServer(("127.0.0.1", 8443), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain("/etc/fips-e2e-intake/intake.crt", "/etc/fips-e2e-intake/intake.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""
ENVIRONMENT = {
    "DD_API_KEY": API_KEY,
    "DD_SITE": "ddog-gov.com",
    "DD_FIPS_MODE": "1",
    "DD_HOSTNAME": "fed-web-01",
    "DD_ENV": "prod",
    "DD_TAGS": 'team:fed,path:/srv/app,quote:"x"',
    "DD_REPO_URL": f"file://{REPO_MOUNT}",
    "DD_RPM_REPO_GPGCHECK": "1",  # a custom repository's default is off, as in Datadog's script
    "FIPS_SETUP_PYZ": TOOLKIT_PYZ,
}


RunScript = Callable[..., "tuple[int, str]"]


def bare_host(make_host: MakeHost, family: str, **options: object) -> TestHost:
    host = make_host(family=family, agent_installed=False, repo_configured=False, **options)
    host.install_toolkit()
    return host


@pytest.fixture
def run_script(e2e_harness: Harness) -> RunScript:
    """``bash -c "$(cat install_script_agent7.sh)"`` with ENVIRONMENT and ``env`` (None unsets).

    The mirror is signed by the tests' key, trusted through DD_REPO_KEY_FINGERPRINTS.
    Returns the exit status and the output.
    """

    def run(
        host: TestHost, env: Optional[Dict[str, Optional[str]]] = None, user: Optional[str] = None
    ) -> tuple[int, str]:
        fingerprint = e2e_harness.trusted_key.fingerprint
        wanted = {**ENVIRONMENT, "DD_REPO_KEY_FINGERPRINTS": fingerprint, **(env or {})}
        environment = {name: value for name, value in wanted.items() if value is not None}
        argv = ["bash", "-c", SCRIPT]
        result = host.run(argv, env=environment, check=False, timeout=600, user=user)
        return result.returncode, result.stdout + result.stderr

    return run


def start_sampler(host: TestHost, *more_secrets: str) -> None:
    host.run(["mkdir", "-p", "-m", "700", SAMPLER_DIR])
    host.write_file(f"{SAMPLER_DIR}/key", "\n".join([API_KEY, *more_secrets]), mode=0o600)
    host.write_file(f"{SAMPLER_DIR}/sampler.py", SAMPLER)
    host.run(["systemd-run", "--unit=key-sampler", "python3", f"{SAMPLER_DIR}/sampler.py"])


def stop_sampler(host: TestHost) -> dict[str, object]:
    host.write_file(f"{SAMPLER_DIR}/stop", "")
    result = f"{SAMPLER_DIR}/result.json"
    host.run(["sh", "-c", f"while [ ! -e {result} ]; do sleep 0.05; done"], timeout=20)
    data: dict[str, object] = json.loads(host.read_file(result))
    return data


def start_mirror(host: TestHost) -> None:
    """The mirror asking for MIRROR_USER and MIRROR_TOKEN (its command line holds neither)."""
    host.run(["mkdir", "-p", "-m", "700", MIRROR_DIR])
    host.write_file(f"{MIRROR_DIR}/credentials", f"{MIRROR_USER} {MIRROR_TOKEN}\n", mode=0o600)
    host.write_file(f"{MIRROR_DIR}/server.py", MIRROR_SERVER)
    host.run(["systemd-run", "--unit=e2e-mirror", "python3", f"{MIRROR_DIR}/server.py"])
    host.wait_for_port(8443)


def world_readable_files_with_the_key(host: TestHost, secret: str = API_KEY) -> list[str]:
    """Files holding ``secret`` that others may read (the stand-in intake's records aside)."""
    found = host.run(
        ["grep", "-rlsF", "--exclude-dir=fips-e2e-intake", secret,
         "/etc", "/var", "/opt", "/tmp", "/root", "/srv", "/usr/local", "/run", "/home"],
        check=False,
    ).stdout.split()  # fmt: skip
    readable = []
    for path in found:
        if path.startswith((f"{SAMPLER_DIR}/", f"{MIRROR_DIR}/")):
            continue
        mode = int(host.run(["stat", "-c", "%a", path]).stdout.strip(), 8)
        if mode & 0o004:
            readable.append(f"{path} ({mode:o})")
    return readable


def host_state(host: TestHost) -> dict[str, object]:
    """What "nothing was changed" compares: repository setup, keys, packages, configuration."""
    paths = [
        APT_SOURCE,
        YUM_REPO,
        ZYPP_REPO,
        DATADOG_YAML,
        "/usr/share/keyrings/datadog-archive-keyring.gpg",
    ]
    state: dict[str, object] = {path: host.exists(path) for path in paths}
    state["rpm-keys"] = host.run(["rpm", "-qa", "gpg-pubkey*"], check=False).stdout
    state["pki"] = host.run(["ls", "/etc/pki/rpm-gpg"], check=False).stdout
    state["packages"] = {
        p: host.installed_version(p) for p in ("datadog-agent", "datadog-fips-agent")
    }
    state["tmp"] = host.run(
        ["sh", "-c", "ls -d /tmp/fips-setup-install.* 2>/dev/null || true"]
    ).stdout
    # No gpg-agent the script's checks started (gpg; dnf checking the repository) lives on.
    agents = host.run(["pgrep", "-a", "gpg-agent"], check=False).stdout.splitlines()
    state["agents"] = [line for line in agents if "fips-setup-install" in line]
    return state


def fips_mode(host: TestHost) -> str:
    status = host.run(["datadog-agent", "status"]).stdout
    return next(
        line.split(":", 1)[1].strip() for line in status.splitlines() if "FIPS Mode:" in line
    )


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_a_bare_host_gets_agent_and_proxy_in_one_step_as_a_user_with_sudo_then_as_root(
    make_host: MakeHost, run_script: RunScript, family: str
) -> None:
    host = bare_host(make_host, family)
    assert not host.exists(DATADOG_YAML)
    operator = host.add_sudo_user()
    start_mirror(host)  # the repository, behind a user and password (issue 18 point 9)
    start_sampler(host, MIRROR_TOKEN)
    extra = {
        "DD_RUNTIME_SECURITY_CONFIG_ENABLED": "true",
        "DD_COMPLIANCE_CONFIG_ENABLED": "true",
        "DD_REPO_URL": MIRROR_URL,
        "https_proxy": "http://proxy.invalid:3128",  # the mirror is in no_proxy
        "no_proxy": "localhost,.internal,.ddog-gov.com",
    }

    status, output = run_script(host, extra, user=operator)
    assert status == 0, output
    assert "not root: running again with sudo" in output
    assert "https_proxy is set: curl and the package manager go through that proxy" in output
    assert "(no_proxy: localhost,.internal,.ddog-gov.com)" in output  # kept across sudo
    assert MIRROR_TOKEN not in output
    assert host.is_active("datadog-agent") and host.is_active("datadog-fips-proxy")
    assert fips_mode(host) == "proxy"
    text = host.read_file(DATADOG_YAML)
    assert f"\napi_key: {API_KEY}\n" in text
    assert "\nsite: ddog-gov.com\n" in text
    assert "\nhostname: fed-web-01\n" in text
    assert '\ntags:\n  - "team:fed"\n  - "path:/srv/app"\n  - "quote:\\"x\\""\n' in text
    assert "\nfips:\n  enabled: true\n  https: false\n" in text
    conf = host.stat(DATADOG_YAML)
    assert (conf.owner, conf.group, conf.mode) == ("dd-agent", "dd-agent", 0o640)
    assert "runtime_security_config:\n  enabled: true\n" in host.read_file(SECURITY_AGENT)
    assert "compliance_config:\n  enabled: true\n" in host.read_file(SECURITY_AGENT)
    assert "runtime_security_config:\n  enabled: true\n" in host.read_file(SYSTEM_PROBE)
    security = host.stat(SECURITY_AGENT)
    assert (security.owner, security.group, security.mode) == ("root", "dd-agent", 0o640)
    assert "  tool_version: install_script_agent7\n" in host.read_file(INSTALL_INFO)
    if family == "debian":  # Datadog's key package, so that key rotations keep working
        assert host.installed_version("datadog-signing-keys") == "1:1.4.0-1"
    else:
        assert "repo_gpgcheck=1\n" in host.read_file(YUM_REPO if family == "rhel" else ZYPP_REPO)
    stats = host.wait_for_intake(lambda s: len(s.via_proxy()) >= 5, what="payloads via the proxy")
    assert {r["sni"] for r in stats.series} == {PROXY_METRICS_SNI}
    assert API_KEY not in output

    files = {
        path: host.read_file(path)
        for path in (DATADOG_YAML, SECURITY_AGENT, INSTALL_INFO, PROXY_CFG)
    }
    restarts = {u: host.service_start_timestamp(u) for u in ("datadog-agent", "datadog-fips-proxy")}
    status, output = run_script(host, extra)
    assert status == 0, output
    assert "is installed and was kept" in output
    assert {path: host.read_file(path) for path in files} == files
    assert {u: host.service_start_timestamp(u) for u in restarts} == restarts

    sampled = stop_sampler(host)
    assert isinstance(sampled["rounds"], int) and sampled["rounds"] > 50, "the sampler did not run"
    assert sampled["argv"] == [], sampled["argv"]  # neither the API key nor the mirror's token
    environ = set(sampled["environ"])  # type: ignore[call-overload]
    assert "python3" in environ  # fips-setup got it, as it must: the sampler saw that much
    assert environ <= MAY_HOLD_THE_KEY, environ - MAY_HOLD_THE_KEY
    token_environ = set(sampled["secrets_environ"]["1"])  # type: ignore[index]
    assert token_environ <= MAY_HOLD_THE_MIRROR_TOKEN, token_environ - MAY_HOLD_THE_MIRROR_TOKEN
    assert world_readable_files_with_the_key(host) == []
    assert world_readable_files_with_the_key(host, MIRROR_TOKEN) == []
    credentials = {"debian": APT_AUTH, "rhel": YUM_REPO, "suse": ZYPP_CREDENTIALS}[family]
    holder = host.stat(credentials)
    assert (holder.owner, holder.mode) == ("root", 0o600)
    assert MIRROR_TOKEN in host.read_file(credentials)
    listing = {"debian": APT_SOURCE, "rhel": YUM_REPO, "suse": ZYPP_REPO}[family]
    assert "https://mirror.ddog-gov.com:8443/" in host.read_file(listing)
    served = json.loads(host.read_file(f"{MIRROR_DIR}/stats.json"))
    assert served["authorized"] > 5, served  # keys, indexes and packages came from it
    left = host_state(host)
    assert (left["tmp"], left["agents"]) == ("", [])
    print(
        f"\n{family}: key and mirror token in no command line, the key in no package manager's"
        f" environment ({sampled['rounds']} samples; {served['authorized']} authorized downloads)"
    )


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_versions_resolve_on_the_repository_and_upgrades_happen_only_when_asked(
    make_host: MakeHost, e2e_harness: Harness, run_script: RunScript, family: str
) -> None:
    host = bare_host(make_host, family, more_agent_versions=("7.52.0", "7.52.1", "7.53.0~rc.1"))
    direct = {"DD_FIPS_MODE": None, "DD_URL": "https://app.ddog-gov.com"}
    before = host_state(host)

    # A key nobody vouched for, then a pin the repository lacks: nothing is changed.
    status, output = run_script(host, {**direct, "DD_REPO_KEY_FINGERPRINTS": None})
    assert status == 1 and "is not trusted; nothing was changed" in output, output
    assert host_state(host) == before
    status, output = run_script(host, {**direct, "DD_AGENT_MINOR_VERSION": "51"})
    assert status == 1, output
    assert "the repository has no datadog-agent 7.51 (newest: 7.53.0~rc.1)" in output
    assert host_state(host) == before
    # fips-setup is fetched and checked before the Agent is installed, not after.
    unchecked = {"FIPS_SETUP_PYZ": None, "FIPS_SETUP_PYZ_URL": f"file://{TOOLKIT_PYZ}"}
    status, output = run_script(host, {**direct, **unchecked})
    assert status == 1 and "carries no fips-setup checksum" in output, output
    assert host_state(host) == before

    # A pin resolves to the exact package (epoch and release); FIPS mode off starts the Agent.
    status, output = run_script(host, {**direct, "DD_AGENT_MINOR_VERSION": "52"})
    assert status == 0, output
    assert host.installed_version("datadog-agent") == "1:7.52.1-1"
    assert host.is_active("datadog-agent") and not host.is_active("datadog-fips-proxy")
    assert '\ndd_url: "https://app.ddog-gov.com"\n' in host.read_file(DATADOG_YAML)
    host.wait_for_intake(lambda s: len(s.direct()) >= 3, what="direct payloads")
    assert fips_mode(host) == "disabled"

    status, output = run_script(host, {**direct, "DD_AGENT_MINOR_VERSION": "53.0~rc.1"})
    assert status == 0, output
    assert host.installed_version("datadog-agent") == "1:7.53.0~rc.1-1"

    assert host.repo is not None
    kind = "deb" if family == "debian" else "rpm"
    host.repo.add([e2e_harness.packages.agent("7.54.0", kind)])
    host.repo.publish(e2e_harness.trusted_key)
    started = host.service_start_timestamp("datadog-agent")
    status, output = run_script(host, direct)  # a second plain run changes nothing
    assert status == 0, output
    assert "datadog-agent 7.53.0~rc.1 is installed and was kept" in output
    assert host.installed_version("datadog-agent") == "1:7.53.0~rc.1-1"
    assert host.service_start_timestamp("datadog-agent") == started

    status, output = run_script(host, {**direct, "DD_UPGRADE_AGENT": "true"})
    assert status == 0, output
    assert "datadog-agent upgraded from 7.53.0~rc.1 to 7.54.0" in output
    assert host.installed_version("datadog-agent") == "1:7.54.0-1"
    assert host.is_active("datadog-agent")


def test_install_only_starts_nothing_and_a_later_run_starts_both(
    make_host: MakeHost, e2e_harness: Harness, run_script: RunScript
) -> None:
    host = bare_host(make_host, "debian")
    only = {"DD_INSTALL_ONLY": "true", "DD_TAGS": None, "DD_HOST_TAGS": "team:fed,older:name"}
    status, output = run_script(host, only)
    assert status == 0, output
    assert host.installed_version("datadog-agent") == "1:7.50.3-1"
    assert host.installed_version("datadog-fips-proxy") == "1:1.1.17-1"
    text = host.read_file(DATADOG_YAML)
    assert "\nfips:\n  enabled: true\n" in text
    assert '\ntags:\n  - "team:fed"\n  - "older:name"\n' in text  # DD_HOST_TAGS, the older name
    assert host.exists(PROXY_CFG)
    assert not host.is_active("datadog-agent") and not host.is_active("datadog-fips-proxy")
    assert host.intake_stats().count == 0

    # An upgrade's package scripts restart the Agent (its datadog.yaml exists now): stopped again.
    assert host.repo is not None
    host.repo.add([e2e_harness.packages.agent("7.52.1", "deb")])
    host.repo.publish(e2e_harness.trusted_key)
    status, output = run_script(host, {**only, "DD_UPGRADE_AGENT": "1"})
    assert status == 0, output
    assert host.installed_version("datadog-agent") == "1:7.52.1-1"
    assert "DD_INSTALL_ONLY: stopping datadog-agent, which its package started" in output
    assert not host.is_active("datadog-agent") and not host.is_active("datadog-fips-proxy")

    status, output = run_script(host)
    assert status == 0, output
    assert host.is_active("datadog-agent") and host.is_active("datadog-fips-proxy")
    host.wait_for_intake(lambda s: len(s.via_proxy()) >= 3, what="payloads via the proxy")


def test_an_installed_agent_gets_the_proxy_and_is_not_moved_to_the_fips_agent(
    make_host: MakeHost, e2e_harness: Harness, run_script: RunScript
) -> None:
    host = make_host(family="rhel", fips_agent_versions=("7.65.2",))
    host.install_toolkit()
    assert host.repo is not None  # a newer Agent is published: DD_NO_AGENT_INSTALL must not take it
    host.repo.add([e2e_harness.packages.agent("7.52.1", "rpm")])
    host.repo.publish(e2e_harness.trusted_key)
    no_key = {"DD_API_KEY": None, "DD_HOSTNAME": None, "DD_ENV": None, "DD_TAGS": None}
    status, output = run_script(host, {**no_key, "DD_NO_AGENT_INSTALL": "1"})
    assert status == 0, output
    assert host.installed_version("datadog-agent") == "1:7.50.3-1"  # not upgraded
    assert host.is_active("datadog-fips-proxy")
    host.wait_for_intake(lambda s: len(s.via_proxy()) >= 3, what="payloads via the proxy")

    before = (host.read_file(DATADOG_YAML), host_state(host))
    fips_agent = {**no_key, "DD_FIPS_MODE": None, "DD_AGENT_FLAVOR": "datadog-fips-agent"}
    status, output = run_script(host, fips_agent)
    assert status == 1, output
    assert "this host has datadog-agent 7.50.3 and datadog-fips-proxy 1.1.17" in output
    assert "'fips-setup migrate'" in output and "nothing was changed" in output
    assert (host.read_file(DATADOG_YAML), host_state(host)) == before
    assert host.is_active("datadog-agent") and host.is_active("datadog-fips-proxy")


@pytest.mark.parametrize("family", ["debian", "rhel", "suse"])
def test_the_fips_agent_flavor_on_a_bare_host(
    make_host: MakeHost, run_script: RunScript, family: str
) -> None:
    host = bare_host(make_host, family, fips_agent_versions=("7.64.1", "7.65.2"))
    flavor = {"DD_FIPS_MODE": None, "DD_AGENT_FLAVOR": "datadog-fips-agent"}
    status, output = run_script(host, {**flavor, "DD_FIPS_MODE": "1"})
    assert status == 2 and "one or the other" in output, output

    status, output = run_script(host, flavor)
    assert status == 0, output
    assert host.installed_version("datadog-fips-agent") == "1:7.65.2-1"
    assert host.installed_version("datadog-agent") is None
    assert host.installed_version("datadog-fips-proxy") is None
    assert fips_mode(host) == "enabled"
    assert "\nsite: ddog-gov.com\n" in host.read_file(DATADOG_YAML)
    stats = host.wait_for_intake(lambda s: len(s.series) >= 3, what="the FIPS Agent's payloads")
    assert {(r["sni"], r["package"]) for r in stats.series} == {(DIRECT_SNI, "datadog-fips-agent")}
    assert host.agent_stats().package == "datadog-fips-agent"

    status, output = run_script(host, {"DD_AGENT_FLAVOR": None})  # the default flavor, FIPS mode
    assert status == 1, output
    assert "the FIPS Agent (datadog-fips-agent 7.65.2) is installed" in output
    assert host.installed_version("datadog-fips-proxy") is None


# --- a minimal image: gnupg and curl from the distribution, a plan first (issue 19 point 3) ---

#: The host's "distribution" apt repository (Debian's own packages, fetched on this machine).
DISTRIBUTION_DIR = "/srv/distribution"
DISTRIBUTION_KEYRING = "/usr/share/keyrings/e2e-distribution.gpg"
#: What "nothing changed" compares: every file of the host but logs, the stand-ins' running
#: state and systemd's timers, with size, mtime, mode and owner (what is in /tmp, not /tmp's
#: own mtime: the script's temporary folder comes and goes); and the package list.
SNAPSHOT = (
    "{ find /etc /usr /opt /srv /root /var -xdev \\( -path /var/log -o -path /var/lib/systemd"
    " -o -path /var/lib/fips-e2e-intake -o -path /var/lib/datadog-agent-standin"
    " -o -path /var/lib/private -o -path /var/cache/private \\) -prune"
    " -o -printf '%p %s %T@ %m %U %G\\n'; find /tmp -mindepth 1 -printf '%p %s %T@ %m %U %G\\n'; }"
    " | sort; dpkg-query -W -f '${Package} ${Version} ${Status}\\n'"
)


def snapshot(host: TestHost) -> list[str]:
    return host.run(["sh", "-c", SNAPSHOT]).stdout.splitlines()


def changed(before: list[str], after: list[str]) -> list[str]:
    return sorted(set(before) ^ set(after))


def debian_packages(wanted: dict[str, str], cache: Path) -> list[Path]:
    """Debian's ``name=version`` .debs, downloaded by this machine's apt into ``cache``.

    Where this machine's package lists are older than the image (which mmdebstrap built
    from the mirror as it was then), they are fetched again into ``cache``, not the system's.
    """
    cache.mkdir(parents=True, exist_ok=True)

    def found(name: str, version: str) -> list[Path]:
        return sorted(cache.glob(f"{name}_{version.replace(':', '%3a')}_*.deb"))

    missing = [f"{name}={version}" for name, version in wanted.items() if not found(name, version)]
    if missing:
        try:
            host_run(["apt-get", "download", "-q", *missing], cwd=cache, timeout=300)
        except CommandError:
            lists = cache / "lists"
            (lists / "partial").mkdir(parents=True, exist_ok=True)
            private = [
                "-o",
                f"Dir::State::Lists={lists}",
                "-o",
                f"Dir::Cache={cache / 'apt-cache'}",
            ]
            host_run(["apt-get", *private, "update", "-q"], timeout=600)
            host_run(["apt-get", *private, "download", "-q", *missing], cwd=cache, timeout=300)
    files = []
    for name, version in sorted(wanted.items()):
        debs = found(name, version)
        assert debs, f"apt-get download {name}={version} gave no .deb in {cache}"
        files.append(debs[0])
    return files


def distribution_repository(debs: list[Path], key: SigningKey, folder: Path) -> dict[str, bytes]:
    """A flat apt repository of ``debs`` signed with ``key``: its files by name."""
    folder.mkdir()
    for deb in debs:
        shutil.copy(deb, folder / deb.name)
    packages = host_run(["apt-ftparchive", "packages", "."], cwd=folder)
    (folder / "Packages").write_bytes(packages)
    (folder / "Release").write_bytes(host_run(["apt-ftparchive", "release", "."], cwd=folder))
    key.gpg("--clearsign", "--output", folder / "InRelease", folder / "Release")
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def fake_curl(folder: Path) -> Package:
    """A ``curl`` 99 in Datadog's repository: what the distribution's curl must never be."""
    tree = folder / "fake-curl"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        "Package: curl\nVersion: 99:1.0\nArchitecture: all\nMaintainer: e2e <e2e@example.invalid>\n"
        "Description: not the distribution's curl\n"
    )
    deb = folder / "curl_99-1.0_all.deb"
    host_run(["dpkg-deb", "--build", "--root-owner-group", tree, deb])
    return Package(name="curl", version="99:1.0", kind="deb", path=deb)


def make_minimal(host: TestHost, harness: Harness, folder: Path) -> dict[str, str]:
    """Remove gpg and curl as a minimal image lacks them; the distribution's repository then
    holds exactly the packages removed. Returns their versions by name."""
    simulated = host.run(["apt-get", "remove", "-s", "gpg", "curl"]).stdout
    removed = dict(
        (line.split()[1], line.split()[2].strip("[]"))
        for line in simulated.splitlines()
        if line.startswith("Remv ")
    )
    assert {"gpg", "gnupg", "curl"} <= set(removed), simulated
    debs = debian_packages(removed, cache_root() / "distribution-debs")
    files = distribution_repository(debs, harness.untrusted_key, folder / "distribution")
    host.run(["apt-get", "remove", "-y", "gpg", "curl"], env={"DEBIAN_FRONTEND": "noninteractive"})
    host.run(["mkdir", "-p", DISTRIBUTION_DIR])
    for name, data in files.items():
        host.write_file(f"{DISTRIBUTION_DIR}/{name}", data)
    host.write_file(DISTRIBUTION_KEYRING, harness.untrusted_key.public_binary())
    host.write_file(
        "/etc/apt/sources.list.d/distribution.list",
        f"deb [signed-by={DISTRIBUTION_KEYRING}] file:{DISTRIBUTION_DIR} ./\n",
    )
    return removed


def test_a_minimal_image_is_planned_then_gets_gpg_and_curl_from_its_distribution_only(
    make_host: MakeHost, e2e_harness: Harness, run_script: RunScript, tmp_path: Path
) -> None:
    host = bare_host(make_host, "debian")
    removed = make_minimal(host, e2e_harness, tmp_path)
    assert not host.exists("/usr/bin/gpg") and not host.exists("/usr/bin/curl")
    # Datadog's repository, set up by hand earlier, also offers a "curl" (99, newer than any):
    # the distribution's packages must never be taken from it.
    assert host.repo is not None
    host.repo.add([fake_curl(tmp_path)])
    host.repo.publish(e2e_harness.trusted_key)
    host.write_file(APT_SOURCE, apt_source_line())
    host.write_file(
        "/usr/share/keyrings/datadog-archive-keyring.gpg", e2e_harness.trusted_key.public_binary()
    )
    host.run(["apt-get", "update"], env={"DEBIAN_FRONTEND": "noninteractive"})
    assert "99:1.0" in host.run(["apt-cache", "policy", "curl"]).stdout  # what apt would take

    before = snapshot(host)
    status, output = run_script(host, {"DD_DRY_RUN": "1"})
    assert status == 0, output
    assert "DD_DRY_RUN: nothing was changed" in output
    for name in ("gpg", "gnupg", "curl"):
        assert f"{name} {removed[name]}" in output, output  # the distribution's, not 99:1.0
    assert "99:1.0" not in output
    assert changed(before, snapshot(host)) == []

    status, output = run_script(host)
    assert status == 0, output
    assert "installing gnupg curl from the distribution's repositories (never Datadog's)" in output
    assert host.installed_version("curl") == removed["curl"]
    assert host.installed_version("gnupg") == removed["gnupg"]
    assert host.is_active("datadog-agent") and host.is_active("datadog-fips-proxy")
    assert fips_mode(host) == "proxy"

    # With the Agent there, the plan has the exact upgrade and fips-setup's own dry run.
    host.repo.add([e2e_harness.packages.agent("7.52.1", "deb")])
    host.repo.publish(e2e_harness.trusted_key)
    before = snapshot(host)
    status, output = run_script(host, {"DD_DRY_RUN": "1", "DD_UPGRADE_AGENT": "1"})
    assert status == 0, output
    assert "install from the Datadog repository only: datadog-agent 1:7.52.1-1 (" in output
    assert "write /etc/apt/sources.list.d/datadog.list (root, 644):\n    deb [signed-by=" in output
    assert "run fips-setup install; its own plan" in output
    assert (
        "the FIPS proxy is running on ports 9803-9818 and datadog.yaml points the Agent at it; nothing to change"
        in output
    )
    assert "install from the distribution's repositories" not in output  # they are there now
    assert changed(before, snapshot(host)) == []
    assert host.installed_version("datadog-agent") == "1:7.50.3-1"
