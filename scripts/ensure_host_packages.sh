#!/usr/bin/env bash
# Make sure this machine can run the end-to-end tests and the demo: root, and
# the Debian packages they need (tests/e2e/debian-packages.txt, and the
# script tests' linter). As root, installs the missing packages;
# otherwise prints the one command to run and exits 1. Prints nothing and
# exits 0 when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(shellcheck)
mapfile -t -O "${#packages[@]}" packages < <(grep -v '^\s*#' tests/e2e/debian-packages.txt | grep .)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  [ "$(id -u)" = 0 ] && exit 0
  echo "make: the end-to-end tests boot systemd containers and need root: sudo make ${MAKE_GOAL:-test}" >&2
  echo "make: (make lint and make unit run without root)" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "make: these Debian packages are missing and this machine has no apt-get: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "make: the end-to-end tests need root and these Debian packages: ${missing[*]}" >&2
  echo "make: run as root (it installs them itself): sudo make ${MAKE_GOAL:-test}" >&2
  echo "make: or install them first: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "make: installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
