#!/usr/bin/env bash
# One-step install of the Datadog Agent 7, with the FIPS proxy when DD_FIPS_MODE is on.
#
#   DD_API_KEY=... DD_SITE="ddog-gov.com" DD_FIPS_MODE=1 \
#     bash -c "$(curl -fsSL https://<where this script is published>/install_script_agent7.sh)"
#
# Variables (environment only; nothing secret ever goes on a command line):
#   DD_API_KEY              API key (required unless /etc/datadog-agent/datadog.yaml exists);
#                           or DD_API_KEY_FILE, a file holding it
#   DD_SITE                 Datadog site; with DD_FIPS_MODE it must be ddog-gov.com (the default)
#   DD_FIPS_MODE            1/true/yes: install and enable the FIPS proxy; 0/false/no/empty: don't
#   DD_AGENT_MAJOR_VERSION  7 (the only major version this script installs)
#   DD_AGENT_MINOR_VERSION  pin the Agent to 7.<minor>[.<patch>]
#   DD_REPO_URL             a mirror (https:// or file://) laid out as apt/, rpm/stable/7/<arch>/,
#                           and keys/ holding DATADOG_APT_KEY_CURRENT.public and
#                           DATADOG_RPM_KEY_CURRENT.public; default: Datadog's own repositories
#   DD_HOSTNAME, DD_ENV, DD_TAGS   written to a new datadog.yaml
#   FIPS_SETUP_PYZ          a local fips-setup zipapp; else it is downloaded from
#                           FIPS_SETUP_PYZ_URL (default: next to this script) and checked
#                           against the SHA-256 this script carries
#
# Exit status: 0 success; 1 a step failed (the message says which); 2 a variable is wrong;
# 3 this platform is not supported; 4 not root and sudo unavailable.
set -euo pipefail
umask 022

readonly FED_SITE="ddog-gov.com"
# Filled in by `make dist` with the published zipapp's location and checksum.
FIPS_SETUP_PYZ_URL_DEFAULT=""
FIPS_SETUP_PYZ_SHA256=""
readonly AGENT_PYTHON="/opt/datadog-agent/embedded/bin/python3"
readonly PASSED_VARIABLES="DD_API_KEY,DD_API_KEY_FILE,DD_SITE,DD_FIPS_MODE,DD_AGENT_MAJOR_VERSION,DD_AGENT_MINOR_VERSION,DD_REPO_URL,DD_HOSTNAME,DD_ENV,DD_TAGS,FIPS_SETUP_PYZ,FIPS_SETUP_PYZ_URL"
# Where the script looks; tests point these at their own files.
OS_RELEASE="${OS_RELEASE:-/etc/os-release}"
DATADOG_YAML="${DATADOG_YAML:-/etc/datadog-agent/datadog.yaml}"

say() { printf '%s\n' "fips-setup install: $*" >&2; }
die() { local status=$1; shift; say "error: $*"; exit "$status"; }

# --- variables -----------------------------------------------------------------

# DD_FIPS_MODE: prints "on" or "off"; anything unexpected is an error (exit 2).
fips_mode() {
  local value
  value=$(printf '%s' "${DD_FIPS_MODE:-}" | tr '[:upper:]' '[:lower:]')
  case "$value" in
    1|true|yes) echo on ;;
    0|false|no|"") echo off ;;
    *) die 2 "DD_FIPS_MODE='${DD_FIPS_MODE}' is not understood; use 1, true or yes to install the FIPS proxy, 0, false, no or nothing not to" ;;
  esac
}

check_variables() {
  local mode=$1
  if [ "${DD_AGENT_MAJOR_VERSION:-7}" != 7 ]; then
    die 2 "DD_AGENT_MAJOR_VERSION=${DD_AGENT_MAJOR_VERSION}: this script installs Agent 7 only"
  fi
  if [ -n "${DD_AGENT_MINOR_VERSION:-}" ] && ! [[ "$DD_AGENT_MINOR_VERSION" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    die 2 "DD_AGENT_MINOR_VERSION=${DD_AGENT_MINOR_VERSION} is not a version like 52 or 52.1"
  fi
  if [ "$mode" = on ] && [ -n "${DD_SITE:-}" ] && [ "$DD_SITE" != "$FED_SITE" ]; then
    die 2 "DD_SITE=${DD_SITE} with DD_FIPS_MODE: the FIPS proxy only forwards to ${FED_SITE}"
  fi
  if [ -n "${DD_REPO_URL:-}" ]; then
    case "$DD_REPO_URL" in
      https://*|file://*) ;;
      *) die 2 "DD_REPO_URL must start with https:// or file:// (nothing is fetched over plain HTTP)" ;;
    esac
  fi
  if [ -z "${DD_API_KEY:-}" ] && [ -z "${DD_API_KEY_FILE:-}" ] && [ ! -e "$DATADOG_YAML" ]; then
    die 2 "set DD_API_KEY (or DD_API_KEY_FILE): this host has no ${DATADOG_YAML} yet"
  fi
}

# --- platform ------------------------------------------------------------------

# Prints debian, rhel or suse from os-release ID and ID_LIKE; exit 3 otherwise.
detect_family() {
  [ -r "$OS_RELEASE" ] || die 3 "cannot read ${OS_RELEASE}: unsupported platform"
  local id like
  id=$(sed -n 's/^ID=//p' "$OS_RELEASE" | tr -d '"' | head -n 1)
  like=$(sed -n 's/^ID_LIKE=//p' "$OS_RELEASE" | tr -d '"' | head -n 1)
  local word
  for word in $id $like; do
    case "$word" in
      debian|ubuntu) echo debian; return ;;
      rhel|centos|fedora|rocky|almalinux|ol|amzn) echo rhel; return ;;
      sles|sled|suse|opensuse|opensuse-leap|opensuse-tumbleweed) echo suse; return ;;
    esac
  done
  die 3 "${id:-this system} is not supported: Debian, Ubuntu, RHEL and its relatives, Amazon Linux, Fedora and SUSE are"
}

detect_arch() {
  case "$(uname -m)" in
    x86_64|amd64) echo x86_64 ;;
    aarch64|arm64) echo aarch64 ;;
    *) die 3 "$(uname -m) is not supported: x86_64 and aarch64 are" ;;
  esac
}

# --- repositories ----------------------------------------------------------------

repo_base() {  # where packages come from, by family
  local family=$1 arch=$2
  if [ -n "${DD_REPO_URL:-}" ]; then
    case "$family" in
      debian) echo "${DD_REPO_URL%/}/apt" ;;
      *) echo "${DD_REPO_URL%/}/rpm/stable/7/${arch}" ;;
    esac
    return
  fi
  case "$family" in
    debian) echo "https://apt.datadoghq.com" ;;
    rhel) echo "https://yum.datadoghq.com/stable/7/${arch}" ;;
    suse) echo "https://yum.datadoghq.com/suse/stable/7/${arch}" ;;
  esac
}

keys_base() {
  if [ -n "${DD_REPO_URL:-}" ]; then echo "${DD_REPO_URL%/}/keys"; else echo "https://keys.datadoghq.com"; fi
}

fetch() {  # fetch URL FILE: https or file only, failing on HTTP errors
  curl --fail --silent --show-error --location --proto '=https,file' --proto-redir '=https' \
    --retry 3 --output "$2" "$1"
}

# The current signing key is required; older ones (for pinned older packages) are
# taken when the server has them.
readonly APT_KEYS="DATADOG_APT_KEY_CURRENT DATADOG_APT_KEY_C0962C7D DATADOG_APT_KEY_F14F620E DATADOG_APT_KEY_382E94DE"
readonly RPM_KEYS="DATADOG_RPM_KEY_CURRENT DATADOG_RPM_KEY_B01082D3 DATADOG_RPM_KEY_FD4BF915 DATADOG_RPM_KEY_E09422B3"

fetch_keys() {  # fetch_keys BASE "NAMES" DIR: the .public files into DIR, the first one required
  local base=$1 names=$2 folder=$3 name first=1
  for name in $names; do
    if ! fetch "${base}/${name}.public" "${folder}/${name}.public" 2>/dev/null; then
      rm -f "${folder}/${name}.public"
      [ "$first" = 1 ] && die 1 "cannot fetch the signing key ${base}/${name}.public"
    fi
    first=0
  done
}

apt_is_old() {  # apt before 1.1 (Debian 8, Ubuntu 14.04) has no signed-by
  local version
  version=$(apt-get --version | sed -n '1s/^apt \([0-9]*\.[0-9]*\).*/\1/p')
  [ "$(printf '%s\n1.1\n' "$version" | sort -V | head -n 1)" != 1.1 ]
}

setup_apt() {
  local base=$1 keys=$2 folder keyring source_line
  folder=$(mktemp -d)
  fetch_keys "$keys" "$APT_KEYS" "$folder"
  if apt_is_old; then
    keyring=/etc/apt/trusted.gpg.d/datadog-archive-keyring.gpg
    source_line="deb ${base%/}/ stable 7"
  else
    keyring=/usr/share/keyrings/datadog-archive-keyring.gpg
    source_line="deb [signed-by=${keyring}] ${base%/}/ stable 7"
  fi
  if command -v gpg >/dev/null 2>&1; then
    cat "$folder"/*.public | gpg --batch --yes --dearmor > "${keyring}.new"
  else  # apt >= 1.4 reads armored keys from a .asc file
    keyring="${keyring%.gpg}.asc"
    source_line="deb [signed-by=${keyring}] ${base%/}/ stable 7"
    cat "$folder"/*.public > "${keyring}.new"
  fi
  rm -rf "$folder"
  chmod 644 "${keyring}.new"
  mv "${keyring}.new" "$keyring"
  printf '%s\n' "$source_line" > /etc/apt/sources.list.d/datadog.list
  apt-get update -o Dir::Etc::sourcelist=sources.list.d/datadog.list \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
}

setup_rpm() {
  local family=$1 base=$2 keys=$3 folder=/etc/pki/rpm-gpg key gpgkeys=""
  mkdir -p "$folder"
  fetch_keys "$keys" "$RPM_KEYS" "$folder"
  for key in $RPM_KEYS; do
    [ -f "${folder}/${key}.public" ] || continue
    rpm --import "${folder}/${key}.public"
    gpgkeys="${gpgkeys}${gpgkeys:+ }file://${folder}/${key}.public"
  done
  local file=/etc/yum.repos.d/datadog.repo
  [ "$family" = suse ] && file=/etc/zypp/repos.d/datadog.repo
  mkdir -p "$(dirname "$file")"
  cat > "$file" <<EOF
[datadog]
name=Datadog, Inc.
enabled=1
baseurl=${base%/}/
type=rpm-md
gpgcheck=1
repo_gpgcheck=1
gpgkey=${gpgkeys}
EOF
  if [ "$family" = suse ]; then
    # Keys were imported above: never --gpg-auto-import-keys, which would trust any key.
    ZYPP_LOCK_TIMEOUT=120 zypper --non-interactive refresh datadog
  else
    "$(yum_tool)" -y makecache --disablerepo='*' --enablerepo=datadog
  fi
}

yum_tool() { if command -v yum >/dev/null 2>&1; then echo yum; else echo dnf; fi; }

agent_package() {  # the package name, pinned when asked, in the family's syntax
  local family=$1 pin="${DD_AGENT_MINOR_VERSION:-}"
  if [ -z "$pin" ]; then echo datadog-agent; return; fi
  case "$family" in
    debian) echo "datadog-agent=1:7.${pin}*" ;;
    *) echo "datadog-agent-7.${pin}" ;;
  esac
}

install_agent() {
  local family=$1 package
  package=$(agent_package "$family")
  case "$family" in
    debian) DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=120 \
              -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$package" ;;
    rhel) "$(yum_tool)" -y install "$package" ;;
    suse) ZYPP_LOCK_TIMEOUT=120 zypper --non-interactive install "$package" ;;
  esac
}

# --- the toolkit -----------------------------------------------------------------

obtain_toolkit() {  # prints the path of a verified fips-setup zipapp
  if [ -n "${FIPS_SETUP_PYZ:-}" ]; then
    [ -r "$FIPS_SETUP_PYZ" ] || die 1 "FIPS_SETUP_PYZ=${FIPS_SETUP_PYZ}: no such file"
    echo "$FIPS_SETUP_PYZ"
    return
  fi
  local url="${FIPS_SETUP_PYZ_URL:-$FIPS_SETUP_PYZ_URL_DEFAULT}"
  if [ -z "$url" ] || [ -z "$FIPS_SETUP_PYZ_SHA256" ]; then
    die 1 "this copy of the script carries no fips-setup checksum: use the published script, or set FIPS_SETUP_PYZ to a local fips-setup.pyz"
  fi
  local pyz
  pyz=$(mktemp --suffix=.pyz)
  fetch "$url" "$pyz"
  if ! printf '%s  %s\n' "$FIPS_SETUP_PYZ_SHA256" "$pyz" | sha256sum --check --status; then
    rm -f "$pyz"
    die 1 "the fips-setup download from ${url} does not match the checksum this script carries"
  fi
  echo "$pyz"
}

# --- main ------------------------------------------------------------------------

become_root() {
  [ "$(id -u)" = 0 ] && return
  command -v sudo >/dev/null 2>&1 || die 4 "run as root (sudo is not available)"
  say "re-running with sudo"
  if [ -n "${BASH_EXECUTION_STRING:-}" ]; then
    exec sudo --preserve-env="$PASSED_VARIABLES" bash -c "$BASH_EXECUTION_STRING"
  fi
  exec sudo --preserve-env="$PASSED_VARIABLES" bash "$0"
}

main() {
  local mode family arch
  mode=$(fips_mode)
  check_variables "$mode"
  family=$(detect_family)
  arch=$(detect_arch)
  become_root
  say "installing the Datadog Agent 7 on ${family} (${arch}), FIPS proxy: ${mode}"
  case "$family" in
    debian) setup_apt "$(repo_base "$family" "$arch")" "$(keys_base)" ;;
    *) setup_rpm "$family" "$(repo_base "$family" "$arch")" "$(keys_base)" ;;
  esac
  install_agent "$family" || die 1 "the Agent package could not be installed"
  [ -x "$AGENT_PYTHON" ] || die 1 "${AGENT_PYTHON} is missing after installing the Agent"
  local pyz status=0
  pyz=$(obtain_toolkit)
  # The key reaches fips-setup through its environment, never its arguments.
  "$AGENT_PYTHON" "$pyz" install || status=$?
  [ -n "${FIPS_SETUP_PYZ:-}" ] || rm -f "$pyz"
  [ "$status" = 0 ] || die 1 "fips-setup install failed (exit status ${status}); see its message above"
  say "done"
}

if [ "${FIPS_SETUP_SOURCED:-0}" != 1 ]; then
  main "$@"
fi
