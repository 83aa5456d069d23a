#!/usr/bin/env bash
# `make distcheck` (part of `make test`): builds the release as `make dist` does, into a
# scratch folder (dist/ is left alone), signed with a throwaway GnuPG key, and checks
# what an operator relies on:
#   - make dist refuses, in one line and before building anything, to make a script
#     without a download URL (or with one that is not https://) unless LOCAL_ONLY=1;
#   - the release holds exactly the wheel, the sdist, the zipapp, the script, the
#     collection tarball, SHA256SUMS and SHA256SUMS.asc, and `sha256sum -c` and
#     `gpg --verify` pass (and fail on a changed file or a changed SHA256SUMS);
#   - the script carries the zipapp's SHA-256, its download URL and the version;
#   - the wheel installs into a fresh venv on the oldest and the newest Python and
#     `fips-setup --version` names this version;
#   - the zipapp carries this version, the sources of this tree, and every bundled
#     package's *.dist-info;
#   - galaxy-importer accepts the collection tarball, as Galaxy would import it.
# Needs: PY_OLD, PY_NEW, VERSION, MAKE (set by the Makefile), gpg, .venv-release.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

fail() { echo "distcheck: FAIL: $*" >&2; exit 1; }
ok() { echo "distcheck: ok ($SECONDS s): $*"; }

work=$(mktemp -d)
trap 'gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
url="https://releases.example.invalid/fips-setup/${VERSION}"
# make dist as an operator runs it: none of the release settings from the environment.
release_make() {
  env -u PUBLISH_URL -u LOCAL_ONLY -u SIGNING_KEY -u DIST -u MAKEFLAGS -u MAKELEVEL \
    "$MAKE" --no-print-directory "$@"
}

# --- refusals: one line naming what to set, nothing built -----------------------------
expect_refusal() {  # expect_refusal WHAT PATTERN MAKE-ARGS...: exit 1, one line, no folder
  local what=$1 pattern=$2 status=0
  shift 2
  release_make dist DIST="$work/refused" "$@" >"$work/out" 2>"$work/err" || status=$?
  [ "$status" != 0 ] || fail "make dist $what: exit 0"
  grep -q . "$work/out" && fail "make dist $what printed on stdout: $(cat "$work/out")"
  cp "$work/err" "$work/said"
  [ "$(wc -l < "$work/said")" = 1 ] || fail "make dist $what: not one line: $(cat "$work/err")"
  grep -q -- "$pattern" "$work/said" || fail "make dist $what: does not say $pattern: $(cat "$work/said")"
  [ ! -e "$work/refused" ] || fail "make dist $what built something"
  ok "make dist $what: $(cat "$work/said")"
}
expect_refusal "without a URL" "PUBLISH_URL=https://.*LOCAL_ONLY=1"
expect_refusal "with an http:// URL" "PUBLISH_URL=" PUBLISH_URL=http://example.invalid/fips-setup
expect_refusal "with a URL that is shell code" "PUBLISH_URL=" \
  "PUBLISH_URL=https://example.invalid/x\";touch $work/ran;\"'\`touch $work/ran\`'"
[ ! -e "$work/ran" ] || fail "make dist ran code from PUBLISH_URL"
expect_refusal "with credentials in the URL" "PUBLISH_URL=" PUBLISH_URL=https://user:secret@example.invalid/x
expect_refusal "with an unknown signing key" "SIGNING_KEY=" PUBLISH_URL="$url" SIGNING_KEY=nobody@example.invalid \
  GNUPGHOME="$work/nokeys"

# --- a signed release ------------------------------------------------------------------
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "fips-setup distcheck <distcheck@example.invalid>" \
  ed25519 sign never 2>/dev/null
key=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
dist="$work/dist"
release_make dist DIST="$dist" PUBLISH_URL="$url/" SIGNING_KEY="$key" GNUPGHOME="$GNUPGHOME" \
  > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "make dist"; }
wheel="fips_setup-${VERSION}-py3-none-any.whl"
expected=$(printf '%s\n' SHA256SUMS SHA256SUMS.asc fips-setup.pyz install_script_agent7.sh \
  "$wheel" "fips_setup-${VERSION}.tar.gz" "fips_setup-datadog-${VERSION}.tar.gz" | sort)
held=$(find "$dist" -mindepth 1 -printf '%f\n' | sort)
[ "$held" = "$expected" ] || fail "the release holds: $(echo "$held" | tr '\n' ' ')"
ok "the release holds $(echo "$expected" | tr '\n' ' ')"

(cd "$dist" && sha256sum --check --strict SHA256SUMS) || fail "sha256sum -c SHA256SUMS"
[ "$(wc -l < "$dist/SHA256SUMS")" = 5 ] || fail "SHA256SUMS does not list the 5 files"
gpg --batch --verify "$dist/SHA256SUMS.asc" "$dist/SHA256SUMS" 2>/dev/null || fail "gpg --verify"
cp -r "$dist" "$work/tampered"
printf 'x' >> "$work/tampered/fips-setup.pyz"
(cd "$work/tampered" && sha256sum --check --quiet SHA256SUMS >/dev/null 2>&1) \
  && fail "sha256sum -c passes a changed zipapp"
echo >> "$work/tampered/SHA256SUMS"
gpg --batch --verify "$work/tampered/SHA256SUMS.asc" "$work/tampered/SHA256SUMS" 2>/dev/null \
  && fail "gpg --verify passes a changed SHA256SUMS"
ok "sha256sum -c and gpg --verify pass, and fail on a changed file"

# --- the script --------------------------------------------------------------------------
script="$dist/install_script_agent7.sh"
sum=$(sha256sum "$dist/fips-setup.pyz" | cut -d' ' -f1)
grep -qx "FIPS_SETUP_PYZ_SHA256=\"$sum\"" "$script" || fail "the script does not carry the zipapp's SHA-256"
grep -qx "FIPS_SETUP_PYZ_URL_DEFAULT=\"$url/fips-setup.pyz\"" "$script" \
  || fail "the script does not carry $url/fips-setup.pyz"
grep -qx "FIPS_SETUP_VERSION=\"$VERSION\"" "$script" || fail "the script does not carry version $VERSION"
bash -n "$script" || fail "the script does not parse"
[ -x "$script" ] || fail "the script is not executable"
ok "the script carries the zipapp's SHA-256, $url/fips-setup.pyz and $VERSION"

# --- the wheel, on the oldest and the newest Python ---------------------------------------
for py in "$PY_OLD" "$PY_NEW"; do
  venv="$work/venv-$(basename "$(dirname "$(dirname "$py")")")"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$dist/$wheel"
  said=$("$venv/bin/fips-setup" --version)
  case "$said" in "fips-setup $VERSION"*) ;; *) fail "$py: fips-setup --version says: $said" ;; esac
  "$venv/bin/fips-setup" configure --config docs/examples/datadog.yaml --dry-run --json \
    | "$venv/bin/python" -c 'import json,sys; d=json.load(sys.stdin); assert d["changed"] and not d["failed"], d' \
    || fail "$py: fips-setup configure --dry-run from the wheel"
  ok "the wheel on $("$py" --version): $said; configure --dry-run works"
done

# --- the zipapp ----------------------------------------------------------------------------
"$PY_NEW" - "$dist/fips-setup.pyz" "$VERSION" "$REPO" <<'EOF' || fail "the zipapp"
import pathlib, re, subprocess, sys, zipfile

archive, version, repo = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
with zipfile.ZipFile(archive) as bundle:
    names = set(bundle.namelist())
    init = bundle.read("installer/__init__.py").decode()
    assert re.search(rf'^__version__ = "{re.escape(version)}"$', init, re.M), "version"
    # Every bundled distribution keeps its metadata (name and version for scanners).
    tops = {n.split("/")[0] for n in names if "/" in n}
    infos = sorted(t for t in tops if t.endswith(".dist-info"))
    for wanted in ("fips_setup", "requests", "urllib3", "idna", "certifi", "rich", "typer",
                   "click", "ruamel_yaml", "pygments", "markdown_it_py"):
        assert any(i.startswith(wanted + "-") for i in infos), f"no {wanted} *.dist-info"
    for info in infos:
        assert f"{info}/METADATA" in names, f"{info} has no METADATA"
    # The toolkit's modules in the zipapp are this tree's (the tests checked these).
    shipped = sorted(n for n in names if n.startswith(("installer/", "fipsconf/")) and n.endswith(".py"))
    tracked = subprocess.run(["git", "-C", str(repo), "ls-files", "installer", "fipsconf"],
                             capture_output=True, text=True, check=True).stdout.split()
    tracked = sorted(t for t in tracked if t.endswith(".py") and not t.startswith("installer/ansible/"))
    missing = set(tracked) - set(shipped)
    assert not missing, f"modules git tracks are not in the zipapp: {sorted(missing)}"
    for name in shipped:
        assert bundle.read(name) == (repo / name).read_bytes(), f"{name} differs from the tree"
print(f"distcheck: ok: the zipapp carries {version}, this tree's {len(shipped)} modules and"
      f" {len(infos)} *.dist-info folders")
EOF

# --- the collection, as Galaxy imports it ----------------------------------------------------
cat > "$work/galaxy-importer.cfg" <<'EOF'
[galaxy-importer]
# ansible-test needs containers; make ansible-sanity runs it without them.
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
EOF
tarball="$dist/fips_setup-datadog-${VERSION}.tar.gz"
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" PATH="$REPO/.venv-release/bin:$PATH" \
  ANSIBLE_HOME="$work/ansible-home" "$REPO/.venv-release/bin/python" -m galaxy_importer.main "$tarball" \
  > "$work/import.log" 2>&1) || { cat "$work/import.log" >&2; fail "galaxy-importer"; }
# One warning is expected: the sanity ignore file's missing-gplv3-license lines, one per module (the
# modules are Apache-2.0, like the project; an ignore ansible-lint permits). Any other fails.
grep -E "^(ERROR|WARNING)" "$work/import.log" \
  | grep -vx "WARNING: Ignore files skip ansible-test sanity tests, found ignore-2.21.txt with 3 statement(s)" \
  && { cat "$work/import.log" >&2; fail "galaxy-importer warned"; }
tar -xzOf "$tarball" MANIFEST.json | "$PY_NEW" -c '
import json, sys
info = json.load(sys.stdin)["collection_info"]
assert info["version"] == sys.argv[1], info["version"]
assert info["license"] == ["Apache-2.0"], info["license"]
assert all(info[k] for k in ("repository", "documentation", "issues")), info
' "$VERSION" || fail "the collection's MANIFEST.json"
tar -tzf "$tarball" > "$work/listing"
grep -qx "LICENSE" "$work/listing" || fail "the collection carries no LICENSE"
ok "galaxy-importer imports $(basename "$tarball"): $(tail -1 "$work/import.log")"
