"""The one-step script's repositories: mirror credentials, Datadog-only installs, the
distribution's own packages first, signing keys down to their subkeys, and the plan-only
mode (bash, for real; package managers are fakes that record their arguments).
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import REPO, skip_or_fail
from tests.scripts.test_install_script import GOOD, SCRIPT, call, fake_commands

pytestmark = pytest.mark.real_processes

TOKEN = "s3cr3tT0ken"
CREDENTIALED = f"https://ci-user:{TOKEN}@mirror.example:8443/datadog/"


# --- messages ----------------------------------------------------------------------------


def test_messages_name_the_script_not_the_toolkit() -> None:
    said = call('say "checking"; die 1 "it broke"')
    assert said.returncode == 1
    assert (
        said.stderr == "install_script_agent7: checking\ninstall_script_agent7: error: it broke\n"
    )
    assert "fips-setup install:" not in SCRIPT.read_text()


def test_messages_mask_url_credentials_and_known_secrets() -> None:
    said = call(
        'SECRETS+=(hunter2); say "from https://ci-user:tok@m.example/x, file://a@b/c and hunter2"'
    )
    assert said.stderr == (
        "install_script_agent7: from https://********@m.example/x, file://********@b/c"
        " and ********\n"
    )
    plain = call('say "see https://apt.datadoghq.com/ and user@example.com"')
    assert "https://apt.datadoghq.com/ and user@example.com" in plain.stderr


# --- mirror credentials --------------------------------------------------------------------

MIRROR = 'printf "%s|" "$MIRROR" "$MIRROR_AUTHORITY" "$MIRROR_USER" "$MIRROR_PASSWORD"'


@pytest.mark.parametrize("name", ["DD_REPO_URL", "DD_MIRROR_URL"])
def test_credentials_are_taken_out_of_the_mirror_url(name: str) -> None:
    url = "https://ci-user:s3cr%40t%2Fx@mirror.example:8443/datadog/"
    result = call(f"read_settings; {MIRROR}", {**GOOD, name: url})
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout
        == "https://mirror.example:8443/datadog/|mirror.example:8443|ci-user|s3cr@t/x|"
    )
    assert "s3cr" not in result.stderr


def test_a_mirror_without_credentials_has_none() -> None:
    result = call(f"read_settings; {MIRROR}", {**GOOD, "DD_MIRROR_URL": "file:///srv/mirror/"})
    assert result.stdout == "file:///srv/mirror/||||"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DD_MIRROR_URL": f"file://u:{TOKEN}@/srv/m"}, "DD_MIRROR_URL: a file:// URL takes no user name or password"),
        ({"DD_REPO_URL": f"https://u:{TOKEN} x@m.example/"}, "DD_REPO_URL must not contain spaces, quotes"),
        ({"DD_REPO_URL": f"https://u:{TOKEN}\n@m.example/"}, "DD_REPO_URL must not contain spaces, quotes"),
        ({"REPO_URL": "https://ci-user@m.example/"}, "REPO_URL: give both a user and a password"),
        ({"DD_REPO_URL": f"https://u:{TOKEN}%2@m.example/"}, "DD_REPO_URL's password has a % that is not followed by two hex digits"),
        ({"DD_REPO_URL": f"https://u:{TOKEN}%20x@m.example/"}, "DD_REPO_URL's password holds a space, quote"),
        ({"DD_REPO_URL": f"https://u:{TOKEN}%00@m.example/"}, "DD_REPO_URL's password has a % that is not followed"),
        ({"DD_MIRROR_URL": f"https://u:%23{TOKEN}@m.example/"}, "DD_MIRROR_URL's password holds a space, quote, backslash, control character or leading #"),
        ({"DD_REPO_URL": f"https://u:{TOKEN}@m_example!/"}, "DD_REPO_URL: 'm_example!' is not a host name"),
        ({"DD_REPO_URL": f"https://u:{TOKEN}@m.example/x?token=1"}, "DD_REPO_URL must not contain ? or #"),
        ({"DD_REPO_URL": f"http://u:{TOKEN}@m.example/"}, "DD_REPO_URL must start with https:// or file://"),
    ],
)  # fmt: skip
def test_bad_mirror_urls_name_the_variable_and_never_show_the_password(
    env: dict[str, str], message: str
) -> None:
    result = call("read_settings", {**GOOD, **env})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert TOKEN not in result.stderr


@pytest.fixture
def recording_curl(tmp_path: Path) -> tuple[str, Path]:
    """A curl that records its arguments and its netrc file (content and mode), then succeeds."""
    record = tmp_path / "record"
    record.mkdir()
    body = f"""
printf '%s\\n' "$@" > {record}/argv
while [ $# -gt 0 ]; do
  case "$1" in
    --netrc-file) cp "$2" {record}/netrc; stat -c %a "$2" > {record}/netrc.mode; shift ;;
    --output) : > "$2"; shift ;;
  esac
  shift
done
"""
    return fake_commands(tmp_path / "bin", curl=body), record


def test_curl_gets_the_password_from_a_root_only_file_never_its_command_line(
    recording_curl: tuple[str, Path],
) -> None:
    path, record = recording_curl
    work = 'WORK=$(mktemp -d); trap "rm -rf $WORK" EXIT; '
    run = (
        work + 'read_settings; write_netrc "$MIRROR_AUTHORITY" "$MIRROR_USER" "$MIRROR_PASSWORD"; '
        'fetch "$(keys_base)/DATADOG_APT_KEY_CURRENT.public" "$WORK/key"'
    )
    result = call(run, {**GOOD, "DD_REPO_URL": CREDENTIALED}, path=path)
    assert result.returncode == 0, result.stderr
    argv = (record / "argv").read_text()
    assert TOKEN not in argv and "ci-user" not in argv
    assert "https://mirror.example:8443/datadog/keys/DATADOG_APT_KEY_CURRENT.public" in argv
    assert (
        record / "netrc"
    ).read_text() == f"machine mirror.example login ci-user password {TOKEN}\n"
    assert (record / "netrc.mode").read_text().strip() == "600"


def test_a_download_url_with_credentials_is_fetched_the_same_way(
    recording_curl: tuple[str, Path],
) -> None:
    path, record = recording_curl
    run = (
        'WORK=$(mktemp -d); trap "rm -rf $WORK" EXIT; '
        f'fetch "https://dl-user:{TOKEN}@files.example/fips-setup.pyz" "$WORK/pyz"; '
        'printf "%s|" "$MIRROR" "${#SECRETS[@]}"'
    )
    result = call(run, path=path)
    assert result.returncode == 0, result.stderr
    argv = (record / "argv").read_text()
    assert TOKEN not in argv and "https://files.example/fips-setup.pyz" in argv
    assert f"machine files.example login dl-user password {TOKEN}" in (record / "netrc").read_text()
    assert result.stdout.startswith("|")  # the mirror settings were left as they were


SETUP = "read_settings; FAMILY={family}; ARCH=x86_64; "


def test_apt_gets_a_credential_free_source_and_a_root_only_auth_file(tmp_path: Path) -> None:
    apt = fake_commands(tmp_path / "bin", apt_get="echo 'apt 2.6.1 (amd64)'")
    env = {**GOOD, "DD_REPO_URL": CREDENTIALED}
    source = call(SETUP.format(family="debian") + "apt_source_line /k.gpg", env, path=apt)
    assert (
        source.stdout
        == "deb [signed-by=/k.gpg] https://mirror.example:8443/datadog/apt/ stable 7\n"
    )
    auth = call(SETUP.format(family="debian") + "apt_auth_text", env, path=apt)
    assert auth.stdout == f"machine mirror.example:8443/datadog login ci-user password {TOKEN}\n"
    old = fake_commands(tmp_path / "old", apt_get="echo 'apt 1.4.11 (amd64)'")
    assert call("apt_reads_auth_as_root", path=apt).returncode == 0
    assert call("apt_reads_auth_as_root", path=old).returncode != 0


def test_yum_keeps_the_password_in_a_root_only_repository_file() -> None:
    env = {**GOOD, "DD_REPO_URL": CREDENTIALED}
    repo = call(SETUP.format(family="rhel") + "rpm_repo_file /k/A.public; rpm_repo_mode", env)
    assert repo.stdout == (
        "[datadog]\nname=Datadog, Inc.\npriority=1\n"
        "baseurl=https://mirror.example:8443/datadog/rpm/stable/7/x86_64/\n"
        "enabled=1\ngpgcheck=1\nrepo_gpgcheck=0\ngpgkey=file:///k/A.public\n"
        f"username=ci-user\npassword={TOKEN}\n600\n"
    )
    plain = call(SETUP.format(family="rhel") + "rpm_repo_mode", GOOD)
    assert plain.stdout == "644\n"


def test_zypper_reads_the_password_from_its_own_credentials_file() -> None:
    env = {**GOOD, "DD_REPO_URL": CREDENTIALED}
    repo = call(SETUP.format(family="suse") + "rpm_repo_file /k/A.public; rpm_repo_mode", env)
    assert (
        "baseurl=https://mirror.example:8443/datadog/rpm/stable/7/x86_64/?credentials=datadog\n"
        in (repo.stdout)
    )
    assert TOKEN not in repo.stdout and repo.stdout.endswith("\n644\n")
    credentials = call(SETUP.format(family="suse") + "zypp_credentials_text", env)
    assert credentials.stdout == f"username=ci-user\npassword={TOKEN}\n"


def test_files_holding_a_password_are_root_only(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_text(f"password={TOKEN}\n")
    result = call(f'put "{source}" "{tmp_path}/secret" 600; put "{source}" "{tmp_path}/public"')
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "public").stat().st_mode) == 0o644
    assert not list(tmp_path.glob("*.fips-setup-new"))


# --- Datadog's packages from Datadog's repository only --------------------------------------


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("debian", ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-o",
                    "DPkg::Lock::Timeout=120", "-o", "Dpkg::Options::=--force-confdef", "-o",
                    "Dpkg::Options::=--force-confold", "-o",
                    "Dir::Etc::sourcelist=/etc/apt/sources.list.d/datadog.list", "-o",
                    "Dir::Etc::sourceparts=WORK/none", "datadog-agent=1:7.52.1-1"]),
        ("rhel", ["dnf", "-y", "--disablerepo=*", "--enablerepo=datadog", "install",
                  "datadog-agent=1:7.52.1-1"]),
        ("suse", ["env", "ZYPP_LOCK_TIMEOUT=120", "zypper", "--non-interactive", "install",
                  "--from", "datadog", "datadog-agent=1:7.52.1-1"]),
    ],
)  # fmt: skip
def test_datadog_packages_are_installed_from_the_datadog_repository_only(
    tmp_path: Path, family: str, expected: list[str]
) -> None:
    path = fake_commands(tmp_path / "bin", dnf="exit 0")
    run = (
        f"WORK={tmp_path}/work; mkdir -p $WORK; FAMILY={family}; "
        'datadog_install_command datadog-agent=1:7.52.1-1; printf "%s\\n" "${INSTALL_COMMAND[@]}"'
    )
    result = call(run, path=path)
    argv = result.stdout.replace(f"{tmp_path}/work", "WORK").splitlines()
    assert argv == expected


def test_a_dry_run_names_the_packages_and_versions_and_installs_nothing(tmp_path: Path) -> None:
    record = tmp_path / "ran"
    path = fake_commands(tmp_path / "bin", apt_get=f"echo ran >> {record}")
    run = (
        f"WORK={tmp_path}; FAMILY=debian; FLAVOR=datadog-agent; DRY_RUN=on; INSTALLED=; "
        "TARGET=1:7.52.1-1; SIGNING_KEYS=1:1.4.0-1; install_packages"
    )
    result = call(run, path=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "  - install from the Datadog repository only: datadog-agent 1:7.52.1-1,"
        " datadog-signing-keys 1:1.4.0-1 (env DEBIAN_FRONTEND=noninteractive apt-get install"
    )
    assert "Dir::Etc::sourcelist=/etc/apt/sources.list.d/datadog.list" in result.stdout
    assert not record.exists()


# --- the distribution's own packages, before anything of Datadog's ------------------------


@pytest.mark.parametrize(
    ("family", "packages"),
    [("debian", ["gnupg", "curl"]), ("rhel", ["gnupg2", "curl"]), ("suse", ["gpg2", "curl"])],
)
def test_missing_gpg_and_curl_are_named_as_the_distribution_calls_them(
    family: str, packages: list[str]
) -> None:
    run = f'read_settings; FAMILY={family}; have_command() {{ [ "$1" != gpg ] && [ "$1" != curl ]; }}; missing_prerequisites'
    env = {**GOOD, "DD_MIRROR_URL": "file:///srv/mirror"}  # nothing over https: no CA question
    assert call(run, env).stdout.split() == packages
    present = f"read_settings; FAMILY={family}; have_command() {{ :; }}; missing_prerequisites"
    assert call(present, env).stdout == ""


def test_the_distribution_sources_leave_datadogs_out(tmp_path: Path) -> None:
    source = tmp_path / "sources.list.d"
    source.mkdir()
    for name in ("debian.list", "datadog.list", "security.sources", "notes.txt"):
        (source / name).write_text(f"# {name}\n")
    result = call(f'copy_without "{source}" "{tmp_path}/copy" datadog.list "*.list" "*.sources"')
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == [
        "debian.list",
        "security.sources",
    ]


@pytest.mark.parametrize(
    ("family", "datadog_repo", "expected"),
    [
        ("debian", False, ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-o",
                           "DPkg::Lock::Timeout=120", "-o",
                           "Dir::Etc::sourceparts=WORK/distribution-sources", "gnupg", "curl"]),
        ("rhel", True, ["dnf", "-y", "--disablerepo=datadog", "install", "gnupg2", "curl"]),
        ("rhel", False, ["dnf", "-y", "install", "gnupg2", "curl"]),
        ("suse", False, ["env", "ZYPP_LOCK_TIMEOUT=120", "zypper", "--non-interactive",
                         "--reposd-dir", "WORK/distribution-repos", "install", "--no-recommends",
                         "gpg2", "curl"]),
    ],
)  # fmt: skip
def test_gpg_and_curl_come_from_the_distribution_never_datadog(
    tmp_path: Path, family: str, datadog_repo: bool, expected: list[str]
) -> None:
    path = fake_commands(tmp_path / "bin", dnf="exit 0")
    present = "true" if datadog_repo else "false"
    run = (
        f"WORK={tmp_path}/work; mkdir -p $WORK; FAMILY={family}; "
        f"datadog_yum_repo_present() {{ {present}; }}; "
        f'prerequisite_command {" ".join(expected[-2:])}; printf "%s\\n" "${{PREREQUISITE_COMMAND[@]}}"'
    )
    result = call(run, path=path)
    assert result.returncode == 0, result.stderr
    argv = result.stdout.replace(f"{tmp_path}/work", "WORK").splitlines()
    assert argv == expected


def test_a_dry_run_names_the_distribution_packages_with_their_versions(tmp_path: Path) -> None:
    simulated = (
        "Inst gpg (2.2.40-1.1+deb12u2 Debian:12.8/stable [amd64])\n"
        "Inst gnupg (2.2.40-1.1+deb12u2 Debian:12.8/stable [all])\n"
        "Inst curl (7.88.1-10+deb12u15 Debian:12.8/stable [amd64])\n"
        "Conf gpg (2.2.40-1.1+deb12u2 Debian:12.8/stable [amd64])\n"
    )
    record = tmp_path / "argv"
    path = fake_commands(
        tmp_path / "bin", apt_get=f"printf '%s\\n' \"$@\" >> {record}; printf '{simulated}'"
    )
    run = (
        f"WORK={tmp_path}/work; mkdir -p $WORK; read_settings; FAMILY=debian; DRY_RUN=on; "
        'have_command() { [ "$1" != gpg ] && [ "$1" != curl ]; }; '
        'ensure_prerequisites; echo "prerequisites: $PREREQUISITES"'
    )
    result = call(run, {**GOOD, "DD_MIRROR_URL": "file:///srv/m"}, path=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "  - install from the distribution's repositories (never Datadog's): gpg"
        " 2.2.40-1.1+deb12u2, gnupg 2.2.40-1.1+deb12u2, curl 7.88.1-10+deb12u15 ("
    )
    assert result.stdout.endswith("prerequisites: missing\n")
    calls = record.read_text().splitlines()
    assert calls[:2] == ["install", "-s"]  # a simulation only: no update, no install
    assert "Dir::Cache::pkgcache=" in calls  # and no cache file written


# --- signing keys, down to their subkeys ----------------------------------------------------


def gpg_in(home: Path) -> list[str]:
    return ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]


def packets(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, whole packet) of an OpenPGP binary stream (new and old packet headers)."""
    out, at = [], 0
    while at < len(data):
        head = data[at]
        if head & 0x40:  # new format
            tag, length_at = head & 0x3F, at + 1
            first = data[length_at]
            if first < 192:
                size, header = first, 2
            elif first < 224:
                size, header = ((first - 192) << 8) + data[length_at + 1] + 192, 3
            else:
                size, header = int.from_bytes(data[length_at + 1 : length_at + 5], "big"), 6
        else:  # old format
            tag, kind = (head >> 2) & 0x0F, head & 0x03
            width = {0: 1, 1: 2, 2: 4}[kind]
            size = int.from_bytes(data[at + 1 : at + 1 + width], "big")
            header = 1 + width
        out.append((tag, data[at : at + header + size]))
        at += header + size
    return out


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Key A (pinned, primary only), key B (with a subkey it binds), C (a third party)."""
    if shutil.which("gpg") is None:
        skip_or_fail("gpg is not installed (Debian package gnupg)")
    home = tmp_path_factory.mktemp("gnupg-keys")
    home.chmod(0o700)
    gpg = gpg_in(home)
    fingerprints = {}
    for name in ("A", "B", "C"):
        uid = f"{name} <{name.lower()}@example.invalid>"
        subprocess.run(
            [*gpg, "--quick-gen-key", uid, "ed25519", "sign", "1y"], check=True, capture_output=True
        )
        listing = subprocess.run(
            [*gpg, "--with-colons", "--list-keys", uid], check=True, capture_output=True, text=True
        ).stdout
        fingerprints[name] = next(
            row.split(":")[9] for row in listing.splitlines() if row.startswith("fpr:")
        )
    subprocess.run(
        [*gpg, "--quick-add-key", fingerprints["B"], "ed25519", "sign", "1y"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*gpg, "-u", fingerprints["C"], "--yes", "--quick-sign-key", fingerprints["A"]],
        check=True,
        capture_output=True,
    )

    def export(fingerprint: str) -> bytes:
        return subprocess.run(
            [*gpg, "--export", fingerprint], check=True, capture_output=True
        ).stdout

    a, b = export(fingerprints["A"]), export(fingerprints["B"])
    b_subkey = [packet for tag, packet in packets(b) if tag in (14, 2)][-2:]  # subkey + binding
    forged = home / "forged.gpg"  # A as exported, plus B's subkey and B's binding of it
    forged.write_bytes(a + b"".join(b_subkey))
    (home / "A.gpg").write_bytes(a)
    (home / "B.gpg").write_bytes(b)
    sub_listing = subprocess.run(
        [*gpg, "--with-colons", "--with-subkey-fingerprint", "--list-keys", fingerprints["B"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    sub_at = next(i for i, line in enumerate(sub_listing) if line.startswith("sub:"))
    yield {
        "home": home,
        "fingerprints": fingerprints,
        "subkey": sub_listing[sub_at + 1].split(":")[9],
        "subkey_id": sub_listing[sub_at].split(":")[4],
    }
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


CHECK = 'WORK=$(mktemp -d); mkdir -m 700 "$WORK/gnupg"; check_key_file "$KEY_FILE" "$ALLOWED"; status=$?; cleanup; exit $status'


def test_a_subkey_appended_from_another_key_is_refused(keys: dict[str, object]) -> None:
    home, fingerprints = keys["home"], keys["fingerprints"]
    assert isinstance(home, Path) and isinstance(fingerprints, dict)
    result = call(CHECK, {"KEY_FILE": str(home / "forged.gpg"), "ALLOWED": fingerprints["A"]})
    assert result.returncode == 1
    assert (
        f"forged.gpg holds subkey {keys['subkey_id']}, which no key in it certifies"
        " (no valid binding signature): a forged or damaged key file"
    ) in result.stderr
    honest = call(CHECK, {"KEY_FILE": str(home / "A.gpg"), "ALLOWED": fingerprints["A"]})
    assert (honest.returncode, honest.stdout) == (0, f"pub {fingerprints['A']}\n"), honest.stderr


def test_a_subkey_its_pinned_key_binds_is_trusted_and_listed(keys: dict[str, object]) -> None:
    home, fingerprints = keys["home"], keys["fingerprints"]
    assert isinstance(home, Path) and isinstance(fingerprints, dict)
    result = call(CHECK, {"KEY_FILE": str(home / "B.gpg"), "ALLOWED": fingerprints["B"]})
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"pub {fingerprints['B']}\nsub {keys['subkey']}\n"


def test_the_key_check_leaves_no_gpg_agent_behind(keys: dict[str, object]) -> None:
    # gpg 2 starts an agent on each throwaway home; the check stops it itself, so that
    # nothing of it outlives the check (an agent left per key file, per run, piled up).
    home, fingerprints = keys["home"], keys["fingerprints"]
    assert isinstance(home, Path) and isinstance(fingerprints, dict)
    result = call(
        'WORK=$(mktemp -d); key_listing "$KEY_FILE" >/dev/null; echo "$WORK"',
        {"KEY_FILE": str(home / "B.gpg")},
    )
    work = result.stdout.strip()
    assert result.returncode == 0 and work, result.stderr
    try:
        left = []
        for proc in Path("/proc").iterdir():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(work.encode() in arg for arg in argv):
                left.append(b" ".join(argv).decode(errors="replace"))
        assert left == []
        assert list(Path(work).iterdir()) == []  # the home itself is gone too
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_rpm_gets_only_the_pinned_keys_exported_minimal(
    keys: dict[str, object], tmp_path: Path
) -> None:
    home, fingerprints = keys["home"], keys["fingerprints"]
    assert isinstance(home, Path) and isinstance(fingerprints, dict)
    mirror = tmp_path / "mirror"
    (mirror / "keys").mkdir(parents=True)
    # The key file as a mirror serves it: A, with a third party's (C's) signature on it.
    shutil.copy(home / "A.gpg", mirror / "keys" / "DATADOG_RPM_KEY_CURRENT.public")
    listed = subprocess.run(
        ["gpg", "--homedir", str(home), "--list-packets", str(home / "A.gpg")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert fingerprints["C"][-16:] in listed  # C's certification is in what was served
    run = (
        "read_settings; FAMILY=rhel; WORK=$(mktemp -d); trap cleanup EXIT; fetch_keys; "
        'printf "%s\\n" "${KEY_FILES[@]}"; cat "${KEY_FILES[@]}" > "$OUT"'
    )
    out = tmp_path / "exported.asc"
    env = {
        **GOOD,
        "DD_MIRROR_URL": mirror.as_uri(),
        "DD_REPO_KEY_FINGERPRINTS": fingerprints["A"],
        "OUT": str(out),
    }
    result = call(run, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"/DATADOG_RPM_KEY_{fingerprints['A'][-8:]}.public")
    assert out.read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    exported = subprocess.run(
        ["gpg", "--homedir", str(home), "--list-packets", str(out)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert fingerprints["A"][-16:] in exported
    assert fingerprints["C"][-16:] not in exported  # minimal: A's own signatures only


# --- the apt probe keeps apt's sandbox ------------------------------------------------------


def test_the_repository_probe_no_longer_runs_apt_downloads_as_root() -> None:
    text = SCRIPT.read_text()
    assert "APT::Sandbox::User" not in text
    assert 'chmod 711 "$WORK"' in text  # _apt reaches the probe's folders, and nothing else


# --- the plan-only mode -----------------------------------------------------------------------


def test_a_dry_run_plans_the_repository_files_and_writes_none(
    tmp_path: Path, keys: dict[str, object]
) -> None:
    apt = fake_commands(tmp_path / "bin", apt_get="echo 'apt 2.6.1 (amd64)'")
    run = (
        f"WORK={tmp_path}/work; mkdir -p $WORK; read_settings; FAMILY=debian; ARCH=x86_64; "
        'DRY_RUN=on; PRIMARY_KEYS="AAAA BBBB"; configure_repository'
    )
    before = {
        p: p.exists()
        for p in (
            Path("/etc/apt/sources.list.d/datadog.list"),
            Path("/etc/apt/auth.conf.d/datadog.conf"),
        )
    }
    result = call(run, {**GOOD, "DD_REPO_URL": CREDENTIALED}, path=apt)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "  - write /usr/share/keyrings/datadog-archive-keyring.gpg (root, 644): the signing keys"
        " AAAA BBBB (only these, exported minimal)\n"
        "  - write /etc/apt/sources.list.d/datadog.list (root, 644):\n"
        "    deb [signed-by=/usr/share/keyrings/datadog-archive-keyring.gpg]"
        " https://mirror.example:8443/datadog/apt/ stable 7\n"
        "  - write /etc/apt/auth.conf.d/datadog.conf (root, 600):\n"
        "    machine mirror.example:8443/datadog login ci-user password ********\n"
        "  - refresh the Datadog repository only: apt-get update -o"
        " Dir::Etc::sourcelist=/etc/apt/sources.list.d/datadog.list -o"
        f" Dir::Etc::sourceparts={tmp_path}/work/none\n"
    )
    assert {p: p.exists() for p in before} == before


def test_dry_run_is_documented_and_reaches_the_toolkit_as_its_own_dry_run() -> None:
    doc = (REPO / "docs" / "install-script.md").read_text()
    assert "`DD_DRY_RUN`" in doc
    run = (
        "DRY_RUN=on; INSTALLED=1:7.50.3-1; FIPS=on; "
        'run_toolkit() { printf "toolkit:%s\\n" "$*"; }; plan_toolkit'
    )
    result = call(run)
    assert result.stdout.endswith("toolkit:--dry-run\n")


def test_a_dry_run_shows_an_rpm_repository_file_with_its_password_masked(
    tmp_path: Path, keys: dict[str, object]
) -> None:
    home, fingerprints = keys["home"], keys["fingerprints"]
    assert isinstance(home, Path) and isinstance(fingerprints, dict)
    key = tmp_path / "DATADOG_RPM_KEY_TEST.public"
    shutil.copy(home / "A.gpg", key)
    run = (
        f"WORK={tmp_path}/work; mkdir -p -m 700 $WORK $WORK/gnupg; read_settings; FAMILY=rhel;"
        f' ARCH=x86_64; DRY_RUN=on; KEY_FILES=("{key}"); configure_repository'
    )
    path = fake_commands(tmp_path / "bin", dnf="exit 0")
    result = call(run, {**GOOD, "DD_REPO_URL": CREDENTIALED}, path=path)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert (
        "  - write /etc/pki/rpm-gpg/DATADOG_RPM_KEY_TEST.public (root, 644) and import it into"
        f" rpm's database: the signing key {fingerprints['A']} (exported minimal)\n"
    ) in result.stdout
    assert "  - write /etc/yum.repos.d/datadog.repo (root, 600):\n" in result.stdout
    assert "    username=ci-user\n    password=********\n" in result.stdout
    assert (
        "refresh the Datadog repository only: dnf makecache --disablerepo='*' --enablerepo=datadog"
        in (result.stdout)
    )
