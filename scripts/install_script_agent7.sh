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
#   DD_DRY_RUN                 1/true/yes: print what would be installed, configured and run;
#                              change nothing on the host
#   DD_MIRROR_URL              a mirror (https:// or file://) laid out as apt/, rpm/<channel>/7/<arch>/
#                              and keys/; DD_REPO_URL takes such a URL too, or Datadog's form
#                              (a domain: apt.<domain>, yum.<domain>). A user and password in it
#                              (https://user:token@mirror/...) go to root-only files, never into
#                              a command line or a message
#   DD_REPO_KEY_FINGERPRINTS   extra signing-key fingerprints to trust (a mirror's own key)
#   DD_RPM_REPO_GPGCHECK       repo_gpgcheck for yum/dnf/zypper
#   DD_HOSTNAME, DD_ENV, DD_TAGS (or DD_HOST_TAGS), DD_URL, DD_APP_KEY, DD_INFRASTRUCTURE_MODE,
#   DD_LOGS_CONFIG_PROCESS_COLLECT_ALL   written to a new datadog.yaml
#   DD_SYSTEM_PROBE_ENSURE_CONFIG, DD_RUNTIME_SECURITY_CONFIG_ENABLED, DD_COMPLIANCE_CONFIG_ENABLED,
#   DD_DISCOVERY_ENABLED, DD_PRIVILEGED_LOGS_ENABLED, DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED
#                              system-probe.yaml / security-agent.yaml, as Datadog's script
#   http_proxy, https_proxy, no_proxy   used by curl and the package managers
#   FIPS_SETUP_PYZ             a local fips-setup zipapp; else it is downloaded from
#                              FIPS_SETUP_PYZ_URL (default: next to this script) and checked
#                              against the SHA-256 this script carries
#
# Nothing secret goes on a command line or into a message. Everything is fetched and checked
# (signing keys against pinned fingerprints, the zipapp against its checksum, the Agent version
# against the repository) before the host is changed; the only earlier change is gpg and curl,
# when missing, from the distribution's own repositories, as Datadog's script does. Datadog's
# packages come from Datadog's repository (or the mirror) only.
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
# A mirror's user and password, for apt (read by apt as root since apt 1.5; mode 600).
readonly APT_AUTH="/etc/apt/auth.conf.d/datadog.conf"
readonly RPM_KEY_DIR="/etc/pki/rpm-gpg"
readonly YUM_REPO="/etc/yum.repos.d/datadog.repo"
readonly ZYPP_REPO="/etc/zypp/repos.d/datadog.repo"
# zypper reads a mirror's user and password from here (baseurl ...?credentials=datadog).
readonly ZYPP_CREDENTIALS="/etc/zypp/credentials.d/datadog"
# Datadog's script reads these too; this one does not do what they ask (a warning names
# each one that is set). docs/install-script.md says why for each.
readonly UNSUPPORTED_VARIABLES="DD_UPGRADE DD_INSTALLER DD_INSTALLER_REGISTRY_URL DD_INSTALLER_REGISTRY_AUTH DD_REMOTE_UPDATES DD_APM_INSTRUMENTATION_ENABLED DD_APM_INSTRUMENTATION_LIBRARIES DD_APM_INSTRUMENTATION_LANGUAGES DD_APM_INSTRUMENTATION_NO_CONFIG_CHANGE DD_APM_INSTRUMENTATION_PIPELINE_ID DD_APM_ERROR_TRACKING_STANDALONE DD_APPSEC_ENABLED DD_IAST_ENABLED DD_APPSEC_SCA_ENABLED DD_PROFILING_ENABLED DD_OTELCOLLECTOR_ENABLED DD_DDOT_DIST_CHANNEL DD_PRIVATE_ACTION_RUNNER_ENABLED DD_PRIVATE_ACTION_RUNNER_ACTIONS_ALLOWLIST DD_PRIVATE_ACTION_RUNNER_API_KEY_ONLY_ENROLLMENT DD_SBOM_CONTAINER_IMAGE_ENABLED DD_SBOM_HOST_ENABLED DD_INSTRUMENTATION_TELEMETRY_ENABLED TESTING_KEYS_URL TESTING_YUM_URL TESTING_APT_URL TESTING_YUM_VERSION_PATH TESTING_APT_REPO_VERSION TESTING_REPORT_URL"
# Datadog's script's yes/no switches this one honours: fips-setup install writes what each
# asks for (datadog.yaml, system-probe.yaml, security-agent.yaml); checked here first.
readonly HONOURED_SWITCHES="DD_SYSTEM_PROBE_ENSURE_CONFIG DD_RUNTIME_SECURITY_CONFIG_ENABLED DD_COMPLIANCE_CONFIG_ENABLED DD_DISCOVERY_ENABLED DD_PRIVILEGED_LOGS_ENABLED DD_SYSTEM_PROBE_SERVICE_MONITORING_ENABLED DD_LOGS_CONFIG_PROCESS_COLLECT_ALL"
# infrastructure_mode values the Agent knows (DD_INFRASTRUCTURE_MODE).
readonly INFRASTRUCTURE_MODES="full basic end_user_device none"
# Where the script looks; tests point these at their own files.
OS_RELEASE="${OS_RELEASE:-/etc/os-release}"
DATADOG_YAML="${DATADOG_YAML:-/etc/datadog-agent/datadog.yaml}"
WORK=""
DRY_RUN=off
MIRROR="" MIRROR_AUTHORITY="" MIRROR_USER="" MIRROR_PASSWORD="" MIRROR_VARIABLE=""
# Values never printed (a mirror's password); URL credentials are masked as well.
SECRETS=()
# What a message about a stop says about the host (changed once gpg or curl was installed).
UNCHANGED="nothing was changed"

# redact TEXT: TEXT with every known secret and every user:password@ of a URL masked.
redact() {
  local text=$1 secret
  for secret in ${SECRETS[@]+"${SECRETS[@]}"}; do
    [ -z "$secret" ] || text=${text//"$secret"/********}
  done
  # user[:password]@ after a scheme, masked from the last one back (bash only: no program
  # gets the text, which may hold what is being masked).
  local pattern='^(.*[A-Za-z][A-Za-z0-9+.-]*://)[^/@[:space:]]+@(.*)$' masked=""
  while [[ "$text" =~ $pattern ]]; do
    masked="********@${BASH_REMATCH[2]}${masked}"
    text=${BASH_REMATCH[1]}
  done
  printf '%s\n' "${text}${masked}"
}

say() { redact "${SCRIPT_NAME}: $*" >&2; }
warn() { say "warning: $*"; }
die() { local status=$1; shift; say "error: $*"; exit "$status"; }
# plan TEXT: one step a DD_DRY_RUN run would take (standard output).
plan() { redact "  - $*"; }

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
  read_repository_settings  # first: it takes a mirror's password out of the environment
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
  DRY_RUN=$(flag DD_DRY_RUN)
  local name
  for name in $HONOURED_SWITCHES; do
    flag "$name" >/dev/null  # read by fips-setup install; checked here, before any change
  done
  if [ -n "${DD_INFRASTRUCTURE_MODE:-}" ] && [[ " $INFRASTRUCTURE_MODES " != *" ${DD_INFRASTRUCTURE_MODE} "* ]]; then
    die 2 "DD_INFRASTRUCTURE_MODE=${DD_INFRASTRUCTURE_MODE} is not one of the Agent's modes: ${INFRASTRUCTURE_MODES// /, }"
  fi
  refuse_outside_fips
  single_line DD_HOSTNAME DD_ENV DD_TAGS DD_HOST_TAGS DD_URL DD_API_KEY_FILE
  if [ -n "$API_KEY" ] && ! [[ "$API_KEY" =~ ^[A-Za-z0-9]{32}$ ]]; then
    die 2 "DD_API_KEY does not look like a Datadog API key (32 letters and digits)"
  fi
  if [ -n "$APP_KEY" ] && ! [[ "$APP_KEY" =~ ^[A-Za-z0-9]{40}$ ]]; then
    die 2 "DD_APP_KEY does not look like a Datadog application key (40 letters and digits)"
  fi
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

# Vendor features whose traffic the FIPS setup does not carry: with DD_FIPS_MODE (or the FIPS
# Agent) they would send data outside it, so they stop the script (exit 2), before any change.
refuse_outside_fips() {
  local fips_agent=off
  [ "$FLAVOR" != "$FIPS_AGENT_PACKAGE" ] || fips_agent=on
  if [ -n "${DD_OTELCOLLECTOR_ENABLED:-}" ] && [ "$(flag DD_OTELCOLLECTOR_ENABLED)" = on ]; then
    if [ "$FIPS" = on ]; then
      die 2 "DD_OTELCOLLECTOR_ENABLED with DD_FIPS_MODE: the DDOT Collector exports to Datadog itself and the FIPS proxy has no port for it, so its data would leave the host outside the proxy; unset DD_OTELCOLLECTOR_ENABLED"
    fi
    if [ "$fips_agent" = on ]; then
      die 2 "DD_OTELCOLLECTOR_ENABLED with ${FIPS_AGENT_PACKAGE}: Datadog lists the DDOT Collector as not supported by the FIPS Agent; unset DD_OTELCOLLECTOR_ENABLED"
    fi
  fi
  if [ -n "${DD_PRIVATE_ACTION_RUNNER_ENABLED:-}" ] && [ "$(flag DD_PRIVATE_ACTION_RUNNER_ENABLED)" = on ] && [ "$FIPS" = on ]; then
    die 2 "DD_PRIVATE_ACTION_RUNNER_ENABLED with DD_FIPS_MODE: the Private Action Runner talks to Datadog itself and the FIPS proxy has no port for it, so its traffic would leave the host outside the proxy; unset DD_PRIVATE_ACTION_RUNNER_ENABLED"
  fi
}

# Where packages come from: Datadog's repositories, Datadog's other domains (DD_REPO_URL
# in its script's meaning, e.g. datad0g.com), or a mirror (DD_MIRROR_URL, or a full URL in
# DD_REPO_URL).
read_repository_settings() {
  local repo=${DD_REPO_URL:-} repo_variable=DD_REPO_URL
  if [ -z "$repo" ] && [ -n "${REPO_URL:-}" ]; then
    warn "REPO_URL is deprecated (as in Datadog's script): use DD_REPO_URL"
    repo=$REPO_URL repo_variable=REPO_URL
  fi
  local mirror=${DD_MIRROR_URL:-}
  MIRROR_VARIABLE=DD_MIRROR_URL
  REPO_DOMAIN=""
  case "$repo" in
    "") ;;
    *://*)
      if [ -n "$mirror" ] && [ "$mirror" != "$repo" ]; then
        die 2 "${repo_variable} and DD_MIRROR_URL name two different mirrors; set one"
      fi
      mirror=$repo MIRROR_VARIABLE=$repo_variable ;;
    *)
      if ! [[ "$repo" =~ ^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$ ]]; then
        die 2 "${repo_variable} is neither a domain like datadoghq.com (Datadog's meaning: apt.<domain>, yum.<domain>) nor an https:// or file:// mirror"
      fi
      REPO_DOMAIN=$repo ;;
  esac
  MIRROR="" MIRROR_AUTHORITY="" MIRROR_USER="" MIRROR_PASSWORD=""
  if [ -n "$mirror" ]; then
    [ -z "$REPO_DOMAIN" ] || die 2 "${repo_variable}=${REPO_DOMAIN} and DD_MIRROR_URL: set one"
    parse_mirror "$mirror" "$MIRROR_VARIABLE"
  fi
  # Like the keys, a mirror's password stays in this shell: no program started from here on
  # gets these in its environment (fips-setup does not read them).
  unset DD_REPO_URL DD_MIRROR_URL REPO_URL
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

# parse_mirror URL VARIABLE: sets MIRROR (the URL without its credentials), MIRROR_AUTHORITY
# (host[:port]), MIRROR_USER and MIRROR_PASSWORD (percent-decoded); the password is added to
# SECRETS at once. Messages name VARIABLE and never show the URL's credentials.
parse_mirror() {
  local url=$1 variable=$2
  case "$url" in
    https://*|file://*) ;;
    *://*) die 2 "${variable} must start with https:// or file:// (nothing is fetched over plain HTTP); it starts with ${url%%://*}://" ;;
    *) die 2 "${variable} must start with https:// or file://" ;;
  esac
  local scheme=${url%%://*} rest=${url#*://}
  local authority=${rest%%/*}
  local path=${rest:${#authority}} userinfo=""
  if [[ "$authority" == *@* ]]; then
    userinfo=${authority%@*} authority=${authority##*@}
    SECRETS+=("${userinfo#*:}")  # as written (percent-encoded), before any check can print it
  fi
  if [[ "$url" =~ [[:space:][:cntrl:]\"\'\\\`] ]]; then
    die 2 "${variable} must not contain spaces, quotes, backslashes or control characters"
  fi
  if [[ "$url" == *[?#]* ]]; then
    die 2 "${variable} must not contain ? or # (a user or password holding them is written %3F, %23)"
  fi
  if [ "$scheme" = file ]; then
    [ -z "$userinfo" ] || die 2 "${variable}: a file:// URL takes no user name or password"
    [ -z "$authority" ] || [ "$authority" = localhost ] \
      || die 2 "${variable}: a file:// URL names a folder on this host (file:///path)"
    authority=""
  elif ! [[ "$authority" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$ ]]; then
    die 2 "${variable}: '${authority}' is not a host name (with an optional :port)"
  fi
  MIRROR="${scheme}://${authority}${path}"
  MIRROR_AUTHORITY=$authority
  if [ -n "$userinfo" ]; then
    [[ "$userinfo" == *:* ]] || die 2 "${variable}: give both a user and a password (https://user:password@host/...)"
    MIRROR_USER=$(percent_decode "${userinfo%%:*}" "${variable}'s user")
    MIRROR_PASSWORD=$(percent_decode "${userinfo#*:}" "${variable}'s password")
    SECRETS+=("$MIRROR_PASSWORD")
    if [ -z "$MIRROR_USER" ] || [ -z "$MIRROR_PASSWORD" ]; then
      die 2 "${variable}: give both a user and a password (https://user:password@host/...)"
    fi
  fi
}

# percent_decode TEXT WHAT: TEXT with %XX decoded; a result the credential files cannot hold
# (space, quote, backslash, control character, a leading #) stops the script (exit 2).
percent_decode() {
  local text=$1 what=$2 decoded
  if [[ "$text" =~ %([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$) ]] || [[ "$text" == *%00* ]]; then
    die 2 "${what} has a % that is not followed by two hex digits (write % itself as %25)"
  fi
  printf -v decoded '%b' "${text//%/\\x}"
  if [[ "$decoded" =~ [[:space:][:cntrl:]\"\'\\\`] ]] || [[ "$decoded" == \#* ]]; then
    die 2 "${what} holds a space, quote, backslash, control character or leading #, which the package managers' credential files cannot hold; use a token without them"
  fi
  printf '%s\n' "$decoded"
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
      DD_OTELCOLLECTOR_ENABLED|DD_DDOT_DIST_CHANNEL) reason="this script does not install the DDOT Collector (Datadog's does not either from Agent 7.78; with DD_FIPS_MODE or the FIPS Agent it is refused)" ;;
      DD_PRIVATE_ACTION_RUNNER_ENABLED|DD_PRIVATE_ACTION_RUNNER_ACTIONS_ALLOWLIST|DD_PRIVATE_ACTION_RUNNER_API_KEY_ONLY_ENROLLMENT) reason="this script does not set up the Private Action Runner (set private_action_runner: in datadog.yaml; with DD_FIPS_MODE it is refused)" ;;
      DD_APM_ERROR_TRACKING_STANDALONE) reason="it goes with APM single-step instrumentation, which this script does not do, and turns the Agent's own metrics off" ;;
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

# fetch URL FILE: https or file only, failing on HTTP errors. A user and password in URL go
# to curl in a root-only netrc file ($WORK/netrc), never on its command line.
fetch() {
  local url=$1 file=$2
  local -a netrc=()
  if [[ "$url" =~ ^https://([^/]*)@(.*)$ ]]; then
    local rest=${BASH_REMATCH[2]}
    url_credentials "$url"
    url="https://${rest}"
  fi
  [ ! -s "${WORK:-/nonexistent}/netrc" ] || netrc=(--netrc-file "$WORK/netrc")
  curl --fail --silent --show-error --location --proto '=https,file' --proto-redir '=https' \
    --retry 3 ${netrc[@]+"${netrc[@]}"} --output "$file" "$url"
}

# url_credentials URL: the user and password of URL added to $WORK/netrc (curl's, mode 600).
url_credentials() {
  local mirror=$MIRROR authority=$MIRROR_AUTHORITY user=$MIRROR_USER password=$MIRROR_PASSWORD
  parse_mirror "$1" "the download URL"
  write_netrc "$MIRROR_AUTHORITY" "$MIRROR_USER" "$MIRROR_PASSWORD"
  MIRROR=$mirror MIRROR_AUTHORITY=$authority MIRROR_USER=$user MIRROR_PASSWORD=$password
}

# write_netrc HOST[:PORT] USER PASSWORD: a line of $WORK/netrc (created mode 600) for curl.
write_netrc() {
  local host=${1%%:*}
  ( umask 077; printf 'machine %s login %s password %s\n' "$host" "$2" "$3" >> "$WORK/netrc" )
}

gpg_work() {  # gpg on the run's own throwaway home: nothing of the host's keyrings is touched
  LC_ALL=C gpg --homedir "$WORK/gnupg" --batch --no-tty --quiet "$@"
}

# key_listing FILE: what gpg accepts of the keys in FILE, imported into a throwaway home of
# its own ("pub FPR KEYID", "sub FPR KEYID"; gpg drops a subkey whose binding signature its
# primary key did not make), then every key packet FILE holds ("packet pub|sub KEYID").
key_listing() {
  local home
  home=$(mktemp -d "$WORK/keycheck.XXXXXXXX")
  LC_ALL=C gpg --homedir "$home" --batch --no-tty --quiet --import "$1" >/dev/null 2>&1 || true
  LC_ALL=C gpg --homedir "$home" --batch --no-tty --with-colons --with-fingerprint \
    --with-fingerprint --list-keys 2>/dev/null \
    | awk -F: '$1 == "pub" || $1 == "sub" { kind = $1; id = toupper($5); next }
               $1 == "fpr" && kind != "" { print kind, toupper($10), id; kind = "" }' || true
  LC_ALL=C gpg --homedir "$home" --batch --no-tty --list-packets "$1" 2>/dev/null \
    | awk '/^:public key packet:/ { kind = "pub"; next }
           /^:public sub key packet:/ { kind = "sub"; next }
           kind != "" && $1 == "keyid:" { print "packet", kind, toupper($2); kind = "" }' || true
  # gpg 2 starts an agent on the home: stop it now, not only at cleanup (nothing outlives the check)
  gpgconf --homedir "$home" --kill all >/dev/null 2>&1 || true
  rm -rf "$home"
}

# check_key_file FILE ALLOWED: every primary key in FILE is one of the ALLOWED fingerprints,
# and every key and subkey FILE holds is one gpg accepts (a subkey validly bound to its
# primary key). Prints the accepted "pub FPR" and "sub FPR" lines.
check_key_file() {
  local file=$1 allowed=$2 listing kind fingerprint keyid name
  name=$(basename "$file")
  listing=$(key_listing "$file")
  if ! grep -q '^pub ' <<< "$listing"; then
    say "${name} holds no OpenPGP public key"
    return 1
  fi
  while read -r kind fingerprint keyid; do
    [ "$kind" = pub ] || continue
    case " $(printf '%s' "$allowed" | tr '\n' ' ') " in
      *" $fingerprint "*) ;;
      *) say "${name} holds key ${fingerprint}, which is not one of Datadog's signing keys (give a mirror's own key in DD_REPO_KEY_FINGERPRINTS)"; return 1 ;;
    esac
  done <<< "$listing"
  while read -r kind fingerprint keyid; do
    [ "$kind" = packet ] || continue
    if ! grep -q "^${fingerprint} [0-9A-F]* ${keyid}\$" <<< "$listing"; then
      if [ "$fingerprint" = sub ]; then
        say "${name} holds subkey ${keyid}, which no key in it certifies (no valid binding signature): a forged or damaged key file"
      else
        say "${name} holds key ${keyid}, which gpg does not accept (no valid self-signature): a forged or damaged key file"
      fi
      return 1
    fi
  done <<< "$listing"
  awk '$1 == "pub" || $1 == "sub" { print $1, $2 }' <<< "$listing"
}

keys_base() {
  if [ -n "$MIRROR" ]; then echo "${MIRROR%/}/keys"; else echo "https://keys.datadoghq.com"; fi
}

# Fetch the signing keys of the family's repository into $WORK/keys and check each one (every
# primary key pinned, every subkey bound to it); the current key is required, an older one a
# mirror does not carry is skipped. Then only the pinned keys, exported minimal (their own
# signatures and bound subkeys, nothing else the files held), make what apt or rpm trusts:
# $WORK/datadog-archive-keyring.gpg (apt), KEY_FILES (rpm, one armored file per key).
fetch_keys() {
  local names allowed base name file first=1 listing fingerprint
  local -a sources=()
  if [ "$FAMILY" = debian ]; then
    names=$APT_KEY_NAMES; allowed=$APT_FINGERPRINTS
  else
    names=$RPM_KEY_NAMES; allowed=$RPM_FINGERPRINTS
  fi
  # shellcheck disable=SC2086  # a list of fingerprints, one a line
  allowed="$(printf '%s\n' $allowed)${EXTRA_FINGERPRINTS:+
$EXTRA_FINGERPRINTS}"
  base=$(keys_base)
  mkdir -m 700 "$WORK/keys" "$WORK/keys/minimal" "$WORK/gnupg"
  : > "$WORK/keys/checked"
  for name in $names; do
    file="$WORK/keys/${name}.public"
    if ! fetch "${base}/${name}.public" "$file" 2>"$WORK/fetch.err"; then
      rm -f "$file"
      [ "$first" = 1 ] && die 1 "cannot fetch the signing key ${base}/${name}.public: $(tail -n 1 "$WORK/fetch.err"); ${UNCHANGED}"
      first=0
      continue
    fi
    first=0
    listing=$(check_key_file "$file" "$allowed") \
      || die 1 "the signing key ${base}/${name}.public is not trusted; ${UNCHANGED}"
    printf '%s\n' "$listing" >> "$WORK/keys/checked"
    sources+=("$file")
  done
  PRIMARY_KEYS=$(awk '$1 == "pub" { print $2 }' "$WORK/keys/checked" | sort -u | paste -sd' ' -)
  local subkeys
  subkeys=$(awk '$1 == "sub" { print $2 }' "$WORK/keys/checked" | sort -u | paste -sd' ' -)
  say "signing keys checked: ${PRIMARY_KEYS}${subkeys:+ (and their subkeys ${subkeys}, each bound to one of them)}"
  gpg_work --import "${sources[@]}" 2>/dev/null
  KEY_FILES=()
  if [ "$FAMILY" = debian ]; then  # the checked keys as a keyring apt reads (signed-by=)
    # shellcheck disable=SC2086
    gpg_work --export --export-options export-minimal $PRIMARY_KEYS > "$WORK/datadog-archive-keyring.gpg"
    chmod 644 "$WORK/datadog-archive-keyring.gpg"  # apt reads it as _apt
  else
    for fingerprint in $PRIMARY_KEYS; do
      file="$WORK/keys/minimal/DATADOG_RPM_KEY_${fingerprint: -8}.public"
      gpg_work --armor --export --export-options export-minimal "$fingerprint" > "$file"
      KEY_FILES+=("$file")
    done
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

# apt_reads_auth_as_root: apt 1.5 and later read auth.conf.d as root (older apt reads it
# as _apt, which a root-only file keeps out).
apt_reads_auth_as_root() {
  local version
  version=$(apt-get --version | sed -n '1s/^apt \([0-9]*\.[0-9]*\).*/\1/p')
  [ "$(printf '%s\n1.5\n' "$version" | sort -V | head -n 1)" = 1.5 ]
}

# mirror_credentials: whether the mirror URL carried a user and password.
mirror_credentials() { [ -n "${MIRROR_USER:-}" ]; }

# apt_auth_text: the auth.conf.d entry for the mirror (apt matches the host and the path).
apt_auth_text() {
  local rest=${MIRROR#https://}
  printf 'machine %s login %s password %s\n' "${rest%/}" "$MIRROR_USER" "$MIRROR_PASSWORD"
}

# zypp_credentials_text: zypper's credentials file for the mirror (baseurl ...?credentials=).
zypp_credentials_text() { printf 'username=%s\npassword=%s\n' "$MIRROR_USER" "$MIRROR_PASSWORD"; }

rpm_repo_file() {  # rpm_repo_file KEYS...: the yum/zypper repository definition
  local gpgkeys="" key query=""
  for key in "$@"; do gpgkeys="${gpgkeys:+$gpgkeys }file://${key}"; done
  printf '[datadog]\n'
  if [ "$FAMILY" = suse ]; then printf 'name=datadog\ntype=rpm-md\n'; else printf 'name=Datadog, Inc.\npriority=1\n'; fi
  if [ "$FAMILY" = suse ] && mirror_credentials; then query="?credentials=$(basename "$ZYPP_CREDENTIALS")"; fi
  printf 'baseurl=%s/%s\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=%s\ngpgkey=%s\n' \
    "$(repo_base "$FAMILY" "$ARCH")" "$query" "$(repo_gpgcheck)" "$gpgkeys"
  if [ "$FAMILY" = rhel ] && mirror_credentials; then
    printf 'username=%s\npassword=%s\n' "$MIRROR_USER" "$MIRROR_PASSWORD"
  fi
}

# The repository file's mode: root-only when it holds the mirror's password.
rpm_repo_mode() { if [ "$FAMILY" = rhel ] && mirror_credentials; then echo 600; else echo 644; fi; }

yum_tool() { if command -v dnf >/dev/null 2>&1; then echo dnf; else echo yum; fi; }

# logged COMMAND...: run COMMAND with its output kept in $WORK/command.log.
logged() { "$@" >"$WORK/command.log" 2>&1; }
log_tail() { tail -n 5 "$WORK/command.log" | tr '\n' ' '; }

# apt's options that leave every source but Datadog's out (an update, an install).
apt_datadog_only() {
  mkdir -p "$WORK/none"
  APT_DATADOG_ONLY=(-o "Dir::Etc::sourcelist=$APT_SOURCE" -o "Dir::Etc::sourceparts=$WORK/none")
}

# Versions of a package in the repository, read through a throwaway configuration in $WORK
# (the host's package manager configuration, caches, logs and keys stay as they are).
probe_versions() {  # probe_versions PACKAGE...: lines "PACKAGE VERSION"
  local package
  case "$FAMILY" in
    debian)
      # apt downloads as _apt (its sandbox, kept on): _apt must reach the probe's folders
      # and read the keyring; $WORK opens to search only, the secret files in it stay 600.
      chmod 711 "$WORK"
      local probe="$WORK/apt"
      mkdir -m 755 "$probe"
      mkdir -p "$probe/lists/partial" "$probe/cache/archives/partial" "$probe/none"
      printf 'deb [signed-by=%s] %s/ %s 7\n' "$WORK/datadog-archive-keyring.gpg" \
        "$(repo_base debian "$ARCH")" "$CHANNEL" > "$probe/datadog.list"
      ( umask 077; : > "$probe/auth.conf"; ! mirror_credentials || apt_auth_text > "$probe/auth.conf" )
      APT_PROBE=(-o "Dir::Etc::sourcelist=$probe/datadog.list" -o "Dir::Etc::sourceparts=$probe/none"
        -o "Dir::State::Lists=$probe/lists" -o "Dir::Cache=$probe/cache"
        -o "Dir::Etc::trusted=$WORK/datadog-archive-keyring.gpg" -o "Dir::Etc::trustedparts=$probe/none"
        -o "Dir::Etc::netrc=$probe/auth.conf" -o "Dir::Etc::netrcparts=$probe/none")
      logged apt-get "${APT_PROBE[@]}" update \
        || die 1 "cannot read the Datadog repository $(repo_base debian "$ARCH"): $(log_tail); ${UNCHANGED}"
      for package in "$@"; do
        apt-cache "${APT_PROBE[@]}" madison "$package" 2>/dev/null \
          | awk -F'|' -v p="$package" '{ gsub(/ /, "", $1); gsub(/ /, "", $2); if ($1 == p) print p, $2 }'
      done ;;
    rhel)
      local probe="$WORK/yum" tool
      mkdir -m 700 "$probe" "$probe/repos"
      ( umask 077; rpm_repo_file "${KEY_FILES[@]}" > "$probe/repos/datadog.repo" )
      tool=$(yum_tool)
      local -a options=(-y --noplugins --setopt=reposdir="$probe/repos" --setopt=cachedir="$probe/cache"
        --setopt=persistdir="$probe/persist" --disablerepo='*' --enablerepo=datadog)
      [ "$tool" != dnf ] || options+=(--setopt=logdir="$probe/log")  # yum logs no listing
      for package in "$@"; do
        logged "$tool" "${options[@]}" --showduplicates list "$package" \
          || grep -q "No matching Packages" "$WORK/command.log" \
          || die 1 "cannot read the Datadog repository $(repo_base rhel "$ARCH"): $(log_tail); ${UNCHANGED}"
        parse_yum_list "$package" < "$WORK/command.log" | sed "s/^/$package /"
      done ;;
    suse)
      local root="$WORK/zypp-root" key
      mkdir -m 700 "$root"
      mkdir -p "$root/etc/zypp/repos.d" "$root/etc/zypp/credentials.d"
      mkdir -m 700 "$WORK/zypp-tmp"
      local -a rpm_root=(rpm --root "$root" --define "_tmppath $WORK/zypp-tmp")
      "${rpm_root[@]}" --initdb  # its own rpm database: the keys are trusted there only
      for key in "${KEY_FILES[@]}"; do "${rpm_root[@]}" --import "$key"; done
      rpm_repo_file "${KEY_FILES[@]}" > "$root/etc/zypp/repos.d/datadog.repo"
      if mirror_credentials; then
        ( umask 077; zypp_credentials_text > "$root$ZYPP_CREDENTIALS" )
      fi
      # Not the host's /var/log/zypper.log nor /var/tmp.
      export ZYPP_LOGFILE="$WORK/zypper.log" ZYPPTMPDIR="$WORK/zypp-tmp"
      logged zypper --non-interactive --root "$root" refresh datadog \
        || die 1 "cannot read the Datadog repository $(repo_base suse "$ARCH"): $(log_tail); ${UNCHANGED}"
      for package in "$@"; do
        zypper --non-interactive --root "$root" search -s --match-exact "$package" 2>/dev/null \
          | awk -F'|' -v p="$package" '{ gsub(/ /, "", $2); gsub(/ /, "", $4); if ($2 == p) print p, $4 }' || true
      done
      unset ZYPP_LOGFILE ZYPPTMPDIR ;;
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
  local upgrade="set DD_UPGRADE_AGENT=true or DD_AGENT_MINOR_VERSION to upgrade it; ${UNCHANGED}"
  if [ "$NO_AGENT_INSTALL" = on ]; then
    check_minimum 1 "$(minor_of "$INSTALLED")" "DD_NO_AGENT_INSTALL keeps ${FLAVOR} $(upstream "$INSTALLED")" "${UNCHANGED}"
    say "DD_NO_AGENT_INSTALL: ${FLAVOR} $(upstream "$INSTALLED") is left as it is"
    return
  fi
  [ -n "$versions" ] || die 1 "the Datadog repository $(repo_base "$FAMILY" "$ARCH") has no ${FLAVOR} (channel ${CHANNEL}, ${ARCH}); ${UNCHANGED}"
  if [ -n "$PIN" ]; then
    TARGET=$(printf '%s\n' "$versions" | resolve_pin "$PIN") \
      || die 1 "DD_AGENT_MINOR_VERSION=${PIN}: the repository has no ${FLAVOR} 7.${PIN} (newest: $(upstream "$(printf '%s\n' "$versions" | newest)")); ${UNCHANGED}"
  elif [ -n "$INSTALLED" ] && [ "$UPGRADE" = off ]; then
    check_minimum 1 "$(minor_of "$INSTALLED")" "the installed ${FLAVOR} $(upstream "$INSTALLED")" "$upgrade"
    return
  else
    TARGET=$(printf '%s\n' "$versions" | newest)
  fi
  check_minimum 1 "$(minor_of "$TARGET")" "${FLAVOR} $(upstream "$TARGET") from the repository" "${UNCHANGED}"
  if [ -n "$INSTALLED" ] && version_lt "$TARGET" "$INSTALLED"; then
    die 1 "${FLAVOR} $(upstream "$INSTALLED") is installed, newer than $(upstream "$TARGET"): this script does not downgrade; ${UNCHANGED}"
  fi
  [ "$TARGET" != "$INSTALLED" ] || TARGET=""
}

# --- the distribution's packages this script needs ---------------------------------------

have_command() { command -v "$1" >/dev/null 2>&1; }

# The distribution's name of the package holding gpg.
gpg_package() {
  case "$FAMILY" in debian) echo gnupg ;; rhel) echo gnupg2 ;; suse) echo gpg2 ;; esac
}

# Whether anything is fetched over https (Datadog's servers, or an https mirror).
fetches_https() { [[ "$MIRROR" != file://* ]]; }

# The distribution's packages missing here that this run needs, one a line: gpg and curl (to
# fetch and check Datadog's signing keys), and on apt hosts the https support older apt lacks
# and the CA certificates, as Datadog's script installs them (apt: curl gnupg, and
# apt-transport-https before apt 1.5; SUSE: curl; it uses no gpg of its own on rpm hosts).
missing_prerequisites() {
  have_command gpg || gpg_package
  have_command curl || echo curl
  if [ "$FAMILY" = debian ] && fetches_https; then
    [ -e /usr/lib/apt/methods/https ] || echo apt-transport-https
    [ -e /etc/ssl/certs/ca-certificates.crt ] || echo ca-certificates
  fi
}

# copy_without SOURCE_DIR TARGET_DIR NAME GLOB...: the files of SOURCE_DIR matching a GLOB,
# but NAME, copied into TARGET_DIR: the host's sources (or zypper repositories) without
# Datadog's, so that the distribution's packages can never come from Datadog's repository.
copy_without() {
  local source=$1 target=$2 skip=$3 file pattern
  shift 3
  mkdir -p "$target"
  for pattern in "$@"; do
    for file in "$source"/$pattern; do
      if [ -f "$file" ] && [ "$(basename "$file")" != "$skip" ]; then cp -- "$file" "$target/"; fi
    done
  done
}

# Whether an earlier run (or the operator) configured Datadog's yum repository.
datadog_yum_repo_present() { [ -e "$YUM_REPO" ]; }

# The command that installs the distribution's PACKAGES from the distribution's repositories
# only (never Datadog's, even where an earlier run configured it): PREREQUISITE_COMMAND.
prerequisite_command() {
  case "$FAMILY" in
    debian)
      copy_without "$(dirname "$APT_SOURCE")" "$WORK/distribution-sources" "$(basename "$APT_SOURCE")" '*.list' '*.sources'
      APT_DISTRIBUTION_ONLY=(-o "Dir::Etc::sourceparts=$WORK/distribution-sources")
      PREREQUISITE_COMMAND=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=120
        "${APT_DISTRIBUTION_ONLY[@]}" "$@") ;;
    rhel)
      local -a without=()
      ! datadog_yum_repo_present || without=(--disablerepo=datadog)
      PREREQUISITE_COMMAND=("$(yum_tool)" -y ${without[@]+"${without[@]}"} install "$@") ;;
    suse)
      copy_without "$(dirname "$ZYPP_REPO")" "$WORK/distribution-repos" "$(basename "$ZYPP_REPO")" '*.repo'
      PREREQUISITE_COMMAND=(env ZYPP_LOCK_TIMEOUT=120 zypper --non-interactive
        --reposd-dir "$WORK/distribution-repos" install --no-recommends "$@") ;;
  esac
}

# versions_of PACKAGES...: "name version" for what apt would install (its current lists; no
# cache file written), for DD_DRY_RUN; nothing when it cannot tell.
apt_versions_of() {
  apt-get install -s -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    "${APT_DISTRIBUTION_ONLY[@]}" "$@" 2>/dev/null \
    | awk '$1 == "Inst" { version = $3; sub(/^\(/, "", version); print $2 " " version }' || true
}

# Install what is missing of gpg, curl (and apt's https support) from the distribution's own
# repositories, before anything of Datadog's is configured; with DD_DRY_RUN, say so instead.
# PREREQUISITES: ready, or missing (DD_DRY_RUN: the rest can then only be outlined).
ensure_prerequisites() {
  local -a missing=()
  PREREQUISITES=ready
  mapfile -t missing < <(missing_prerequisites)
  [ "${#missing[@]}" -gt 0 ] || return 0
  prerequisite_command "${missing[@]}"
  if [ "$DRY_RUN" = on ]; then
    local versions=""
    if [ "$FAMILY" = debian ]; then
      versions=$(apt_versions_of "${missing[@]}" | paste -sd, - | sed 's/,/, /g')
    fi
    plan "install from the distribution's repositories (never Datadog's): ${versions:-${missing[*]} (the versions its package lists offer then)} (${PREREQUISITE_COMMAND[*]})"
    PREREQUISITES=missing
    return 0
  fi
  say "installing ${missing[*]} from the distribution's repositories (never Datadog's): needed to fetch and check Datadog's signing keys"
  if [ "$FAMILY" = debian ]; then
    logged apt-get update "${APT_DISTRIBUTION_ONLY[@]}" -o APT::Get::List-Cleanup=0 \
      || warn "apt-get update of the distribution's repositories failed, installing from the lists as they are: $(log_tail)"
  fi
  "${PREREQUISITE_COMMAND[@]}" \
    || die 1 "installing ${missing[*]} from the distribution's repositories failed (see the package manager's message above): install them and run this script again; nothing of Datadog's was configured"
  UNCHANGED="nothing of Datadog's was configured (only ${missing[*]} were installed, from the distribution's repositories)"
  local left
  left=$(missing_prerequisites | tr '\n' ' ')
  [ -z "$left" ] || die 1 "still missing after the install: ${left}; ${UNCHANGED}"
}

# --- changing the host ----------------------------------------------------------------------

# put FILE DEST [MODE]: install FILE at DEST (root, MODE: 644 by default) in one rename; a
# file that holds a password (MODE 600) is root's alone from its creation on.
put() {
  local mode=${3:-644}
  ( umask 077; cat -- "$1" > "$2.fips-setup-new" )
  chmod "$mode" "$2.fips-setup-new"
  mv -f "$2.fips-setup-new" "$2"
}

# write_plan FILE DEST MODE: what a DD_DRY_RUN run says instead of writing FILE at DEST.
write_plan() {
  plan "write $2 (root, $3):
$(sed 's/^/    /' "$1")"
}

configure_repository() {
  case "$FAMILY" in
    debian)
      local keyring=$APT_KEYRING
      apt_is_old && keyring=$APT_OLD_KEYRING
      apt_source_line "$APT_KEYRING" > "$WORK/datadog.list"
      if mirror_credentials; then ( umask 077; apt_auth_text > "$WORK/auth.conf" ); fi
      apt_datadog_only
      if [ "$DRY_RUN" = on ]; then
        plan "write ${keyring} (root, 644): the signing keys ${PRIMARY_KEYS} (only these, exported minimal)"
        write_plan "$WORK/datadog.list" "$APT_SOURCE" 644
        ! mirror_credentials || write_plan "$WORK/auth.conf" "$APT_AUTH" 600
        plan "refresh the Datadog repository only: apt-get update ${APT_DATADOG_ONLY[*]}"
        return
      fi
      mkdir -p "$(dirname "$keyring")"
      put "$WORK/datadog-archive-keyring.gpg" "$keyring"
      put "$WORK/datadog.list" "$APT_SOURCE"
      if mirror_credentials; then
        mkdir -p "$(dirname "$APT_AUTH")"
        put "$WORK/auth.conf" "$APT_AUTH" 600
      fi
      logged apt-get update "${APT_DATADOG_ONLY[@]}" -o APT::Get::List-Cleanup=0 \
        || die 1 "apt-get update of the Datadog repository failed: $(log_tail)" ;;
    *)
      local key installed=() file=$YUM_REPO mode
      [ "$FAMILY" = suse ] && file=$ZYPP_REPO
      for key in "${KEY_FILES[@]}"; do installed+=("$RPM_KEY_DIR/$(basename "$key")"); done
      ( umask 077; rpm_repo_file "${installed[@]}" > "$WORK/datadog.repo" )  # may hold the password
      mode=$(rpm_repo_mode)
      if [ "$FAMILY" = suse ] && mirror_credentials; then
        ( umask 077; zypp_credentials_text > "$WORK/zypp-credentials" )
      fi
      if [ "$DRY_RUN" = on ]; then
        for key in "${KEY_FILES[@]}"; do
          plan "write ${RPM_KEY_DIR}/$(basename "$key") (root, 644) and import it into rpm's database: the signing key $(gpg_work --with-colons --show-keys "$key" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }') (exported minimal)"
        done
        write_plan "$WORK/datadog.repo" "$file" "$mode"
        [ "$FAMILY" != suse ] || ! mirror_credentials || write_plan "$WORK/zypp-credentials" "$ZYPP_CREDENTIALS" 600
        if [ "$FAMILY" = suse ]; then plan "refresh the Datadog repository only: zypper refresh datadog"
        else plan "refresh the Datadog repository only: $(yum_tool) makecache --disablerepo='*' --enablerepo=datadog"; fi
        return
      fi
      mkdir -p "$RPM_KEY_DIR"
      for key in "${KEY_FILES[@]}"; do
        put "$key" "$RPM_KEY_DIR/$(basename "$key")"
        rpm --import "$RPM_KEY_DIR/$(basename "$key")"
      done
      mkdir -p "$(dirname "$file")"
      put "$WORK/datadog.repo" "$file" "$mode"
      if [ "$FAMILY" = suse ]; then
        if mirror_credentials; then
          mkdir -p "$(dirname "$ZYPP_CREDENTIALS")"
          put "$WORK/zypp-credentials" "$ZYPP_CREDENTIALS" 600
        fi
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

# The package manager's command that installs SPECS from the Datadog repository only (the
# Agent's packages depend on nothing but what every host has: the deb declares no Depends;
# the rpm's pre-install script needs coreutils, findutils, grep, glibc and shadow-utils;
# zypper's --from binds only the named packages to the repository).
datadog_install_command() {
  case "$FAMILY" in
    debian)
      apt_datadog_only
      INSTALL_COMMAND=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=120
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${APT_DATADOG_ONLY[@]}" "$@") ;;
    rhel) INSTALL_COMMAND=("$(yum_tool)" -y --disablerepo='*' --enablerepo=datadog install "$@") ;;
    suse) INSTALL_COMMAND=(env ZYPP_LOCK_TIMEOUT=120 zypper --non-interactive install --from datadog "$@") ;;
  esac
}

install_packages() {
  local -a specs=() names=()
  if [ -n "$TARGET" ]; then
    specs+=("$(package_spec "$FLAVOR" "$TARGET")"); names+=("${FLAVOR} ${TARGET}")
  fi
  if [ -n "${SIGNING_KEYS:-}" ]; then
    specs+=("$(package_spec "$SIGNING_KEYS_PACKAGE" "$SIGNING_KEYS")")
    names+=("${SIGNING_KEYS_PACKAGE} ${SIGNING_KEYS}")
  fi
  if [ "${#specs[@]}" = 0 ]; then
    [ "$DRY_RUN" = off ] || plan "install no package: ${FLAVOR} $(upstream "$INSTALLED") is kept as it is"
    return 0
  fi
  datadog_install_command "${specs[@]}"
  if [ "$DRY_RUN" = on ]; then
    local joined
    joined=$(printf '%s, ' "${names[@]}")
    plan "install from the Datadog repository only: ${joined%, } (${INSTALL_COMMAND[*]})"
    return 0
  fi
  say "installing ${specs[*]} from the Datadog repository only"
  "${INSTALL_COMMAND[@]}" || die 1 "installing ${specs[*]} failed (see the package manager's message above)"
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

# run_toolkit [ARG...]: fips-setup install ARG... (DD_DRY_RUN passes --dry-run, and then
# nothing may change on the host).
run_toolkit() {
  local status=0
  if [ -n "$TARGET" ]; then
    export FIPS_SETUP_INSTALLED_BY=$SCRIPT_NAME  # install_info: this script installed it
  else
    unset FIPS_SETUP_INSTALLED_BY
  fi
  [ -x "$AGENT_PYTHON" ] || die 1 "${AGENT_PYTHON} is missing: is the Agent package complete?"
  # The keys reach fips-setup through its environment, never its arguments.
  DD_API_KEY=$API_KEY DD_APP_KEY=$APP_KEY DD_SITE=$SITE "$AGENT_PYTHON" "$PYZ" install "$@" || status=$?
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

# What fips-setup install would do (DD_DRY_RUN): its own --dry-run plan where the Agent's
# package is there for it to read; otherwise its steps in words.
plan_toolkit() {
  if [ -n "$INSTALLED" ]; then
    plan "run fips-setup install; its own plan, on the Agent installed now (fips-setup install --dry-run):"
    run_toolkit --dry-run
    return
  fi
  local then="start ${AGENT_PACKAGE}"
  [ "$FIPS" = off ] || then="fips-setup enable: install ${PROXY_PACKAGE} from the Datadog repository, configure and start it, then point the Agent at it (fips.enabled: true, fips.https: false) and restart it"
  plan "run fips-setup install, which creates ${DATADOG_YAML} from the package's datadog.yaml.example with the settings given (and system-probe.yaml, security-agent.yaml where asked), then ${then} (its own --dry-run needs the Agent's package installed)"
}

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
  ( umask 077; : > "$WORK/command.log"; : > "$WORK/fetch.err" )
  ! mirror_credentials || write_netrc "$MIRROR_AUTHORITY" "$MIRROR_USER" "$MIRROR_PASSWORD"
  warn_about_variables
  FAMILY=$(detect_family)
  ARCH=$(detect_arch)
  if [ "$FAMILY" = debian ] && mirror_credentials && ! apt_reads_auth_as_root; then
    die 2 "${MIRROR_VARIABLE} holds a user and password: this apt (before 1.5) reads them as _apt, which cannot read a root-only file; give a mirror without them, or upgrade apt"
  fi
  check_host
  local proxy="none"
  [ "$FIPS" = off ] || proxy="the FIPS proxy"
  if [ "$DRY_RUN" = on ]; then
    say "DD_DRY_RUN: ${FLAVOR} on ${FAMILY} (${ARCH}), channel ${CHANNEL}, with ${proxy}: checking everything; nothing on this host is changed. This run would:"
  else
    say "${FLAVOR} on ${FAMILY} (${ARCH}), channel ${CHANNEL}, with ${proxy}: checking everything first"
  fi
  ensure_prerequisites
  if [ "$PREREQUISITES" = missing ]; then  # DD_DRY_RUN on a host without gpg or curl
    plan "then fetch Datadog's signing keys from $(keys_base) and check them against the pinned fingerprints, resolve ${FLAVOR} against $(repo_base "$FAMILY" "$ARCH"), write the repository's files, install from it and run fips-setup install"
    say "DD_DRY_RUN: nothing was changed; the exact versions and files need gpg and curl: run it again once they are installed"
    return 0
  fi
  fetch_keys
  obtain_toolkit
  choose_versions
  # Nothing on the host has changed up to here, but gpg and curl from the distribution.
  local was_active="" service
  for service in "$AGENT_PACKAGE" "$PROXY_PACKAGE"; do
    service_active "$service" && was_active="$was_active $service "
  done
  configure_repository
  install_packages
  if [ "$DRY_RUN" = on ]; then
    plan_toolkit
    [ "$INSTALL_ONLY" = off ] || plan "DD_INSTALL_ONLY: stop what the packages started"
    say "DD_DRY_RUN: nothing was changed"
    return 0
  fi
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
