#!/usr/bin/env bash
# One-step install of the Datadog Agent 7 (or the FIPS Agent), with the FIPS proxy when
# DD_FIPS_MODE is on: a drop-in for Datadog's install_script_agent7.sh.
#
#   DD_API_KEY=... DD_SITE="ddog-gov.com" DD_FIPS_MODE=1 \
#     bash -c "$(curl -fsSL https://<where this script is published>/install_script_agent7.sh)"
#
# Every variable Datadog's script reads either does what it does there (FIPS done right) or
# stops the script, or is named in a warning; docs/install-script.md has the whole table.
# The main ones:
#   DD_API_KEY (or DD_API_KEY_FILE)  required unless /etc/datadog-agent/datadog.yaml exists
#   DD_SITE                    with DD_FIPS_MODE or the FIPS Agent it must be ddog-gov.com (the default)
#   DD_FIPS_MODE               1/true/yes: the FIPS proxy; 0/false/no/empty: none; else an error
#   DD_AGENT_FLAVOR            datadog-agent (default) or datadog-fips-agent (the FIPS Agent)
#   DD_AGENT_MINOR_VERSION     pin 7.<minor>[.<patch>][~rc.N], resolved against the repository
#   DD_UPGRADE_AGENT           upgrade an installed Agent to the newest (else it is kept)
#   DD_AGENT_DIST_CHANNEL      stable (default) or beta
#   DD_INSTALL_ONLY            install and configure, start nothing
#   DD_NO_AGENT_INSTALL        leave the Agent package alone (add the proxy to the one installed)
#   DD_MIRROR_URL              a mirror (https:// or file://) laid out as apt/, rpm/<channel>/7/<arch>/
#                              and keys/; DD_REPO_URL takes such a URL too, or Datadog's form
#                              (a domain: apt.<domain>, yum.<domain>)
#   DD_REPO_KEY_FINGERPRINTS   extra signing-key fingerprints to trust (a mirror's own key)
#   DD_RPM_REPO_GPGCHECK       repo_gpgcheck for yum/dnf/zypper
#   DD_HOSTNAME, DD_ENV, DD_TAGS (or DD_HOST_TAGS), DD_URL, DD_APP_KEY   written to a new datadog.yaml
#   DD_SYSTEM_PROBE_ENSURE_CONFIG, DD_RUNTIME_SECURITY_CONFIG_ENABLED, DD_COMPLIANCE_CONFIG_ENABLED
#   http_proxy, https_proxy, no_proxy   used by curl and the package managers
#   FIPS_SETUP_PYZ             a local fips-setup zipapp; else it is downloaded from
#                              FIPS_SETUP_PYZ_URL (default: next to this script) and checked
#                              against the SHA-256 this script carries
#
# Nothing secret goes on a command line. Everything is fetched and checked (signing keys
# against pinned fingerprints, the zipapp against its checksum, the Agent version against the
# repository) before the host is changed.
#
# Exit status: 0 success; 1 a step failed or the host does not allow it (the message says
# which); 2 a variable is wrong; 3 this platform is not supported; 4 not root and no sudo.
set -euo pipefail
shopt -s inherit_errexit 2>/dev/null || true  # bash 4.4+: errexit inside $(...) too
umask 022

readonly SCRIPT_NAME="install_script_agent7"
readonly FED_SITE="ddog-gov.com"
readonly US2_FED_SITE="us2.ddog-gov.com"  # the second government site: the FIPS Agent, not the proxy
# Filled in by `make dist` with the release's version and the published zipapp's location
# and checksum.
# shellcheck disable=SC2034  # for people and tools: `grep ^FIPS_SETUP_VERSION= <script>`
FIPS_SETUP_VERSION=""
FIPS_SETUP_PYZ_URL_DEFAULT=""
FIPS_SETUP_PYZ_SHA256=""
readonly AGENT_PYTHON="/opt/datadog-agent/embedded/bin/python3"
readonly AGENT_PACKAGE="datadog-agent"
readonly FIPS_AGENT_PACKAGE="datadog-fips-agent"
readonly PROXY_PACKAGE="datadog-fips-proxy"
readonly SIGNING_KEYS_PACKAGE="datadog-signing-keys"
# The FIPS proxy supports Agent 7.45 and later; the FIPS Agent is supported from 7.65
# (Datadog's FIPS pages; see DESIGN.md section 2).
readonly PROXY_MIN_MINOR=45
readonly FIPS_AGENT_MIN_MINOR=65
# Datadog's package signing keys, as its script fetches them (DATADOG_*_KEY_CURRENT is
# whichever key signs new releases), and the fingerprints every fetched key must have.
# Fingerprints: the "Agent distribution" list of DataDog/documentation
# content/en/data_security/agent.md (commit a31ca714); the apt ones also match
# DataDog/puppet-datadog-agent manifests/ubuntu_installer.pp, the 2022 and 2024
# key-rotation guides name the older ones.
readonly APT_KEY_NAMES="DATADOG_APT_KEY_CURRENT DATADOG_APT_KEY_06462314 DATADOG_APT_KEY_C0962C7D DATADOG_APT_KEY_F14F620E DATADOG_APT_KEY_382E94DE"
readonly RPM_KEY_NAMES="DATADOG_RPM_KEY_CURRENT DATADOG_RPM_KEY_4F09D16B DATADOG_RPM_KEY_B01082D3 DATADOG_RPM_KEY_FD4BF915 DATADOG_RPM_KEY_E09422B3"
readonly APT_FINGERPRINTS="D18886567EABAD8B2D2526900D826EB906462314 5F1E256061D813B125E156E8E6266D4AC0962C7D D75CEA17048B9ACBF186794B32637D44F14F620E A2923DFF56EDA6E76E55E492D3A80E30382E94DE"
readonly RPM_FINGERPRINTS="2416A37757B1BB0268B3634B52AFC5994F09D16B 7408BFD56BC5BF0C361AAAE85D88EEA3B01082D3 C6559B690CA882F023BDF3F63F4D1729FD4BF915 A4C0B90D7443CF6E4E8AA341F1068E14E09422B3"
readonly APT_KEYRING="/usr/share/keyrings/datadog-archive-keyring.gpg"
readonly APT_OLD_KEYRING="/etc/apt/trusted.gpg.d/datadog-archive-keyring.gpg"
readonly APT_SOURCE="/etc/apt/sources.list.d/datadog.list"
readonly RPM_KEY_DIR="/etc/pki/rpm-gpg"
# Datadog's script reads these too; this one does not do what they ask (a warning names
# each one that is set). docs/install-script.md says why for each.
readonly UNSUPPORTED_VARIABLES="DD_UPGRADE DD_INSTALLER DD_INSTALLER_REGISTRY_URL DD_INSTALLER_REGISTRY_AUTH DD_REMOTE_UPDATES DD_APM_INSTRUMENTATION_ENABLED DD_APM_INSTRUMENTATION_LIBRARIES DD_APM_INSTRUMENTATION_LANGUAGES DD_APM_INSTRUMENTATION_NO_CONFIG_CHANGE DD_APM_INSTRUMENTATION_PIPELINE_ID DD_APM_ERROR_TRACKING_STANDALONE DD_APPSEC_ENABLED DD_IAST_ENABLED DD_APPSEC_SCA_ENABLED DD_PROFILING_ENABLED DD_DISCOVERY_ENABLED DD_PRIVILEGED_LOGS_ENABLED DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED DD_OTELCOLLECTOR_ENABLED DD_DDOT_DIST_CHANNEL DD_LOGS_CONFIG_PROCESS_COLLECT_ALL DD_INFRASTRUCTURE_MODE DD_PRIVATE_ACTION_RUNNER_ENABLED DD_PRIVATE_ACTION_RUNNER_ACTIONS_ALLOWLIST DD_PRIVATE_ACTION_RUNNER_API_KEY_ONLY_ENROLLMENT DD_SBOM_CONTAINER_IMAGE_ENABLED DD_SBOM_HOST_ENABLED DD_INSTRUMENTATION_TELEMETRY_ENABLED TESTING_KEYS_URL TESTING_YUM_URL TESTING_APT_URL TESTING_YUM_VERSION_PATH TESTING_APT_REPO_VERSION TESTING_REPORT_URL"
# Where the script looks; tests point these at their own files.
OS_RELEASE="${OS_RELEASE:-/etc/os-release}"
DATADOG_YAML="${DATADOG_YAML:-/etc/datadog-agent/datadog.yaml}"
WORK=""

say() { printf '%s\n' "fips-setup install: $*" >&2; }
warn() { say "warning: $*"; }
die() { local status=$1; shift; say "error: $*"; exit "$status"; }

# --- root ----------------------------------------------------------------------------

# The variables the root run needs, as bash assignments (values quoted with %q).
passed_variables() {
  local name
  for name in $(compgen -e); do
    case "$name" in
      FIPS_SETUP_SOURCED) ;;
      DD_*|FIPS_SETUP_*|REPO_URL|TESTING_*|ZYPP_*|http_proxy|https_proxy|no_proxy|all_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY|ALL_PROXY)
        printf 'export %s=%q\n' "$name" "${!name}" ;;
    esac
  done
}

# Not root: run this same script again under sudo. The variables and the script travel on
# sudo's standard input (every sudo accepts that; --preserve-env=LIST needs sudo 1.8.21),
# so no value, the API key least of all, is ever a process argument.
become_root() {
  [ "$EUID" = 0 ] && return 0
  command -v sudo >/dev/null 2>&1 || die 4 "run this as root: sudo is not available"
  local program
  if [ -n "${BASH_EXECUTION_STRING:-}" ]; then  # bash -c "$(curl ...)", as documented
    program=$BASH_EXECUTION_STRING
  elif [ -f "$0" ] && [ "$(basename -- "$0")" != bash ]; then  # bash install_script_agent7.sh
    program=$(cat -- "$0")
  else
    die 4 "not root, and this script cannot run itself again under sudo from a pipe: run it as root, or as bash -c \"\$(curl -fsSL URL)\""
  fi
  say "not root: running again with sudo"
  local status=0
  { passed_variables; printf '%s\n' "$program"; } | sudo bash -c 'eval "$(cat)"' || status=$?
  exit "$status"
}

# --- variables -------------------------------------------------------------------------

# flag NAME: prints on or off; anything but 1/true/yes/0/false/no/empty stops (exit 2).
flag() {
  local name=$1 value
  value=$(printf '%s' "${!name:-}" | tr '[:upper:]' '[:lower:]')
  case "$value" in
    1|true|yes) echo on ;;
    0|false|no|"") echo off ;;
    *) die 2 "${name}='${!name}' is not understood: use 1, true or yes to turn it on; 0, false, no or nothing to leave it off" ;;
  esac
}

# single_line NAME...: a value written into a file must not carry a newline or control character.
single_line() {
  local name
  for name in "$@"; do
    if [[ "${!name:-}" =~ [[:cntrl:]] ]]; then
      die 2 "$name contains a newline or another control character"
    fi
  done
}

# The leading number of a pin or of a package version's minor (1:7.52.1-1 -> 52, 53.0~rc.1 -> 53).
minor_of() {
  local version=${1#*:}
  case "$version" in 7.*) version=${version#7.} ;; esac
  printf '%s\n' "${version%%[!0-9]*}"
}

read_settings() {
  # The keys stay in this shell: no program started from here on (package managers,
  # downloads, even tr) gets them in its environment; fips-setup is given them by name.
  API_KEY=${DD_API_KEY:-}
  APP_KEY=${DD_APP_KEY:-}
  unset DD_API_KEY DD_APP_KEY
  FIPS=$(flag DD_FIPS_MODE)
  FLAVOR=${DD_AGENT_FLAVOR:-$AGENT_PACKAGE}
  case "$FLAVOR" in
    "$AGENT_PACKAGE"|"$FIPS_AGENT_PACKAGE") ;;
    *) die 2 "DD_AGENT_FLAVOR=${FLAVOR}: this script installs ${AGENT_PACKAGE} (the default) and ${FIPS_AGENT_PACKAGE} (the FIPS Agent); use Datadog's own script for other flavors" ;;
  esac
  if [ "$FIPS" = on ] && [ "$FLAVOR" = "$FIPS_AGENT_PACKAGE" ]; then
    die 2 "DD_FIPS_MODE with DD_AGENT_FLAVOR=${FIPS_AGENT_PACKAGE}: one or the other. The FIPS Agent encrypts with its own FIPS-validated module and sends to the intake directly; it needs no FIPS proxy and cannot be installed beside one. Unset DD_FIPS_MODE for the FIPS Agent, or DD_AGENT_FLAVOR for the Agent with the FIPS proxy"
  fi
  if [ "${DD_AGENT_MAJOR_VERSION:-7}" != 7 ]; then
    die 2 "DD_AGENT_MAJOR_VERSION=${DD_AGENT_MAJOR_VERSION}: this script installs Agent 7 only"
  fi
  PIN=${DD_AGENT_MINOR_VERSION:-}
  if [ -n "$PIN" ]; then
    if ! [[ "$PIN" =~ ^[0-9]+(\.[0-9]+)?(~[A-Za-z0-9.]+)?(-[0-9]+)?$ ]]; then
      die 2 "DD_AGENT_MINOR_VERSION=${PIN} is not a version like 52, 52.1 or 53.0~rc.1"
    fi
    check_minimum 2 "$(minor_of "$PIN")" "DD_AGENT_MINOR_VERSION=${PIN}"
  fi
  SITE=${DD_SITE:-}
  if [ -n "$SITE" ] && ! [[ "$SITE" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    die 2 "DD_SITE=${SITE} is not a site name like ${FED_SITE}"
  fi
  if [ "$FIPS" = on ] || [ "$FLAVOR" = "$FIPS_AGENT_PACKAGE" ]; then
    SITE=${SITE:-$FED_SITE}
    if [ "${SITE,,}" = "$US2_FED_SITE" ] && [ "$FIPS" = on ]; then
      # Not only "use ddog-gov.com": for a US2-FED organization that is another site.
      die 2 "DD_SITE=${SITE} (US2-FED) with DD_FIPS_MODE: the FIPS proxy forwards to US1-FED (${FED_SITE}) only, so its payloads would go to the wrong site; use the FIPS Agent, which sends to US2-FED's own intake (DD_AGENT_FLAVOR=${FIPS_AGENT_PACKAGE} in place of DD_FIPS_MODE), or, for a US1-FED organization, set DD_SITE=${FED_SITE}"
    fi
    if [ "$SITE" != "$FED_SITE" ] && [ "${SITE,,}" != "$US2_FED_SITE" ]; then
      if [ "$FIPS" = on ]; then
        die 2 "DD_SITE=${SITE} with DD_FIPS_MODE: the FIPS proxy only forwards to ${FED_SITE}"
      fi
      die 2 "DD_SITE=${SITE} with ${FIPS_AGENT_PACKAGE}: the FIPS Agent is for the government sites, ${FED_SITE} (US1-FED) and ${US2_FED_SITE} (US2-FED)"
    fi
  fi
  UPGRADE=$(flag DD_UPGRADE_AGENT)
  INSTALL_ONLY=$(flag DD_INSTALL_ONLY)
  NO_AGENT_INSTALL=$(flag DD_NO_AGENT_INSTALL)
  local name
  for name in DD_SYSTEM_PROBE_ENSURE_CONFIG DD_RUNTIME_SECURITY_CONFIG_ENABLED DD_COMPLIANCE_CONFIG_ENABLED; do
    flag "$name" >/dev/null  # read by fips-setup install; checked here, before any change
  done
  single_line DD_HOSTNAME DD_ENV DD_TAGS DD_HOST_TAGS DD_URL DD_API_KEY_FILE
  if [ -n "$API_KEY" ] && ! [[ "$API_KEY" =~ ^[A-Za-z0-9]{32}$ ]]; then
    die 2 "DD_API_KEY does not look like a Datadog API key (32 letters and digits)"
  fi
  if [ -n "$APP_KEY" ] && ! [[ "$APP_KEY" =~ ^[A-Za-z0-9]{40}$ ]]; then
    die 2 "DD_APP_KEY does not look like a Datadog application key (40 letters and digits)"
  fi
  read_repository_settings
}

# check_minimum STATUS MINOR WHAT [ADVICE]: the FIPS proxy and the FIPS Agent each need a
# minimum Agent; below it, stop with STATUS (2 for a variable, 1 for the host or repository).
check_minimum() {
  local status=$1 minor=$2 what=$3 advice=${4:+; $4}
  if [ "$FIPS" = on ] && [ "$minor" -lt "$PROXY_MIN_MINOR" ]; then
    die "$status" "${what}: the FIPS proxy needs Agent 7.${PROXY_MIN_MINOR} or newer${advice}"
  fi
  if [ "$FLAVOR" = "$FIPS_AGENT_PACKAGE" ] && [ "$minor" -lt "$FIPS_AGENT_MIN_MINOR" ]; then
    die "$status" "${what}: the FIPS Agent is supported from 7.${FIPS_AGENT_MIN_MINOR}${advice}"
  fi
}

# Where packages come from: Datadog's repositories, Datadog's other domains (DD_REPO_URL
# in its script's meaning, e.g. datad0g.com), or a mirror (DD_MIRROR_URL, or a full URL in
# DD_REPO_URL).
read_repository_settings() {
  local repo=${DD_REPO_URL:-}
  if [ -z "$repo" ] && [ -n "${REPO_URL:-}" ]; then
    warn "REPO_URL is deprecated (as in Datadog's script): use DD_REPO_URL"
    repo=$REPO_URL
  fi
  MIRROR=${DD_MIRROR_URL:-}
  REPO_DOMAIN=""
  case "$repo" in
    "") ;;
    https://*|file://*)
      if [ -n "$MIRROR" ] && [ "$MIRROR" != "$repo" ]; then
        die 2 "DD_REPO_URL and DD_MIRROR_URL name two different mirrors; set one"
      fi
      MIRROR=$repo ;;
    *://*) die 2 "DD_REPO_URL=${repo}: a mirror is an https:// or file:// URL (nothing is fetched over plain HTTP)" ;;
    *)
      if ! [[ "$repo" =~ ^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$ ]]; then
        die 2 "DD_REPO_URL=${repo} is neither a domain like datadoghq.com (Datadog's meaning: apt.<domain>, yum.<domain>) nor an https:// or file:// mirror"
      fi
      REPO_DOMAIN=$repo ;;
  esac
  if [ -n "$MIRROR" ]; then
    case "$MIRROR" in
      https://*|file://*) ;;
      *) die 2 "DD_MIRROR_URL must start with https:// or file:// (nothing is fetched over plain HTTP)" ;;
    esac
    if [[ "$MIRROR" =~ [[:space:][:cntrl:]\"\'\\\`] ]]; then
      die 2 "the mirror URL must not contain spaces, quotes, backslashes or control characters"
    fi
    [ -z "$REPO_DOMAIN" ] || die 2 "DD_REPO_URL=${REPO_DOMAIN} and DD_MIRROR_URL: set one"
  fi
  CHANNEL=${DD_AGENT_DIST_CHANNEL:-stable}
  case "$CHANNEL" in
    stable|beta) ;;
    nightly) custom_repository || die 2 "DD_AGENT_DIST_CHANNEL=nightly exists on custom repositories only (as in Datadog's script)" ;;
    *) die 2 "DD_AGENT_DIST_CHANNEL=${CHANNEL}: use stable or beta" ;;
  esac
  GPGCHECK=""
  if [ -n "${DD_RPM_REPO_GPGCHECK:-}" ]; then
    GPGCHECK=$(flag DD_RPM_REPO_GPGCHECK)
    if [ "$GPGCHECK" = on ]; then GPGCHECK=1; else GPGCHECK=0; fi
  fi
  EXTRA_FINGERPRINTS=$(fingerprint_list "${DD_REPO_KEY_FINGERPRINTS:-}")
}

custom_repository() { [ -n "$MIRROR" ] || [ -n "$REPO_DOMAIN" ]; }

# fingerprint_list TEXT: 40-hex-digit fingerprints separated by commas (spaces inside one
# are allowed, as gpg prints them), one per line in capitals; anything else stops (exit 2).
fingerprint_list() {
  local item compact
  local -a items
  IFS=',;' read -r -a items <<< "$1"
  for item in "${items[@]}"; do
    compact=$(printf '%s' "$item" | tr -d '[:space:]' | tr '[:lower:]' '[:upper:]')
    [ -n "$compact" ] || continue
    if ! [[ "$compact" =~ ^([0-9A-F]{40})+$ ]]; then
      die 2 "DD_REPO_KEY_FINGERPRINTS: '${item}' is not a 40-hex-digit key fingerprint"
    fi
    printf '%s\n' "$compact" | fold -w 40
  done
}

# Vendor variables this script does not honour, and forward-proxy settings: never silence.
warn_about_variables() {
  local name reason
  for name in $UNSUPPORTED_VARIABLES; do
    [ -n "${!name:-}" ] || continue
    case "$name" in
      DD_INSTRUMENTATION_TELEMETRY_ENABLED) reason="this script sends no telemetry" ;;
      TESTING_*) reason="point the script at a mirror with DD_MIRROR_URL instead" ;;
      DD_UPGRADE) reason="it imports an Agent 5 configuration; to upgrade the Agent, set DD_UPGRADE_AGENT=true" ;;
      *) reason="this script installs the Agent (and the FIPS proxy) only" ;;
    esac
    warn "${name} is not supported by this script and is ignored: ${reason}"
  done
  for name in DD_PROXY_HTTP DD_PROXY_HTTPS DD_PROXY_NO_PROXY; do
    [ -n "${!name:-}" ] || continue
    if [ "$FIPS" = on ]; then
      warn "${name} is ignored: the FIPS proxy sends straight to the intake, not through a forward proxy (and with fips.enabled the Agent ignores proxy settings)"
    else
      warn "${name} is not written by this script (nor by Datadog's): the Agent reads it from its own environment; set proxy: in datadog.yaml instead"
    fi
  done
  for name in https_proxy HTTPS_PROXY http_proxy HTTP_PROXY; do
    if [ -n "${!name:-}" ]; then
      say "${name} is set: curl and the package manager go through that proxy (no_proxy: ${no_proxy:-${NO_PROXY:-none}})"
      break
    fi
  done
}

# --- platform -------------------------------------------------------------------------

# os_release KEY: a value of os-release, without its double or single quotes.
os_release() {
  local value
  value=$(sed -n "s/^$1=//p" "$OS_RELEASE" | head -n 1)
  value=${value#[\"\']}
  printf '%s\n' "${value%[\"\']}"
}

# Prints debian, rhel or suse from os-release ID and ID_LIKE; exit 3 otherwise.
detect_family() {
  [ -r "$OS_RELEASE" ] || die 3 "cannot read ${OS_RELEASE}: unsupported platform"
  local id word
  id=$(os_release ID)
  for word in $id $(os_release ID_LIKE); do
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

# repo_gpgcheck as Datadog's script sets it: off for custom repositories and on RHEL 8.1
# (Red Hat bug 1792506), unless DD_RPM_REPO_GPGCHECK says.
repo_gpgcheck() {
  if [ -n "$GPGCHECK" ]; then echo "$GPGCHECK"; return; fi
  if custom_repository; then echo 0; return; fi
  if [ "$FAMILY" = rhel ] && [ "$(os_release VERSION_ID)" = 8.1 ]; then echo 0; return; fi
  echo 1
}

# installed_version PACKAGE: epoch:version-release, or nothing when not installed.
installed_version() {
  local out
  if [ "$FAMILY" = debian ]; then
    out=$(dpkg-query -W -f='${Status}|${Version}' "$1" 2>/dev/null) || return 0
    case "$out" in "install ok installed|"*) printf '%s\n' "${out#*|}" ;; esac
  else
    out=$(rpm -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}' "$1" 2>/dev/null) || return 0
    printf '%s\n' "${out#(none):}"
  fi
}

# upstream VERSION: 1:7.52.1-1 -> 7.52.1 (what people call the version).
upstream() { local v=${1#*:}; printf '%s\n' "${v%-*}"; }

# version_lt A B: A is older than B.
version_lt() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }

# Refuse what the host does not allow, before any change.
check_host() {
  AGENT_INSTALLED=$(installed_version "$AGENT_PACKAGE")
  FIPS_AGENT_INSTALLED=$(installed_version "$FIPS_AGENT_PACKAGE")
  local proxy
  proxy=$(installed_version "$PROXY_PACKAGE")
  if [ "$FLAVOR" = "$AGENT_PACKAGE" ] && [ -n "$FIPS_AGENT_INSTALLED" ]; then
    die 1 "the FIPS Agent (${FIPS_AGENT_PACKAGE} $(upstream "$FIPS_AGENT_INSTALLED")) is installed: it needs no FIPS proxy, and this script does not replace it with ${AGENT_PACKAGE}; nothing was changed"
  fi
  if [ "$FLAVOR" = "$FIPS_AGENT_PACKAGE" ] && { [ -n "$AGENT_INSTALLED" ] || [ -n "$proxy" ]; }; then
    local found="${AGENT_PACKAGE} ${AGENT_INSTALLED:+$(upstream "$AGENT_INSTALLED")}"
    [ -n "$AGENT_INSTALLED" ] || found=""
    [ -z "$proxy" ] || found="${found:+$found and }${PROXY_PACKAGE} $(upstream "$proxy")"
    die 1 "this host has ${found}: moving it to the FIPS Agent is 'fips-setup migrate' (it checks first, verifies the FIPS Agent, undoes the move if anything fails, and 'fips-setup rollback' goes back; the fips-setup.pyz this script uses runs it: sudo python3 fips-setup.pyz migrate --dry-run), not this script, which does not remove the Agent the way Datadog's does; nothing was changed"
  fi
  INSTALLED=$AGENT_INSTALLED
  [ "$FLAVOR" = "$AGENT_PACKAGE" ] || INSTALLED=$FIPS_AGENT_INSTALLED
  if [ "$NO_AGENT_INSTALL" = on ] && [ -z "$INSTALLED" ]; then
    die 1 "DD_NO_AGENT_INSTALL: no ${FLAVOR} is installed here to configure; unset it to install the Agent; nothing was changed"
  fi
  if [ -z "${API_KEY:-}" ] && [ -z "${DD_API_KEY_FILE:-}" ] && [ ! -e "$DATADOG_YAML" ]; then
    die 2 "set DD_API_KEY (or DD_API_KEY_FILE): this host has no ${DATADOG_YAML} yet"
  fi
}

# --- fetching and checking ---------------------------------------------------------------

fetch() {  # fetch URL FILE: https or file only, failing on HTTP errors
  curl --fail --silent --show-error --location --proto '=https,file' --proto-redir '=https' \
    --retry 3 --output "$2" "$1"
}

gpg_work() {  # gpg on the run's own throwaway home: nothing of the host's keyrings is touched
  gpg --homedir "$WORK/gnupg" --batch --no-tty --quiet "$@"
}

# key_fingerprints FILE: the fingerprints of the primary keys in FILE, one a line.
key_fingerprints() {
  { gpg_work --with-colons --show-keys "$1" 2>/dev/null \
      || gpg_work --with-colons --with-fingerprint "$1" 2>/dev/null || true; } \
    | awk -F: '$1 == "pub" { primary = 1; next }
               $1 == "fpr" && primary { print toupper($10); primary = 0 }'
}

# check_key_file FILE ALLOWED: every key in FILE is one of the ALLOWED fingerprints.
check_key_file() {
  local file=$1 allowed=$2 found fingerprint
  found=$(key_fingerprints "$file")
  [ -n "$found" ] || { say "$(basename "$file") holds no OpenPGP public key"; return 1; }
  for fingerprint in $found; do
    case " $(printf '%s' "$allowed" | tr '\n' ' ') " in
      *" $fingerprint "*) ;;
      *) say "$(basename "$file") holds key ${fingerprint}, which is not one of Datadog's signing keys (give a mirror's own key in DD_REPO_KEY_FINGERPRINTS)"; return 1 ;;
    esac
  done
  printf '%s\n' "$found"
}

keys_base() {
  if [ -n "$MIRROR" ]; then echo "${MIRROR%/}/keys"; else echo "https://keys.datadoghq.com"; fi
}

# Fetch the signing keys of the family's repository into $WORK/keys and check each one's
# fingerprint; the current key is required, an older one a mirror does not carry is skipped.
fetch_keys() {
  local names allowed base name file first=1 fingerprints
  if [ "$FAMILY" = debian ]; then
    names=$APT_KEY_NAMES; allowed=$APT_FINGERPRINTS
  else
    names=$RPM_KEY_NAMES; allowed=$RPM_FINGERPRINTS
  fi
  # shellcheck disable=SC2086  # a list of fingerprints, one a line
  allowed="$(printf '%s\n' $allowed)${EXTRA_FINGERPRINTS:+
$EXTRA_FINGERPRINTS}"
  base=$(keys_base)
  mkdir -m 700 "$WORK/keys" "$WORK/gnupg"
  : > "$WORK/keys/fingerprints"
  KEY_FILES=()
  for name in $names; do
    file="$WORK/keys/${name}.public"
    if ! fetch "${base}/${name}.public" "$file" 2>"$WORK/fetch.err"; then
      rm -f "$file"
      [ "$first" = 1 ] && die 1 "cannot fetch the signing key ${base}/${name}.public: $(tail -n 1 "$WORK/fetch.err")"
      first=0
      continue
    fi
    first=0
    fingerprints=$(check_key_file "$file" "$allowed") \
      || die 1 "the signing key ${base}/${name}.public is not trusted; nothing was changed"
    printf '%s\n' "$fingerprints" >> "$WORK/keys/fingerprints"
    KEY_FILES+=("$file")
  done
  say "signing keys checked: $(sort -u "$WORK/keys/fingerprints" | tr '\n' ' ')"
  if [ "$FAMILY" = debian ]; then  # the checked keys as a keyring apt reads (signed-by=)
    gpg_work --import "${KEY_FILES[@]}" 2>/dev/null
    # shellcheck disable=SC2046
    gpg_work --export $(sort -u "$WORK/keys/fingerprints") > "$WORK/datadog-archive-keyring.gpg"
  fi
}

obtain_toolkit() {  # sets PYZ: a verified fips-setup zipapp
  if [ -n "${FIPS_SETUP_PYZ:-}" ]; then
    [ -r "$FIPS_SETUP_PYZ" ] || die 1 "FIPS_SETUP_PYZ=${FIPS_SETUP_PYZ}: no such file"
    PYZ=$FIPS_SETUP_PYZ
    return
  fi
  local url="${FIPS_SETUP_PYZ_URL:-$FIPS_SETUP_PYZ_URL_DEFAULT}"
  if [ -z "$url" ] || [ -z "$FIPS_SETUP_PYZ_SHA256" ]; then
    die 1 "this copy of the script carries no fips-setup checksum: use the published script, or set FIPS_SETUP_PYZ to a local fips-setup.pyz"
  fi
  PYZ="$WORK/fips-setup.pyz"
  fetch "$url" "$PYZ" || die 1 "cannot fetch fips-setup from ${url}"
  if ! printf '%s  %s\n' "$FIPS_SETUP_PYZ_SHA256" "$PYZ" | sha256sum --check --status; then
    die 1 "the fips-setup download from ${url} does not match the checksum this script carries"
  fi
}

# --- repositories -------------------------------------------------------------------------

repo_base() {  # where the family's packages come from
  local family=$1 arch=$2
  if [ -n "$MIRROR" ]; then
    case "$family" in
      debian) echo "${MIRROR%/}/apt" ;;
      *) echo "${MIRROR%/}/rpm/${CHANNEL}/7/${arch}" ;;
    esac
    return
  fi
  local domain=${REPO_DOMAIN:-datadoghq.com}
  case "$family" in
    debian) echo "https://apt.${domain}" ;;
    rhel) echo "https://yum.${domain}/${CHANNEL}/7/${arch}" ;;
    suse) echo "https://yum.${domain}/suse/${CHANNEL}/7/${arch}" ;;
  esac
}

apt_is_old() {  # apt before 1.1 (Debian 8, Ubuntu 14.04) has no signed-by
  local version
  version=$(apt-get --version | sed -n '1s/^apt \([0-9]*\.[0-9]*\).*/\1/p')
  [ "$(printf '%s\n1.1\n' "$version" | sort -V | head -n 1)" != 1.1 ]
}

apt_source_line() {  # apt_source_line KEYRING: the sources.list line (no signed-by on old apt)
  local options=""
  apt_is_old || options="[signed-by=$1] "
  printf 'deb %s%s/ %s 7\n' "$options" "$(repo_base debian "$ARCH")" "$CHANNEL"
}

rpm_repo_file() {  # rpm_repo_file KEYS...: the yum/zypper repository definition
  local gpgkeys="" key
  for key in "$@"; do gpgkeys="${gpgkeys:+$gpgkeys }file://${key}"; done
  printf '[datadog]\n'
  if [ "$FAMILY" = suse ]; then printf 'name=datadog\ntype=rpm-md\n'; else printf 'name=Datadog, Inc.\npriority=1\n'; fi
  printf 'baseurl=%s/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=%s\ngpgkey=%s\n' \
    "$(repo_base "$FAMILY" "$ARCH")" "$(repo_gpgcheck)" "$gpgkeys"
}

yum_tool() { if command -v yum >/dev/null 2>&1; then echo yum; else echo dnf; fi; }

# logged COMMAND...: run COMMAND with its output kept in $WORK/command.log.
logged() { "$@" >"$WORK/command.log" 2>&1; }
log_tail() { tail -n 5 "$WORK/command.log" | tr '\n' ' '; }

# Versions of a package in the repository, read through a throwaway configuration in $WORK
# (the host's package manager configuration, caches and keys stay as they are).
probe_versions() {  # probe_versions PACKAGE...: lines "PACKAGE VERSION"
  local package
  case "$FAMILY" in
    debian)
      local probe="$WORK/apt"
      mkdir -p "$probe/lists/partial" "$probe/cache/archives/partial" "$probe/none"
      printf 'deb [signed-by=%s] %s/ %s 7\n' "$WORK/datadog-archive-keyring.gpg" \
        "$(repo_base debian "$ARCH")" "$CHANNEL" > "$probe/datadog.list"
      APT_PROBE=(-o "Dir::Etc::sourcelist=$probe/datadog.list" -o "Dir::Etc::sourceparts=$probe/none"
        -o "Dir::State::Lists=$probe/lists" -o "Dir::Cache=$probe/cache"
        -o "Dir::Etc::trusted=$WORK/datadog-archive-keyring.gpg" -o "Dir::Etc::trustedparts=$probe/none"
        -o "APT::Sandbox::User=root")
      logged apt-get "${APT_PROBE[@]}" update \
        || die 1 "cannot read the Datadog repository $(repo_base debian "$ARCH"): $(log_tail)"
      for package in "$@"; do
        apt-cache "${APT_PROBE[@]}" madison "$package" 2>/dev/null \
          | awk -F'|' -v p="$package" '{ gsub(/ /, "", $1); gsub(/ /, "", $2); if ($1 == p) print p, $2 }'
      done ;;
    rhel)
      local probe="$WORK/yum"
      mkdir -p "$probe/repos"
      rpm_repo_file "${KEY_FILES[@]}" > "$probe/repos/datadog.repo"
      local tool
      tool=$(yum_tool)
      for package in "$@"; do
        logged "$tool" -y --noplugins --setopt=reposdir="$probe/repos" --setopt=cachedir="$probe/cache" \
          --setopt=persistdir="$probe/persist" --disablerepo='*' --enablerepo=datadog \
          --showduplicates list "$package" || grep -q "No matching Packages" "$WORK/command.log" \
          || die 1 "cannot read the Datadog repository $(repo_base rhel "$ARCH"): $(log_tail)"
        parse_yum_list "$package" < "$WORK/command.log" | sed "s/^/$package /"
      done ;;
    suse)
      local root="$WORK/zypp-root" key
      mkdir -p "$root/etc/zypp/repos.d"
      rpm --root "$root" --initdb  # its own rpm database: the keys are trusted there only
      for key in "${KEY_FILES[@]}"; do rpm --root "$root" --import "$key"; done
      rpm_repo_file "${KEY_FILES[@]}" > "$root/etc/zypp/repos.d/datadog.repo"
      logged zypper --non-interactive --root "$root" refresh datadog \
        || die 1 "cannot read the Datadog repository $(repo_base suse "$ARCH"): $(log_tail)"
      for package in "$@"; do
        zypper --non-interactive --root "$root" search -s --match-exact "$package" 2>/dev/null \
          | awk -F'|' -v p="$package" '{ gsub(/ /, "", $2); gsub(/ /, "", $4); if ($2 == p) print p, $4 }' || true
      done ;;
  esac
}

# parse_yum_list PACKAGE < `yum --showduplicates list` output: its versions (yum puts a long
# name on a line of its own).
parse_yum_list() {
  awk -v p="$1" '
    NF == 1 && index($1, p ".") == 1 { held = $1; next }
    held != "" { $0 = held " " $0; held = "" }
    index($1, p ".") == 1 && NF >= 2 { print $2 }'
}

# resolve_pin PIN < versions: the newest version the pin names (52: the newest 7.52.x
# release; 52.1: 7.52.1; 53.0~rc.1: that pre-release; a trailing -N: that package release).
resolve_pin() {
  local pin=$1 escaped pattern
  escaped=${pin//./\\.}
  case "$pin" in
    *-*) pattern="^([0-9]+:)?7\\.${escaped}\$" ;;
    *~*|*.*) pattern="^([0-9]+:)?7\\.${escaped}-[0-9]+\$" ;;
    *) pattern="^([0-9]+:)?7\\.${escaped}\\.[0-9]+-[0-9]+\$" ;;
  esac
  grep -E "$pattern" | sort -V | tail -n 1 | grep .
}

newest() { sort -V | tail -n 1 | grep .; }

# Decide, from the repository, which Agent version to install (TARGET; empty: none) and
# whether the signing-keys package is wanted; stops on a pin the repository does not have.
choose_versions() {
  local versions
  local -a wanted=("$FLAVOR")
  [ "$FAMILY" != debian ] || wanted+=("$SIGNING_KEYS_PACKAGE")
  probe_versions "${wanted[@]}" > "$WORK/versions"
  versions=$(awk -v p="$FLAVOR" '$1 == p { print $2 }' "$WORK/versions")
  SIGNING_KEYS=""
  if [ "$FAMILY" = debian ] && [ -z "$(installed_version "$SIGNING_KEYS_PACKAGE")" ]; then
    SIGNING_KEYS=$(awk -v p="$SIGNING_KEYS_PACKAGE" '$1 == p { print $2 }' "$WORK/versions" | newest || true)
    [ -n "$SIGNING_KEYS" ] || warn "the repository has no ${SIGNING_KEYS_PACKAGE}: Datadog's key rotations will need this script again"
  fi
  TARGET=""
  local upgrade="set DD_UPGRADE_AGENT=true or DD_AGENT_MINOR_VERSION to upgrade it; nothing was changed"
  if [ "$NO_AGENT_INSTALL" = on ]; then
    check_minimum 1 "$(minor_of "$INSTALLED")" "DD_NO_AGENT_INSTALL keeps ${FLAVOR} $(upstream "$INSTALLED")" "nothing was changed"
    say "DD_NO_AGENT_INSTALL: ${FLAVOR} $(upstream "$INSTALLED") is left as it is"
    return
  fi
  [ -n "$versions" ] || die 1 "the Datadog repository $(repo_base "$FAMILY" "$ARCH") has no ${FLAVOR} (channel ${CHANNEL}, ${ARCH}); nothing was changed"
  if [ -n "$PIN" ]; then
    TARGET=$(printf '%s\n' "$versions" | resolve_pin "$PIN") \
      || die 1 "DD_AGENT_MINOR_VERSION=${PIN}: the repository has no ${FLAVOR} 7.${PIN} (newest: $(upstream "$(printf '%s\n' "$versions" | newest)")); nothing was changed"
  elif [ -n "$INSTALLED" ] && [ "$UPGRADE" = off ]; then
    check_minimum 1 "$(minor_of "$INSTALLED")" "the installed ${FLAVOR} $(upstream "$INSTALLED")" "$upgrade"
    return
  else
    TARGET=$(printf '%s\n' "$versions" | newest)
  fi
  check_minimum 1 "$(minor_of "$TARGET")" "${FLAVOR} $(upstream "$TARGET") from the repository" "nothing was changed"
  if [ -n "$INSTALLED" ] && version_lt "$TARGET" "$INSTALLED"; then
    die 1 "${FLAVOR} $(upstream "$INSTALLED") is installed, newer than $(upstream "$TARGET"): this script does not downgrade; nothing was changed"
  fi
  [ "$TARGET" != "$INSTALLED" ] || TARGET=""
}

# --- changing the host ----------------------------------------------------------------------

# put FILE DEST: install FILE at DEST (mode 644) in one rename.
put() {
  install -m 644 "$1" "$2.fips-setup-new"
  mv -f "$2.fips-setup-new" "$2"
}

configure_repository() {
  case "$FAMILY" in
    debian)
      local keyring=$APT_KEYRING
      apt_is_old && keyring=$APT_OLD_KEYRING
      mkdir -p "$(dirname "$keyring")"
      put "$WORK/datadog-archive-keyring.gpg" "$keyring"
      apt_source_line "$APT_KEYRING" > "$WORK/datadog.list"
      put "$WORK/datadog.list" "$APT_SOURCE"
      logged apt-get update -o Dir::Etc::sourcelist=sources.list.d/datadog.list \
        -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 \
        || die 1 "apt-get update of the Datadog repository failed: $(log_tail)" ;;
    *)
      local key installed=() file=/etc/yum.repos.d/datadog.repo
      mkdir -p "$RPM_KEY_DIR"
      for key in "${KEY_FILES[@]}"; do
        put "$key" "$RPM_KEY_DIR/$(basename "$key")"
        rpm --import "$RPM_KEY_DIR/$(basename "$key")"
        installed+=("$RPM_KEY_DIR/$(basename "$key")")
      done
      [ "$FAMILY" = suse ] && file=/etc/zypp/repos.d/datadog.repo
      mkdir -p "$(dirname "$file")"
      rpm_repo_file "${installed[@]}" > "$WORK/datadog.repo"
      put "$WORK/datadog.repo" "$file"
      if [ "$FAMILY" = suse ]; then
        # The keys were imported above: never --gpg-auto-import-keys, which trusts any key.
        logged env ZYPP_LOCK_TIMEOUT=120 zypper --non-interactive refresh datadog \
          || die 1 "zypper refresh datadog failed: $(log_tail)"
      else
        logged "$(yum_tool)" -y clean metadata --disablerepo='*' --enablerepo=datadog || true
        logged "$(yum_tool)" -y makecache --disablerepo='*' --enablerepo=datadog \
          || die 1 "$(yum_tool) makecache of the Datadog repository failed: $(log_tail)"
      fi ;;
  esac
}

# package_spec NAME VERSION: NAME at exactly VERSION, in the family's syntax.
package_spec() {
  case "$FAMILY" in
    rhel) printf '%s-%s\n' "$1" "$2" ;;
    *) printf '%s=%s\n' "$1" "$2" ;;
  esac
}

install_packages() {
  local -a specs=()
  [ -z "$TARGET" ] || specs+=("$(package_spec "$FLAVOR" "$TARGET")")
  [ -z "${SIGNING_KEYS:-}" ] || specs+=("$(package_spec "$SIGNING_KEYS_PACKAGE" "$SIGNING_KEYS")")
  [ "${#specs[@]}" -gt 0 ] || return 0
  say "installing ${specs[*]}"
  case "$FAMILY" in
    debian) DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=120 \
              -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${specs[@]}" ;;
    rhel) "$(yum_tool)" -y install "${specs[@]}" ;;
    suse) ZYPP_LOCK_TIMEOUT=120 zypper --non-interactive install "${specs[@]}" ;;
  esac || die 1 "installing ${specs[*]} failed (see the package manager's message above)"
  if [ -n "$TARGET" ] && [ "$(installed_version "$FLAVOR")" != "$TARGET" ]; then
    die 1 "${FLAVOR} $(upstream "$TARGET") is not installed after the package manager ran"
  fi
}

# The init system's view of a service, for DD_INSTALL_ONLY.
service_active() {
  if [ -d /run/systemd/system ]; then
    systemctl is-active --quiet "$1"
  elif command -v initctl >/dev/null 2>&1 && [ -d /etc/init ]; then
    initctl status "$1" 2>/dev/null | grep -q running
  else
    service "$1" status >/dev/null 2>&1
  fi
}

service_stop() {
  if [ -d /run/systemd/system ]; then systemctl stop "$1"
  elif command -v initctl >/dev/null 2>&1 && [ -d /etc/init ]; then initctl stop "$1"
  else service "$1" stop
  fi
}

run_toolkit() {
  local status=0
  if [ -n "$TARGET" ]; then
    export FIPS_SETUP_INSTALLED_BY=$SCRIPT_NAME  # install_info: this script installed it
  else
    unset FIPS_SETUP_INSTALLED_BY
  fi
  [ -x "$AGENT_PYTHON" ] || die 1 "${AGENT_PYTHON} is missing: is the Agent package complete?"
  # The keys reach fips-setup through its environment, never its arguments.
  DD_API_KEY=$API_KEY DD_APP_KEY=$APP_KEY DD_SITE=$SITE "$AGENT_PYTHON" "$PYZ" install || status=$?
  [ "$status" = 0 ] || die 1 "fips-setup install failed (exit status ${status}); see its message above"
}

cleanup() {
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    # gpg, and dnf checking repository signatures, start gpg-agents on homes in $WORK.
    local home
    for home in "$WORK/gnupg" $(find "$WORK" -name 'pubring.*' -printf '%h\n' 2>/dev/null | sort -u); do
      gpgconf --homedir "$home" --kill all >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
  fi
}

# --- main ---------------------------------------------------------------------------------

main() {
  become_root
  read_settings
  local tmp=${TMPDIR:-/tmp}
  [[ "$tmp" != *[[:space:]]* ]] || tmp=/tmp  # its paths go into repository files
  WORK=$(mktemp -d "${tmp}/fips-setup-install.XXXXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  warn_about_variables
  FAMILY=$(detect_family)
  ARCH=$(detect_arch)
  check_host
  command -v curl >/dev/null 2>&1 || die 1 "curl is needed to fetch Datadog's signing keys: install it first"
  command -v gpg >/dev/null 2>&1 || die 1 "gpg is needed to check Datadog's signing keys: install it first (Debian, Ubuntu: gnupg)"
  local proxy="none"
  [ "$FIPS" = off ] || proxy="the FIPS proxy"
  say "${FLAVOR} on ${FAMILY} (${ARCH}), channel ${CHANNEL}, with ${proxy}: checking everything first"
  fetch_keys
  obtain_toolkit
  choose_versions
  # Nothing on the host has changed up to here.
  local was_active="" service
  for service in "$AGENT_PACKAGE" "$PROXY_PACKAGE"; do
    service_active "$service" && was_active="$was_active $service "
  done
  configure_repository
  install_packages
  run_toolkit
  if [ "$INSTALL_ONLY" = on ]; then
    for service in "$AGENT_PACKAGE" "$PROXY_PACKAGE"; do
      if service_active "$service" && [[ "$was_active" != *" $service "* ]]; then
        say "DD_INSTALL_ONLY: stopping ${service}, which its package started"
        service_stop "$service"
      fi
    done
  fi
  local version
  version=$(installed_version "$FLAVOR")
  if [ -n "$TARGET" ] && [ -n "$INSTALLED" ]; then
    say "done: ${FLAVOR} upgraded from $(upstream "$INSTALLED") to $(upstream "$version")"
  elif [ -n "$TARGET" ]; then
    say "done: ${FLAVOR} $(upstream "$version") installed"
  else
    say "done: ${FLAVOR} $(upstream "$version") is installed and was kept (DD_UPGRADE_AGENT=true or DD_AGENT_MINOR_VERSION changes it)"
  fi
}

if [ "${FIPS_SETUP_SOURCED:-0}" != 1 ]; then
  main "$@"
fi
