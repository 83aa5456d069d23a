"""No secret of any kind in any output of any command: the corpus, run through them all.

A corpus of files holds each kind of secret the toolkit knows (API and
application keys, dual-shipping keys in every notation, passwords in URLs,
a Helm token): ``datadog.yaml`` (as ``configure``, ``enable``, ``disable``,
``logs``, ``status`` and ``doctor`` read it), the example ``install`` makes it
from, Helm values and an ECS task definition. Every command runs over them
with ``--json``, with its diff, and in plain output, and through the Ansible
module's result (its ``--diff``); no secret may appear in any of it, and the
files the commands write keep them. Each run starts with a redactor that has
seen nothing, as a new process would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem

import fipsconf.yamlslow  # noqa: F401  (ruamel, for flow YAML: imported before pyfakefs starts)
from fipsconf.redact import REDACTOR
from installer import host as host_module
from installer.cli import commands
from installer.cli.main import main
from tests.fakes import FakeHost
from tests.installer.ansible import toolkit
from tests.installer.conftest import HostFactory

#: One value per kind of secret; each appears in the corpus and nowhere in any output.
SECRETS = {
    "api_key": "a11a22a33a44a55a66a77a88a99aa0a1",
    "app_key": "b11b22b33b44b55b66b77b88b99bb0b1b2b3b4b5",
    "dual-shipping key (block list)": "c11c22c33c44c55c66c77c88c99cc0c1",
    "dual-shipping key (quoted block item)": "d11d22d33d44d55d66d77d88d99dd0d1",
    "dual-shipping key (apm flow list)": "e11e22e33e44e55e66e77e88e99ee0e1",
    "dual-shipping key (logs api_key)": "f11f22f33f44f55f66f77f88f99ff0f1",
    "dual-shipping key (process JSON)": "a22b33c44d55e66f77a88b99c00d11e2",
    "proxy password": "Pr0xyPassw0rd-not-a-word",
    "mirror password": "M1rr0rT0ken-not-a-word",
    "helm cluster agent token": "t0kenT0kenT0kenT0kenT0kenT0ken99",
    "environment dual-shipping key": "a33b44c55d66e77f88a99b00c11d22e3",
}
API_KEY = SECRETS["api_key"]
APP_KEY = SECRETS["app_key"]

DATADOG_YAML = f"""## Agent configuration
## Basic Configuration ##
api_key: {API_KEY}
app_key: "{APP_KEY}"
site: ddog-gov.com

additional_endpoints:
  "https://app.ddog-gov.com":
  - {SECRETS["dual-shipping key (block list)"]}
  - "{SECRETS["dual-shipping key (quoted block item)"]}"

proxy:
  http: http://proxyuser:{SECRETS["proxy password"]}@proxy.example:3128
  https: http://proxyuser:{SECRETS["proxy password"]}@proxy.example:3128

apm_config:
  additional_endpoints:
    "https://trace.agent.ddog-gov.com": [{SECRETS["dual-shipping key (apm flow list)"]}]

logs_config:
  additional_endpoints:
  - api_key: {SECRETS["dual-shipping key (logs api_key)"]}
    Host: agent-http-intake.logs.ddog-gov.com
    Port: 443

process_config:
  additional_endpoints: {{"https://process.ddog-gov.com": ["{SECRETS["dual-shipping key (process JSON)"]}"]}}

## @param fips - custom object - optional
#
# fips:

logs_enabled: false
"""

HELM_VALUES = f"""datadog:
  apiKey: {API_KEY}
  appKey: {APP_KEY}
  site: ddog-gov.com
  env:
  - name: DD_ADDITIONAL_ENDPOINTS
    value: '{{"https://app.ddog-gov.com": ["{SECRETS["dual-shipping key (block list)"]}"]}}'
  - name: DD_PROXY_HTTPS
    value: http://u:{SECRETS["proxy password"]}@proxy.example:3128
agents:
  containers:
    agent:
      env:
      - name: DD_APM_ADDITIONAL_ENDPOINTS
        value: '{{"https://trace.agent.ddog-gov.com": ["{SECRETS["dual-shipping key (apm flow list)"]}"]}}'
      - name: DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS
        value: '[{{"api_key": "{SECRETS["dual-shipping key (logs api_key)"]}", "Host": "h", "Port": 443}}]'
clusterAgent:
  token: {SECRETS["helm cluster agent token"]}
  tokenExistingSecret: datadog-cluster-agent
fips:
  enabled: false
  portRange: 16
"""


def _taskdef() -> str:
    env = [
        {"name": "DD_API_KEY", "value": API_KEY},
        {"name": "DD_APP_KEY", "value": APP_KEY},
        {"name": "DD_SITE", "value": "ddog-gov.com"},
        {
            "name": "DD_ADDITIONAL_ENDPOINTS",
            "value": json.dumps(
                {"https://app.ddog-gov.com": [SECRETS["environment dual-shipping key"]]}
            ),
        },
        {
            "name": "DD_LOGS_CONFIG_ADDITIONAL_ENDPOINTS",
            "value": json.dumps([{"api_key": SECRETS["dual-shipping key (logs api_key)"]}]),
        },
        {
            "name": "DD_PROXY_HTTPS",
            "value": f"http://u:{SECRETS['proxy password']}@proxy.example:3128",
        },
    ]
    agent = {"name": "datadog-agent", "image": "public.ecr.aws/datadog/agent:7", "environment": env}
    app = {
        "name": "app",
        "image": "registry.example/app:1",
        "environment": [
            {"name": "APT_MIRROR", "value": f"https://ci:{SECRETS['mirror password']}@mirror/apt"}
        ],
    }
    task = {
        "family": "dd",
        "networkMode": "awsvpc",
        "memory": "1024",
        "containerDefinitions": [agent, app],
    }
    return json.dumps(task, indent=2) + "\n"


def assert_no_secret(where: str, *texts: str) -> None:
    """No value of the corpus in ``texts`` (the output of ``where``)."""
    shown = "\n".join(texts)
    leaked = [kind for kind, value in SECRETS.items() if value in shown]
    assert leaked == [], f"{where} shows: {', '.join(leaked)}\n{shown[:3000]}"


def fresh() -> None:
    """The redactor as a new process starts it: nothing registered."""
    REDACTOR._values.clear()


Runner = Callable[[bool], int]


def run_both_ways(
    capsys: pytest.CaptureFixture[str], name: str, command: Runner, ansible: bool = False
) -> dict[str, Any]:
    """``command`` with ``--json`` and in plain output: no secret in either; the JSON."""
    fresh()
    command(True)
    out, err = capsys.readouterr()
    assert out.count("\n") == 1, (name, out, err)
    document = json.loads(out)
    assert_no_secret(f"{name} --json", out, err)
    if ansible:  # the Ansible module's result, --diff included, from that document
        result, warnings = toolkit.proxy_result(document, 0, diff_mode=True)
        assert_no_secret(f"{name} (Ansible --diff)", json.dumps(result), *warnings)
    fresh()
    command(False)
    out, err = capsys.readouterr()
    assert_no_secret(f"{name} (plain)", out, err)
    return dict(document)


#: The Agent's environment file, which doctor and status read for overrides.
ENVIRONMENT = (
    f"DD_API_KEY={API_KEY}\n"
    f'DD_ADDITIONAL_ENDPOINTS=\'{{"https://app.ddog-gov.com":'
    f' ["{SECRETS["environment dual-shipping key"]}"]}}\'\n'
    f"DD_PROXY_HTTPS=http://u:{SECRETS['proxy password']}@proxy.example:3128\n"
)


@pytest.fixture
def corpus_host(
    make_host: HostFactory, fs: FakeFilesystem, monkeypatch: pytest.MonkeyPatch
) -> FakeHost:
    host = make_host(datadog_yaml=DATADOG_YAML)
    fs.create_file("/etc/datadog-agent/environment", contents=ENVIRONMENT)
    monkeypatch.setattr(host_module, "Host", lambda: host)
    return host


CONFIG = Path("/etc/datadog-agent/datadog.yaml")


def test_no_host_command_shows_a_secret(
    corpus_host: FakeHost, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Path(str(CONFIG))

    def configure(dry_run: bool) -> Runner:
        return lambda as_json: commands.configure_command(
            config,
            disable=False,
            port_range_start=None,
            local_address=None,
            dry_run=dry_run,
            as_json=as_json,
        )

    def enable(dry_run: bool) -> Runner:
        return lambda as_json: commands.enable_command(
            config,
            port_range_start=None,
            local_address=None,
            package_file=None,
            no_install=False,
            no_restart=False,
            refresh_proxy_config=False,
            allow_other_site=False,
            dry_run=dry_run,
            as_json=as_json,
        )

    def disable(as_json: bool) -> int:
        return commands.disable_command(
            config, remove_package=False, no_restart=False, dry_run=True, as_json=as_json
        )

    def logs(as_json: bool) -> int:
        return commands.logs_command("enable", config, dry_run=True, as_json=as_json)

    def status(as_json: bool) -> int:
        return commands.status_command(config, as_json=as_json)

    def doctor(as_json: bool) -> int:
        return commands.doctor_command(config, no_agent_check=False, as_json=as_json)

    document = run_both_ways(capsys, "configure --dry-run", configure(True), ansible=True)
    assert document["diff"] and "additional_endpoints" in document["diff"][0]["before"]
    document = run_both_ways(capsys, "enable --dry-run", enable(True), ansible=True)
    assert [d["path"] for d in document["diff"]][-1] == str(CONFIG)
    run_both_ways(capsys, "status", status)
    run_both_ways(capsys, "doctor", doctor)
    fresh()
    assert enable(False)(True) == 0  # for real: the file keeps its secrets
    written = config.read_text()
    assert all(value in written for kind, value in SECRETS.items() if kind in DATADOG_YAML_KINDS)
    assert_no_secret("enable --json", *capsys.readouterr())
    run_both_ways(capsys, "disable --dry-run", disable, ansible=True)
    run_both_ways(capsys, "logs enable --dry-run", logs)
    run_both_ways(capsys, "status (enabled)", status)
    run_both_ways(capsys, "doctor (enabled)", doctor)


#: The kinds of secret the datadog.yaml corpus holds.
DATADOG_YAML_KINDS = [kind for kind, value in SECRETS.items() if value in DATADOG_YAML]


def test_install_shows_no_secret_of_the_environment_or_the_example(
    make_host: HostFactory,
    fs: FakeFilesystem,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    host = make_host()
    monkeypatch.setattr(host_module, "Host", lambda: host)
    Path(str(CONFIG)).unlink()
    # an image builder's example, dual shipping filled in
    fs.create_file(str(CONFIG) + ".example", contents=DATADOG_YAML.replace(API_KEY, ""))
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.setenv("DD_FIPS_MODE", "1")
    monkeypatch.setenv("DD_SITE", "ddog-gov.com")
    config = Path(str(CONFIG))
    document = run_both_ways(
        capsys,
        "install --dry-run",
        lambda as_json: commands.install_command(config, dry_run=True, as_json=as_json),
    )
    assert document["changed"] is True and document["diff"], document["msg"]
    # an error message that names a variable's value: a URL with a password
    monkeypatch.delenv("DD_FIPS_MODE")
    monkeypatch.setenv("DD_URL", f"ftp://u:{SECRETS['mirror password']}@intake.example/")
    document = run_both_ways(
        capsys,
        "install (refused DD_URL)",
        lambda as_json: commands.install_command(config, dry_run=True, as_json=as_json),
    )
    assert document["failed"] is True and "DD_URL" in document["msg"]


def test_an_unexpected_error_shows_no_secret(
    corpus_host: FakeHost, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import installer.configure

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(
            f"near 'api_key: {API_KEY}' and DD_ADDITIONAL_ENDPOINTS="
            f'{{"https://x": ["{SECRETS["environment dual-shipping key"]}"]}}'
        )

    monkeypatch.setattr(installer.configure, "configure", broken)
    document = run_both_ways(
        capsys,
        "configure (internal error)",
        lambda as_json: main(["--debug", "configure", "--dry-run", *(["--json"] * as_json)]),
    )
    assert document["error"] == "internal"


@pytest.fixture
def corpus_files(tmp_path: Path) -> dict[str, Path]:
    values = tmp_path / "values.yaml"
    values.write_text(HELM_VALUES)
    taskdef = tmp_path / "taskdef.json"
    taskdef.write_text(_taskdef())
    return {"helm": values, "ecs": taskdef}


@pytest.mark.parametrize("command", ["helm", "ecs"])
def test_no_container_command_shows_a_secret(
    command: str, corpus_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = corpus_files[command]
    original = source.read_text()
    output = tmp_path / f"new-{source.name}"

    def cli(*args: str) -> Runner:
        return lambda as_json: main([command, str(source), *args, *(["--json"] * as_json)])

    document = run_both_ways(capsys, f"{command} --dry-run", cli("--dry-run"))
    assert document["changed"] is True and document["diff"]
    # stdout: refused, as the new file holds secrets (the error text shows none)
    document = run_both_ways(capsys, f"{command} (stdout)", cli())
    assert document["failed"] is True and "holds secrets" in document["msg"]
    run_both_ways(capsys, f"{command} --output", cli("--output", str(output)))
    assert all(value in output.read_text() for value in SECRETS.values() if value in original)
    run_both_ways(capsys, f"{command} --in-place", cli("--in-place"))
    assert all(value in source.read_text() for value in SECRETS.values() if value in original)
